package rules

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spreadwatch/spreadwatch/market"
)

// TestEvalSample checks rules on the example feed (as of 2026-07-02,
// utility 4.5%). Every subject not listed is no_match.
func TestEvalSample(t *testing.T) {
	snap, ix := sample(t)
	env := EnvFor(snap)
	tests := []struct {
		src  string
		want map[string]Outcome
	}{
		{
			// feed-format.md: exactly three bonds; three have no coupon.
			src: "coupon > utility + 400bp",
			want: map[string]Outcome{
				"CRWV-9.25-2030": Match, "CRWV-9.00-2031": Match, "APLD-9.25-2030": Match,
				"CRWV-NOTES-2031-APR26": LacksData, "CORZ-SSN-2031-APR26": LacksData, "HELIOS-TL-2028": LacksData,
			},
		},
		{
			// CORZ-CRWV-PROGRAM: 2026-H2 → 2027-Q1, 2026-12-31 → 2027-03-31 = 90 days.
			// GLXY-HELIOS-P1: 2026-Q1 → 2026-H1, 2026-03-31 → 2026-06-30 = 91 days.
			// CRWV-DENTON-OPENAI has null targets.
			src: "slip > 60d",
			want: map[string]Outcome{
				"CORZ-CRWV-PROGRAM": Match, "GLXY-HELIOS-P1": Match, "CRWV-DENTON-OPENAI": LacksData,
			},
		},
		{
			src:  "slip_days > 60",
			want: map[string]Outcome{"CORZ-CRWV-PROGRAM": Match, "GLXY-HELIOS-P1": Match, "CRWV-DENTON-OPENAI": LacksData},
		},
		{
			// planned_mw = contracted + pipeline, unknown when either is:
			// CORZ (590+1500)/350 = 5.97, HUT (245+8500)/1020 = 8.57.
			// APLD has no pipeline_mw, CRWV and CLSK neither contracted
			// nor pipeline MW; the others lack operating_mw.
			src: "pipeline_ratio > 2.5",
			want: map[string]Outcome{
				"APLD": LacksData, "CORZ": Match, "HUT": Match,
				"CRWV": LacksData, "WULF": LacksData, "CIFR": LacksData, "IREN": LacksData, "GLXY": LacksData,
				"BITF": LacksData, "CLSK": LacksData, "RIOT": LacksData, "MARA": LacksData,
			},
		},
		{
			// APLD leases to CoreWeave and has a 9.25% coupon. CORZ (max
			// 3%) and GLXY (max 0.5%) also lease to CRWV. RIOT has no bonds,
			// so max_coupon is unknown, but no CRWV offtake either: the
			// rule fails whatever max_coupon is.
			src:  `any(offtakes, .counterparty_ticker == "CRWV") && max_coupon > 8%`,
			want: map[string]Outcome{"APLD": Match},
		},
		{
			// CRWV-9.25-2030: 9.25 − 4.5 = +475 bp, unsecured. CRWV-9.00-2031
			// is exactly +450 bp, not above. CORZ-SSN-2031-APR26 and
			// HELIOS-TL-2028 have no spread but are secured: no match.
			src: "spread > 450bp && secured == false",
			want: map[string]Outcome{
				"CRWV-9.25-2030":        Match,
				"CRWV-NOTES-2031-APR26": LacksData,
			},
		},
		{
			// CRWV-FLEET-YE2025 was cut from 900 to 850 MW; GLXY-HELIOS-P1
			// slipped 91 days; BITF-PANTHER-CREEK-P1 has no MW.
			src: "mw_cut > 0 || slip > 90d",
			want: map[string]Outcome{
				"CRWV-FLEET-YE2025": Match, "GLXY-HELIOS-P1": Match,
				"CRWV-DENTON-OPENAI": LacksData, "BITF-PANTHER-CREEK-P1": LacksData,
			},
		},
		{
			// CRWV's two offtakes have no MW: lacks data, not a silent false.
			src: "any(offtakes, .mw >= 150)",
			want: map[string]Outcome{
				"CRWV": LacksData, "APLD": Match, "WULF": Match, "CIFR": Match, "IREN": Match,
				"CORZ": Match, "HUT": Match, "GLXY": Match,
			},
		},
		{
			// The author's explicit default: unknown coupons count as 0.
			src: "(coupon ?? 0) > 9%",
			want: map[string]Outcome{
				"CRWV-9.25-2030": Match, "APLD-9.25-2030": Match,
			},
		},
		{
			src: "coupon ?? 0 > 9%",
			want: map[string]Outcome{
				"CRWV-9.25-2030": Match, "APLD-9.25-2030": Match,
			},
		},
		{
			src:  "coupon == nil && bond_kind == \"term_loan\"",
			want: map[string]Outcome{"HELIOS-TL-2028": Match},
		},
		{
			src:  "amount_usd >= $3bn",
			want: map[string]Outcome{"WULF-7.75-2030": Match, "CORZ-SSN-2031-APR26": Match, "HUT8DC-6.192-2042": Match},
		},
		{
			src:  "offtake_mw >= 1GW",
			want: map[string]Outcome{"CRWV": LacksData},
		},
		{
			src:  "years_to_maturity > 10",
			want: map[string]Outcome{"HUT8DC-6.192-2042": Match},
		},
		{
			src:  `maturity < date("2029-01-01")`,
			want: map[string]Outcome{"HELIOS-TL-2028": Match},
		},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p := mustCompile(t, tt.src, env)
			if diff := cmp.Diff(tt.want, outcomes(p.Eval(ix, nil, nil))); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvalResult(t *testing.T) {
	snap, ix := sample(t)
	p := mustCompile(t, "coupon > utility + 400bp", EnvFor(snap))
	tests := []struct {
		id   string
		want Result
	}{
		{"CRWV-9.25-2030", Result{
			Subject: SubjectBond, ID: "CRWV-9.25-2030", Ticker: "CRWV", Outcome: Match,
			Detail: "coupon 9.25%, utility 4.50%",
			Values: []Value{{Name: "coupon", Text: "9.25%", Num: 9.25, Known: true}, {Name: "utility", Text: "4.50%", Num: 4.5, Known: true}},
		}},
		{"CRWV-NOTES-2031-APR26", Result{
			Subject: SubjectBond, ID: "CRWV-NOTES-2031-APR26", Ticker: "CRWV", Outcome: LacksData,
			Detail: "coupon is unknown", Missing: "coupon",
			Values: []Value{{Name: "coupon", Text: "unknown"}, {Name: "utility", Text: "4.50%", Num: 4.5, Known: true}},
		}},
	}
	for _, tt := range tests {
		got, err := p.EvalOne(ix, nil, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("EvalOne(%s) (-want +got):\n%s", tt.id, diff)
		}
	}
	if _, err := p.EvalOne(ix, nil, "NOPE"); !errors.Is(err, ErrNoSubject) {
		t.Errorf("EvalOne(NOPE) = %v, want ErrNoSubject", err)
	}
}

func TestEvalScope(t *testing.T) {
	_, ix := sample(t)
	p := mustCompile(t, "coupon > 0", Env{})
	rs := p.Eval(ix, nil, func(ticker string) bool { return ticker == "APLD" })
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	if diff := cmp.Diff([]string{"APLD-9.25-2030", "APLD-6.75-2031", "APLD-7.00-2031"}, ids); diff != "" {
		t.Errorf("scoped ids (-want +got):\n%s", diff)
	}
}

// unknownsSnapshot has issuers whose offtakes have unknown MW.
func unknownsSnapshot() *market.Snapshot {
	off := func(id string, mw *float64) market.Offtake {
		return market.Offtake{ID: id, Counterparty: "X", MW: mw}
	}
	return &market.Snapshot{
		AsOf: date(2026, 7, 2),
		Issuers: []market.Issuer{
			{Ticker: "NULL", Offtakes: []market.Offtake{off("N1", nil), off("N2", nil)}},
			{Ticker: "BIG", Offtakes: []market.Offtake{off("B1", nil), off("B2", num(400))}},
			{Ticker: "SMALL", Offtakes: []market.Offtake{off("S1", nil), off("S2", num(100))}},
			{Ticker: "KNOWN", Offtakes: []market.Offtake{off("K1", num(100))}},
			{Ticker: "NONE"},
		},
	}
}

// TestEvalUnknownElements checks that an unknown value inside a list
// makes the rule lack data exactly when the outcome depends on it.
func TestEvalUnknownElements(t *testing.T) {
	ix := NewIndex(unknownsSnapshot())
	tests := []struct {
		src  string
		want map[string]Outcome
	}{
		{"any(offtakes, .mw >= 150)", map[string]Outcome{"NULL": LacksData, "BIG": Match, "SMALL": LacksData}},
		{"all(offtakes, .mw >= 150)", map[string]Outcome{"NULL": LacksData, "BIG": LacksData, "NONE": Match}},
		{"all(offtakes, .mw < 150)", map[string]Outcome{"NULL": LacksData, "SMALL": LacksData, "KNOWN": Match, "NONE": Match}},
		{"any(offtakes, .mw * 2 >= 300)", map[string]Outcome{"NULL": LacksData, "BIG": Match, "SMALL": LacksData}},
		{"any(offtakes, (.mw ?? 0) >= 150)", map[string]Outcome{"BIG": Match}},
		{"any(offtakes, .mw == nil)", map[string]Outcome{"NULL": Match, "BIG": Match, "SMALL": Match}},
		{"count(offtakes, .mw > 50) >= 1", map[string]Outcome{"NULL": LacksData, "BIG": Match, "SMALL": Match, "KNOWN": Match}},
		{"sum(map(offtakes, .mw ?? 0)) > 200", map[string]Outcome{"BIG": Match}},
		{"max(map(offtakes, .mw)) > 200", map[string]Outcome{"NULL": LacksData, "BIG": LacksData, "SMALL": LacksData, "NONE": Error}},
		{"any(offtakes, .start < date(\"2027-01-01\"))", map[string]Outcome{"NULL": LacksData, "BIG": LacksData, "SMALL": LacksData, "KNOWN": LacksData}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p := mustCompile(t, tt.src, Env{})
			rs := p.Eval(ix, nil, nil)
			if diff := cmp.Diff(tt.want, outcomes(rs)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			for _, r := range rs {
				if r.Outcome == LacksData && !strings.HasPrefix(r.Missing, "offtakes[") {
					t.Errorf("%s: Missing = %q, want offtakes[…].mw", r.ID, r.Missing)
				}
			}
		})
	}
	p := mustCompile(t, "any(offtakes, .mw >= 150)", Env{})
	r, _ := p.EvalOne(ix, nil, "NULL")
	if r.Missing != "offtakes[N1].mw" || r.Detail != "offtakes[N1].mw is unknown" {
		t.Errorf("NULL: Missing %q, Detail %q", r.Missing, r.Detail)
	}
}

// TestEvalRuntimeErrors checks that a failure in one subject is reported
// as an error outcome and does not stop the others.
func TestEvalRuntimeErrors(t *testing.T) {
	_, ix := sample(t)
	tests := []struct {
		src    string
		id     string
		want   Outcome
		detail string
	}{
		{"1 % (len(bonds) - 3) == 0", "APLD", Error, "modulo by zero"},
		{"1 % (len(bonds) - 3) == 0", "CRWV", Match, "bonds 4 items"},
		{"bonds[3].coupon == nil", "APLD", Error, "index out of range: 3 (array length is 3)"},
		{"bonds[3].coupon == nil", "CRWV", Match, "bonds 4 items"},
		{"int(ticker) > 0", "APLD", Error, "invalid operation: int(APLD)"},
		{"operating_mw / 0 > 1", "APLD", Error, "division by zero"},
	}
	for _, tt := range tests {
		t.Run(tt.src+" "+tt.id, func(t *testing.T) {
			p := mustCompile(t, tt.src, Env{})
			rs := p.Eval(ix, nil, nil)
			if len(rs) != 12 {
				t.Fatalf("got %d results, want one per issuer", len(rs))
			}
			r, _ := p.EvalOne(ix, nil, tt.id)
			if r.Outcome != tt.want || r.Detail != tt.detail {
				t.Errorf("%s = %s %q, want %s %q", tt.id, r.Outcome, r.Detail, tt.want, tt.detail)
			}
		})
	}
}

// TestEvalConcurrent runs one program from many goroutines (with -race).
func TestEvalConcurrent(t *testing.T) {
	_, ix := sample(t)
	p := mustCompile(t, "any(offtakes, .mw >= 150) && len(bonds) > 0", Env{})
	want := outcomes(p.Eval(ix, nil, nil))
	done := make(chan map[string]Outcome)
	for range 8 {
		go func() { done <- outcomes(p.Eval(ix, nil, nil)) }()
	}
	for range 8 {
		if diff := cmp.Diff(want, <-done); diff != "" {
			t.Errorf("concurrent outcomes differ (-want +got):\n%s", diff)
		}
	}
}

func TestIndexDerived(t *testing.T) {
	_, ix := sample(t)
	tests := []struct {
		kind       Subject
		id, name   string
		want       string
		wantReason string
	}{
		{SubjectIssuer, "CRWV", "max_coupon", "9.25%", ""},
		{SubjectIssuer, "CRWV", "debt_usd", "$7.25bn", ""},
		{SubjectIssuer, "CRWV", "top_customer_share", "0.686", ""},
		{SubjectIssuer, "APLD", "planned_mw", "unknown", "pipeline_mw is unknown"},
		{SubjectIssuer, "APLD", "pipeline_ratio", "unknown", "pipeline_mw is unknown"},
		{SubjectIssuer, "CORZ", "planned_mw", "2,090 MW", ""},
		{SubjectIssuer, "RIOT", "debt_usd", "$0", ""},
		{SubjectIssuer, "RIOT", "max_coupon", "unknown", "no coupon is known"},
		{SubjectIssuer, "CRWV", "offtake_mw", "unknown", "no offtake MW is known"},
		{SubjectBond, "CRWV-9.25-2030", "spread", "+475 bp", ""},
		{SubjectBond, "CRWV-9.25-2030", "maturity", "2030-06-01", ""},
		{SubjectBond, "APLD-9.25-2030", "maturity", "2030-12-31", ""},
		{SubjectProject, "CORZ-CRWV-PROGRAM", "slip", "90 days", ""},
		{SubjectProject, "CRWV-FLEET-YE2025", "mw_cut", "50 MW", ""},
	}
	for _, tt := range tests {
		s, ok := ix.lookup(tt.kind, tt.id)
		if !ok {
			t.Fatalf("no %s %s", tt.kind, tt.id)
		}
		i, _ := lookupVar(tt.name)
		if got := s.value(i).Text; got != tt.want {
			t.Errorf("%s %s = %q, want %q", tt.id, tt.name, got, tt.want)
		}
		if got := s.whyOf(i); got != tt.wantReason {
			t.Errorf("%s %s reason = %q, want %q", tt.id, tt.name, got, tt.wantReason)
		}
	}
	_ = time.Second
}
