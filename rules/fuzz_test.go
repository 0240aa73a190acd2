package rules

import (
	"errors"
	"testing"
)

// fuzzSeeds are rule texts from the documentation and the tests.
var fuzzSeeds = []string{
	"coupon > utility + 400bp",
	"spread > 450bp && secured == false",
	"slip_days > 60",
	"mw_cut > 0 || slip > 90d",
	"pipeline_ratio > 2.5 && top_customer_share > 0.8",
	`change(spread, "30d") > 50bp`,
	"change(spread, 30d) > 50bp",
	`any(offtakes, .counterparty_ticker == "CRWV") && max_coupon > 8%`,
	"any(offtakes, .mw >= 150)",
	"coupon ?? 0 > 5",
	"100 % 7 == 2",
	"100%7 == 2 && 4.5% > 1",
	`ticker == "400bp"`,
	"crossed_above(coupon, 9%) || crossed_below(spread, 300bp)",
	"prev(slip_days) < slip_days",
	"let r = 1..500; all(r, all(r, true))",
	"map(1..1000000, #) == []",
	"amount_usd > $1.2bn && maturity < date(\"2031-01-01\")",
	"1.5GW > 1000MW && 6mo < 1y",
	"bonds[0].coupon > 5 && len(projects) > 1",
	"sum(map(offtakes, .mw ?? 0)) > 1GW",
	"count(projects, .slip_days > 30) >= 2",
	"(coupon ?? 0) * 2 > 10 ? true : false",
}

// FuzzCompile checks that no rule text makes Compile, Eval or Explain
// panic or hang, and that Compile reports only *CompileError.
func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	snap, ix := sample(f)
	env := EnvFor(snap)
	h := NewHistory(snap)
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Compile(src, env)
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile(%q) = %T %v, want a *CompileError", src, err, err)
			}
			_ = ce.Error()
			_ = ce.Snippet()
			return
		}
		rs := p.Eval(ix, h, nil)
		if len(rs) > 0 {
			if _, err := p.Explain(ix, h, rs[0].ID); err != nil {
				t.Fatalf("Explain(%q, %s) = %v", src, rs[0].ID, err)
			}
		}
	})
}
