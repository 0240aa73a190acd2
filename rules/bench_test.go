package rules

import (
	"fmt"
	"testing"

	"github.com/expr-lang/expr/vm"
)

// BenchmarkEvalVsRawVM compares evaluating one subject through the rules
// engine with running the same expr program on the subject's environment
// (every variable of the subject, the benchmarks and __unk) with a reused
// vm.VM. "outcome" is the decision alone;
// "decide" is the public Decide (lookup by id, no values or detail);
// "evalone" is EvalOne with its formatted values and detail.
func BenchmarkEvalVsRawVM(b *testing.B) {
	snap, ix := sample(b)
	env := EnvFor(snap)
	cases := []struct{ name, src, id string }{
		{"simple", "coupon > utility + 400bp", "CRWV-9.25-2030"},
		{"any", "any(offtakes, .mw >= 150)", "APLD"},
		{"five", `coupon > utility + 400bp && secured == false && amount_usd >= $1bn && years_to_maturity > 2 && bond_kind == "senior_notes"`, "CRWV-9.25-2030"},
	}
	for _, c := range cases {
		p := mustCompile(b, c.src, env)
		s, ok := ix.lookup(p.subject, c.id)
		if !ok {
			b.Fatalf("no subject %s", c.id)
		}
		b.Run(c.name+"/rawvm", func(b *testing.B) {
			m := &vm.VM{MemoryBudget: MemoryBudget}
			senv := ix.subjectEnv(s)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := vmRun(m, p, senv); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/outcome", func(b *testing.B) {
			b.ReportAllocs()
			ec := ix.getCtx()
			defer ix.putCtx(ec)
			for b.Loop() {
				if out, _, _, _ := p.decide(ec, ix, nil, s, false); out != Match {
					b.Fatalf("outcome %s", out)
				}
			}
		})
		b.Run(c.name+"/decide", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if d, err := p.Decide(ix, nil, c.id); err != nil || d.Outcome != Match {
					b.Fatal(d.Outcome, err)
				}
			}
		})
		b.Run(c.name+"/evalone", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.EvalOne(ix, nil, c.id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompile compiles typical rules.
func BenchmarkCompile(b *testing.B) {
	snap, _ := sample(b)
	env := EnvFor(snap)
	for _, src := range []string{
		"coupon > utility + 400bp",
		"spread > 450bp && secured == false",
		`any(offtakes, .counterparty_ticker == "CRWV") && max_coupon > 8%`,
		`change(spread, "30d") > 50bp`,
	} {
		b.Run(src, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Compile(src, env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// tenThousandRules returns 10,000 rules in the shapes the examples have,
// with varying thresholds.
func tenThousandRules(b *testing.B, env Env) []*Program {
	templates := []string{
		"coupon > utility + %dbp",
		"spread > %dbp && secured == false",
		"slip > %dd || mw_cut > %d",
		"pipeline_ratio > %d.5",
		"any(offtakes, .mw >= %d)",
		`any(offtakes, .counterparty_ticker == "CRWV") && max_coupon > %d%%`,
		"amount_usd > $%dm && years_to_maturity < 6",
		"stale_days > %d",
	}
	ps := make([]*Program, 0, 10000)
	for i := range 10000 {
		t := templates[i%len(templates)]
		n := i / len(templates)
		var src string
		if t == "slip > %dd || mw_cut > %d" {
			src = fmt.Sprintf(t, n%365, n%100)
		} else {
			src = fmt.Sprintf(t, n%1000)
		}
		ps = append(ps, mustCompile(b, src, env))
	}
	return ps
}

// BenchmarkTenThousandRules evaluates 10,000 rules against every subject
// of the sample: one op is one full evaluation cycle.
func BenchmarkTenThousandRules(b *testing.B) {
	snap, ix := sample(b)
	ps := tenThousandRules(b, EnvFor(snap))
	evals := 0
	for _, p := range ps {
		evals += len(ix.subjects[p.subject])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, p := range ps {
			p.Eval(ix, nil, nil)
		}
	}
	b.ReportMetric(float64(evals), "evals/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(evals), "ns/eval")
}

// BenchmarkTenThousandRulesOutcomes is BenchmarkTenThousandRules through
// the lean path: Outcomes into a reused slice, no values or detail. Its
// allocations are only those the expressions make in the VM.
func BenchmarkTenThousandRulesOutcomes(b *testing.B) {
	snap, ix := sample(b)
	ps := tenThousandRules(b, EnvFor(snap))
	evals := 0
	for _, p := range ps {
		evals += len(ix.subjects[p.subject])
	}
	var dst []Decision
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, p := range ps {
			dst = p.Outcomes(ix, nil, nil, dst[:0])
		}
	}
	b.ReportMetric(float64(evals), "evals/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(evals), "ns/eval")
}

// vmRun runs p's program on env with m, as a caller of expr would.
func vmRun(m *vm.VM, p *Program, env map[string]any) (any, error) {
	return m.Run(p.main.prog, env)
}
