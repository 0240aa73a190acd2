package rules

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkLean checks that Outcomes reports what Eval does, and that
// Describe of each decision is Eval's result for that subject.
func checkLean(t *testing.T, p *Program, ix *Index, h History, scope func(string) bool) {
	t.Helper()
	want := p.Eval(ix, h, scope)
	got := p.Outcomes(ix, h, scope, nil)
	if len(got) != len(want) {
		t.Fatalf("%q: Outcomes gave %d decisions, Eval %d results", p.Source(), len(got), len(want))
	}
	for i, d := range got {
		w := want[i]
		if d.ID != w.ID || d.Ticker != w.Ticker || d.Outcome != w.Outcome || d.Missing != w.Missing {
			t.Errorf("%q: decision %d = %s %s %s %q, want %s %s %s %q", p.Source(), i,
				d.ID, d.Ticker, d.Outcome, d.Missing, w.ID, w.Ticker, w.Outcome, w.Missing)
		}
		r, err := p.Describe(ix, h, d)
		if err != nil {
			t.Fatalf("%q: Describe(%s) = %v", p.Source(), d.ID, err)
		}
		if diff := cmp.Diff(w, r); diff != "" {
			t.Errorf("%q: Describe(%s) (-Eval +Describe):\n%s", p.Source(), d.ID, diff)
		}
		one, err := p.Decide(ix, h, d.ID)
		if err != nil {
			t.Fatalf("%q: Decide(%s) = %v", p.Source(), d.ID, err)
		}
		if one != d {
			t.Errorf("%q: Decide(%s) = %+v, Outcomes gave %+v", p.Source(), d.ID, one, d)
		}
	}
}

// TestOutcomesMatchEval checks the lean path against Eval on the sample,
// on unknown list elements, on run-time errors and on history rules.
func TestOutcomesMatchEval(t *testing.T) {
	snap, ix := sample(t)
	env := EnvFor(snap)
	for _, src := range []string{
		"coupon > utility + 400bp",
		"slip > 60d",
		"pipeline_ratio > 2.5",
		`any(offtakes, .counterparty_ticker == "CRWV") && max_coupon > 8%`,
		"spread > 450bp && secured == false",
		"mw_cut > 0 || slip > 90d",
		"any(offtakes, .mw >= 150)",
		"(coupon ?? 0) > 9%",
		"offtake_mw >= 1GW",
		"1 % (len(bonds) - 3) == 0",
		"bonds[3].coupon == nil",
		"int(ticker) > 0",
		"stale_days > 3",
		"coupon > prev(coupon)",
		`change(spread, "30d") > 50bp`,
	} {
		p := mustCompile(t, src, env)
		checkLean(t, p, ix, nil, nil)
		checkLean(t, p, ix, NewHistory(snap), nil)
		checkLean(t, p, ix, nil, func(tk string) bool { return tk == "CRWV" || tk == "APLD" })
	}

	uix := NewIndex(unknownsSnapshot())
	for _, src := range []string{
		"any(offtakes, .mw >= 150)",
		"all(offtakes, .mw < 150)",
		"max(map(offtakes, .mw)) > 200",
		`any(offtakes, .start < date("2027-01-01"))`,
	} {
		checkLean(t, mustCompile(t, src, Env{}), uix, nil, nil)
	}

	may := histSnap(date(2026, 5, 1), num(8.0), false)
	jun := histSnap(date(2026, 6, 1), num(8.9), false)
	jul := histSnap(date(2026, 7, 2), num(9.25), true)
	h := NewHistory(jul, may, jun)
	now, _ := h.AtOrBefore(date(2026, 7, 2))
	henv := EnvFor(jul)
	for _, src := range []string{
		"coupon > prev(coupon)",
		`change(coupon, "30d") > 30bp`,
		"change(spread, 45d) > 120bp",
		"change(coupon, 90d) > 0",
		"crossed_above(coupon, utility + 450bp)",
		"change(max_coupon, 30d) > 0",
	} {
		p := mustCompile(t, src, henv)
		checkLean(t, p, now, h, nil)
		checkLean(t, p, now, nil, nil)
	}
	nulljun := histSnap(date(2026, 6, 1), nil, false)
	checkLean(t, mustCompile(t, "coupon > prev(coupon)", henv), NewIndex(jul), NewHistory(nulljun, jul), nil)

	p := mustCompile(t, "coupon > 0", env)
	if _, err := p.Decide(ix, nil, "NOPE"); !errors.Is(err, ErrNoSubject) {
		t.Errorf("Decide(NOPE) = %v, want ErrNoSubject", err)
	}
	if _, err := p.Describe(ix, nil, Decision{ID: "NOPE"}); !errors.Is(err, ErrNoSubject) {
		t.Errorf("Describe(NOPE) = %v, want ErrNoSubject", err)
	}
	// A decision from another index is described by its id.
	d, err := p.Decide(NewIndex(jul), nil, "ACME-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Describe(ix, nil, d); !errors.Is(err, ErrNoSubject) {
		t.Errorf("Describe(ACME-1 over the sample) = %v, want ErrNoSubject", err)
	}
}

// TestOutcomesAllocs checks that deciding a rule over every subject of
// the sample allocates nothing once dst is large enough, for rules whose
// expression itself allocates nothing in the VM (no arithmetic on
// values, no predicates), including lacks_data subjects and a history
// rule.
func TestOutcomesAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	snap, ix := sample(t)
	env := EnvFor(snap)
	h := NewHistory(snap)
	for _, src := range []string{
		"coupon > 9%",
		"spread > 450bp && secured == false",
		"slip > 60d",
		"stale_days > 3",
		"offtake_mw >= 1GW",
		"coupon > prev(coupon)",
	} {
		p := mustCompile(t, src, env)
		dst := p.Outcomes(ix, h, nil, nil)
		allocs := testing.AllocsPerRun(100, func() {
			dst = p.Outcomes(ix, h, nil, dst[:0])
		})
		if allocs != 0 {
			t.Errorf("Outcomes(%q) allocates %v times per call, want 0", src, allocs)
		}
	}

	// A history rule over a real older snapshot.
	jun := histSnap(date(2026, 6, 1), num(8.9), false)
	jul := histSnap(date(2026, 7, 2), num(9.25), true)
	hh := NewHistory(jul, jun)
	now, _ := hh.AtOrBefore(date(2026, 7, 2))
	p := mustCompile(t, "coupon > prev(coupon)", EnvFor(jul))
	dst := p.Outcomes(now, hh, nil, nil)
	if len(dst) != 2 || dst[0].Outcome != Match || dst[1].Outcome != LacksData {
		t.Fatalf("Outcomes = %+v, want ACME-1 match and ACME-NEW lacks_data", dst)
	}
	if allocs := testing.AllocsPerRun(100, func() { dst = p.Outcomes(now, hh, nil, dst[:0]) }); allocs != 0 {
		t.Errorf("Outcomes(history rule) allocates %v times per call, want 0", allocs)
	}
}
