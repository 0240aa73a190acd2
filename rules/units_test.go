package rules

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestUnitLiterals(t *testing.T) {
	tests := []struct {
		lit  string
		want any
		dim  dim
	}{
		{"400bp", 4.0, dimSpread},
		{"400bps", 4.0, dimSpread},
		{"25BP", 0.25, dimSpread},
		{"4.5%", 4.5, dimRate},
		{"4.5pct", 4.5, dimRate},
		{"90d", 90 * day, dimDuration},
		{"12h", 12 * time.Hour, dimDuration},
		{"2w", 14 * day, dimDuration},
		{"6mo", 182*day + 12*time.Hour, dimDuration},
		{"2y", 730 * day, dimDuration},
		{"200MW", 200.0, dimPower},
		{"1.5GW", 1500.0, dimPower},
		{"$500m", 5e8, dimMoney},
		{"$1.2bn", 1.2e9, dimMoney},
		{"500mm", 5e8, dimMoney},
		{"1.2bn", 1.2e9, dimMoney},
		{"$5", 5.0, dimMoney},
		{"1_000MW", 1000.0, dimPower},
		{"0bp", 0.0, dimSpread},
		{"0bn", 0.0, dimMoney},
		{"0b", 0.0, dimMoney},
	}
	for _, tt := range tests {
		t.Run(tt.lit, func(t *testing.T) {
			rw, err := prepare("x > " + tt.lit)
			if err != nil {
				t.Fatalf("prepare: %v", err)
			}
			if len(rw.consts) != 1 {
				t.Fatalf("prepare(%q) found %d literals, want 1", tt.lit, len(rw.consts))
			}
			for _, c := range rw.consts {
				if diff := cmp.Diff(tt.want, c.value); diff != "" {
					t.Errorf("value of %s (-want +got):\n%s", tt.lit, diff)
				}
				if c.unit.dim != tt.dim {
					t.Errorf("dim of %s = %v, want %v", tt.lit, c.unit.dim, tt.dim)
				}
				if c.text != tt.lit {
					t.Errorf("text of %s = %q", tt.lit, c.text)
				}
			}
		})
	}
}

// TestUnitsLeftAlone checks text that must reach expr unchanged: strings,
// modulo and plain numbers.
func TestUnitsLeftAlone(t *testing.T) {
	for _, src := range []string{
		`ticker == "400bp"`,
		`ticker == '4.5%'`,
		"ticker == `90d`",
		`ticker == "a\"400bp"`,
		`a % b`,
		`100 % 7`,
		`100%7`,
		`x%(y)`,
		`10%$x`,
		`10%#`,
		`10% [1][0]`,
		`10% !x`,
		`1..5`,
		`0x1F + 0b101`,
		`1e5 + 2.5E-3`,
		`.5 + 1`,
		`// 400bp in a comment
x`,
		`/* 12h */ x`,
	} {
		rw, err := prepare(src)
		if err != nil {
			t.Errorf("prepare(%q) = %v", src, err)
			continue
		}
		if len(rw.consts) != 0 || rw.text != src {
			t.Errorf("prepare(%q) = %q with %d literals, want it unchanged", src, rw.text, len(rw.consts))
		}
	}
}

// TestPercentOrModulo evaluates rules where % is a unit or modulo.
func TestPercentOrModulo(t *testing.T) {
	_, ix := sample(t)
	env := NewEnv("utility")
	tests := []struct {
		src  string
		want Outcome
	}{
		{"100 % 7 == 2", Match},
		{"100%7 == 2", Match},
		{"100%(7) == 2", Match},
		{"len(bonds) % 2 == 0 || true", Match},
		{"4.5% == 4.5", Match},
		{"4.5%== 4.5", Match},
		{"max_coupon > 9% and max_coupon < 10%", Match},
		{"-4.5% < 0", Match},
		{"[4.5%][0] == 4.5", Match},
		{"utility == 450bp", Match},
		{"utility == 4.5pct", Match},
		{"1.5GW == 1500MW", Match},
		{"$1.2bn == 1200mm", Match},
		{"12h * 2 == 1d", Match},
		{"90d > 2mo", Match},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p := mustCompile(t, tt.src, env)
			r, err := p.EvalOne(ix, nil, "CRWV")
			if err != nil {
				t.Fatal(err)
			}
			if r.Outcome != tt.want {
				t.Errorf("%s on CRWV = %s (%s), want %s", tt.src, r.Outcome, r.Detail, tt.want)
			}
		})
	}
}

func TestUnknownUnit(t *testing.T) {
	tests := []struct {
		src, want string
	}{
		{"coupon > 400bx", `(1:13) unknown unit "bx" in 400bx; known units: bp, bps, %, pct, h, d, w, mo, y, kW, MW, GW, k, m, mm, b, bn, tn (a leading $ marks money: $500m)`},
		{"slip > 3days", `(1:9) unknown unit "days" in 3days; known units: bp, bps, %, pct, h, d, w, mo, y, kW, MW, GW, k, m, mm, b, bn, tn (a leading $ marks money: $500m)`},
		{"amount_usd > $5d", `(1:16) unknown unit "d" in $5d; known units: bp, bps, %, pct, h, d, w, mo, y, kW, MW, GW, k, m, mm, b, bn, tn (a leading $ marks money: $500m)`},
	}
	for _, tt := range tests {
		_, err := Compile(tt.src, Env{})
		var ce *CompileError
		if !errors.As(err, &ce) {
			t.Fatalf("Compile(%q) = %v, want a *CompileError", tt.src, err)
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("Compile(%q) error\n got %s\nwant %s", tt.src, got, tt.want)
		}
	}
}

func TestParseDurationText(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * day, true},
		{"6mo", 182*day + 12*time.Hour, true},
		{"720h", 720 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"30", 0, false},
		{"bp", 0, false},
		{"400bp", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseDurationText(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseDurationText(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
