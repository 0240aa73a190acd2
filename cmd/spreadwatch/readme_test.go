package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestREADMETranscript replays the console session shown in the README
// and checks that the binary still prints exactly what the README says.
func TestREADMETranscript(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "<!-- transcript:start -->")
	end := strings.Index(s, "<!-- transcript:end -->")
	if start < 0 || end < start {
		t.Fatal("README has no transcript markers")
	}
	block := s[start:end]
	const catLine = "$ cat session.txt\n"
	const runLine = "$ go run ./cmd/spreadwatch < session.txt\n"
	i, j := strings.Index(block, catLine), strings.Index(block, runLine)
	k := strings.LastIndex(block, "```")
	if i < 0 || j < i || k < j {
		t.Fatalf("transcript block is not in the expected shape:\n%s", block)
	}
	script := block[i+len(catLine) : j]
	want := block[j+len(runLine) : k]

	db := filepath.Join(t.TempDir(), "readme.db")
	code, got, errOut := session(t, script, "--db", db)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if diff := cmp.Diff(strings.TrimRight(want, "\n"), strings.TrimRight(got, "\n")); diff != "" {
		t.Errorf("README transcript is out of date (-README +binary):\n%s", diff)
	}
}

// TestREADMERuleExamples evaluates every example rule in the README's rule
// language section on the sample: each must compile and evaluate.
func TestREADMERuleExamples(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "Examples:\n\n```\n")
	if i < 0 {
		t.Fatal("README has no rule examples block")
	}
	s = s[i+len("Examples:\n\n```\n"):]
	s = s[:strings.Index(s, "```")]
	var n int
	for _, rule := range strings.Split(strings.TrimSpace(s), "\n") {
		n++
		code, out, errOut := runArgs(t, "eval", "--json", rule)
		if code != exitOK || !strings.Contains(out, `"results"`) {
			t.Errorf("README example %q: exit %d, stderr %q", rule, code, errOut)
		}
	}
	if n < 5 {
		t.Errorf("only %d README rule examples found", n)
	}
}
