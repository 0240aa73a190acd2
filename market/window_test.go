package market

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseWindow(t *testing.T) {
	tests := []struct {
		in   string
		want Window
	}{
		{"2026-07-01", Window{date(2026, 7, 1), date(2026, 7, 1), "2026-07-01"}},
		{"2024-02-29", Window{date(2024, 2, 29), date(2024, 2, 29), "2024-02-29"}},
		{"2026-07", Window{date(2026, 7, 1), date(2026, 7, 31), "2026-07"}},
		{"2026-02", Window{date(2026, 2, 1), date(2026, 2, 28), "2026-02"}},
		{"2026-12", Window{date(2026, 12, 1), date(2026, 12, 31), "2026-12"}},
		{"2026-Q1", Window{date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"}},
		{"2026-Q2", Window{date(2026, 4, 1), date(2026, 6, 30), "2026-Q2"}},
		{"2026-Q3", Window{date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"}},
		{"2026-Q4", Window{date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"}},
		{"2026-q3", Window{date(2026, 7, 1), date(2026, 9, 30), "2026-q3"}},
		{"2026-H1", Window{date(2026, 1, 1), date(2026, 6, 30), "2026-H1"}},
		{"2026-H2", Window{date(2026, 7, 1), date(2026, 12, 31), "2026-H2"}},
		{"2026", Window{date(2026, 1, 1), date(2026, 12, 31), "2026"}},
		{"1900", Window{date(1900, 1, 1), date(1900, 12, 31), "1900"}},
		{"2200", Window{date(2200, 1, 1), date(2200, 12, 31), "2200"}},
		{" 2026-Q3 ", Window{date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"}},
		{"2026-Q3/2027-H1", Window{date(2026, 7, 1), date(2027, 6, 30), "2026-Q3/2027-H1"}},
		{"2026-07-15/2026-07-20", Window{date(2026, 7, 15), date(2026, 7, 20), "2026-07-15/2026-07-20"}},
		{"2026 / 2026-03", Window{date(2026, 1, 1), date(2026, 3, 31), "2026 / 2026-03"}},
		{"2026-07/2026-07", Window{date(2026, 7, 1), date(2026, 7, 31), "2026-07/2026-07"}},
		{"2026-07-02T23:30:00Z", Window{date(2026, 7, 2), date(2026, 7, 2), "2026-07-02T23:30:00Z"}},
		{"2026-07-02T23:30:00-05:00", Window{date(2026, 7, 3), date(2026, 7, 3), "2026-07-02T23:30:00-05:00"}},
	}
	for _, tt := range tests {
		got, err := ParseWindow(tt.in)
		if err != nil {
			t.Errorf("ParseWindow(%q) error: %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseWindow(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestParseWindowErrors(t *testing.T) {
	const forms = "want a date window (2026-07-01, 2026-07, 2026-Q3, 2026-H2, 2026 or START/END), got "
	tests := []struct {
		in, want string
	}{
		{"2026-Q5", forms + `"2026-Q5"`},
		{"2026-Q0", forms + `"2026-Q0"`},
		{"2026-H3", forms + `"2026-H3"`},
		{"2026-13", forms + `"2026-13"`},
		{"2026-00", forms + `"2026-00"`},
		{"2026-7", forms + `"2026-7"`},
		{"2026-02-30", forms + `"2026-02-30"`},
		{"2025-02-29", forms + `"2025-02-29"`},
		{"2026-07-00", forms + `"2026-07-00"`},
		{"2026-7-1", forms + `"2026-7-1"`},
		{"1899", forms + `"1899"`},
		{"2201", forms + `"2201"`},
		{"26", forms + `"26"`},
		{"", forms + `""`},
		{"soon", forms + `"soon"`},
		{"2026-Q3/", forms + `"2026-Q3/"`},
		{"/2026", forms + `"/2026"`},
		{"2026/2027/2028", forms + `"2026/2027/2028"`},
		{"+2026", forms + `"+2026"`},
		{"2026-07-01T25:00:00Z", forms + `"2026-07-01T25:00:00Z"`},
		{"2027/2026", `date window "2027/2026": END is before START`},
		{"2026-Q3/2026-06-30", `date window "2026-Q3/2026-06-30": END is before START`},
	}
	for _, tt := range tests {
		_, err := ParseWindow(tt.in)
		if err == nil {
			t.Errorf("ParseWindow(%q) succeeded, want error %q", tt.in, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseWindow(%q) error = %q, want %q", tt.in, err, tt.want)
		}
	}
}

func TestSlipDays(t *testing.T) {
	w := func(s string) Window {
		t.Helper()
		v, err := ParseWindow(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name              string
		original, current Window
		want              float64
		ok                bool
	}{
		{"CORZ-CRWV-PROGRAM 2026-H2 to 2027-Q1", w("2026-H2"), w("2027-Q1"), 90, true},
		{"unchanged", w("2026-Q4"), w("2026-12-31"), 0, true},
		{"pulled in", w("2026-04"), w("2026-03"), -30, true},
		{"leap year", w("2024-02"), w("2024-03"), 31, true},
		{"START/END uses END", w("2026-01/2026-06"), w("2026-H1"), 0, true},
		{"far apart", w("1900"), w("2200"), 109573, true},
		{"original unknown", Window{}, w("2027"), 0, false},
		{"current unknown", w("2027"), Window{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := SlipDays(tt.original, tt.current)
			if got != tt.want || ok != tt.ok {
				t.Errorf("SlipDays(%v, %v) = %v, %v; want %v, %v", tt.original, tt.current, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestWindowString(t *testing.T) {
	tests := []struct {
		w    Window
		want string
	}{
		{Window{date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"}, "2026-Q3"},
		{Window{}, "n/a"},
		{Window{End: date(2026, 9, 30)}, "2026-09-30"},
		{Window{Start: date(2026, 9, 30), End: date(2026, 9, 30)}, "2026-09-30"},
		{Window{Start: date(2026, 7, 1), End: date(2026, 9, 30)}, "2026-07-01/2026-09-30"},
	}
	for _, tt := range tests {
		if got := tt.w.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.w, got, tt.want)
		}
	}
}
