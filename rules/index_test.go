package rules

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/market"
)

// syntheticSnapshot returns the sample feed with its bonds and projects
// replicated, under unique ids, into its first four issuers until there
// are the given number of bonds; every 7th bond has no coupon and every
// 11th no maturity, so that some values are unknown. The issuers keep
// their offtakes, some of which lack values.
func syntheticSnapshot(t testing.TB, bonds int) *market.Snapshot {
	t.Helper()
	base, err := market.Sample()
	if err != nil {
		t.Fatal(err)
	}
	s := *base
	s.Issuers = append([]market.Issuer(nil), base.Issuers...)
	var allBonds []market.Bond
	var allProjects []market.Project
	for _, is := range base.Issuers {
		allBonds = append(allBonds, is.Bonds...)
		allProjects = append(allProjects, is.Projects...)
	}
	const issuers = 4
	for k := range issuers {
		is := &s.Issuers[k]
		n := bonds / issuers
		is.Bonds = make([]market.Bond, n)
		for j := range n {
			b := allBonds[(j+k)%len(allBonds)]
			b.ID = fmt.Sprintf("SYN-%s-%06d", is.Ticker, j)
			if j%7 == 3 {
				b.Coupon = nil
			}
			if j%11 == 5 {
				b.Maturity = market.Window{}
			}
			is.Bonds[j] = b
		}
		is.Projects = make([]market.Project, n/20)
		for j := range is.Projects {
			p := allProjects[(j+k)%len(allProjects)]
			p.ID = fmt.Sprintf("SYNP-%s-%05d", is.Ticker, j)
			is.Projects[j] = p
		}
	}
	return &s
}

// indexTestRules are rules of every subject and shape: known and unknown
// values, benchmarks, lists, $env.
var indexTestRules = []string{
	"coupon > utility + 400bp",
	"spread > 450bp && secured == false",
	"slip > 30d || mw_cut > 10",
	"pipeline_ratio > 2.5",
	"any(offtakes, .mw >= 150)",
	`any(offtakes, .counterparty_ticker == "CRWV") && max_coupon > 8%`,
	"amount_usd > $500m && years_to_maturity < 6",
	"stale_days > 30",
	"(yield ?? coupon) > 9%",
	"price == nil || price < 90",
	"mw_current < mw_original && status != \"operating\"",
	"top_customer_share > 0.5 or offtake_mw > 500",
	"not secured",
	"max(map(bonds, .coupon ?? 0)) > 9%",
	"bond_id == ticker || maturity > date(\"2030-01-01\")",
	"len(keys($env)) > 30 && coupon > 1",
	`get($env, "yield") == nil && coupon > 8%`,
}

// referenceOutcome decides p for s the straightforward way: the rule runs
// on a new map holding every variable of s, and again with __unk true
// when a value it reads may be unknown.
func referenceOutcome(p *Program, ix *Index, s *subject) Outcome {
	unknownVars := s.unknown & p.main.needMask
	bench := ""
	for _, b := range p.main.needBench {
		if !ix.bench[b].Known {
			bench = b
			break
		}
	}
	kleene := unknownVars != 0 || bench != "" || s.huge && p.main.addSub
	c := &p.main
	if kleene && p.kleene != nil {
		c = p.kleene
	}
	if c.wholeGuarded && (unknownVars != 0 || bench != "") {
		return LacksData
	}
	ec := ix.newCtx()
	twice := kleene || s.elemUnknown&c.elemMask != 0
	v, out, _ := run(c, ec.m, ix.subjectEnv(s), twice, s.elemUnknown&c.elemMask != 0, false)
	switch {
	case out != "":
		return out
	case v == true:
		return Match
	case v == false:
		return NoMatch
	}
	return Error
}

// TestIndexSynthetic checks, over a synthetic 10k-bond snapshot, that the
// environments rules run on are those of their subjects: Outcomes with
// one evaluation context shared by every rule and subject (so that
// variables are loaded over those of other subjects) agrees with a
// reference evaluation on a new map per subject, and with Eval and
// EvalOne.
func TestIndexSynthetic(t *testing.T) {
	snap := syntheticSnapshot(t, 10_000)
	ix := NewIndex(snap)
	if n := len(ix.subjects[SubjectBond]); n != countBonds(snap.Issuers) || n < 10_000 {
		t.Fatalf("%d bonds indexed", n)
	}
	env := EnvFor(snap)
	var ps []*Program
	for _, src := range indexTestRules {
		ps = append(ps, mustCompile(t, src, env))
	}
	seen := map[Outcome]int{}
	ec := ix.newCtx()
	for k := range ix.subjects {
		// Every rule for each subject in turn, then the subjects in
		// reverse order.
		subs := ix.subjects[k]
		for pass := range 2 {
			for j := range subs {
				i := j
				if pass == 1 {
					i = len(subs) - 1 - j
				}
				s := &subs[i]
				for _, p := range ps {
					if p.subject != Subject(k) {
						continue
					}
					got, _, _, _ := p.decide(ec, ix, nil, s, false)
					if want := referenceOutcome(p, ix, s); got != want {
						t.Fatalf("%q for %s: decide = %s, reference = %s", p.Source(), s.id, got, want)
					}
					seen[got]++
				}
			}
		}
	}
	for _, o := range []Outcome{Match, NoMatch, LacksData} {
		if seen[o] == 0 {
			t.Errorf("no %s outcome: the test covers too little", o)
		}
	}

	for _, p := range ps {
		rs := p.Eval(ix, nil, nil)
		ds := p.Outcomes(ix, nil, nil, nil)
		if len(rs) != len(ds) || len(rs) != len(ix.subjects[p.subject]) {
			t.Fatalf("%q: %d results, %d decisions", p.Source(), len(rs), len(ds))
		}
		for i, r := range rs {
			d := ds[i]
			if d.ID != r.ID || d.Ticker != r.Ticker || d.Outcome != r.Outcome || d.Missing != r.Missing {
				t.Fatalf("%q: Outcomes[%d] = %+v, Eval = %+v", p.Source(), i, d, r)
			}
			if i%97 != 0 {
				continue
			}
			one, err := p.EvalOne(ix, nil, r.ID)
			if err != nil || !reflect.DeepEqual(one, r) {
				t.Fatalf("%q: EvalOne(%s) = %+v, %v; Eval = %+v", p.Source(), r.ID, one, err, r)
			}
			desc, err := p.Describe(ix, nil, d)
			if err != nil || !reflect.DeepEqual(desc, r) {
				t.Fatalf("%q: Describe(%s) = %+v, %v; Eval = %+v", p.Source(), r.ID, desc, err, r)
			}
		}
	}
}

func countBonds(iss []market.Issuer) int {
	n := 0
	for _, is := range iss {
		n += len(is.Bonds)
	}
	return n
}

// TestIndexSyntheticHistory checks history rules over two synthetic
// snapshots: Outcomes agrees with Eval.
func TestIndexSyntheticHistory(t *testing.T) {
	now := syntheticSnapshot(t, 2_000)
	old := syntheticSnapshot(t, 1_600)
	old.AsOf = now.AsOf.Add(-40 * 24 * time.Hour)
	h := NewHistory(now, old)
	ix, _ := h.AtOrBefore(now.AsOf)
	env := EnvFor(now)
	for _, src := range []string{
		"coupon > prev(coupon)",
		`change(spread, "30d") > 0 || prev(yield) == nil`,
		`change(max_coupon, "30d") >= 0`,
		"crossed_below(price, 95) || any(bonds, .price == nil)",
		"len(keys($env)) > 3 && prev(coupon) > 1",
		"prev(len(keys($env))) > 3 && coupon > 1",
	} {
		p := mustCompile(t, src, env)
		rs := p.Eval(ix, h, nil)
		ds := p.Outcomes(ix, h, nil, nil)
		seen := map[Outcome]bool{}
		for i, r := range rs {
			d := ds[i]
			if d.ID != r.ID || d.Outcome != r.Outcome || d.Missing != r.Missing {
				t.Fatalf("%q: Outcomes[%d] = %+v, Eval = %+v", src, i, d, r)
			}
			seen[r.Outcome] = true
		}
		if !seen[Match] && !seen[NoMatch] {
			t.Errorf("%q: every outcome is %v", src, seen)
		}
	}
}

// TestIndexSyntheticConcurrent evaluates rules of every subject, history
// rules included, over one index from several goroutines (with -race):
// the evaluation contexts they share through the index's pool leave no
// trace from one evaluation to the next.
func TestIndexSyntheticConcurrent(t *testing.T) {
	now := syntheticSnapshot(t, 1_000)
	old := syntheticSnapshot(t, 800)
	old.AsOf = now.AsOf.Add(-40 * 24 * time.Hour)
	h := NewHistory(now, old)
	ix, _ := h.AtOrBefore(now.AsOf)
	env := EnvFor(now)
	srcs := append([]string{"coupon > prev(coupon)", `change(spread, "30d") > 0 || prev(yield) == nil`}, indexTestRules...)
	var ps []*Program
	for _, src := range srcs {
		ps = append(ps, mustCompile(t, src, env))
	}
	run := func() []Decision {
		var ds []Decision
		for _, p := range ps {
			ds = p.Outcomes(ix, h, nil, ds)
		}
		return ds
	}
	explain := func() string {
		var b strings.Builder
		for _, p := range ps {
			subs := ix.subjects[p.subject]
			for i := 0; i < len(subs); i += 37 {
				e, err := p.Explain(ix, h, subs[i].id)
				if err != nil {
					t.Error(err)
					return ""
				}
				b.WriteString(e.String() + "\n")
			}
		}
		return b.String()
	}
	want, wantExplain := run(), explain()
	errs := make(chan string, 8)
	for range 4 {
		go func() {
			for range 3 {
				if got := run(); !reflect.DeepEqual(got, want) {
					errs <- "concurrent Outcomes differ"
					return
				}
				if got := explain(); got != wantExplain {
					errs <- "concurrent Explain differs"
					return
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

// BenchmarkNewIndex100kBonds indexes a snapshot of 100,000 bonds.
func BenchmarkNewIndex100kBonds(b *testing.B) {
	snap := syntheticSnapshot(b, 100_000)
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(snap)
	}
}
