package rules

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/spreadwatch/spreadwatch/market"
)

// formatValue shows v with the unit of d: 9.25 as "9.25%" for a rate,
// 4.15 as "+415 bp" for a spread, 1250 as "1,250 MW".
func formatValue(d dim, v any) string {
	if v == nil {
		return "unknown"
	}
	switch x := v.(type) {
	case *float64:
		if x == nil {
			return "unknown"
		}
		v = *x
	case *bool:
		if x == nil {
			return "unknown"
		}
		v = *x
	case *time.Time:
		if x == nil {
			return "unknown"
		}
		v = *x
	}
	switch x := v.(type) {
	case time.Duration:
		return market.FormatDays(x.Hours() / 24)
	case time.Time:
		if x.IsZero() {
			return "unknown"
		}
		return x.UTC().Format(time.DateOnly)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	}
	f, ok := toFloat(v)
	if !ok {
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
			if rv.Len() == 1 {
				return "1 item"
			}
			return fmt.Sprintf("%d items", rv.Len())
		}
		if rv.Kind() == reflect.Map {
			return fmt.Sprintf("map of %d", rv.Len())
		}
		return "?"
	}
	switch d {
	case dimRate:
		return market.FormatRate(f)
	case dimSpread:
		return market.FormatSpread(f)
	case dimPower:
		return market.FormatMW(f)
	case dimMoney:
		return market.FormatUSD(f)
	case dimDays:
		return market.FormatDays(f)
	case dimDuration:
		return market.FormatDays(f)
	case dimYears:
		return trimFloat(f, 1) + "y"
	case dimRatio:
		return trimFloat(f, 2) + "x"
	}
	return trimFloat(f, 4)
}

// formatDiff shows a-b ("by" in explanations) in the unit of d.
func formatDiff(d dim, diff float64) string {
	sign := "+"
	switch {
	case math.Abs(diff) < 1e-9:
		sign, diff = "", 0
	case diff < 0:
		sign = "-"
	}
	a := math.Abs(diff)
	switch d {
	case dimRate, dimSpread:
		return fmt.Sprintf("%s%s bp", sign, trimFloat(a*100, 1))
	case dimPower:
		return sign + market.FormatMW(a)
	case dimMoney:
		return sign + market.FormatUSD(a)
	case dimDays, dimDuration, dimDate:
		return sign + market.FormatDays(a)
	case dimYears:
		return sign + trimFloat(a, 2) + "y"
	}
	return sign + trimFloat(a, 4)
}

// toFloat converts numeric values to float64.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case time.Duration:
		return x.Hours() / 24, true
	}
	return 0, false
}

// trimFloat formats f with at most prec decimals, without trailing zeros.
func trimFloat(f float64, prec int) string {
	s := strconv.FormatFloat(f, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
