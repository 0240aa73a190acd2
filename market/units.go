package market

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Dimension is the kind of quantity a number measures. Each dimension has
// one base unit, and every value in spreadwatch is stored in it.
type Dimension int

const (
	// DimNumber is a plain number without a unit.
	DimNumber Dimension = iota
	// DimRate is a rate in percent points: 9.25 means 9.25%, and 400bp is 4.
	DimRate
	// DimDuration is a length of time in days: 12h is 0.5 and 6mo is 182.5.
	DimDuration
	// DimPower is electrical capacity in megawatts: 1.5GW is 1500.
	DimPower
	// DimMoney is an amount of US dollars: $2.35bn is 2.35e9.
	DimMoney
)

// String returns the dimension's name: "number", "rate", "duration",
// "power" or "money".
func (d Dimension) String() string {
	switch d {
	case DimNumber:
		return "number"
	case DimRate:
		return "rate"
	case DimDuration:
		return "duration"
	case DimPower:
		return "power"
	case DimMoney:
		return "money"
	}
	return "Dimension(" + strconv.Itoa(int(d)) + ")"
}

// Suffix is a unit written after a number, as in 400bp or 1.5GW.
type Suffix struct {
	// Name is the canonical spelling, e.g. "bp", "MW" or "bn".
	Name string
	// Dim is the dimension the suffix measures.
	Dim Dimension
	// Factor converts to the dimension's base unit:
	// value in base unit = number * Factor.
	Factor float64
}

// Apply returns n converted to the suffix's base unit, n * Factor. When
// Factor is the reciprocal of a whole number it divides instead, and months
// are n * 365 / 12, so that 925bp is exactly 9.25, 12h is exactly 0.5 and
// 7mo is exactly 212.91666666666666 (the nearest float64 to 7 * 365/12).
func (s Suffix) Apply(n float64) float64 {
	if s.Factor > 0 && s.Factor < 1 {
		inv := math.Round(1 / s.Factor)
		if math.Abs(inv*s.Factor-1) < 1e-12 {
			return n / inv
		}
	}
	if s.Factor == daysPerMonth {
		return n * 365 / 12
	}
	return n * s.Factor
}

// daysPerMonth is the length of "1mo": a twelfth of 365 days, so that 6mo
// is 182.5 days.
const daysPerMonth = 365.0 / 12

// LookupSuffix returns the unit a suffix names. Suffixes are matched
// without regard to case ("MW", "mw", "BN", "Pct"); a suffix that is not
// known reports false.
//
// The units are:
//
//	rate (percent points)  bp, bps = 0.01; %, pct = 1
//	duration (days)        h = 1/24; d = 1; w = 7; mo = 365/12; y = 365
//	power (megawatts)      kW = 0.001; MW = 1; GW = 1000
//	money (US dollars)     k = 1e3; m, mm = 1e6; b, bn = 1e9; tn = 1e12
func LookupSuffix(s string) (Suffix, bool) {
	switch strings.ToLower(s) {
	case "bp":
		return Suffix{"bp", DimRate, 0.01}, true
	case "bps":
		return Suffix{"bps", DimRate, 0.01}, true
	case "%":
		return Suffix{"%", DimRate, 1}, true
	case "pct":
		return Suffix{"pct", DimRate, 1}, true
	case "h":
		return Suffix{"h", DimDuration, 1.0 / 24}, true
	case "d":
		return Suffix{"d", DimDuration, 1}, true
	case "w":
		return Suffix{"w", DimDuration, 7}, true
	case "mo":
		return Suffix{"mo", DimDuration, daysPerMonth}, true
	case "y":
		return Suffix{"y", DimDuration, 365}, true
	case "kw":
		return Suffix{"kW", DimPower, 0.001}, true
	case "mw":
		return Suffix{"MW", DimPower, 1}, true
	case "gw":
		return Suffix{"GW", DimPower, 1000}, true
	case "k":
		return Suffix{"k", DimMoney, 1e3}, true
	case "m":
		return Suffix{"m", DimMoney, 1e6}, true
	case "mm":
		return Suffix{"mm", DimMoney, 1e6}, true
	case "b":
		return Suffix{"b", DimMoney, 1e9}, true
	case "bn":
		return Suffix{"bn", DimMoney, 1e9}, true
	case "tn":
		return Suffix{"tn", DimMoney, 1e12}, true
	}
	return Suffix{}, false
}

// KnownSuffixes returns the canonical name of every unit suffix, grouped by
// dimension in a stable order, for use in error messages.
func KnownSuffixes() []string {
	return []string{
		"bp", "bps", "%", "pct",
		"h", "d", "w", "mo", "y",
		"kW", "MW", "GW",
		"k", "m", "mm", "b", "bn", "tn",
	}
}

// ErrUnknownUnit is wrapped by the error [ParseQuantity] returns when a
// number carries a suffix that is not a known unit.
var ErrUnknownUnit = errors.New("unknown unit")

// ParseQuantity parses a number with an optional unit in the rule-literal
// grammar and returns its value in the dimension's base unit:
//
//	"9.25%", "9.25pct", "925bp"   → 9.25, DimRate
//	"$2.35bn", "800mm", "$800m"   → 2.35e9, 8e8, 8e8, DimMoney
//	"0.45GW", "450MW"             → 450, DimPower
//	"90d", "6mo", "12h"           → 90, 182.5, 0.5, DimDuration
//	"4.5", "-1e3"                 → 4.5, -1000, DimNumber
//
// A leading sign and a leading "$" are allowed; "$" needs a money unit or
// none ("$5" is five dollars). Blanks around the value and between the
// number and its unit are ignored. Thousands separators ("6,125"), NaN,
// infinities and values beyond float64 range are rejected.
func ParseQuantity(s string) (float64, Dimension, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, DimNumber, errors.New("empty quantity")
	}
	i := 0
	neg := false
	if t[i] == '+' || t[i] == '-' {
		neg = t[i] == '-'
		i++
	}
	dollar := false
	if i < len(t) && t[i] == '$' {
		dollar = true
		i++
	}
	start := i
	digits := 0
	for i < len(t) && isDigit(t[i]) {
		i++
		digits++
	}
	if i < len(t) && t[i] == '.' {
		i++
		for i < len(t) && isDigit(t[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, DimNumber, fmt.Errorf("quantity %s: want a number such as 4.5, 400bp or $1.2bn", quote(s))
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		j := i + 1
		if j < len(t) && (t[j] == '+' || t[j] == '-') {
			j++
		}
		k := j
		for k < len(t) && isDigit(t[k]) {
			k++
		}
		if k > j {
			i = k
		}
	}
	n, err := strconv.ParseFloat(t[start:i], 64)
	if err != nil {
		return 0, DimNumber, fmt.Errorf("quantity %s is out of range", quote(s))
	}
	if neg {
		n = -n
	}
	rest := strings.TrimLeft(t[i:], " \t")
	if rest == "" {
		if dollar {
			return n, DimMoney, nil
		}
		return n, DimNumber, nil
	}
	suf, ok := LookupSuffix(rest)
	if !ok {
		if isUnitLike(rest) {
			return 0, DimNumber, fmt.Errorf("%w %s (known units: %s)", ErrUnknownUnit, quote(rest), strings.Join(KnownSuffixes(), ", "))
		}
		if rest[0] == ',' {
			return 0, DimNumber, fmt.Errorf("quantity %s: no thousands separators, please", quote(s))
		}
		return 0, DimNumber, fmt.Errorf("quantity %s: unexpected %s after the number", quote(s), quote(rest))
	}
	if dollar && suf.Dim != DimMoney {
		return 0, DimNumber, fmt.Errorf("quantity %s: a $ amount takes a money unit (k, m, mm, b, bn, tn), not %q", quote(s), suf.Name)
	}
	v := suf.Apply(n)
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, DimNumber, fmt.Errorf("quantity %s is out of range", quote(s))
	}
	return v, suf.Dim, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isUnitLike reports whether s looks like a unit suffix (letters or %), so
// an unknown one gets the list of known units rather than a syntax error.
func isUnitLike(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '%') {
			return false
		}
	}
	return true
}

// quote returns s in Go quotes, shortened to about 60 bytes so that a
// huge bad value cannot flood an error message.
func quote(s string) string {
	const limit = 60
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
