package bottest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/market"
)

// Feed is a v1 feed decoded into generic JSON values, for tests to edit.
type Feed = map[string]any

// SampleFeed returns the embedded sample feed with its as_of moved by
// days and edit applied (edit may be nil), as JSON.
func SampleFeed(t testing.TB, days int, edit func(Feed)) []byte {
	t.Helper()
	var f Feed
	if err := json.Unmarshal(market.SampleJSON(), &f); err != nil {
		t.Fatalf("bottest: decode sample: %v", err)
	}
	asOf, err := time.Parse(time.RFC3339, f["as_of"].(string))
	if err != nil {
		t.Fatalf("bottest: sample as_of: %v", err)
	}
	f["as_of"] = asOf.AddDate(0, 0, days).Format(time.RFC3339)
	if edit != nil {
		edit(f)
	}
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatalf("bottest: encode feed: %v", err)
	}
	return out
}

// SampleSnapshot is SampleFeed decoded into a Snapshot with Source
// "test".
func SampleSnapshot(t testing.TB, days int, edit func(Feed)) *market.Snapshot {
	t.Helper()
	s, err := market.Decode(bytes.NewReader(SampleFeed(t, days, edit)), "test")
	if err != nil {
		t.Fatalf("bottest: decode edited sample: %v", err)
	}
	return s
}

// WriteFeed writes data to path, failing the test on error.
func WriteFeed(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatalf("bottest: write feed: %v", err)
	}
	return path
}

// SetBenchmark sets the level of benchmark id (e.g. "utility") in f.
func SetBenchmark(f Feed, id string, level float64) {
	for _, b := range f["benchmarks"].([]any) {
		if m := b.(map[string]any); m["id"] == id {
			m["level"] = level
		}
	}
}

// SetCoupon sets the coupon of bond id in f; a nil coupon is unknown.
func SetCoupon(f Feed, id string, coupon any) {
	for _, is := range f["issuers"].([]any) {
		bonds, _ := is.(map[string]any)["bonds"].([]any)
		for _, b := range bonds {
			if m := b.(map[string]any); m["id"] == id {
				m["coupon"] = coupon
			}
		}
	}
}

// SwitchSource is a bot.Source whose snapshots the test sets; it fails
// with Err when set. It is safe for concurrent use.
type SwitchSource struct {
	mu    sync.Mutex
	snaps []*market.Snapshot
	err   error
}

// Set makes Fetch return snaps.
func (s *SwitchSource) Set(snaps ...*market.Snapshot) {
	s.mu.Lock()
	s.snaps, s.err = snaps, nil
	s.mu.Unlock()
}

// Fail makes Fetch fail with err.
func (s *SwitchSource) Fail(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// Fetch implements bot.Source.
func (s *SwitchSource) Fetch(context.Context) ([]*market.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	if len(s.snaps) == 0 {
		return nil, errors.New("no snapshot set")
	}
	return s.snaps, nil
}

// String names the source in status.
func (s *SwitchSource) String() string { return "test" }
