package market

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// replaceIn returns minimalFeed with each pair of old, new strings
// replaced once, failing the test if an old string is not there.
func replaceIn(t *testing.T, pairs ...string) string {
	t.Helper()
	feed := minimalFeed
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(feed, pairs[i]) {
			t.Fatalf("minimalFeed has no %q", pairs[i])
		}
		feed = strings.Replace(feed, pairs[i], pairs[i+1], 1)
	}
	return feed
}

// decodeErrorLines decodes feed, which must fail, and returns its problems
// as "path: msg" lines.
func decodeErrorLines(t *testing.T, feed string) []string {
	t.Helper()
	s, err := decodeString(feed)
	var fe *FeedError
	if !errors.As(err, &fe) {
		t.Fatalf("Decode = %v issuers, error %v; want a *FeedError", s, err)
	}
	var lines []string
	for _, p := range fe.Problems {
		lines = append(lines, p.String())
	}
	return lines
}

func TestDecodePriceOfPar(t *testing.T) {
	tests := []struct {
		value string // JSON text
		want  float64
	}{
		{`99.5`, 99.5},
		{`"99.5"`, 99.5},
		{`"99.5%"`, 99.5},
		{`"99.5 %"`, 99.5},
		{`"101.25pct"`, 101.25},
		{`"9950bp"`, 99.5},
		{`"0%"`, 0},
	}
	for _, key := range []string{"price", "issue_price"} {
		for _, tt := range tests {
			s, err := decodeString(replaceIn(t, `"coupon": 12.0`, `"coupon": 12.0, "`+key+`": `+tt.value))
			if err != nil {
				t.Errorf("%s %s: %v", key, tt.value, err)
				continue
			}
			b := s.Issuers[0].Bonds[0]
			got := b.Price
			if key == "issue_price" {
				got = b.IssuePrice
			}
			if got == nil || *got != tt.want {
				t.Errorf("%s %s = %v, want %v", key, tt.value, got, tt.want)
			}
		}
	}

	bad := []struct{ value, got string }{
		{`"$99"`, `"$99"`},
		{`"99.5MW"`, `"99.5MW"`},
		{`"99,5%"`, `"99,5%"`},
		{`true`, `boolean`},
	}
	for _, tt := range bad {
		lines := decodeErrorLines(t, replaceIn(t, `"coupon": 12.0`, `"coupon": 12.0, "price": `+tt.value))
		want := []string{`issuers[QBIT].bonds[QBIT-12.0-2029].price: want a price in percent of par, such as 99.5 or "99.5%", got ` + tt.got}
		if diff := cmp.Diff(want, lines); diff != "" {
			t.Errorf("price %s (-want +got):\n%s", tt.value, diff)
		}
	}

	dir := writeFiles(t, map[string]string{
		"meta.csv":    csvMeta,
		"issuers.csv": "ticker,name\nQBIT,Q\n",
		"bonds.csv":   "ticker,id,coupon_pct,maturity,price,issue_price\nQBIT,B1,9,2030,99.5%,98\n",
	})
	s, err := LoadCSV(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b := s.Issuers[0].Bonds[0]; b.Price == nil || *b.Price != 99.5 || b.IssuePrice == nil || *b.IssuePrice != 98 {
		t.Errorf("CSV price, issue_price = %v, %v; want 99.5, 98", b.Price, b.IssuePrice)
	}
}

func TestDecodeNonNegative(t *testing.T) {
	const bond = "issuers[QBIT].bonds[QBIT-12.0-2029]."
	const money = `want a non-negative dollar amount, got `
	const power = `want a non-negative number of megawatts, got `
	tests := []struct {
		name  string
		pairs []string
		want  string // the one problem
	}{
		{"operating_mw", []string{`"name": "Qubit Mining"`, `"name": "Qubit Mining", "capacity": {"operating_mw": -5}`},
			"issuers[QBIT].capacity.operating_mw: " + power + "-5"},
		{"pipeline_mw in GW", []string{`"name": "Qubit Mining"`, `"name": "Qubit Mining", "capacity": {"pipeline_mw": "-1.5GW"}`},
			"issuers[QBIT].capacity.pipeline_mw: " + power + `"-1.5GW"`},
		{"mw_current", []string{`"mw_current": 80`, `"mw_current": -80`},
			"issuers[QBIT].projects[QBIT-P1].mw_current: " + power + "-80"},
		{"offtake mw", []string{`"counterparty": "Hyperscaler"`, `"counterparty": "Hyperscaler", "mw": "-200 MW"`},
			"issuers[QBIT].offtakes[QBIT-O1].mw: " + power + `"-200 MW"`},
		{"amount_usd", []string{`"coupon": 12.0`, `"coupon": 12.0, "amount_usd": "-$1bn"`},
			bond + "amount_usd: " + money + `"-$1bn"`},
		{"amount_usd number", []string{`"coupon": 12.0`, `"coupon": 12.0, "amount_usd": -1e9`},
			bond + "amount_usd: " + money + "-1e9"},
		{"contract value", []string{`"counterparty": "Hyperscaler"`, `"counterparty": "Hyperscaler", "contract_value_usd": "-9.7bn"`},
			"issuers[QBIT].offtakes[QBIT-O1].contract_value_usd: " + money + `"-9.7bn"`},
		{"backstop", []string{`"counterparty": "Hyperscaler"`, `"counterparty": "Hyperscaler", "backstop": {"provider": "G", "amount_usd": -1}`},
			"issuers[QBIT].offtakes[QBIT-O1].backstop.amount_usd: " + money + "-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff([]string{tt.want}, decodeErrorLines(t, replaceIn(t, tt.pairs...))); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}

	// Rates may be negative; a negative zero amount is zero.
	s, err := decodeString(replaceIn(t,
		`"coupon": 12.0`, `"coupon": -0.5, "yield": "-25bp", "amount_usd": "-0", "floating": {"spread": "-10bp", "floor": -1}`,
		`"level": 4.5`, `"level": "-0.25%"`))
	if err != nil {
		t.Fatal(err)
	}
	b := s.Issuers[0].Bonds[0]
	if *b.Coupon != -0.5 || *b.Yield != -0.25 || *b.Floating.Spread != -0.1 || *b.Floating.Floor != -1 || *s.Benchmarks[0].Level != -0.25 {
		t.Errorf("negative rates = %v %v %v %v %v", *b.Coupon, *b.Yield, *b.Floating.Spread, *b.Floating.Floor, *s.Benchmarks[0].Level)
	}
	if b.AmountUSD == nil || *b.AmountUSD != 0 || math.Signbit(*b.AmountUSD) {
		t.Errorf("amount_usd -0 = %v, want 0", b.AmountUSD)
	}

	dir := writeFiles(t, map[string]string{
		"meta.csv":    csvMeta,
		"issuers.csv": "ticker,name,operating_mw\nQBIT,Q,-5\n",
		"bonds.csv":   "ticker,id,coupon_pct,maturity,amount_usd\nQBIT,B1,-1,2030,-$1bn\n",
	})
	_, err = LoadCSV(dir)
	want := []string{
		dir + ": issuers.csv:2: operating_mw: " + power + `"-5"`,
		dir + ": bonds.csv:2: amount_usd: " + money + `"-$1bn"`,
	}
	if err == nil {
		t.Fatal("LoadCSV accepted negative amounts")
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("LoadCSV error (-want +got):\n%s", diff)
	}
}

func TestDecodeControlCharacters(t *testing.T) {
	const msg = ": contains a control character"
	tests := []struct {
		name  string
		pairs []string
		want  []string
	}{
		{"ticker", []string{`"ticker": "QBIT"`, `"ticker": "QB\u0007IT"`},
			// The ticker cannot label the issuer, so its index does.
			[]string{"issuers[0].ticker" + msg}},
		{"ticker labels children by index", []string{`"ticker": "QBIT"`, `"ticker": "QBIT\n"`, `"coupon": 12.0`, `"coupon": "x"`},
			[]string{"issuers[0].ticker" + msg, `issuers[0].bonds[QBIT-12.0-2029].coupon: want a percent number or "6.125%", got "x"`}},
		{"issuer name", []string{`"name": "Qubit Mining"`, `"name": "Qubit\r\nMining"`},
			[]string{"issuers[QBIT].name" + msg}},
		{"bond id", []string{`"id": "QBIT-12.0-2029"`, `"id": "QBIT\t12.0"`},
			[]string{"issuers[QBIT].bonds[0].id" + msg}},
		{"project id with DEL", []string{`"id": "QBIT-P1"`, `"id": "QBIT-P1\u007f"`},
			[]string{"issuers[QBIT].projects[0].id" + msg}},
		{"project name", []string{`"id": "QBIT-P1"`, `"id": "QBIT-P1", "name": "\u001b[31mred"`},
			[]string{"issuers[QBIT].projects[QBIT-P1].name" + msg}},
		{"benchmark id", []string{`"id": "utility"`, `"id": "util\u0000ity"`},
			[]string{"benchmarks[0].id" + msg}},
		{"benchmark name", []string{`"level": 4.5`, `"level": 4.5, "name": "a\bb"`},
			[]string{"benchmarks[utility].name" + msg}},
		{"counterparty", []string{`"counterparty": "Hyperscaler"`, `"counterparty": "Hyper\fscaler", "counterparty_ticker": "HS\u0001"`},
			[]string{"issuers[QBIT].offtakes[QBIT-O1].counterparty" + msg, "issuers[QBIT].offtakes[QBIT-O1].counterparty_ticker" + msg}},
		{"offtake_ids", []string{`"status": "delayed"`, `"status": "delayed", "offtake_ids": ["O1", "O\n2"]`},
			[]string{"issuers[QBIT].projects[QBIT-P1].offtake_ids[1]" + msg}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, decodeErrorLines(t, replaceIn(t, tt.pairs...))); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}

	// Other characters, and control characters in free text, are fine.
	s, err := decodeString(replaceIn(t, `"name": "Qubit Mining"`, `"name": "Qubit Minería \u00e9\u2014\u4e2d", "kind": "a\tb"`,
		`"id": "QBIT-P1"`, `"id": "QBIT-P1", "location": "line 1\nline 2"`))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Issuers[0].Name; got != "Qubit Minería é—中" {
		t.Errorf("name = %q", got)
	}

	dir := writeFiles(t, map[string]string{
		"meta.csv":     csvMeta,
		"issuers.csv":  "ticker,name\nQBIT,\"Qubit\nMining\"\n",
		"projects.csv": "ticker,id,mw_original,mw_current,original_target,current_target,status,offtake_ids\nQBIT,P\x01,1,1,2026,2026,ok,\"O1;O\x022\"\n",
	})
	_, err = LoadCSV(dir)
	want := []string{
		dir + ": issuers.csv:2: name" + msg,
		dir + ": projects.csv:2: id" + msg,
		dir + ": projects.csv:2: offtake_ids" + msg,
	}
	if err == nil {
		t.Fatal("LoadCSV accepted control characters")
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("LoadCSV error (-want +got):\n%s", diff)
	}
}

func TestDecodeTimestampWindow(t *testing.T) {
	tests := []struct {
		value string
		want  Window
	}{
		{"2030-06-01T12:00:00Z", Window{date(2030, 6, 1), date(2030, 6, 1), "2030-06-01T12:00:00Z"}},
		{"2030-06-01T23:30:00-05:00", Window{date(2030, 6, 2), date(2030, 6, 2), "2030-06-01T23:30:00-05:00"}},
		{"2030-06-01T00:00:00.123+02:00", Window{date(2030, 5, 31), date(2030, 5, 31), "2030-06-01T00:00:00.123+02:00"}},
		{"2029-01-01T00:00:00Z/2030-06-30", Window{date(2029, 1, 1), date(2030, 6, 30), "2029-01-01T00:00:00Z/2030-06-30"}},
	}
	for _, tt := range tests {
		s, err := decodeString(replaceIn(t, `"maturity": "2029"`, `"maturity": "`+tt.value+`"`))
		if err != nil {
			t.Errorf("maturity %q: %v", tt.value, err)
			continue
		}
		if diff := cmp.Diff(tt.want, s.Issuers[0].Bonds[0].Maturity); diff != "" {
			t.Errorf("maturity %q (-want +got):\n%s", tt.value, diff)
		}
	}
	for _, bad := range []string{"2030-06-01T25:00:00Z", "2030-06-01T12:00:00", "2030-06-01 12:00:00Z"} {
		lines := decodeErrorLines(t, replaceIn(t, `"maturity": "2029"`, `"maturity": "`+bad+`"`))
		want := `issuers[QBIT].bonds[QBIT-12.0-2029].maturity: want ` + windowForms + `, got "` + bad + `"`
		if diff := cmp.Diff([]string{want}, lines); diff != "" {
			t.Errorf("maturity %q (-want +got):\n%s", bad, diff)
		}
	}
}

// TestDecodeJSONDetails pins down the JSON details the feed reader shares
// with encoding/json: the last of repeated keys counts, keys and strings
// may be escaped, invalid UTF-8 becomes U+FFFD.
func TestDecodeJSONDetails(t *testing.T) {
	s, err := decodeString(replaceIn(t,
		`"coupon": 12.0`, `"coupon": "x", "coupon": 9.5, "\u0073ecured": true, "kind": "a\"b\\c\/d\u00e9\ud83d\ude00", "status": "`+"\xff"+`"`,
		`"name": "Qubit Mining"`, `"name": "Qubit Mining", "metrics": {"a": 1, "a": "note", "b": "x", "b": 2, "c\u00e9": "1.5GW"}`,
	))
	if err != nil {
		t.Fatal(err)
	}
	b := s.Issuers[0].Bonds[0]
	if *b.Coupon != 9.5 || b.Secured == nil || !*b.Secured {
		t.Errorf("coupon %v, secured %v; want 9.5, true", *b.Coupon, b.Secured)
	}
	if want := "a\"b\\c/dé😀"; b.Kind != want {
		t.Errorf("kind = %q, want %q", b.Kind, want)
	}
	if b.Status != "\uFFFD" {
		t.Errorf("status = %q, want U+FFFD", b.Status)
	}
	if diff := cmp.Diff(map[string]float64{"b": 2, "cé": 1500}, s.Issuers[0].Metrics); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}

	// Metrics whose numbers are all overridden are none at all.
	s, err = decodeString(replaceIn(t, `"name": "Qubit Mining"`, `"name": "Qubit Mining", "metrics": {"a": 1, "a": null}`))
	if err != nil {
		t.Fatal(err)
	}
	if m := s.Issuers[0].Metrics; m != nil {
		t.Errorf("metrics = %#v, want nil", m)
	}

	// A repeated required key that ends null is null.
	lines := decodeErrorLines(t, replaceIn(t, `"counterparty": "Hyperscaler"`, `"counterparty": "Hyperscaler", "counterparty": null`))
	if diff := cmp.Diff([]string{"issuers[QBIT].offtakes[QBIT-O1].counterparty: want a string, got null"}, lines); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestValidJSON(t *testing.T) {
	for _, s := range validJSONSeeds {
		if got, want := validJSON([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid says %v", s, got, want)
		}
	}
	for _, depth := range []int{maxJSONDepth - 1, maxJSONDepth, maxJSONDepth + 1} {
		for _, open := range []string{"[", `{"a":`} {
			close := map[string]string{"[": "]", `{"a":`: "}"}[open]
			s := []byte(strings.Repeat(open, depth) + "1" + strings.Repeat(close, depth))
			if got, want := validJSON(s), json.Valid(s); got != want || got != (depth <= maxJSONDepth) {
				t.Errorf("validJSON(%d × %q) = %v, json.Valid says %v", depth, open, got, want)
			}
		}
	}
}

var validJSONSeeds = []string{
	``, ` `, `1`, ` 1 `, `-0`, `-`, `01`, `1.`, `1.5e`, `1.5e+3`, `1E-3`, `.5`, `+1`, `1 2`,
	`"a"`, `"\u00e9"`, `"\u00g0"`, `"\x"`, `"\/"`, "\"a\tb\"", "\"\xff\"", `"abc`, `"\"`, `"\\"`,
	`true`, `tru`, `truex`, `false`, `null`, `nul`, `[]`, `[ ]`, `[1,]`, `[,1]`, `[1 2]`, `[1,2]`,
	`{}`, `{ }`, `{"a":1}`, `{"a" : 1 , "b":[{}]}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{1:1}`, `{"a":1]`,
	`[}`, `]`, `}`, `{"a":[1,{"b":null}]}` + "\n", "\t{}\r\n", "{}\x00", "\xef\xbb\xbf{}",
}

// FuzzValidJSON checks that validJSON accepts exactly what encoding/json
// accepts.
func FuzzValidJSON(f *testing.F) {
	for _, s := range validJSONSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(minimalFeed))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := validJSON(data), json.Valid(data); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", data, got, want)
		}
	})
}

func TestSkipValueCount(t *testing.T) {
	tests := []struct {
		in   string
		end  int
		objs int
	}{
		{`[]`, 2, 0},
		{`[0, 1, "{", "]"]`, 16, 0},
		{`[{}, {"a": [{}, {}]}, 3, [{}], "}"] tail`, 35, 2},
		{`{"a": {}, "b": [{}]} tail`, 20, 0},
		{`"a\"b" tail`, 6, 0},
		{`-1.5e3, 2`, 6, 0},
	}
	for _, tt := range tests {
		end, n := skipValueCount([]byte(tt.in), 0)
		if end != tt.end || n != tt.objs {
			t.Errorf("skipValueCount(%q) = %d, %d; want %d, %d", tt.in, end, n, tt.end, tt.objs)
		}
	}
}

// TestDecodeListAfterAProblem checks that a list whose feed already has a
// problem is still checked element by element, but that nothing is kept:
// the feed will be rejected, and a huge list of junk must not hold an
// entity per element.
func TestDecodeListAfterAProblem(t *testing.T) {
	calls := 0
	fn := func(obj) int { calls++; return calls }
	d := newDecoder()
	d.add("as_of", "bad")
	o := d.root(jsonValue([]byte(`{"bonds": [{}, {}, {}]}`)))
	if got := decodeList(d, o, "bonds", required, "id", fn); len(got) != 0 || calls != 3 {
		t.Errorf("decodeList after a problem = %v with %d calls; want none kept, 3 calls", got, calls)
	}
	calls = 0
	d = newDecoder()
	o = d.root(jsonValue([]byte(`{"bonds": [{}, 0, {}, {}]}`)))
	got := decodeList(d, o, "bonds", required, "id", fn)
	if diff := cmp.Diff([]int{1}, got); diff != "" || calls != 3 || len(d.list) != 1 {
		t.Errorf("decodeList = %v (-want +got):\n%s\nwith %d calls and problems %v; want 3 calls and 1 problem", got, diff, calls, d.list)
	}
}
