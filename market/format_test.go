package market

import (
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		fn   func(float64) string
		in   float64
		want string
	}{
		{"rate", FormatRate, 9.25, "9.25%"},
		{"rate", FormatRate, 9, "9.00%"},
		{"rate", FormatRate, 6.125, "6.125%"},
		{"rate", FormatRate, 6.192, "6.192%"},
		{"rate", FormatRate, 1.0 / 3, "0.3333%"},
		{"rate", FormatRate, 0, "0.00%"},
		{"rate", FormatRate, math.Copysign(0, -1), "0.00%"},
		{"rate", FormatRate, -0.5, "-0.50%"},
		{"rate", FormatRate, math.NaN(), "n/a"},
		{"spread", FormatSpread, 4.15, "+415 bp"},
		{"spread", FormatSpread, -0.2, "-20 bp"},
		{"spread", FormatSpread, 0, "+0 bp"},
		{"spread", FormatSpread, -0.0001, "+0 bp"},
		{"spread", FormatSpread, 4.125, "+412.5 bp"},
		{"spread", FormatSpread, 4.75, "+475 bp"},
		{"spread", FormatSpread, math.Inf(1), "n/a"},
		{"mw", FormatMW, 1250, "1,250 MW"},
		{"mw", FormatMW, 850, "850 MW"},
		{"mw", FormatMW, 12.5, "12.5 MW"},
		{"mw", FormatMW, 1234567.26, "1,234,567.3 MW"},
		{"mw", FormatMW, -1500, "-1,500 MW"},
		{"mw", FormatMW, 0, "0 MW"},
		{"usd", FormatUSD, 2e9, "$2.0bn"},
		{"usd", FormatUSD, 800e6, "$800m"},
		{"usd", FormatUSD, 1.25e9, "$1.25bn"},
		{"usd", FormatUSD, 2.35e9, "$2.35bn"},
		{"usd", FormatUSD, 1.733e9, "$1.73bn"},
		{"usd", FormatUSD, 66.8e9, "$66.8bn"},
		{"usd", FormatUSD, 3e12, "$3.0tn"},
		{"usd", FormatUSD, 1500e12, "$1,500.0tn"},
		{"usd", FormatUSD, 1.5e6, "$1.5m"},
		{"usd", FormatUSD, 999.999e6, "$1.00bn"},
		{"usd", FormatUSD, 5e3, "$5k"},
		{"usd", FormatUSD, 950, "$950"},
		{"usd", FormatUSD, 12.5, "$12.5"},
		{"usd", FormatUSD, 0, "$0"},
		{"usd", FormatUSD, -2e9, "-$2.0bn"},
		{"days", FormatDays, 90, "90 days"},
		{"days", FormatDays, 1, "1 day"},
		{"days", FormatDays, -1, "-1 day"},
		{"days", FormatDays, 182.5, "182.5 days"},
		{"days", FormatDays, 1095, "1,095 days"},
		{"number", FormatNumber, 0.35, "0.35"},
		{"number", FormatNumber, 12, "12"},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("Format %s(%v) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestFormatDimension(t *testing.T) {
	tests := []struct {
		v    float64
		dim  Dimension
		want string
	}{
		{9.25, DimRate, "9.25%"},
		{2e9, DimMoney, "$2.0bn"},
		{1500, DimPower, "1,500 MW"},
		{182.5, DimDuration, "182.5 days"},
		{0.8, DimNumber, "0.8"},
	}
	for _, tt := range tests {
		if got := Format(tt.v, tt.dim); got != tt.want {
			t.Errorf("Format(%v, %v) = %q, want %q", tt.v, tt.dim, got, tt.want)
		}
	}
}

func TestFormatPtr(t *testing.T) {
	if got := FormatPtr(nil, FormatRate); got != "n/a" {
		t.Errorf("FormatPtr(nil) = %q, want n/a", got)
	}
	if got := FormatPtr(ptr(9.25), FormatRate); got != "9.25%" {
		t.Errorf("FormatPtr(9.25) = %q, want 9.25%%", got)
	}
}
