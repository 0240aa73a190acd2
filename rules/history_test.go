package rules

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spreadwatch/spreadwatch/market"
)

// histSnap is a one-issuer snapshot: bond ACME-1 with the given coupon,
// and, when withNew, bond ACME-NEW too.
func histSnap(asOf time.Time, coupon *float64, withNew bool) *market.Snapshot {
	bonds := []market.Bond{{ID: "ACME-1", Coupon: coupon, Maturity: day1(2030, 1, 1)}}
	if withNew {
		bonds = append(bonds, market.Bond{ID: "ACME-NEW", Coupon: num(7), Maturity: day1(2031, 1, 1)})
	}
	return &market.Snapshot{
		AsOf:       asOf,
		Benchmarks: []market.Benchmark{{ID: "utility", Level: num(4.5)}},
		Issuers:    []market.Issuer{{Ticker: "ACME", Bonds: bonds}},
	}
}

func TestHistoryFunctions(t *testing.T) {
	may := histSnap(date(2026, 5, 1), num(8.0), false)
	jun := histSnap(date(2026, 6, 1), num(8.9), false)
	jul := histSnap(date(2026, 7, 2), num(9.25), true)
	h := NewHistory(jul, may, jun)
	now, _ := h.AtOrBefore(date(2026, 7, 2))
	env := EnvFor(jul)
	tests := []struct {
		src    string
		id     string
		want   Outcome
		detail string
	}{
		// prev is the snapshot of June 1st: 9.25 > 8.9.
		{"coupon > prev(coupon)", "ACME-1", Match, "coupon 9.25%"},
		{"prev(coupon) == 8.9", "ACME-1", Match, "coupon 9.25%"},
		// 30 days before July 2nd is June 2nd: the newest snapshot at or
		// before it is June 1st; 9.25 − 8.9 = +35 bp.
		{`change(coupon, "30d") > 30bp`, "ACME-1", Match, "coupon 9.25%"},
		{`change(coupon, "30d") > 40bp`, "ACME-1", NoMatch, "coupon 9.25%"},
		{"change(coupon, 30d) > 30bp", "ACME-1", Match, "coupon 9.25%"},
		// 45 days before is May 18th: May 1st, 9.25 − 8 = +125 bp.
		{"change(coupon, 45d) > 120bp", "ACME-1", Match, "coupon 9.25%"},
		{"change(spread, 45d) > 120bp", "ACME-1", Match, "spread +475 bp"},
		// 9.25 > 9 now and 8.9 <= 9 before.
		{"crossed_above(coupon, 9%)", "ACME-1", Match, "coupon 9.25%"},
		{"crossed_above(coupon, 8.5%)", "ACME-1", NoMatch, "coupon 9.25%"},
		{"crossed_below(coupon, 9.5%)", "ACME-1", NoMatch, "coupon 9.25%"},
		{"crossed_above(coupon, utility + 450bp)", "ACME-1", Match, "coupon 9.25%, utility 4.50%"},
		// No snapshot old enough.
		{"change(coupon, 90d) > 0", "ACME-1", LacksData, "no snapshot 90d before 2026-07-02"},
		// ACME-NEW is only in the newest snapshot.
		{"coupon > prev(coupon)", "ACME-NEW", LacksData, "ACME-NEW is not in the snapshot of 2026-06-01"},
		// Issuer rule over history.
		{"change(max_coupon, 30d) > 0", "ACME", Match, "max_coupon 9.25%"},
	}
	for _, tt := range tests {
		t.Run(tt.src+" "+tt.id, func(t *testing.T) {
			p := mustCompile(t, tt.src, env)
			r, err := p.EvalOne(now, h, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcome != tt.want || r.Detail != tt.detail {
				t.Errorf("%s = %s %q, want %s %q", tt.id, r.Outcome, r.Detail, tt.want, tt.detail)
			}
		})
	}
}

func TestHistoryLacksData(t *testing.T) {
	jun := histSnap(date(2026, 6, 1), nil, false)
	jul := histSnap(date(2026, 7, 2), num(9.25), false)
	env := EnvFor(jul)
	tests := []struct {
		name, src string
		h         History
		detail    string
	}{
		{"no history", "coupon > prev(coupon)", nil, "no snapshot before 2026-07-02"},
		{"only now", "coupon > prev(coupon)", NewHistory(jul), "no snapshot before 2026-07-02"},
		{"only now change", `change(coupon, "30d") > 0`, NewHistory(jul), "no snapshot 30d before 2026-07-02"},
		{"unknown then", "coupon > prev(coupon)", NewHistory(jun, jul), "coupon is unknown in the snapshot of 2026-06-01"},
		{"crossed unknown then", "crossed_below(coupon, 10%)", NewHistory(jun, jul), "coupon is unknown in the snapshot of 2026-06-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustCompile(t, tt.src, env)
			r, err := p.EvalOne(NewIndex(jul), tt.h, "ACME-1")
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcome != LacksData || r.Detail != tt.detail {
				t.Errorf("= %s %q, want lacks_data %q", r.Outcome, r.Detail, tt.detail)
			}
		})
	}
}

func TestMemHistory(t *testing.T) {
	snaps := []*market.Snapshot{
		histSnap(date(2026, 6, 1), num(1), false),
		histSnap(date(2026, 5, 1), num(1), false),
		histSnap(date(2026, 7, 1), num(1), false),
	}
	h := NewHistory(snaps...)
	asOf := func(ix *Index, ok bool) string {
		if !ok {
			return "none"
		}
		return day0(ix.Snapshot().AsOf)
	}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"Before(Jun 1)", asOf(h.Before(date(2026, 6, 1))), "2026-05-01"},
		{"Before(May 1)", asOf(h.Before(date(2026, 5, 1))), "none"},
		{"Before(Dec)", asOf(h.Before(date(2026, 12, 1))), "2026-07-01"},
		{"AtOrBefore(Jun 1)", asOf(h.AtOrBefore(date(2026, 6, 1))), "2026-06-01"},
		{"AtOrBefore(Jun 15)", asOf(h.AtOrBefore(date(2026, 6, 15))), "2026-06-01"},
		{"AtOrBefore(Apr)", asOf(h.AtOrBefore(date(2026, 4, 1))), "none"},
		{"Newest", day0(h.Newest().Snapshot().AsOf), "2026-07-01"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %s, want %s", tt.name, tt.got, tt.want)
		}
	}
	h.Add(histSnap(date(2026, 6, 1), num(2), false)) // replaces
	if h.Len() != 3 {
		t.Errorf("Len() after replacing = %d, want 3", h.Len())
	}
	h.Prune(2)
	var got []string
	for _, d := range []time.Time{date(2026, 6, 1), date(2026, 7, 1)} {
		got = append(got, asOf(h.AtOrBefore(d)))
	}
	if diff := cmp.Diff([]string{"2026-06-01", "2026-07-01"}, got); diff != "" || h.Len() != 2 {
		t.Errorf("after Prune(2): Len %d, (-want +got):\n%s", h.Len(), diff)
	}
	if _, ok := h.Before(date(2026, 6, 1)); ok {
		t.Errorf("Before(Jun 1) after Prune(2) found a snapshot")
	}
	h.Prune(0)
	if h.Len() != 0 || h.Newest() != nil {
		t.Errorf("after Prune(0): Len %d", h.Len())
	}
}

func TestExplainHistory(t *testing.T) {
	may := histSnap(date(2026, 5, 1), num(8.0), false)
	jun := histSnap(date(2026, 6, 1), num(8.9), false)
	jul := histSnap(date(2026, 7, 2), num(9.25), true)
	h := NewHistory(jul, may, jun)
	now, _ := h.AtOrBefore(date(2026, 7, 2))
	tests := []struct{ src, want string }{
		{`change(coupon, "30d") > 30bp`,
			"ACME-1 (ACME): match — coupon 9.25%\n" +
				"  change(coupon, \"30d\") = +35 bp > 30bp  ✓ by +5 bp"},
		{"crossed_above(coupon, 9%) && coupon > prev(coupon)",
			"ACME-1 (ACME): match — coupon 9.25%\n" +
				"  crossed_above(coupon, 9%)  ✓\n" +
				"  coupon 9.25% > prev(coupon) = 8.90%  ✓ by +35 bp"},
	}
	for _, tt := range tests {
		p := mustCompile(t, tt.src, EnvFor(jul))
		e, err := p.Explain(now, h, "ACME-1")
		if err != nil {
			t.Fatal(err)
		}
		if got := e.String(); got != tt.want {
			t.Errorf("Explain(%q) =\n%s\nwant\n%s", tt.src, got, tt.want)
		}
	}
}
