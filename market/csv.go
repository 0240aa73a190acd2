package market

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// csvColumn maps one JSON key (a dotted path for nested objects, such as
// "capacity.as_of") to the CSV column names that may hold it, preferred
// name first.
type csvColumn struct {
	key   string
	names []string
}

// csvLayout is the layout of one CSV file of the feed.
type csvLayout struct {
	file     string
	required bool // the file must exist
	columns  []csvColumn
	// metricPrefix, when set, turns columns named prefix+NAME into
	// metrics.NAME.
	metricPrefix string
}

func col(key string, names ...string) csvColumn {
	if len(names) == 0 {
		names = []string{key}
	}
	return csvColumn{key: key, names: names}
}

// csvLayouts returns the layout of each CSV file of a feed directory, in
// the order the files are read.
func csvLayouts() (meta, benchmarks, issuers, bonds, projects, offtakes csvLayout) {
	meta = csvLayout{file: "meta.csv", required: true, columns: []csvColumn{
		col("schema"), col("as_of"),
	}}
	benchmarks = csvLayout{file: "benchmarks.csv", columns: []csvColumn{
		col("id"), col("name"), col("level", "level_pct", "level"), col("as_of"),
		col("source.provider", "provider", "source_provider"),
		col("source.series", "series", "source_series"),
	}}
	issuers = csvLayout{file: "issuers.csv", required: true, metricPrefix: "metric_", columns: []csvColumn{
		col("ticker"), col("name"), col("kind"), col("rating", "rating", "rating_sp"),
		col("capacity.operating_mw", "operating_mw"),
		col("capacity.under_construction_mw", "under_construction_mw"),
		col("capacity.contracted_mw", "contracted_mw"),
		col("capacity.secured_power_mw", "secured_power_mw"),
		col("capacity.pipeline_mw", "pipeline_mw"),
		col("capacity.basis", "capacity_basis", "basis"),
		col("capacity.as_of", "capacity_as_of"),
	}}
	bonds = csvLayout{file: "bonds.csv", columns: []csvColumn{
		col("ticker"), col("id"), col("kind"), col("coupon", "coupon_pct", "coupon"),
		col("coupon_type"),
		col("floating.index", "floating_index"),
		col("floating.spread", "floating_spread_pct", "floating_spread"),
		col("floating.floor", "floating_floor_pct", "floating_floor"),
		col("maturity"), col("issue_date"), col("amount_usd"), col("issue_price"),
		col("secured"), col("seniority"), col("price"), col("yield", "yield_pct", "yield"),
		col("status"),
	}}
	projects = csvLayout{file: "projects.csv", columns: []csvColumn{
		col("ticker"), col("id"), col("name"), col("location"),
		col("mw_original"), col("mw_current"), col("mw_operational"),
		col("original_target"), col("current_target"), col("status"),
		col("last_confirmed"), col("offtake_ids"),
	}}
	offtakes = csvLayout{file: "offtakes.csv", columns: []csvColumn{
		col("ticker"), col("id"), col("counterparty"), col("counterparty_ticker"),
		col("type"), col("mw"), col("term_years"), col("start"),
		col("contract_value_usd"), col("annual_revenue_usd"),
		col("backstop.provider", "backstop_provider"),
		col("backstop.amount_usd", "backstop_amount_usd", "backstop_usd"),
	}}
	return
}

// csvTable is one CSV file being read: its name and which header column
// holds each JSON key.
type csvTable struct {
	name string
	// cols maps a JSON key to the header name as written in the file,
	// and want maps it to the preferred column name, for messages about
	// missing columns.
	cols, want map[string]string
}

// column returns the name of the column holding key, as written when the
// file has it, else the preferred name.
func (t *csvTable) column(key string) string {
	if c, ok := t.cols[key]; ok {
		return c
	}
	if c, ok := t.want[key]; ok {
		return c
	}
	return key
}

// LoadCSV reads the CSV variant of a feed from directory dir:
//
//	meta.csv         schema, as_of (one row)
//	issuers.csv      ticker, name, kind, rating (or rating_sp), operating_mw,
//	                 under_construction_mw, contracted_mw, secured_power_mw,
//	                 pipeline_mw, capacity_basis, capacity_as_of, metric_NAME…
//	bonds.csv        ticker, id, kind, coupon_pct, coupon_type, floating_index,
//	                 floating_spread_pct, floating_floor_pct, maturity,
//	                 issue_date, amount_usd, issue_price, secured, seniority,
//	                 price, yield_pct, status
//	projects.csv     ticker, id, name, location, mw_original, mw_current,
//	                 mw_operational, original_target, current_target, status,
//	                 last_confirmed, offtake_ids
//	offtakes.csv     ticker, id, counterparty, counterparty_ticker, type, mw,
//	                 term_years, start, contract_value_usd, annual_revenue_usd,
//	                 backstop_provider, backstop_amount_usd
//	benchmarks.csv   id, name, level_pct, as_of, provider, series
//
// Only meta.csv and issuers.csv must exist. Column names are matched
// without regard to case, and the JSON key names are accepted too
// (coupon for coupon_pct, level for level_pct); other columns are ignored.
// The ticker column of bonds, projects and offtakes names the issuer a
// row belongs to. Cells take the same values as the JSON feed, units
// included ("9.25%", "$2bn"); an empty cell is null; offtake_ids are
// separated by ";". Children keep their file order within each issuer, and
// issuers the order of issuers.csv.
//
// Problems are reported as in [Decode], located by file and line:
//
//	bonds.csv:4: coupon_pct: want a percent number or "6.125%", got "6,125"
func LoadCSV(dir string) (*Snapshot, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("load feed: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("load feed: %s is not a directory", dir)
	}
	return loadCSV(os.DirFS(dir), dir)
}

// loadCSV reads the CSV files of a feed from fsys; source names the feed.
func loadCSV(fsys fs.FS, source string) (*Snapshot, error) {
	metaL, benchmarksL, issuersL, bondsL, projectsL, offtakesL := csvLayouts()
	d := newDecoder()
	var s Snapshot

	meta, found, err := d.readCSV(fsys, metaL)
	if err != nil {
		return nil, err
	}
	switch {
	case len(meta) == 1:
		asOf, ok := d.header(meta[0])
		if !ok {
			return nil, d.err(source)
		}
		s.AsOf = asOf
	case len(meta) > 1:
		d.add(meta[1].where, "want one row under the header, got more")
	case found:
		d.add(metaL.file, "want one row under the header, got none")
	}

	benchmarks, _, err := d.readCSV(fsys, benchmarksL)
	if err != nil {
		return nil, err
	}
	for _, r := range benchmarks {
		s.Benchmarks = append(s.Benchmarks, d.benchmark(r))
	}

	issuers, _, err := d.readCSV(fsys, issuersL)
	if err != nil {
		return nil, err
	}
	index := make(map[string]int) // lower-case ticker → index in s.Issuers
	for _, r := range issuers {
		is := d.issuer(r)
		if _, dup := index[strings.ToLower(is.Ticker)]; !dup && is.Ticker != "" {
			index[strings.ToLower(is.Ticker)] = len(s.Issuers)
		}
		s.Issuers = append(s.Issuers, is)
	}

	// owner returns the index of the issuer a child row belongs to.
	owner := func(r obj) (int, bool) {
		t := d.text(r, "ticker", required)
		if t == "" {
			return 0, false
		}
		i, ok := index[strings.ToLower(t)]
		if !ok {
			d.add(r.at("ticker"), fmt.Sprintf("no issuer %s in %s", quote(t), issuersL.file))
		}
		return i, ok
	}
	bonds, _, err := d.readCSV(fsys, bondsL)
	if err != nil {
		return nil, err
	}
	for _, r := range bonds {
		b := d.bond(r)
		if i, ok := owner(r); ok {
			s.Issuers[i].Bonds = append(s.Issuers[i].Bonds, b)
		}
	}
	projects, _, err := d.readCSV(fsys, projectsL)
	if err != nil {
		return nil, err
	}
	for _, r := range projects {
		p := d.project(r)
		if i, ok := owner(r); ok {
			s.Issuers[i].Projects = append(s.Issuers[i].Projects, p)
		}
	}
	offtakes, _, err := d.readCSV(fsys, offtakesL)
	if err != nil {
		return nil, err
	}
	for _, r := range offtakes {
		t := d.offtake(r)
		if i, ok := owner(r); ok {
			s.Issuers[i].Offtakes = append(s.Issuers[i].Offtakes, t)
		}
	}

	if err := d.err(source); err != nil {
		return nil, err
	}
	s.Source = source
	return &s, nil
}

// readCSV reads the file of layout l in fsys into rows shaped like JSON
// objects. Problems with the file's content are collected in d; found
// reports whether the file exists and has a header. The error is for files
// that exist but cannot be read.
func (d *decoder) readCSV(fsys fs.FS, l csvLayout) (rows []obj, found bool, err error) {
	f, err := fsys.Open(l.file)
	if errors.Is(err, fs.ErrNotExist) {
		if l.required {
			d.add(l.file, "required file missing")
		}
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("load feed: %w", err)
	}
	defer f.Close()
	data, err := readLimited(f)
	if err != nil {
		return nil, false, fmt.Errorf("load feed: read %s: %w", l.file, err)
	}
	if len(data) > MaxFeedSize {
		d.add(l.file, fmt.Sprintf("file is larger than %d MiB", MaxFeedSize>>20))
		return nil, false, nil
	}
	data = trimBOM(data)

	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		d.add(l.file, "empty file: want a header row")
		return nil, false, nil
	}
	if err != nil {
		d.csvError(l.file, err)
		return nil, false, nil
	}
	t, keys := d.csvHeader(l, header)

	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, true, nil
		}
		if err != nil {
			d.csvError(l.file, err)
			return rows, true, nil
		}
		line, _ := r.FieldPos(0)
		where := l.file + ":" + strconv.Itoa(line)
		if len(rec) > len(keys) && !blank(rec[len(keys):]) {
			d.add(where, fmt.Sprintf("%d cells, but the header has %d columns", len(rec), len(keys)))
		}
		if blank(rec) {
			continue // spreadsheets leave rows of empty cells
		}
		m := make(map[string]any, len(l.columns))
		for _, c := range l.columns {
			if _, ok := t.cols[c.key]; ok {
				setPath(m, c.key, nil)
			}
		}
		for i, key := range keys {
			if key == "" || i >= len(rec) {
				continue
			}
			if cell := strings.TrimSpace(rec[i]); cell != "" {
				setPath(m, key, cell)
			}
		}
		rows = append(rows, obj{m: m, where: where, csv: t})
	}
}

// csvHeader matches a header row against the layout. It returns the table
// and, for each column, the JSON key it holds ("" for columns the layout
// does not know).
func (d *decoder) csvHeader(l csvLayout, header []string) (*csvTable, []string) {
	t := &csvTable{name: l.file, cols: make(map[string]string), want: make(map[string]string)}
	byName := make(map[string]string) // lower-case column name → JSON key
	for _, c := range l.columns {
		t.want[c.key] = c.names[0]
		for _, n := range c.names {
			byName[n] = c.key
		}
	}
	keys := make([]string, len(header))
	seen := make(map[string]bool)
	where := l.file + ":1"
	for i, h := range header {
		name := strings.TrimSpace(h)
		lower := strings.ToLower(name)
		if lower == "" {
			continue
		}
		if seen[lower] {
			d.add(where, fmt.Sprintf("column %s appears twice", quote(name)))
			continue
		}
		seen[lower] = true
		key, ok := byName[lower]
		if !ok && l.metricPrefix != "" && strings.HasPrefix(lower, l.metricPrefix) && len(lower) > len(l.metricPrefix) {
			key, ok = "metrics."+name[len(l.metricPrefix):], true
		}
		if !ok {
			continue
		}
		if prev, dup := t.cols[key]; dup {
			d.add(where, fmt.Sprintf("columns %s and %s both hold %s", quote(prev), quote(name), key))
			continue
		}
		t.cols[key] = name
		keys[i] = key
	}
	return t, keys
}

func (d *decoder) csvError(file string, err error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		d.add(file+":"+strconv.Itoa(pe.Line), pe.Err.Error())
		return
	}
	d.add(file, err.Error())
}

// setPath stores v at the dotted key path in m, creating nested objects.
// A nested object is only created for a non-nil value, so that a row
// whose floating_* cells are all empty has no floating object.
func setPath(m map[string]any, key string, v any) {
	for {
		head, rest, nested := strings.Cut(key, ".")
		if !nested {
			if _, ok := m[key]; !ok || v != nil {
				m[key] = v
			}
			return
		}
		if head == "metrics" {
			// Metric names may hold dots; they are one level deep.
			if v != nil {
				sub, ok := m[head].(map[string]any)
				if !ok {
					sub = make(map[string]any)
					m[head] = sub
				}
				sub[rest] = v
			}
			return
		}
		sub, ok := m[head].(map[string]any)
		if !ok {
			if v == nil {
				return
			}
			sub = make(map[string]any)
			m[head] = sub
		}
		m, key = sub, rest
	}
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
