package market

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestLookupSuffix(t *testing.T) {
	tests := []struct {
		in     string
		name   string
		dim    Dimension
		factor float64
	}{
		{"bp", "bp", DimRate, 0.01},
		{"bps", "bps", DimRate, 0.01},
		{"BP", "bp", DimRate, 0.01},
		{"%", "%", DimRate, 1},
		{"pct", "pct", DimRate, 1},
		{"h", "h", DimDuration, 1.0 / 24},
		{"d", "d", DimDuration, 1},
		{"w", "w", DimDuration, 7},
		{"mo", "mo", DimDuration, 365.0 / 12},
		{"y", "y", DimDuration, 365},
		{"kW", "kW", DimPower, 0.001},
		{"MW", "MW", DimPower, 1},
		{"mw", "MW", DimPower, 1},
		{"GW", "GW", DimPower, 1000},
		{"gw", "GW", DimPower, 1000},
		{"k", "k", DimMoney, 1e3},
		{"m", "m", DimMoney, 1e6},
		{"M", "m", DimMoney, 1e6},
		{"mm", "mm", DimMoney, 1e6},
		{"b", "b", DimMoney, 1e9},
		{"bn", "bn", DimMoney, 1e9},
		{"tn", "tn", DimMoney, 1e12},
	}
	for _, tt := range tests {
		got, ok := LookupSuffix(tt.in)
		want := Suffix{Name: tt.name, Dim: tt.dim, Factor: tt.factor}
		if !ok || got != want {
			t.Errorf("LookupSuffix(%q) = %+v, %v; want %+v, true", tt.in, got, ok, want)
		}
	}
	for _, in := range []string{"", "x", "bpx", "mos", "days", "$", "e", "MWh"} {
		if got, ok := LookupSuffix(in); ok {
			t.Errorf("LookupSuffix(%q) = %+v, true; want false", in, got)
		}
	}
}

func TestKnownSuffixes(t *testing.T) {
	names := KnownSuffixes()
	if len(names) == 0 {
		t.Fatal("KnownSuffixes() is empty")
	}
	for _, n := range names {
		s, ok := LookupSuffix(n)
		if !ok || s.Name != n {
			t.Errorf("LookupSuffix(%q) = %+v, %v; want its own canonical name", n, s, ok)
		}
	}
	if got, want := strings.Join(KnownSuffixes(), " "), strings.Join(names, " "); got != want {
		t.Errorf("KnownSuffixes() is not stable: %q then %q", want, got)
	}
}

func TestDimensionString(t *testing.T) {
	tests := []struct {
		d    Dimension
		want string
	}{
		{DimNumber, "number"}, {DimRate, "rate"}, {DimDuration, "duration"},
		{DimPower, "power"}, {DimMoney, "money"}, {Dimension(42), "Dimension(42)"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("Dimension(%d).String() = %q, want %q", int(tt.d), got, tt.want)
		}
	}
}

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		dim  Dimension
	}{
		{"4.5", 4.5, DimNumber},
		{"-1e3", -1000, DimNumber},
		{"+2", 2, DimNumber},
		{".5", 0.5, DimNumber},
		{"5.", 5, DimNumber},
		{" 7 ", 7, DimNumber},
		{"9.25%", 9.25, DimRate},
		{"9.25 %", 9.25, DimRate},
		{"4.5pct", 4.5, DimRate},
		{"925bp", 9.25, DimRate},
		{"400bp", 4, DimRate},
		{"400bps", 4, DimRate},
		{"-20bp", -0.2, DimRate},
		{"7bp", 0.07, DimRate},
		{"12h", 0.5, DimDuration},
		{"90d", 90, DimDuration},
		{"2w", 14, DimDuration},
		{"6mo", 182.5, DimDuration},
		{"7mo", 7 * 365.0 / 12, DimDuration},
		{"2y", 730, DimDuration},
		{"200MW", 200, DimPower},
		{"0.45GW", 450, DimPower},
		{"1.5GW", 1500, DimPower},
		{"1.5gw", 1500, DimPower},
		{"500kW", 0.5, DimPower},
		{"$2.35bn", 2.35e9, DimMoney},
		{"$800m", 800e6, DimMoney},
		{"800mm", 800e6, DimMoney},
		{"$1.2bn", 1.2e9, DimMoney},
		{"1.2b", 1.2e9, DimMoney},
		{"$5k", 5000, DimMoney},
		{"$1tn", 1e12, DimMoney},
		{"$5", 5, DimMoney},
		{"-$5m", -5e6, DimMoney},
		{"2e9", 2e9, DimNumber},
		{"2E+09", 2e9, DimNumber},
		{"1e3bp", 10, DimRate},
	}
	for _, tt := range tests {
		got, dim, err := ParseQuantity(tt.in)
		if err != nil || got != tt.want || dim != tt.dim {
			t.Errorf("ParseQuantity(%q) = %v, %v, %v; want %v, %v, nil", tt.in, got, dim, err, tt.want, tt.dim)
		}
	}
}

func TestParseQuantityErrors(t *testing.T) {
	tests := []struct {
		in      string
		want    string // exact error text
		unknown bool   // wraps ErrUnknownUnit
	}{
		{"", `empty quantity`, false},
		{"  ", `empty quantity`, false},
		{"6,125", `quantity "6,125": no thousands separators, please`, false},
		{"400xyz", `unknown unit "xyz" (known units: bp, bps, %, pct, h, d, w, mo, y, kW, MW, GW, k, m, mm, b, bn, tn)`, true},
		{"5days", `unknown unit "days" (known units: bp, bps, %, pct, h, d, w, mo, y, kW, MW, GW, k, m, mm, b, bn, tn)`, true},
		{"$5%", `quantity "$5%": a $ amount takes a money unit (k, m, mm, b, bn, tn), not "%"`, false},
		{"$1.5GW", `quantity "$1.5GW": a $ amount takes a money unit (k, m, mm, b, bn, tn), not "GW"`, false},
		{"NaN", `quantity "NaN": want a number such as 4.5, 400bp or $1.2bn`, false},
		{"Inf", `quantity "Inf": want a number such as 4.5, 400bp or $1.2bn`, false},
		{"-", `quantity "-": want a number such as 4.5, 400bp or $1.2bn`, false},
		{"$", `quantity "$": want a number such as 4.5, 400bp or $1.2bn`, false},
		{"bp", `quantity "bp": want a number such as 4.5, 400bp or $1.2bn`, false},
		{"1e999", `quantity "1e999" is out of range`, false},
		{"1e308tn", `quantity "1e308tn" is out of range`, false},
		{"1.2.3", `quantity "1.2.3": unexpected ".3" after the number`, false},
		{"4 5", `quantity "4 5": unexpected "5" after the number`, false},
		{"0x10", `quantity "0x10": unexpected "x10" after the number`, false},
	}
	for _, tt := range tests {
		_, _, err := ParseQuantity(tt.in)
		if err == nil {
			t.Errorf("ParseQuantity(%q) succeeded, want error %q", tt.in, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseQuantity(%q) error = %q, want %q", tt.in, err, tt.want)
		}
		if got := errors.Is(err, ErrUnknownUnit); got != tt.unknown {
			t.Errorf("errors.Is(ParseQuantity(%q), ErrUnknownUnit) = %v, want %v", tt.in, got, tt.unknown)
		}
	}
}

func TestParseQuantityLongInputIsShortened(t *testing.T) {
	in := "x" + strings.Repeat("é", 100)
	_, _, err := ParseQuantity(in)
	if err == nil || len(err.Error()) > 120 {
		t.Errorf("ParseQuantity(long) error = %v, want a short error", err)
	}
}

func TestSuffixApply(t *testing.T) {
	bp, _ := LookupSuffix("bp")
	mo, _ := LookupSuffix("mo")
	h, _ := LookupSuffix("h")
	for n := 1.0; n <= 2000; n++ {
		if got, want := bp.Apply(n), n/100; got != want {
			t.Fatalf("bp.Apply(%v) = %v, want %v", n, got, want)
		}
		if got, want := mo.Apply(n), n*365/12; got != want {
			t.Fatalf("mo.Apply(%v) = %v, want %v", n, got, want)
		}
		if got, want := h.Apply(n), n/24; got != want {
			t.Fatalf("h.Apply(%v) = %v, want %v", n, got, want)
		}
	}
	gw, _ := LookupSuffix("GW")
	if got := gw.Apply(math.MaxFloat64); !math.IsInf(got, 1) {
		t.Errorf("GW.Apply(MaxFloat64) = %v, want +Inf", got)
	}
}
