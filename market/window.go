package market

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// windowForms lists the DATE-WINDOW forms for error messages.
const windowForms = "a date window (2026-07-01, 2026-07, 2026-Q3, 2026-H2, 2026 or START/END)"

// Year bounds of a DATE-WINDOW.
const (
	minWindowYear = 1900
	maxWindowYear = 2200
)

// ParseWindow parses a DATE-WINDOW: a day (2026-07-01), a month (2026-07),
// a quarter (2026-Q3), a half year (2026-H2), a year (2026), or START/END
// where each side is any of those and the window runs from the start of
// START to the end of END. A full RFC 3339 time is taken as its UTC day.
// The quarter and half letters may be lower case; blanks around the value
// and around "/" are ignored. Years run from 1900 to 2200.
//
// The result's Start is the first day and End the last day of the
// interval, both at 00:00 UTC: "2026-Q3" gives 2026-07-01 .. 2026-09-30.
// Text holds s without surrounding blanks.
func ParseWindow(s string) (Window, error) {
	t := strings.TrimSpace(s)
	if a, b, ok := strings.Cut(t, "/"); ok {
		start, _, okA := parseWindowPart(strings.TrimSpace(a))
		_, end, okB := parseWindowPart(strings.TrimSpace(b))
		if !okA || !okB {
			return Window{}, windowError(s)
		}
		if end.Before(start) {
			return Window{}, fmt.Errorf("date window %s: END is before START", quote(t))
		}
		return Window{Start: start, End: end, Text: t}, nil
	}
	start, end, ok := parseWindowPart(t)
	if !ok {
		return Window{}, windowError(s)
	}
	return Window{Start: start, End: end, Text: t}, nil
}

func windowError(s string) error {
	return errors.New("want " + windowForms + ", got " + quote(s))
}

// parseWindowPart parses one side of a DATE-WINDOW into its first and last
// day.
func parseWindowPart(t string) (start, end time.Time, ok bool) {
	if len(t) < 4 {
		return start, end, false
	}
	year, ok := atoiN(t[:4])
	if !ok || year < minWindowYear || year > maxWindowYear {
		return start, end, false
	}
	if len(t) == 4 {
		return day(year, 1, 1), day(year, 12, 31), true
	}
	if t[4] != '-' {
		return start, end, false
	}
	switch {
	case len(t) == 7 && (t[5] == 'Q' || t[5] == 'q'):
		q, ok := atoiN(t[6:])
		if !ok || q < 1 || q > 4 {
			return start, end, false
		}
		m := time.Month(3*q - 2)
		return day(year, m, 1), day(year, m+3, 0), true
	case len(t) == 7 && (t[5] == 'H' || t[5] == 'h'):
		h, ok := atoiN(t[6:])
		if !ok || h < 1 || h > 2 {
			return start, end, false
		}
		m := time.Month(6*h - 5)
		return day(year, m, 1), day(year, m+6, 0), true
	case len(t) == 7:
		m, ok := atoiN(t[5:])
		if !ok || m < 1 || m > 12 {
			return start, end, false
		}
		return day(year, time.Month(m), 1), day(year, time.Month(m)+1, 0), true
	case len(t) == 10:
		d, ok := parseDay(t)
		return d, d, ok
	case len(t) > 10 && (t[10] == 'T' || t[10] == 't'):
		ts, err := time.Parse(time.RFC3339, t)
		if err != nil {
			return start, end, false
		}
		y, m, dd := ts.UTC().Date()
		if y < minWindowYear || y > maxWindowYear {
			return start, end, false
		}
		d := day(y, m, dd)
		return d, d, true
	}
	return start, end, false
}

// parseDay parses YYYY-MM-DD strictly: two-digit month and day, a real
// calendar day, a year in the window range.
func parseDay(t string) (time.Time, bool) {
	if len(t) != 10 || t[4] != '-' || t[7] != '-' {
		return time.Time{}, false
	}
	y, okY := atoiN(t[:4])
	m, okM := atoiN(t[5:7])
	d, okD := atoiN(t[8:])
	if !okY || !okM || !okD || y < minWindowYear || y > maxWindowYear || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	v := day(y, time.Month(m), d)
	if v.Month() != time.Month(m) || v.Day() != d {
		return time.Time{}, false // 2026-02-30
	}
	return v, true
}

// atoiN parses a short run of ASCII digits (no sign, no blanks).
func atoiN(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// String returns the window as written in the feed. A window built in code
// without Text is shown as its day (2026-09-30) or as START/END days; an
// unknown window is "n/a".
func (w Window) String() string {
	switch {
	case w.Text != "":
		return w.Text
	case !w.Known():
		return "n/a"
	case w.Start.IsZero() || w.Start.Equal(w.End):
		return w.End.Format(time.DateOnly)
	}
	return w.Start.Format(time.DateOnly) + "/" + w.End.Format(time.DateOnly)
}

// SlipDays returns how many days the end of current lies after the end of
// original: current.End − original.End, negative when the window moved
// earlier. It reports false when either window is unknown. A project that
// moved from 2026-H2 to 2027-Q1 has slipped 90 days.
func SlipDays(original, current Window) (float64, bool) {
	if !original.Known() || !current.Known() {
		return 0, false
	}
	// Unix seconds rather than time.Duration, which overflows past 292 years.
	return float64(current.End.Unix()-original.End.Unix()) / 86400, true
}
