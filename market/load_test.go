package market

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func mustSample(t testing.TB) *Snapshot {
	t.Helper()
	s, err := Sample()
	if err != nil {
		t.Fatalf("Sample(): %v", err)
	}
	return s
}

func TestSampleLoads(t *testing.T) {
	s := mustSample(t)
	if s.Source != "sample" {
		t.Errorf("Source = %q, want %q", s.Source, "sample")
	}
	if want := time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC); !s.AsOf.Equal(want) {
		t.Errorf("AsOf = %v, want %v", s.AsOf, want)
	}
	wantTickers := []string{"CRWV", "APLD", "WULF", "CIFR", "IREN", "CORZ", "HUT", "GLXY", "BITF", "CLSK", "RIOT", "MARA"}
	if diff := cmp.Diff(wantTickers, s.Tickers()); diff != "" {
		t.Errorf("Tickers() mismatch (-want +got):\n%s", diff)
	}
	if len(s.Benchmarks) != 5 {
		t.Errorf("len(Benchmarks) = %d, want 5", len(s.Benchmarks))
	}

	utility, ok := s.Benchmark("utility")
	if !ok || utility.Level == nil || *utility.Level != 4.5 {
		t.Fatalf("Benchmark(utility) = %+v, %v; want level 4.5", utility, ok)
	}
	wantUtility := Benchmark{
		ID:       "utility",
		Name:     "Regulated-utility borrowing cost (sector article assumption)",
		Level:    ptr(4.5),
		AsOf:     Window{date(2026, 2, 27), date(2026, 2, 27), "2026-02-27"},
		Provider: "manual",
	}
	if diff := cmp.Diff(wantUtility, *utility); diff != "" {
		t.Errorf("utility benchmark mismatch (-want +got):\n%s", diff)
	}
	if b, _ := s.Benchmark("moodys_baa"); b.Provider != "fred" || b.Series != "DBAA" {
		t.Errorf("moodys_baa source = %q/%q, want fred/DBAA", b.Provider, b.Series)
	}

	is, b, ok := s.Bond("CRWV-9.25-2030")
	if !ok || is.Ticker != "CRWV" {
		t.Fatalf("Bond(CRWV-9.25-2030) = %v, %v", is, ok)
	}
	wantBond := Bond{
		ID: "CRWV-9.25-2030", Kind: "senior_notes", Coupon: ptr(9.25), CouponType: "fixed",
		Maturity:  Window{date(2030, 6, 1), date(2030, 6, 1), "2030-06-01"},
		IssueDate: Window{date(2025, 5, 1), date(2025, 5, 31), "2025-05"},
		AmountUSD: ptr(2e9), Secured: ptr(false), Seniority: "senior_unsecured",
	}
	if diff := cmp.Diff(wantBond, *b); diff != "" {
		t.Errorf("CRWV-9.25-2030 mismatch (-want +got):\n%s", diff)
	}

	if _, b, _ := s.Bond("CRWV-NOTES-2031-APR26"); b.Coupon != nil || b.Status != "announced" || b.Maturity.Text != "2031" {
		t.Errorf("CRWV-NOTES-2031-APR26 = coupon %v, status %q, maturity %q; want nil, announced, 2031", b.Coupon, b.Status, b.Maturity.Text)
	}
	if _, b, _ := s.Bond("HELIOS-TL-2028"); b.Floating == nil || b.Floating.Index != "SOFR_1M" || *b.Floating.Spread != 4.75 || *b.Floating.Floor != 2.5 {
		t.Errorf("HELIOS-TL-2028 floating = %+v, want SOFR_1M + 4.75, floor 2.5", b.Floating)
	}

	_, p, ok := s.Project("CORZ-CRWV-PROGRAM")
	if !ok {
		t.Fatal("Project(CORZ-CRWV-PROGRAM) not found")
	}
	if slip, ok := p.SlipDays(); !ok || slip != 90 {
		t.Errorf("CORZ-CRWV-PROGRAM SlipDays = %v, %v; want 90, true", slip, ok)
	}
	if _, p, _ := s.Project("CRWV-DENTON-OPENAI"); p.OriginalTarget.Known() || p.LastConfirmed.Text != "2025-12" {
		t.Errorf("CRWV-DENTON-OPENAI targets = %v, last confirmed %v; want unknown, 2025-12", p.OriginalTarget, p.LastConfirmed)
	}
	if _, p, _ := s.Project("BITF-PANTHER-CREEK-P1"); p.MWOriginal != nil || p.MWCurrent != nil {
		t.Errorf("BITF-PANTHER-CREEK-P1 MW = %v, %v; want unknown", p.MWOriginal, p.MWCurrent)
	}

	wulf, _ := s.Issuer("wulf")
	if got := wulf.Offtakes[0]; got.BackstopProvider != "Google (Alphabet)" || got.BackstopUSD == nil || *got.BackstopUSD != 3.2e9 {
		t.Errorf("WULF-FLUIDSTACK-LM backstop = %q %v, want Google (Alphabet) 3.2e9", got.BackstopProvider, got.BackstopUSD)
	}
	if _, o, _ := s.Offtake("HUT-FLUIDSTACK-RB"); o.BackstopProvider == "" || o.BackstopUSD != nil {
		t.Errorf("HUT-FLUIDSTACK-RB backstop = %q %v, want a provider and no amount", o.BackstopProvider, o.BackstopUSD)
	}

	crwv, _ := s.Issuer("CRWV")
	wantMetrics := map[string]float64{
		"revenue_backlog_usd":                   66.8e9,
		"largest_customer_share_of_backlog_pct": 35,
		"cds_5y_bp":                             643,
	}
	if diff := cmp.Diff(wantMetrics, crwv.Metrics); diff != "" {
		t.Errorf("CRWV metrics mismatch (-want +got):\n%s", diff)
	}
	if crwv.Rating != "" || *crwv.Capacity.OperatingMW != 850 || crwv.Capacity.PipelineMW != nil {
		t.Errorf("CRWV rating %q, capacity %+v", crwv.Rating, crwv.Capacity)
	}
	if bitf, _ := s.Issuer("BITF"); bitf.Capacity.AsOf.Text != "2025-10" {
		t.Errorf("BITF capacity as_of = %v, want 2025-10", bitf.Capacity.AsOf)
	}
}

// TestSampleUtilityRule checks the feed-format contract: with utility at
// 4.5, coupon > utility + 400bp holds for exactly three bonds.
func TestSampleUtilityRule(t *testing.T) {
	s := mustSample(t)
	utility, _ := s.Benchmark("utility")
	var got []string
	for _, is := range s.Issuers {
		for _, b := range is.Bonds {
			if b.Coupon != nil && *b.Coupon > *utility.Level+4 {
				got = append(got, b.ID)
			}
		}
	}
	want := []string{"CRWV-9.25-2030", "CRWV-9.00-2031", "APLD-9.25-2030"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bonds with coupon > utility + 400bp (-want +got):\n%s", diff)
	}
}

func TestSampleJSONIsACopy(t *testing.T) {
	a := SampleJSON()
	a[0] = 'X'
	if b := SampleJSON(); b[0] != '{' {
		t.Errorf("SampleJSON()[0] = %q after changing an earlier copy, want '{'", b[0])
	}
}

// minimalFeed is a valid feed with one issuer holding one bond, one
// project and one offtake; tests replace parts of it.
const minimalFeed = `{
  "schema": "spreadwatch.issuer-feed/v1",
  "as_of": "2026-07-02T00:00:00Z",
  "benchmarks": [{"id": "utility", "level": 4.5}],
  "issuers": [{
    "ticker": "QBIT", "name": "Qubit Mining",
    "bonds": [{"id": "QBIT-12.0-2029", "coupon": 12.0, "maturity": "2029"}],
    "projects": [{"id": "QBIT-P1", "mw_original": 100, "mw_current": 80,
                  "original_target": "2026-H2", "current_target": "2027-Q1", "status": "delayed"}],
    "offtakes": [{"id": "QBIT-O1", "counterparty": "Hyperscaler"}]
  }]
}`

func decodeString(s string) (*Snapshot, error) {
	return Decode(strings.NewReader(s), "feed.json")
}

func TestDecodeMinimal(t *testing.T) {
	s, err := decodeString(minimalFeed)
	if err != nil {
		t.Fatal(err)
	}
	want := &Snapshot{
		AsOf:       date(2026, 7, 2),
		Source:     "feed.json",
		Benchmarks: []Benchmark{{ID: "utility", Level: ptr(4.5)}},
		Issuers: []Issuer{{
			Ticker: "QBIT", Name: "Qubit Mining",
			Bonds: []Bond{{ID: "QBIT-12.0-2029", Coupon: ptr(12.0), Maturity: Window{date(2029, 1, 1), date(2029, 12, 31), "2029"}}},
			Projects: []Project{{
				ID: "QBIT-P1", MWOriginal: ptr(100.0), MWCurrent: ptr(80.0),
				OriginalTarget: Window{date(2026, 7, 1), date(2026, 12, 31), "2026-H2"},
				CurrentTarget:  Window{date(2027, 1, 1), date(2027, 3, 31), "2027-Q1"},
				Status:         "delayed",
			}},
			Offtakes: []Offtake{{ID: "QBIT-O1", Counterparty: "Hyperscaler"}},
		}},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Decode(minimal) mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeUnitStrings(t *testing.T) {
	feed := `{"schema": "spreadwatch.issuer-feed/v1", "as_of": "2026-07-02",
	  "benchmarks": [{"id": "utility", "level": "450bp", "as_of": "2026-Q2"}],
	  "issuers": [{"ticker": "QBIT", "name": "Q", "rating": "BB-",
	    "capacity": {"operating_mw": "1.5GW", "pipeline_mw": "800 MW", "contracted_mw": "2000"},
	    "bonds": [{"id": "B1", "coupon": "9.25%", "maturity": "2030-06-01", "amount_usd": "$2.35bn",
	               "yield": "1025bp", "price": "98.5", "secured": "yes",
	               "floating": {"index": "SOFR", "spread": "475bp", "floor": "2.5pct"}}],
	    "projects": [{"id": "P1", "mw_original": "0.2GW", "mw_current": 150, "original_target": null,
	                  "current_target": 2027, "status": "planned", "offtake_ids": ["O1"]}],
	    "offtakes": [{"id": "O1", "counterparty": "X", "mw": "200MW", "term_years": "15",
	                  "contract_value_usd": "$9.7bn", "annual_revenue_usd": "970mm",
	                  "backstop": {"provider": "G", "amount_usd": "$1,3bn"}}],
	    "metrics": {"cds_5y_bp": "643", "backlog": "$66.8bn", "as_of": "2025-12-31", "note": "text",
	                "nested": {"a": 1}, "flag": true, "big": 1e400}
	  }]}`
	_, err := decodeString(feed)
	want := `feed.json: issuers[QBIT].offtakes[O1].backstop.amount_usd: want a dollar amount or "$2.35bn", got "$1,3bn"`
	if err == nil || err.Error() != want {
		t.Fatalf("Decode error = %v, want %s", err, want)
	}
	s, err := decodeString(strings.Replace(feed, "$1,3bn", "$1.3bn", 1))
	if err != nil {
		t.Fatal(err)
	}
	is := s.Issuers[0]
	checks := []struct {
		name string
		got  *float64
		want float64
	}{
		{"level", s.Benchmarks[0].Level, 4.5},
		{"operating_mw", is.Capacity.OperatingMW, 1500},
		{"pipeline_mw", is.Capacity.PipelineMW, 800},
		{"contracted_mw", is.Capacity.ContractedMW, 2000},
		{"coupon", is.Bonds[0].Coupon, 9.25},
		{"amount_usd", is.Bonds[0].AmountUSD, 2.35e9},
		{"yield", is.Bonds[0].Yield, 10.25},
		{"price", is.Bonds[0].Price, 98.5},
		{"floating.spread", is.Bonds[0].Floating.Spread, 4.75},
		{"floating.floor", is.Bonds[0].Floating.Floor, 2.5},
		{"mw_original", is.Projects[0].MWOriginal, 200},
		{"mw", is.Offtakes[0].MW, 200},
		{"term_years", is.Offtakes[0].TermYears, 15},
		{"contract_value_usd", is.Offtakes[0].ContractValueUSD, 9.7e9},
		{"annual_revenue_usd", is.Offtakes[0].AnnualRevenueUSD, 970e6},
		{"backstop.amount_usd", is.Offtakes[0].BackstopUSD, 1.3e9},
	}
	for _, c := range checks {
		if c.got == nil || *c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if is.Rating != "BB-" || is.Bonds[0].Secured == nil || !*is.Bonds[0].Secured {
		t.Errorf("rating %q, secured %v; want BB-, true", is.Rating, is.Bonds[0].Secured)
	}
	if w := is.Projects[0].CurrentTarget; w.Text != "2027" || !w.End.Equal(date(2027, 12, 31)) {
		t.Errorf("current_target = %+v, want 2027", w)
	}
	if diff := cmp.Diff(map[string]float64{"cds_5y_bp": 643, "backlog": 66.8e9}, is.Metrics); diff != "" {
		t.Errorf("metrics mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeIgnoresUnknownKeys(t *testing.T) {
	feed := strings.NewReplacer(
		`"as_of": "2026-07-02T00:00:00Z",`, `"as_of": "2026-07-02T00:00:00Z", "units": {"rates": "pp"}, "context": [1, {"x": null}], "sources": {"S01": {"url": "u"}},`,
		`"ticker": "QBIT",`, `"ticker": "QBIT", "cik": "0001", "src": ["S01"], "confidence": "high", "note": "n",`,
		`"coupon": 12.0,`, `"coupon": 12.0, "cusip": null, "first_call": "2027", "rating": {"sp": "B"}, "amortizing": true,`,
	).Replace(minimalFeed)
	got, err := decodeString(feed)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := decodeString(minimalFeed)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unknown keys changed the snapshot (-want +got):\n%s", diff)
	}
}

func TestDecodeErrors(t *testing.T) {
	// replace returns minimalFeed with old replaced by new, failing the
	// test if old is not there.
	replace := func(old, new string) string {
		if !strings.Contains(minimalFeed, old) {
			t.Fatalf("minimalFeed has no %q", old)
		}
		return strings.Replace(minimalFeed, old, new, 1)
	}
	tests := []struct {
		name string
		feed string
		want string // the whole error text
	}{
		{"empty input", "", "feed.json: empty feed: want a JSON object"},
		{"blank input", " \n ", "feed.json: empty feed: want a JSON object"},
		{"truncated JSON", minimalFeed[:120],
			"feed.json: invalid JSON at line 4, column 42 (byte 120): unexpected end of input (is the file truncated?)"},
		{"syntax error", replace(`"level": 4.5}`, `"level": 4.5,}`),
			"feed.json: invalid JSON at line 4, column 49 (byte 127): invalid character '}' looking for beginning of object key string"},
		{"trailing data", minimalFeed + "\n{}",
			"feed.json: invalid JSON at line 13, column 1 (byte 516): unexpected data after the top-level value"},
		{"not an object", `[1, 2]`, "feed.json: want a JSON object at the top level, got array"},
		{"wrong schema", replace(`issuer-feed/v1`, `issuer-feed/v2`),
			`feed.json: schema: want "spreadwatch.issuer-feed/v1", got "spreadwatch.issuer-feed/v2"`},
		{"schema not a string", replace(`"spreadwatch.issuer-feed/v1"`, `1`),
			`feed.json: schema: want "spreadwatch.issuer-feed/v1", got 1`},
		{"missing schema", replace(`"schema": "spreadwatch.issuer-feed/v1",`, ``),
			"feed.json: schema: required key missing"},
		{"missing as_of", replace(`"as_of": "2026-07-02T00:00:00Z",`, ``),
			"feed.json: as_of: required key missing"},
		{"null as_of", replace(`"2026-07-02T00:00:00Z"`, `null`),
			"feed.json: as_of: want an RFC 3339 time or a date (2026-07-02T00:00:00Z or 2026-07-02), got null"},
		{"bad as_of", replace(`"2026-07-02T00:00:00Z"`, `"July 2nd"`),
			`feed.json: as_of: want an RFC 3339 time or a date (2026-07-02T00:00:00Z or 2026-07-02), got "July 2nd"`},
		{"missing benchmarks", replace(`"benchmarks": [{"id": "utility", "level": 4.5}],`, ``),
			"feed.json: benchmarks: required key missing"},
		{"missing issuers", `{"schema": "spreadwatch.issuer-feed/v1", "as_of": "2026-07-02", "benchmarks": []}`,
			"feed.json: issuers: required key missing"},
		{"issuers not an array", `{"schema": "spreadwatch.issuer-feed/v1", "as_of": "2026-07-02", "benchmarks": [], "issuers": {}}`,
			"feed.json: issuers: want an array, got object"},
		{"issuer not an object", `{"schema": "spreadwatch.issuer-feed/v1", "as_of": "2026-07-02", "benchmarks": [], "issuers": ["QBIT"]}`,
			"feed.json: issuers[0]: want an object, got string"},
		{"comma in coupon", replace(`"coupon": 12.0`, `"coupon": "6,125"`),
			`feed.json: issuers[QBIT].bonds[QBIT-12.0-2029].coupon: want a percent number or "6.125%", got "6,125"`},
		{"coupon in wrong unit", replace(`"coupon": 12.0`, `"coupon": "$12m"`),
			`feed.json: issuers[QBIT].bonds[QBIT-12.0-2029].coupon: want a percent number or "6.125%", got "$12m"`},
		{"coupon of wrong type", replace(`"coupon": 12.0`, `"coupon": true`),
			`feed.json: issuers[QBIT].bonds[QBIT-12.0-2029].coupon: want a percent number or "6.125%", got boolean`},
		{"coupon out of range", replace(`"coupon": 12.0`, `"coupon": 1e999`),
			`feed.json: issuers[QBIT].bonds[QBIT-12.0-2029].coupon: want a percent number or "6.125%", got 1e999`},
		{"missing coupon", replace(`"coupon": 12.0, `, ``),
			"feed.json: issuers[QBIT].bonds[QBIT-12.0-2029].coupon: required key missing"},
		{"misspelled maturity", replace(`"maturity"`, `"maturty"`),
			"feed.json: issuers[QBIT].bonds[QBIT-12.0-2029].maturity: required key missing"},
		{"bad maturity", replace(`"maturity": "2029"`, `"maturity": "2026-Q5"`),
			`feed.json: issuers[QBIT].bonds[QBIT-12.0-2029].maturity: want a date window (2026-07-01, 2026-07, 2026-Q3, 2026-H2, 2026 or START/END), got "2026-Q5"`},
		{"maturity of wrong type", replace(`"maturity": "2029"`, `"maturity": {}`),
			`feed.json: issuers[QBIT].bonds[QBIT-12.0-2029].maturity: want a date window (2026-07-01, 2026-07, 2026-Q3, 2026-H2, 2026 or START/END), got object`},
		{"reversed window", replace(`"maturity": "2029"`, `"maturity": "2030/2029"`),
			`feed.json: issuers[QBIT].bonds[QBIT-12.0-2029].maturity: date window "2030/2029": END is before START`},
		{"bad amount", replace(`"coupon": 12.0`, `"coupon": 12.0, "amount_usd": "lots"`),
			`feed.json: issuers[QBIT].bonds[QBIT-12.0-2029].amount_usd: want a dollar amount or "$2.35bn", got "lots"`},
		{"bad power", replace(`"mw_current": 80`, `"mw_current": "80bp"`),
			`feed.json: issuers[QBIT].projects[QBIT-P1].mw_current: want megawatts or "1.5GW", got "80bp"`},
		{"bad secured", replace(`"coupon": 12.0`, `"coupon": 12.0, "secured": "maybe"`),
			`feed.json: issuers[QBIT].bonds[QBIT-12.0-2029].secured: want true or false, got "maybe"`},
		{"name of wrong type", replace(`"name": "Qubit Mining"`, `"name": 7`),
			"feed.json: issuers[QBIT].name: want a string, got number"},
		{"null ticker", replace(`"ticker": "QBIT"`, `"ticker": null`),
			"feed.json: issuers[0].ticker: want a string, got null"},
		{"empty id", replace(`"id": "QBIT-P1"`, `"id": " "`),
			`feed.json: issuers[QBIT].projects[ ].id: want a non-empty string, got " "`},
		{"missing status", replace(`, "status": "delayed"`, ``),
			"feed.json: issuers[QBIT].projects[QBIT-P1].status: required key missing"},
		{"missing counterparty", replace(`, "counterparty": "Hyperscaler"`, ``),
			"feed.json: issuers[QBIT].offtakes[QBIT-O1].counterparty: required key missing"},
		{"missing level", replace(`"level": 4.5`, `"name": "u"`),
			"feed.json: benchmarks[utility].level: required key missing"},
		{"bad rating", replace(`"name": "Qubit Mining"`, `"name": "Qubit Mining", "rating": 3`),
			`feed.json: issuers[QBIT].rating: want a rating such as {"sp": "BB-"} or "BB-", got number`},
		{"bad offtake_ids", replace(`"status": "delayed"`, `"status": "delayed", "offtake_ids": ["a", 2]`),
			"feed.json: issuers[QBIT].projects[QBIT-P1].offtake_ids[1]: want a string, got number"},
		{"bonds not an array", replace(`"bonds": [`, `"bonds": 5, "x": [`),
			"feed.json: issuers[QBIT].bonds: want an array, got number"},
		{"metrics not an object", replace(`"name": "Qubit Mining"`, `"name": "Qubit Mining", "metrics": [1]`),
			"feed.json: issuers[QBIT].metrics: want an object, got array"},
		{"capacity not an object", replace(`"name": "Qubit Mining"`, `"name": "Qubit Mining", "capacity": 5`),
			"feed.json: issuers[QBIT].capacity: want an object, got number"},
		{"duplicate bond id", replace(`"maturity": "2029"}]`, `"maturity": "2029"}, {"id": "QBIT-12.0-2029", "coupon": null, "maturity": null}]`),
			`feed.json: issuers[0].bonds[1].id: duplicate id "QBIT-12.0-2029" (first at issuers[0].bonds[0])`},
		{"duplicate ticker", `{"schema": "spreadwatch.issuer-feed/v1", "as_of": "2026-07-02", "benchmarks": [],
			"issuers": [{"ticker": "QBIT", "name": "a"}, {"ticker": "qbit", "name": "b"}]}`,
			`feed.json: issuers[1].ticker: duplicate ticker "qbit" (first at issuers[0])`},
		{"duplicate benchmark", replace(`{"id": "utility", "level": 4.5}`, `{"id": "utility", "level": 4.5}, {"id": "utility", "level": 5}`),
			`feed.json: benchmarks[1].id: duplicate id "utility" (first at benchmarks[0])`},
		{"several problems", replace(`"coupon": 12.0, "maturity": "2029"`, `"coupon": "6,125", "maturity": "2026-Q5"`),
			`feed.json: issuers[QBIT].bonds[QBIT-12.0-2029].coupon: want a percent number or "6.125%", got "6,125"` + "\n" +
				`feed.json: issuers[QBIT].bonds[QBIT-12.0-2029].maturity: want a date window (2026-07-01, 2026-07, 2026-Q3, 2026-H2, 2026 or START/END), got "2026-Q5"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := decodeString(tt.feed)
			if err == nil {
				t.Fatalf("Decode succeeded with %d issuers, want error:\n%s", len(s.Issuers), tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Decode error:\n got: %s\nwant: %s", got, tt.want)
			}
			var fe *FeedError
			if !errors.As(err, &fe) || fe.Source != "feed.json" {
				t.Errorf("Decode error %T is not a *FeedError for feed.json", err)
			}
		})
	}
}

func TestDecodeBOM(t *testing.T) {
	if _, err := decodeString("\xef\xbb\xbf" + minimalFeed); err != nil {
		t.Errorf("Decode(BOM + feed): %v", err)
	}
}

func TestDecodeProblemCap(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"schema": "spreadwatch.issuer-feed/v1", "as_of": "2026-07-02", "benchmarks": [], "issuers": [{"ticker": "Q", "name": "Q", "bonds": [`)
	for i := range 60 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"id": "B` + string(rune('A'+i/26)) + string(rune('a'+i%26)) + `", "coupon": "x", "maturity": null}`)
	}
	b.WriteString(`]}]}`)
	_, err := decodeString(b.String())
	var fe *FeedError
	if !errors.As(err, &fe) {
		t.Fatalf("Decode error = %v, want a *FeedError", err)
	}
	if len(fe.Problems) != 50 || fe.Omitted != 10 {
		t.Errorf("got %d problems and %d omitted, want 50 and 10", len(fe.Problems), fe.Omitted)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 51 || lines[50] != "feed.json: …and 10 more problems" {
		t.Errorf("Error() has %d lines ending %q, want 51 ending with the count", len(lines), lines[len(lines)-1])
	}
}

func TestFeedErrorFormat(t *testing.T) {
	e := &FeedError{Source: "f", Problems: []Problem{{"a.b", "bad"}, {"", "worse"}}, Omitted: 1}
	if got, want := e.Error(), "f: a.b: bad\nf: worse\nf: …and 1 more problem"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestDecodeTooLarge(t *testing.T) {
	r := io.MultiReader(strings.NewReader(`{"x": "`), &repeatReader{b: 'a', n: MaxFeedSize})
	_, err := Decode(r, "big.json")
	if err == nil || err.Error() != "big.json: feed is larger than 64 MiB" {
		t.Errorf("Decode(huge) error = %v, want the size limit", err)
	}
}

// repeatReader yields n copies of b.
type repeatReader struct {
	b byte
	n int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	for i := range k {
		p[i] = r.b
	}
	r.n -= k
	return k, nil
}

func TestDecodeDeepNesting(t *testing.T) {
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	feed := strings.Replace(minimalFeed, `"as_of"`, `"junk": `+deep+`, "as_of"`, 1)
	_, err := decodeString(feed)
	if err == nil || !strings.Contains(err.Error(), "exceeded max depth") {
		t.Errorf("Decode(deeply nested) error = %v, want a depth error", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, fs.ErrPermission }

func TestDecodeReadError(t *testing.T) {
	_, err := Decode(failingReader{}, "f")
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Decode(failing reader) error = %v, want it to wrap fs.ErrPermission", err)
	}
	var fe *FeedError
	if errors.As(err, &fe) {
		t.Errorf("Decode(failing reader) returned a *FeedError; read errors are not feed problems")
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "feed.json")
	if err := os.WriteFile(path, []byte(minimalFeed), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != path || len(s.Issuers) != 1 {
		t.Errorf("Load(%s) = source %q, %d issuers", path, s.Source, len(s.Issuers))
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"schema": "x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(bad)
	if want := bad + `: schema: want "spreadwatch.issuer-feed/v1", got "x"`; err == nil || err.Error() != want {
		t.Errorf("Load(bad) error = %v, want %s", err, want)
	}

	if _, err := Load(filepath.Join(dir, "nope.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) error = %v, want fs.ErrNotExist", err)
	}

	csvDir := filepath.Join("testdata", "sample-csv")
	if s, err := Load(csvDir); err != nil || len(s.Issuers) != 12 {
		t.Errorf("Load(%s) = %v, want the CSV sample", csvDir, err)
	}
}

func TestDecodeLargeFeed(t *testing.T) {
	const bonds = 100_000
	data := syntheticFeed(bonds)
	start := time.Now()
	s, err := Decode(strings.NewReader(string(data)), "synthetic")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("decoded %d bonds (%d MB) in %v", bonds, len(data)>>20, time.Since(start))
	n := 0
	for _, is := range s.Issuers {
		n += len(is.Bonds)
	}
	if n != bonds {
		t.Errorf("decoded %d bonds, want %d", n, bonds)
	}
	last := s.Issuers[len(s.Issuers)-1]
	b := last.Bonds[len(last.Bonds)-1]
	if b.Coupon == nil || b.AmountUSD == nil || !b.Maturity.Known() {
		t.Errorf("last bond %+v lacks data", b)
	}
	if _, _, ok := s.Bond(b.ID); !ok {
		t.Errorf("Bond(%q) not found", b.ID)
	}
}

func TestDecodeAsOf(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-07-02T00:00:00Z", date(2026, 7, 2)},
		{"2026-07-02", date(2026, 7, 2)},
		{"2026-07-02T08:30:00.5+02:00", time.Date(2026, 7, 2, 6, 30, 0, 5e8, time.UTC)},
		{"0001-01-01T00:00:00Z", time.Time{}},
	}
	for _, tt := range tests {
		s, err := decodeString(strings.Replace(minimalFeed, "2026-07-02T00:00:00Z", tt.in, 1))
		if err != nil {
			t.Errorf("as_of %q: %v", tt.in, err)
			continue
		}
		if !s.AsOf.Equal(tt.want) || s.AsOf.Location() != time.UTC {
			t.Errorf("as_of %q = %v, want %v in UTC", tt.in, s.AsOf, tt.want)
		}
	}
	for _, bad := range []string{"0000-01-01T00:00:00+01:00", "2026-07", "2026-13-01", "1800-01-01"} {
		if _, err := decodeString(strings.Replace(minimalFeed, "2026-07-02T00:00:00Z", bad, 1)); err == nil {
			t.Errorf("as_of %q accepted, want an error", bad)
		}
	}
}
