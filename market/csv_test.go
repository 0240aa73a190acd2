package market

import (
	"encoding/csv"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite testdata/sample-csv from the sample feed")

const sampleCSVDir = "testdata/sample-csv"

func TestLoadCSVSample(t *testing.T) {
	want := mustSample(t)
	if *update {
		if err := writeCSVDir(sampleCSVDir, want); err != nil {
			t.Fatal(err)
		}
	}
	got, err := LoadCSV(sampleCSVDir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Source != sampleCSVDir {
		t.Errorf("Source = %q, want %q", got.Source, sampleCSVDir)
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Snapshot{}, "Source")); diff != "" {
		t.Errorf("LoadCSV(%s) differs from the JSON sample (-want +got):\n%s", sampleCSVDir, diff)
	}
}

// writeCSVDir writes s as the CSV variant of a feed, with the preferred,
// unit-named columns.
func writeCSVDir(dir string, s *Snapshot) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	num := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	win := func(w Window) string {
		if !w.Known() {
			return ""
		}
		return w.String()
	}
	boolean := func(v *bool) string {
		if v == nil {
			return ""
		}
		return strconv.FormatBool(*v)
	}
	files := map[string][][]string{
		"meta.csv":       {{"schema", "as_of"}, {Schema, s.AsOf.Format(time.RFC3339)}},
		"benchmarks.csv": {{"id", "name", "level_pct", "as_of", "provider", "series"}},
		"bonds.csv": {{"ticker", "id", "kind", "coupon_pct", "coupon_type", "floating_index", "floating_spread_pct",
			"floating_floor_pct", "maturity", "issue_date", "amount_usd", "issue_price", "secured", "seniority",
			"price", "yield_pct", "status"}},
		"projects.csv": {{"ticker", "id", "name", "location", "mw_original", "mw_current", "mw_operational",
			"original_target", "current_target", "status", "last_confirmed", "offtake_ids"}},
		"offtakes.csv": {{"ticker", "id", "counterparty", "counterparty_ticker", "type", "mw", "term_years", "start",
			"contract_value_usd", "annual_revenue_usd", "backstop_provider", "backstop_amount_usd"}},
	}
	for _, b := range s.Benchmarks {
		files["benchmarks.csv"] = append(files["benchmarks.csv"], []string{b.ID, b.Name, num(b.Level), win(b.AsOf), b.Provider, b.Series})
	}
	var metricNames []string
	for _, is := range s.Issuers {
		for k := range is.Metrics {
			if !slices.Contains(metricNames, k) {
				metricNames = append(metricNames, k)
			}
		}
	}
	slices.Sort(metricNames)
	header := []string{"ticker", "name", "kind", "rating", "operating_mw", "under_construction_mw", "contracted_mw",
		"secured_power_mw", "pipeline_mw", "capacity_basis", "capacity_as_of"}
	for _, m := range metricNames {
		header = append(header, "metric_"+m)
	}
	issuers := [][]string{header}
	for _, is := range s.Issuers {
		c := is.Capacity
		row := []string{is.Ticker, is.Name, is.Kind, is.Rating, num(c.OperatingMW), num(c.UnderConstructionMW),
			num(c.ContractedMW), num(c.SecuredPowerMW), num(c.PipelineMW), c.Basis, win(c.AsOf)}
		for _, m := range metricNames {
			if v, ok := is.Metrics[m]; ok {
				row = append(row, num(&v))
			} else {
				row = append(row, "")
			}
		}
		issuers = append(issuers, row)
		for _, b := range is.Bonds {
			var fi, fs, ff string
			if b.Floating != nil {
				fi, fs, ff = b.Floating.Index, num(b.Floating.Spread), num(b.Floating.Floor)
			}
			files["bonds.csv"] = append(files["bonds.csv"], []string{is.Ticker, b.ID, b.Kind, num(b.Coupon), b.CouponType,
				fi, fs, ff, win(b.Maturity), win(b.IssueDate), num(b.AmountUSD), num(b.IssuePrice), boolean(b.Secured),
				b.Seniority, num(b.Price), num(b.Yield), b.Status})
		}
		for _, p := range is.Projects {
			files["projects.csv"] = append(files["projects.csv"], []string{is.Ticker, p.ID, p.Name, p.Location,
				num(p.MWOriginal), num(p.MWCurrent), num(p.MWOperational), win(p.OriginalTarget), win(p.CurrentTarget),
				p.Status, win(p.LastConfirmed), strings.Join(p.OfftakeIDs, ";")})
		}
		for _, o := range is.Offtakes {
			files["offtakes.csv"] = append(files["offtakes.csv"], []string{is.Ticker, o.ID, o.Counterparty,
				o.CounterpartyTicker, o.Type, num(o.MW), num(o.TermYears), win(o.Start), num(o.ContractValueUSD),
				num(o.AnnualRevenueUSD), o.BackstopProvider, num(o.BackstopUSD)})
		}
	}
	files["issuers.csv"] = issuers
	for name, rows := range files {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		w := csv.NewWriter(f)
		w.WriteAll(rows)
		if err := errors.Join(w.Error(), f.Close()); err != nil {
			return err
		}
	}
	return nil
}

// writeFiles writes name → content files into a new temporary directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const csvMeta = "schema,as_of\nspreadwatch.issuer-feed/v1,2026-07-02\n"

func TestLoadCSVForms(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"meta.csv": "\xef\xbb\xbf" + csvMeta,
		// Bare JSON key names, mixed case, blanks, a blank row, an
		// unknown column and rating_sp.
		"issuers.csv": "Ticker, Name ,rating_sp,operating_mw,capacity_as_of,metric_cds_5y_bp,metric_note,notes\n" +
			"QBIT,Qubit Mining,BB-,1.5GW,2026-Q1,643bp,n/a,anything\n" +
			",,,,,,,\n" +
			"ZED,Zed Corp,,,,,,\n",
		"bonds.csv": "ticker,id,coupon,maturity,amount_usd,secured,yield,floating_index,floating_spread\n" +
			"qbit,B1,9.25%,2030,$2.35bn,yes,,,\n" +
			"ZED,B2,,,800mm,FALSE,10.5,SOFR,475bp\n" +
			"QBIT,B3,6.125,2031-H1,,,,,\n",
		"projects.csv": "ticker,id,mw_original,mw_current,original_target,current_target,status,offtake_ids\n" +
			"QBIT,P1,0.2GW,150,2026-H2,2027-Q1,delayed,O1; O2 ;\n",
		"offtakes.csv": "ticker,id,counterparty,backstop_provider,backstop_usd,term_years\n" +
			"QBIT,O1,X,G,$1.3bn,15\n",
		"benchmarks.csv": "id,level,as_of,source_provider,source_series\nutility,450bp,2026-02-27,fred,DGS5\n",
	})
	got, err := LoadCSV(dir)
	if err != nil {
		t.Fatal(err)
	}
	y := func(s string) Window {
		w, err := ParseWindow(s)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	want := &Snapshot{
		AsOf:       date(2026, 7, 2),
		Source:     dir,
		Benchmarks: []Benchmark{{ID: "utility", Level: ptr(4.5), AsOf: y("2026-02-27"), Provider: "fred", Series: "DGS5"}},
		Issuers: []Issuer{
			{
				Ticker: "QBIT", Name: "Qubit Mining", Rating: "BB-",
				Capacity: Capacity{OperatingMW: ptr(1500.0), AsOf: y("2026-Q1")},
				Metrics:  map[string]float64{"cds_5y_bp": 6.43},
				Bonds: []Bond{
					{ID: "B1", Coupon: ptr(9.25), Maturity: y("2030"), AmountUSD: ptr(2.35e9), Secured: ptr(true)},
					{ID: "B3", Coupon: ptr(6.125), Maturity: y("2031-H1")},
				},
				Projects: []Project{{ID: "P1", MWOriginal: ptr(200.0), MWCurrent: ptr(150.0), OriginalTarget: y("2026-H2"),
					CurrentTarget: y("2027-Q1"), Status: "delayed", OfftakeIDs: []string{"O1", "O2"}}},
				Offtakes: []Offtake{{ID: "O1", Counterparty: "X", BackstopProvider: "G", BackstopUSD: ptr(1.3e9), TermYears: ptr(15.0)}},
			},
			{
				Ticker: "ZED", Name: "Zed Corp",
				Bonds: []Bond{{ID: "B2", AmountUSD: ptr(800e6), Secured: ptr(false), Yield: ptr(10.5),
					Floating: &Floating{Index: "SOFR", Spread: ptr(4.75)}}},
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadCSV mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadCSVErrors(t *testing.T) {
	const issuers = "ticker,name\nQBIT,Qubit\n"
	const bondsHeader = "ticker,id,coupon_pct,maturity\n"
	tests := []struct {
		name  string
		files map[string]string
		want  []string // error lines without the directory prefix
	}{
		{"comma in coupon", map[string]string{"meta.csv": csvMeta, "issuers.csv": issuers,
			"bonds.csv": bondsHeader + "QBIT,B1,9.25,2030\nQBIT,B2,9,2030\nQBIT,B3,\"6,125\",2031\n"},
			[]string{`bonds.csv:4: coupon_pct: want a percent number or "6.125%", got "6,125"`}},
		{"bad window", map[string]string{"meta.csv": csvMeta, "issuers.csv": issuers,
			"bonds.csv": bondsHeader + "QBIT,B1,9.25,2026-Q5\n"},
			[]string{`bonds.csv:2: maturity: want a date window (2026-07-01, 2026-07, 2026-Q3, 2026-H2, 2026 or START/END), got "2026-Q5"`}},
		{"bare column name in message", map[string]string{"meta.csv": csvMeta, "issuers.csv": issuers,
			"bonds.csv": "ticker,id,coupon,maturity\nQBIT,B1,lots,2030\n"},
			[]string{`bonds.csv:2: coupon: want a percent number or "6.125%", got "lots"`}},
		{"missing required column", map[string]string{"meta.csv": csvMeta, "issuers.csv": issuers,
			"bonds.csv": "ticker,id,maturity\nQBIT,B1,2030\nQBIT,B2,2031\n"},
			[]string{`bonds.csv: required column "coupon_pct" missing`}},
		{"empty required cell", map[string]string{"meta.csv": csvMeta, "issuers.csv": "ticker,name\n,Qubit\n"},
			[]string{`issuers.csv:2: ticker: want a string, got an empty cell`}},
		{"unknown ticker", map[string]string{"meta.csv": csvMeta, "issuers.csv": issuers,
			"bonds.csv": bondsHeader + "QBTI,B1,9.25,2030\n"},
			[]string{`bonds.csv:2: ticker: no issuer "QBTI" in issuers.csv`}},
		{"duplicate id", map[string]string{"meta.csv": csvMeta, "issuers.csv": issuers,
			"bonds.csv": bondsHeader + "QBIT,B1,9.25,2030\nQBIT,B1,9,2031\n"},
			[]string{`bonds.csv:3: id: duplicate id "B1" (first at bonds.csv:2)`}},
		{"duplicate ticker", map[string]string{"meta.csv": csvMeta, "issuers.csv": issuers + "qbit,Again\n"},
			[]string{`issuers.csv:3: ticker: duplicate ticker "qbit" (first at issuers.csv:2)`}},
		{"missing files", map[string]string{"bonds.csv": bondsHeader},
			[]string{"meta.csv: required file missing", "issuers.csv: required file missing"}},
		{"wrong schema", map[string]string{"meta.csv": "schema,as_of\nv2,2026-07-02\n", "issuers.csv": issuers},
			[]string{`meta.csv:2: schema: want "spreadwatch.issuer-feed/v1", got "v2"`}},
		{"meta without rows", map[string]string{"meta.csv": "schema,as_of\n", "issuers.csv": issuers},
			[]string{"meta.csv: want one row under the header, got none"}},
		{"meta with two rows", map[string]string{"meta.csv": csvMeta + csvMeta[13:], "issuers.csv": issuers},
			[]string{"meta.csv:3: want one row under the header, got more"}},
		{"empty file", map[string]string{"meta.csv": csvMeta, "issuers.csv": ""},
			[]string{"issuers.csv: empty file: want a header row"}},
		{"column twice", map[string]string{"meta.csv": csvMeta, "issuers.csv": "ticker,name,Ticker\nQBIT,Q,Q\n"},
			[]string{`issuers.csv:1: column "Ticker" appears twice`}},
		{"alias and name", map[string]string{"meta.csv": csvMeta, "issuers.csv": issuers,
			"bonds.csv": "ticker,id,coupon_pct,coupon,maturity\nQBIT,B1,9,9,2030\n"},
			[]string{`bonds.csv:1: columns "coupon_pct" and "coupon" both hold coupon`}},
		{"too many cells", map[string]string{"meta.csv": csvMeta, "issuers.csv": "ticker,name\nQBIT,Q,extra\n"},
			[]string{"issuers.csv:2: 3 cells, but the header has 2 columns"}},
		{"bad quote", map[string]string{"meta.csv": csvMeta, "issuers.csv": "ticker,name\nQBIT,\"Q\"x\n"},
			[]string{`issuers.csv:2: extraneous or missing " in quoted-field`}},
		{"several files", map[string]string{"meta.csv": csvMeta, "issuers.csv": issuers,
			"bonds.csv":    bondsHeader + "QBIT,B1,x,2030\n",
			"projects.csv": "ticker,id,mw_original,mw_current,original_target,current_target,status\nQBIT,P1,1,1,2026,2026,\n"},
			[]string{
				`bonds.csv:2: coupon_pct: want a percent number or "6.125%", got "x"`,
				`projects.csv:2: status: want a string, got an empty cell`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			_, err := LoadCSV(dir)
			var fe *FeedError
			if !errors.As(err, &fe) {
				t.Fatalf("LoadCSV error = %v, want a *FeedError", err)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, dir+": "+w)
			}
			if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("LoadCSV error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadCSVMissingDir(t *testing.T) {
	_, err := LoadCSV(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadCSV(missing dir) error = %v, want fs.ErrNotExist", err)
	}
}
