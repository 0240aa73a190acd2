package market

import (
	"math"
	"strconv"
	"strings"
)

// NA is what the Format functions show for an unknown or non-finite
// value.
const NA = "n/a"

// FormatRate formats a rate in percent points with two decimals, or three
// or four when the value needs them: 9.25 is "9.25%", 9 is "9.00%" and
// 6.125 is "6.125%".
func FormatRate(v float64) string {
	if !finite(v) {
		return NA
	}
	return decimals(v, 2, 4) + "%"
}

// FormatSpread formats a spread given in percent points as signed basis
// points: 4.15 is "+415 bp", -0.2 is "-20 bp", 0 is "+0 bp". Fractions of
// a basis point show one decimal ("+412.5 bp").
func FormatSpread(v float64) string {
	if !finite(v) {
		return NA
	}
	bp := math.Round(v*1000) / 10 // basis points to one decimal
	sign := "+"
	if bp < 0 {
		sign = "-"
		bp = -bp
	}
	return sign + decimals(bp, 0, 1) + " bp"
}

// FormatMW formats megawatts with thousands separators: 1250 is
// "1,250 MW", 12.5 is "12.5 MW".
func FormatMW(v float64) string {
	if !finite(v) {
		return NA
	}
	return group(decimals(v, 0, 1)) + " MW"
}

// FormatUSD formats US dollars compactly: 2e9 is "$2.0bn", 1.25e9 is
// "$1.25bn", 800e6 is "$800m", 5e3 is "$5k", 950 is "$950", and 3e12
// is "$3.0tn". Billions and trillions always show a decimal.
func FormatUSD(v float64) string {
	if !finite(v) {
		return NA
	}
	sign := ""
	if v < 0 {
		sign = "-"
		v = -v
	}
	units := []struct {
		size   float64
		suffix string
		lo     int
	}{
		{1e12, "tn", 1}, {1e9, "bn", 1}, {1e6, "m", 0}, {1e3, "k", 0},
	}
	for i, u := range units {
		if v < u.size {
			continue
		}
		s := decimals(v/u.size, u.lo, 2)
		if f, _ := strconv.ParseFloat(s, 64); f >= 1000 && i > 0 {
			// 999.999m rounds to 1000m: show it as 1.0bn.
			u = units[i-1]
			s = decimals(v/u.size, u.lo, 2)
		}
		return sign + "$" + group(s) + u.suffix
	}
	return sign + "$" + decimals(v, 0, 2)
}

// FormatDays formats a number of days: 90 is "90 days", 1 is "1 day",
// 182.5 is "182.5 days".
func FormatDays(v float64) string {
	if !finite(v) {
		return NA
	}
	s := group(decimals(v, 0, 1))
	if s == "1" || s == "-1" {
		return s + " day"
	}
	return s + " days"
}

// FormatNumber formats a plain number with as many decimals as it needs,
// up to four: 0.35 is "0.35", 12 is "12".
func FormatNumber(v float64) string {
	if !finite(v) {
		return NA
	}
	return decimals(v, 0, 4)
}

// Format formats v, a value in the base unit of dim, the way chat output
// shows that dimension: a rate as [FormatRate], money as [FormatUSD],
// power as [FormatMW], a duration as [FormatDays] and a plain number as
// [FormatNumber].
func Format(v float64, dim Dimension) string {
	switch dim {
	case DimRate:
		return FormatRate(v)
	case DimMoney:
		return FormatUSD(v)
	case DimPower:
		return FormatMW(v)
	case DimDuration:
		return FormatDays(v)
	}
	return FormatNumber(v)
}

// FormatPtr formats *v with format, or returns "n/a" when v is nil, for
// the feed's unknown values:
//
//	FormatPtr(bond.Coupon, FormatRate) // "9.25%" or "n/a"
func FormatPtr(v *float64, format func(float64) string) string {
	if v == nil {
		return NA
	}
	return format(*v)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// decimals formats v with at least lo and at most hi decimals, using the
// fewest that show v to within a billionth.
func decimals(v float64, lo, hi int) string {
	for d := lo; d < hi; d++ {
		s := strconv.FormatFloat(v, 'f', d, 64)
		if f, _ := strconv.ParseFloat(s, 64); math.Abs(f-v) <= 1e-9*math.Max(1, math.Abs(v)) {
			return noNegZero(s)
		}
	}
	return noNegZero(strconv.FormatFloat(v, 'f', hi, 64))
}

// noNegZero turns "-0" or "-0.00" into "0" or "0.00".
func noNegZero(s string) string {
	if strings.HasPrefix(s, "-") && strings.Trim(s[1:], "0.") == "" {
		return s[1:]
	}
	return s
}

// group puts thousands separators into the integer part of a decimal
// number: "1250.5" becomes "1,250.5".
func group(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if len(intPart) <= 3 {
		return sign + s
	}
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}
