package market

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// roundTrip encodes s and decodes the result.
func roundTrip(t *testing.T, s *Snapshot) *Snapshot {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, s); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	got, err := Decode(&buf, "encoded")
	if err != nil {
		t.Fatalf("Decode(Encode(s)): %v", err)
	}
	return got
}

func TestEncodeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		s    *Snapshot
	}{
		{"sample", mustSample(t)},
		{"empty", &Snapshot{AsOf: date(2026, 7, 2)}},
		{"every field", &Snapshot{
			AsOf: date(2026, 7, 2).Add(90 * 60 * 1e9),
			Benchmarks: []Benchmark{
				{ID: "utility", Name: "U", Level: ptr(4.5), AsOf: Window{date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"}, Provider: "fred", Series: "DGS5"},
				{ID: "unknown", Series: "X"},
			},
			Issuers: []Issuer{{
				Ticker: "QBIT", Name: "Q \"quoted\" <html> & co", Kind: "miner", Rating: "BB-",
				Capacity: Capacity{OperatingMW: ptr(0.0), UnderConstructionMW: ptr(1.5), ContractedMW: ptr(2.0),
					SecuredPowerMW: ptr(3.0), PipelineMW: ptr(1e5), Basis: "gross", AsOf: Window{date(2026, 7, 1), date(2026, 12, 31), "2026-H2"}},
				Bonds: []Bond{{
					ID: "B1", Kind: "term_loan", Coupon: ptr(-0.1), CouponType: "floating",
					Floating: &Floating{Index: "SOFR", Spread: ptr(4.75), Floor: ptr(0.0)},
					Maturity: Window{date(2026, 7, 1), date(2027, 6, 30), "2026-H2/2027-H1"}, IssueDate: Window{date(2025, 1, 1), date(2025, 1, 1), "2025-01-01"},
					AmountUSD: ptr(1e21), IssuePrice: ptr(99.875), Secured: ptr(true), Seniority: "first_lien",
					Price: ptr(101.25), Yield: ptr(1.0 / 3), Status: "issued",
				}, {ID: "B2", Floating: &Floating{}}},
				Projects: []Project{{
					ID: "P1", Name: "n", Location: "l", MWOriginal: ptr(10.0), MWCurrent: ptr(5e-324), MWOperational: ptr(1.0),
					Status: "s", LastConfirmed: Window{date(2025, 1, 1), date(2025, 12, 31), "2025"}, OfftakeIDs: []string{"O1", "O2"},
				}},
				Offtakes: []Offtake{{
					ID: "O1", Counterparty: "c", CounterpartyTicker: "CRWV", Type: "t", MW: ptr(200.0), TermYears: ptr(15.5),
					Start: Window{date(2026, 1, 1), date(2026, 1, 31), "2026-01"}, ContractValueUSD: ptr(9.7e9),
					AnnualRevenueUSD: ptr(math.MaxFloat64), BackstopProvider: "G",
				}, {ID: "O2", Counterparty: "", BackstopUSD: ptr(1.0)}},
				Metrics: map[string]float64{"a": 1, "b.c": -2.5, "ünï": 1e-7},
			}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roundTrip(t, tt.s)
			if diff := cmp.Diff(tt.s, got, cmpopts.IgnoreFields(Snapshot{}, "Source")); diff != "" {
				t.Errorf("Decode(Encode(s)) mismatch (-want +got):\n%s", diff)
			}
			if a, b := tt.s.Fingerprint(), got.Fingerprint(); a != b {
				t.Errorf("Fingerprint changed over a round trip: %s, then %s", a, b)
			}
		})
	}
}

func TestEncodeKnownWindowWithoutText(t *testing.T) {
	s := &Snapshot{Issuers: []Issuer{{Ticker: "Q", Bonds: []Bond{{
		ID: "B", Maturity: Window{Start: date(2026, 7, 1), End: date(2026, 9, 30)},
		IssueDate: Window{End: date(2025, 5, 1)},
	}}}}}
	b := roundTrip(t, s).Issuers[0].Bonds[0]
	if b.Maturity.Text != "2026-07-01/2026-09-30" || !b.Maturity.Start.Equal(date(2026, 7, 1)) || !b.Maturity.End.Equal(date(2026, 9, 30)) {
		t.Errorf("maturity = %+v, want 2026-07-01/2026-09-30", b.Maturity)
	}
	if b.IssueDate.Text != "2025-05-01" {
		t.Errorf("issue date = %+v, want 2025-05-01", b.IssueDate)
	}
}

func TestEncodeWritesNullForUnknownRequired(t *testing.T) {
	var buf bytes.Buffer
	s := &Snapshot{Benchmarks: []Benchmark{{ID: "u"}}, Issuers: []Issuer{{Ticker: "Q",
		Bonds:    []Bond{{ID: "B"}},
		Projects: []Project{{ID: "P"}},
	}}}
	if err := Encode(&buf, s); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`"level": null`, `"coupon": null`, `"maturity": null`, `"mw_original": null`,
		`"mw_current": null`, `"original_target": null`, `"current_target": null`, `"status": ""`} {
		if !strings.Contains(out, want) {
			t.Errorf("Encode output lacks %s:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{`"yield"`, `"capacity"`, `"metrics"`, `"floating"`, `"bonds": null`} {
		if strings.Contains(out, unwanted) {
			t.Errorf("Encode output has %s:\n%s", unwanted, out)
		}
	}
}

func TestEncodeNaN(t *testing.T) {
	s := &Snapshot{Benchmarks: []Benchmark{{ID: "u", Level: ptr(math.NaN())}}}
	if err := Encode(&bytes.Buffer{}, s); err == nil {
		t.Error("Encode(NaN level) succeeded, want an error")
	}
	if fp := s.Fingerprint(); fp != "" {
		t.Errorf("Fingerprint(NaN level) = %q, want \"\"", fp)
	}
}

func TestFingerprint(t *testing.T) {
	a := mustSample(t)
	b, err := LoadCSV(sampleCSVDir)
	if err != nil {
		t.Fatal(err)
	}
	fa, fb := a.Fingerprint(), b.Fingerprint()
	if len(fa) != 64 {
		t.Errorf("Fingerprint() = %q, want 64 hex digits", fa)
	}
	if fa != fb {
		t.Errorf("equal snapshots from different sources have fingerprints %s and %s", fa, fb)
	}
	*b.Issuers[0].Bonds[0].Coupon += 0.01
	if b.Fingerprint() == fa {
		t.Error("changing a coupon kept the fingerprint")
	}
	c := mustSample(t)
	c.AsOf = c.AsOf.AddDate(0, 0, 1)
	if c.Fingerprint() == fa {
		t.Error("changing as_of kept the fingerprint")
	}
}

func TestEncodeNil(t *testing.T) {
	if err := Encode(&bytes.Buffer{}, nil); err == nil {
		t.Error("Encode(nil) succeeded, want an error")
	}
	var s *Snapshot
	if fp := s.Fingerprint(); fp != "" {
		t.Errorf("nil Fingerprint() = %q, want \"\"", fp)
	}
}
