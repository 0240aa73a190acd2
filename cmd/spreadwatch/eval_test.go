package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	feedAug = "../../testdata/feeds/northwind-2026-08.json"
	feedSep = "../../testdata/feeds/northwind-2026-09.json"
)

// runArgs runs the program with no environment and no input.
func runArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(t.Context(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func TestEvalGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"eval-sample-coupon", []string{"eval", "coupon > utility + 400bp"}},
		{"eval-sample-slip-json", []string{"eval", "--json", "slip > 60d"}},
		{"eval-sample-explain", []string{"eval", "--explain", "--data", "../../market/sample/issuers-2026-07.json", "spread > 450bp && secured == false"}},
		{"eval-northwind-history-json", []string{"eval", "--data", feedSep, "--data", feedAug, "--json", "crossed_above(utility, 5%) && coupon > 8%"}},
		{"eval-northwind-issuer", []string{"eval", "--data", feedAug, "pipeline_ratio > 2.5 && any(offtakes, .mw >= 200MW)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runArgs(t, tt.args...)
			if code != exitOK {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			golden(t, tt.name, out)
		})
	}
}

// TestEvalContract checks the acceptance figures of the eval command.
func TestEvalContract(t *testing.T) {
	code, out, _ := runArgs(t, "eval", "--json", "coupon > utility + 400bp")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var doc evalJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
	}
	if doc.Subject != "bond" || doc.AsOf != "2026-07-02T00:00:00Z" || doc.Expr != "coupon > utility + 400bp" {
		t.Errorf("header = %q %q %q", doc.Expr, doc.Subject, doc.AsOf)
	}
	var match, lacks []string
	for _, r := range doc.Results {
		switch r.Outcome {
		case "match":
			match = append(match, r.ID)
		case "lacks_data":
			lacks = append(lacks, r.ID)
			if !strings.Contains(r.Detail, "coupon") {
				t.Errorf("%s lacks data with detail %q, want it to name coupon", r.ID, r.Detail)
			}
		}
	}
	if diff := cmp.Diff([]string{"CRWV-9.25-2030", "CRWV-9.00-2031", "APLD-9.25-2030"}, match); diff != "" {
		t.Errorf("matches (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CRWV-NOTES-2031-APR26", "CORZ-SSN-2031-APR26", "HELIOS-TL-2028"}, lacks); diff != "" {
		t.Errorf("lacks_data (-want +got):\n%s", diff)
	}
	if len(doc.Results) != 22 {
		t.Errorf("%d results, want one per bond of the sample (22)", len(doc.Results))
	}

	_, out, _ = runArgs(t, "eval", "slip > 60d")
	if !strings.Contains(out, "CORZ-CRWV-PROGRAM") || !regexpMatch(`CORZ-CRWV-PROGRAM\s+CORZ\s+match`, out) {
		t.Errorf("slip > 60d does not list CORZ-CRWV-PROGRAM as a match:\n%s", out)
	}
}

// TestEvalHistoryOrder checks that snapshots are ordered by as_of, not by
// argument order: the newest (September, utility 5.5%) is evaluated.
func TestEvalHistoryOrder(t *testing.T) {
	for _, args := range [][]string{
		{"eval", "--json", "--data", feedAug, "--data", feedSep, "change(utility, 20d) > 100bp"},
		{"eval", "--json", "--data", feedSep, "--data", feedAug, "change(utility, 20d) > 100bp"},
	} {
		code, out, errOut := runArgs(t, args...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var doc evalJSON
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.AsOf != "2026-09-01T00:00:00Z" || doc.Subject != "issuer" {
			t.Errorf("as_of %s subject %s, want the September snapshot per issuer", doc.AsOf, doc.Subject)
		}
		for _, r := range doc.Results {
			if r.Outcome != "match" {
				t.Errorf("%s: %s (%s), want match: utility rose 130 bp", r.ID, r.Outcome, r.Detail)
			}
		}
	}
	// Without the older snapshot the history function lacks data.
	_, out, _ := runArgs(t, "eval", "--json", "--data", feedSep, "change(utility, 20d) > 100bp")
	if !strings.Contains(out, `"outcome": "lacks_data"`) || strings.Contains(out, `"outcome": "match"`) {
		t.Errorf("change() without history:\n%s", out)
	}
}

func TestEvalErrors(t *testing.T) {
	dir := t.TempDir()
	badFeed := filepath.Join(dir, "bad.json")
	os.WriteFile(badFeed, []byte(`{"schema":"spreadwatch.issuer-feed/v1","as_of":"2026-01-01T00:00:00Z","benchmarks":[],
	"issuers":[{"ticker":"QBIT","name":"Q","bonds":[{"id":"QBIT-12.0-2029","coupon":"6,125","maturity":"2029"}]}]}`), 0o644)
	truncated := filepath.Join(dir, "truncated.json")
	os.WriteFile(truncated, []byte(`{"schema":"spreadwatch.issuer-feed/v1","as_of":"2026-01-01T00:00:00Z","benchmarks":[`), 0o644)

	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"misspelled name", []string{"eval", "cupon > 4"}, exitRuleError, "(1:1) unknown name cupon; did you mean coupon?"},
		{"unknown unit", []string{"eval", "coupon > 400bx"}, exitRuleError, `unknown unit "bx"`},
		{"not boolean", []string{"eval", "coupon + 1"}, exitRuleError, "true or false"},
		{"bond and project", []string{"eval", "coupon > 9% && slip > 60d"}, exitRuleError, "not both"},
		{"syntax", []string{"eval", "coupon > > 4"}, exitRuleError, "(1:"},
		{"no expression", []string{"eval"}, exitRuleError, "want exactly one rule expression"},
		{"two expressions", []string{"eval", "coupon > 1", "coupon > 2"}, exitRuleError, "want exactly one rule expression"},
		{"bad flag", []string{"eval", "--jsn", "coupon > 1"}, exitRuleError, "flag provided but not defined"},
		{"huge rule", []string{"eval", strings.Repeat("(", 5000) + "true" + strings.Repeat(")", 5000)}, exitRuleError, ""},
		{"path-named data error", []string{"eval", "--data", badFeed, "coupon > 1"}, exitDataError,
			`issuers[QBIT].bonds[QBIT-12.0-2029].coupon: want a percent number or "6.125%", got "6,125"`},
		{"truncated feed", []string{"eval", "--data", truncated, "coupon > 1"}, exitDataError, "truncated.json"},
		{"missing file", []string{"eval", "--data", filepath.Join(dir, "nope.json"), "coupon > 1"}, exitDataError, "nope.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runArgs(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing on error", out)
			}
			if !strings.Contains(errOut, tt.inStderr) {
				t.Errorf("stderr = %q, want it to contain %q", errOut, tt.inStderr)
			}
			if strings.Contains(errOut, "goroutine ") || strings.Contains(errOut, "panic") {
				t.Errorf("stderr has a stack trace: %s", errOut)
			}
			if tt.code == exitRuleError && strings.Count(strings.TrimSpace(errOut), "\n") > 6 {
				t.Errorf("rule error is not short: %q", errOut)
			}
		})
	}
}

func regexpMatch(pattern, s string) bool {
	return regexp.MustCompile(pattern).MatchString(s)
}

func TestEvalSameAsOf(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(feedAug)
	if err != nil {
		t.Fatal(err)
	}
	same := filepath.Join(dir, "same.json")
	os.WriteFile(same, b, 0o644)
	changed := filepath.Join(dir, "changed.json")
	os.WriteFile(changed, []byte(strings.Replace(string(b), `"level": "4.2%"`, `"level": "4.9%"`, 1)), 0o644)

	// The same snapshot twice is harmless.
	if code, _, errOut := runArgs(t, "eval", "--data", feedAug, "--data", same, "coupon > 5%"); code != exitOK {
		t.Errorf("same snapshot twice: exit %d, %s", code, errOut)
	}
	// Two different snapshots claiming one as_of are ambiguous: a data error,
	// whatever the argument order.
	for _, args := range [][]string{{feedAug, changed}, {changed, feedAug}} {
		code, _, errOut := runArgs(t, "eval", "--data", args[0], "--data", args[1], "coupon > 5%")
		if code != exitDataError || !strings.Contains(errOut, "both have as_of 2026-08-03T00:00:00Z") {
			t.Errorf("eval --data %s --data %s: exit %d, stderr %q; want a data error naming the shared as_of", args[0], args[1], code, errOut)
		}
	}
}
