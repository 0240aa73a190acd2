package rules

import (
	"errors"
	"testing"
)

// TestExplainGolden checks explanations as users see them.
func TestExplainGolden(t *testing.T) {
	snap, ix := sample(t)
	env := EnvFor(snap)
	tests := []struct {
		src, id, want string
	}{
		{"coupon > utility + 400bp", "CRWV-9.25-2030",
			"CRWV-9.25-2030 (CRWV): match — coupon 9.25%, utility 4.50%\n" +
				"  coupon 9.25% > utility + 400bp = 8.50%  ✓ by +75 bp"},
		{"coupon > utility + 400bp", "CRWV-NOTES-2031-APR26",
			"CRWV-NOTES-2031-APR26 (CRWV): lacks_data — coupon is unknown\n" +
				"  coupon unknown > utility + 400bp = 8.50%  ? unknown"},
		{"spread > 450bp && secured == false", "CRWV-9.00-2031",
			"CRWV-9.00-2031 (CRWV): no_match — spread +450 bp, secured false\n" +
				"  spread +450 bp > 450bp  ✗ by 0 bp\n" +
				"  secured false == false  ✓"},
		{`any(offtakes, .counterparty_ticker == "CRWV") && max_coupon > 8%`, "APLD",
			"APLD: match — offtakes 2 items, max_coupon 9.25%\n" +
				"  any(offtakes, .counterparty_ticker == \"CRWV\")  ✓\n" +
				"  max_coupon 9.25% > 8%  ✓ by +125 bp"},
		{"mw_cut > 0 || slip > 90d", "GLXY-HELIOS-P1",
			"GLXY-HELIOS-P1 (GLXY): match — mw_cut 0 MW, slip 91 days\n" +
				"  mw_cut 0 MW > 0  ✗ by 0 MW\n" +
				"  slip 91 days > 90d  ✓ by +1 day"},
		{"coupon - utility >= 5%", "CRWV-9.00-2031",
			"CRWV-9.00-2031 (CRWV): no_match — coupon 9.00%, utility 4.50%\n" +
				"  coupon - utility = +450 bp >= 5%  ✗ by -50 bp"},
	}
	for _, tt := range tests {
		t.Run(tt.src+" "+tt.id, func(t *testing.T) {
			p := mustCompile(t, tt.src, env)
			e, err := p.Explain(ix, nil, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.String(); got != tt.want {
				t.Errorf("Explain(%s) =\n%s\nwant\n%s", tt.id, got, tt.want)
			}
		})
	}
}

func TestExplainClause(t *testing.T) {
	snap, ix := sample(t)
	p := mustCompile(t, "coupon > utility + 400bp", EnvFor(snap))
	e, err := p.Explain(ix, nil, "APLD-9.25-2030")
	if err != nil {
		t.Fatal(err)
	}
	want := Clause{
		Text: "coupon > utility + 400bp", Left: "coupon 9.25%", Right: "utility + 400bp = 8.50%",
		Op: ">", Holds: true, Known: true, Distance: "+75 bp",
	}
	if len(e.Clauses) != 1 || e.Clauses[0] != want {
		t.Errorf("Clauses = %+v, want [%+v]", e.Clauses, want)
	}
	if _, err := p.Explain(ix, nil, "APLD"); !errors.Is(err, ErrNoSubject) {
		t.Errorf("Explain(APLD) on a bond rule = %v, want ErrNoSubject", err)
	}
}
