package rules

import (
	"sync"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/market"
)

func num(v float64) *float64 { return &v }

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// day1 is a one-day window.
func day1(y, m, d int) market.Window {
	t := date(y, m, d)
	return market.Window{Start: t, End: t, Text: t.Format(time.DateOnly)}
}

var sampleOnce = sync.OnceValues(market.Sample)

// sample returns the embedded example feed and its index.
func sample(t testing.TB) (*market.Snapshot, *Index) {
	t.Helper()
	s, err := sampleOnce()
	if err != nil {
		t.Fatalf("market.Sample() = %v", err)
	}
	return s, NewIndex(s)
}

// mustCompile compiles src against env or fails the test.
func mustCompile(t testing.TB, src string, env Env) *Program {
	t.Helper()
	p, err := Compile(src, env)
	if err != nil {
		t.Fatalf("Compile(%q) = %v", src, err)
	}
	return p
}

// outcomes maps subject ids to outcomes, leaving out no_match.
func outcomes(rs []Result) map[string]Outcome {
	m := map[string]Outcome{}
	for _, r := range rs {
		if r.Outcome != NoMatch {
			m[r.ID] = r.Outcome
		}
	}
	return m
}
