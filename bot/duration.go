package bot

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Day, Week, Month and Year are the calendar-free lengths used by command
// durations: a month is 30 days and a year 365 days.
const (
	Day   = 24 * time.Hour
	Week  = 7 * Day
	Month = 30 * Day
	Year  = 365 * Day
)

// durationUnits are the suffixes accepted by ParseDuration, longest first
// so that "mo" wins over "m".
var durationUnits = []struct {
	suffix string
	d      time.Duration
}{
	{"mo", Month},
	{"ms", time.Millisecond},
	{"s", time.Second},
	{"m", time.Minute},
	{"h", time.Hour},
	{"d", Day},
	{"w", Week},
	{"y", Year},
}

// ParseDuration reads a command duration such as "2h", "30m" (minutes),
// "7d", "2w", "1mo", "1y" or a sum like "1d12h". "0" is zero. Negative
// durations are rejected.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	if in == "0" {
		return 0, nil
	}
	if in == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total time.Duration
	for in != "" {
		i := 0
		for i < len(in) && (in[i] >= '0' && in[i] <= '9' || in[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("bad duration %q: want a number and a unit, like 2h, 30m, 7d or 2w", s)
		}
		n, err := strconv.ParseFloat(in[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("bad duration %q: want a number and a unit, like 2h, 30m, 7d or 2w", s)
		}
		in = in[i:]
		unit := time.Duration(0)
		for _, u := range durationUnits {
			if strings.HasPrefix(in, u.suffix) {
				unit = u.d
				in = in[len(u.suffix):]
				break
			}
		}
		if unit == 0 {
			return 0, fmt.Errorf("bad duration %q: want a unit of m, h, d, w, mo or y, like 2h, 30m, 7d or 2w", s)
		}
		v := n * float64(unit)
		if v > float64(100*Year) || math.IsNaN(v) {
			return 0, fmt.Errorf("bad duration %q: too long", s)
		}
		total += time.Duration(v)
	}
	if total > 100*Year {
		return 0, fmt.Errorf("bad duration %q: too long", s)
	}
	return total, nil
}

// FormatDuration renders d in the largest whole units, e.g. "2h", "7d",
// "1d12h", "45m"; zero is "0".
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	if d%Week == 0 {
		return fmt.Sprintf("%dw", d/Week)
	}
	var b strings.Builder
	for _, u := range []struct {
		suffix string
		d      time.Duration
	}{{"d", Day}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if d >= u.d {
			n := d / u.d
			d -= n * u.d
			fmt.Fprintf(&b, "%d%s", n, u.suffix)
		}
	}
	if b.Len() == 0 {
		return d.String()
	}
	return b.String()
}

// formatAge renders how long ago t was relative to now, coarsely: "3h",
// "12d".
func formatAge(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in the future"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 2*Day:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	default:
		return fmt.Sprintf("%dd", int(d/Day))
	}
}
