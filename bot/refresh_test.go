package bot_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot/bottest"
	"github.com/spreadwatch/spreadwatch/market"
)

// countingSource counts reads and makes each one slow enough for
// concurrent refreshes to overlap.
type countingSource struct {
	n    atomic.Int32
	snap *market.Snapshot
}

func (s *countingSource) Fetch(ctx context.Context) ([]*market.Snapshot, error) {
	s.n.Add(1)
	time.Sleep(50 * time.Millisecond)
	return []*market.Snapshot{s.snap}, nil
}

// TestRefreshFloodCoalesces sends 50 refreshes at once: they share reads
// and evaluations instead of queueing 50 of each.
func TestRefreshFloodCoalesces(t *testing.T) {
	src := &countingSource{snap: bottest.SampleSnapshot(t, 0, nil)}
	h := bottest.New(t, bottest.WithSource(src))
	before := src.n.Load()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if rep := h.Do("refresh"); rep.Error {
				t.Errorf("refresh: %s", rep.PlainText())
			}
		})
	}
	wg.Wait()
	if n := src.n.Load() - before; n < 1 || n > 10 {
		t.Errorf("50 concurrent refreshes read the source %d times, want them to share reads (1–10)", n)
	}
}

// TestOlderDataDoesNotBecomeCurrent reads a newer snapshot, then an older
// one (a file rolled back): the newest by as_of stays current and the older
// one joins the history, so firing alerts stay firing.
func TestOlderDataDoesNotBecomeCurrent(t *testing.T) {
	src := &bottest.SwitchSource{}
	older := bottest.SampleSnapshot(t, 0, nil)
	newer := bottest.SampleSnapshot(t, 30, func(f bottest.Feed) { bottest.SetBenchmark(f, "utility", 4.0) })
	src.Set(newer)
	h := bottest.New(t, bottest.WithSource(src))
	h.Must(`rule add hot "coupon > utility + 450bp"`)
	h.Refresh()
	firing := len(h.Poster.Posts())
	if firing == 0 {
		t.Fatal("nothing fired on the newer snapshot (utility 4.0%)")
	}
	src.Set(older)
	h.Refresh()
	if got := h.Text("status"); !strings.Contains(got, newer.AsOf.UTC().Format("2006-01-02")) {
		t.Errorf("status after reading older data does not show the newer as-of %s:\n%s", newer.AsOf.Format("2006-01-02"), got)
	}
	if n := len(h.Poster.Posts()); n != firing {
		t.Errorf("reading older data sent %d more notifications, want none", n-firing)
	}
	// The older snapshot is history now: change() can reach it.
	rep := h.Do(`rule test "change(utility, 20d) < 0"`)
	if !strings.Contains(rep.PlainText(), "holds now for 12 of 12") {
		t.Errorf("change() over the older snapshot:\n%s", rep.PlainText())
	}
}

// TestExplainByTicker lets `rule explain` take a ticker for a bond rule:
// the issuer's first matching bond, else its first bond.
func TestExplainByTicker(t *testing.T) {
	h := bottest.New(t)
	h.Must(`rule add hot "coupon > utility + 400bp"`)
	for _, tt := range []struct{ arg, want string }{
		{"crwv", "Explain hot for CRWV-9.25-2030"},
		{"CIFR", "Explain hot for CIFR-7.125-2030"},
		{"CIFR-6.125-2031", "Explain hot for CIFR-6.125-2031"},
	} {
		if got := h.Text("rule explain hot " + tt.arg); !strings.Contains(got, tt.want) {
			t.Errorf("rule explain hot %s:\n%s\nwant %q", tt.arg, got, tt.want)
		}
	}
	if rep := h.Do("rule explain hot NOPE"); !rep.Error {
		t.Errorf("rule explain hot NOPE succeeded: %s", rep.PlainText())
	}
}
