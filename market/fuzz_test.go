package market

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzLoadFeed checks that Decode never panics, that every failure is a
// *FeedError with at least one problem, and that every feed it accepts
// survives Encode and Decode unchanged.
func FuzzLoadFeed(f *testing.F) {
	sample := SampleJSON()
	f.Add(sample)
	f.Add([]byte(minimalFeed))
	f.Add(sample[:len(sample)/2])
	f.Add([]byte(strings.Replace(minimalFeed, `"coupon": 12.0`, `"coupon": "6,125"`, 1)))
	f.Add([]byte(strings.Replace(minimalFeed, `"maturity": "2029"`, `"maturity": "2026-Q5"`, 1)))
	f.Add([]byte(strings.Replace(minimalFeed, `"as_of": "2026-07-02T00:00:00Z",`, ``, 1)))
	f.Add([]byte(strings.Replace(minimalFeed, `issuer-feed/v1`, `issuer-feed/v2`, 1)))
	f.Add([]byte(strings.Replace(minimalFeed, `"coupon": 12.0`, `"coupon": "925bp", "amount_usd": "$2bn", "floating": {"spread": "4%"}`, 1)))
	f.Add([]byte(`{"schema":"spreadwatch.issuer-feed/v1","as_of":"2026","benchmarks":[],"issuers":[{"ticker":"A","name":"a"},{"ticker":"a","name":"b"}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(bytes.NewReader(data), "fuzz")
		if err != nil {
			var fe *FeedError
			if !errors.As(err, &fe) || len(fe.Problems) == 0 {
				t.Fatalf("Decode error %T %q is not a *FeedError with problems", err, err)
			}
			return
		}
		var buf bytes.Buffer
		if err := Encode(&buf, s); err != nil {
			t.Fatalf("Encode of a decoded feed: %v", err)
		}
		again, err := Decode(&buf, "fuzz")
		if err != nil {
			t.Fatalf("Decode(Encode(s)): %v\n%s", err, buf.Bytes())
		}
		if diff := cmp.Diff(s, again, cmpopts.EquateNaNs()); diff != "" {
			t.Fatalf("Decode(Encode(s)) mismatch (-want +got):\n%s", diff)
		}
		if s.Fingerprint() != again.Fingerprint() {
			t.Fatal("Fingerprint changed over a round trip")
		}
	})
}

// FuzzParseWindow checks that ParseWindow never panics and that every
// window it returns is a well-formed interval of whole UTC days that
// parses the same again from its Text.
func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"2026-07-01", "2026-07", "2026-Q3", "2026-H2", "2026", "2026-Q3/2027-H1",
		"2026-Q5", "2027/2026", "2026-02-30", "2026-07-02T23:30:00-05:00", " 2026 / 2026-03 ", "", "/", "9999-99-99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			if w != (Window{}) {
				t.Fatalf("ParseWindow(%q) returned %+v with error %v", s, w, err)
			}
			return
		}
		if !w.Known() || w.End.Before(w.Start) {
			t.Fatalf("ParseWindow(%q) = %+v: not an interval", s, w)
		}
		for _, d := range []time.Time{w.Start, w.End} {
			if d.Location() != time.UTC || !d.Equal(d.Truncate(24*time.Hour)) || d.Year() < 1900 || d.Year() > 2200 {
				t.Fatalf("ParseWindow(%q) = %+v: %v is not a UTC day in 1900..2200", s, w, d)
			}
		}
		again, err := ParseWindow(w.Text)
		if err != nil || again != w {
			t.Fatalf("ParseWindow(%q) = %+v, but its Text parses to %+v, %v", s, w, again, err)
		}
	})
}

// FuzzParseQuantity checks that ParseQuantity never panics, returns only
// finite values in a known dimension, and names known units only.
func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"9.25%", "925bp", "$2.35bn", "$800m", "800mm", "0.45GW", "90d", "6mo", "12h",
		"4.5", "6,125", "1e400", "$5%", "NaN", "-$1.2e3k", "1.5 GW", "400bps", "", "$", "1e", "1e+", "0x1p3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, dim, err := ParseQuantity(s)
		if err != nil {
			if v != 0 || dim != DimNumber {
				t.Fatalf("ParseQuantity(%q) = %v, %v with error %v", s, v, dim, err)
			}
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("ParseQuantity(%q) = %v", s, v)
		}
		if dim < DimNumber || dim > DimMoney {
			t.Fatalf("ParseQuantity(%q) dimension %v", s, dim)
		}
	})
}
