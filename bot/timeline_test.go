package bot_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spreadwatch/spreadwatch/bot"
	"github.com/spreadwatch/spreadwatch/bot/bottest"
)

// clock is a settable clock for bot.Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// sampleAsOf is the as_of of the embedded sample feed.
var sampleAsOf = time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC)

// hotBonds are the bonds for which coupon > utility + 400bp holds in the
// sample (feed-format.md).
var hotBonds = []string{"CRWV-9.25-2030", "CRWV-9.00-2031", "APLD-9.25-2030"}

// posted returns "KIND subject" for each notification posted since the
// last call.
func posted(h *bottest.Harness) []string {
	var out []string
	for _, n := range h.Poster.Posts() {
		out = append(out, string(n.Kind)+" "+n.Subject)
	}
	h.Poster.Reset()
	return out
}

func each(kind string, subjects ...string) []string {
	var out []string
	for _, s := range subjects {
		out = append(out, kind+" "+s)
	}
	return out
}

// TestTimeline walks one rule through for, repeat, ack, mute and its
// expiry, and max_age, on an injected clock.
func TestTimeline(t *testing.T) {
	clk := &clock{t: sampleAsOf.Add(time.Hour)}
	h := bottest.New(t, bottest.WithNow(clk.Now))
	h.Must(`rule add hot "coupon > utility + 400bp" for=2h repeat=24h max_age=30d`)

	step := func(name string, advance time.Duration, want []string) {
		t.Helper()
		clk.Add(advance)
		h.Refresh()
		if diff := cmp.Diff(want, posted(h)); diff != "" {
			t.Errorf("%s: notifications (-want +got):\n%s", name, diff)
		}
	}
	step("first evaluation: pending", 0, nil)
	if got := h.Text("alerts"); !strings.Contains(got, "0 firing, 3 pending") {
		t.Errorf("alerts after first evaluation:\n%s", got)
	}
	step("1h later: still pending", time.Hour, nil)
	step("2h later: firing", time.Hour, each("firing", hotBonds...))
	step("23h later: no repeat yet", 23*time.Hour, nil)
	step("24h after firing: repeat", time.Hour, each("repeat", hotBonds...))
	h.Must("ack A1 on it")
	step("acked alert stops repeating", 24*time.Hour, each("repeat", hotBonds[1:]...))
	h.Must("mute rule=hot for 2d")
	step("muted: nothing", 24*time.Hour, nil)
	step("still muted", 24*time.Hour-time.Minute, nil)
	step("mute expired: repeats resume", 2*time.Minute, each("repeat", hotBonds[1:]...))
	if got := h.Text("mute list"); !strings.Contains(got, "No active silences") {
		t.Errorf("mute list after expiry:\n%s", got)
	}
	step("data older than max_age: stale, silent", 30*24*time.Hour, nil)
	if got := h.Text("alerts"); !strings.Contains(got, "0 firing, 0 pending, 3 lacking data, 0 errors, 3 stale") {
		t.Errorf("alerts with stale data:\n%s", got)
	}
	hist := strings.Join(strings.Fields(h.Text("alerts history 100")), " ")
	for _, want := range []string{"pending firing held for 2h", "inactive pending holds;", "firing stale data as of", "older than max_age 30d"} {
		if !strings.Contains(hist, want) {
			t.Errorf("alerts history lacks %q:\n%s", want, hist)
		}
	}
}

// TestForUnderSynctest checks for= on the fake clock of testing/synctest.
func TestForUnderSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := bottest.New(t)
		h.Must(`rule add hot "coupon > utility + 400bp" for=2h`)
		h.Refresh()
		if got := posted(h); got != nil {
			t.Fatalf("before for elapsed: %v", got)
		}
		time.Sleep(2*time.Hour - time.Second)
		h.Refresh()
		if got := posted(h); got != nil {
			t.Fatalf("1s before for elapsed: %v", got)
		}
		time.Sleep(time.Second)
		h.Refresh()
		if diff := cmp.Diff(each("firing", hotBonds...), posted(h)); diff != "" {
			t.Errorf("after for: (-want +got):\n%s", diff)
		}
	})
}

// TestClearHysteresis checks that a firing alert resolves only once the
// clear expression holds.
func TestClearHysteresis(t *testing.T) {
	src := &bottest.SwitchSource{}
	src.Set(bottest.SampleSnapshot(t, 1, func(f bottest.Feed) { bottest.SetBenchmark(f, "utility", 4.5) }))
	h := bottest.New(t, bottest.WithSource(src))
	h.Must(`rule add hot "coupon > utility + 400bp" clear="coupon < utility + 300bp"`)
	h.Refresh()
	if diff := cmp.Diff(each("firing", hotBonds...), posted(h)); diff != "" {
		t.Fatalf("firing (-want +got):\n%s", diff)
	}
	// utility 5.5: 9.25 > 9.5 no longer holds, but 9.25 < 8.5 does not
	// hold either: still firing.
	src.Set(bottest.SampleSnapshot(t, 2, func(f bottest.Feed) { bottest.SetBenchmark(f, "utility", 5.5) }))
	h.Refresh()
	if got := posted(h); got != nil {
		t.Fatalf("between expr and clear: %v", got)
	}
	if got := h.Text("alerts"); !strings.Contains(got, "3 firing") {
		t.Errorf("alerts between expr and clear:\n%s", got)
	}
	// utility 6.5: 9.25 < 9.5 holds: resolved.
	src.Set(bottest.SampleSnapshot(t, 3, func(f bottest.Feed) { bottest.SetBenchmark(f, "utility", 6.5) }))
	h.Refresh()
	if diff := cmp.Diff(each("resolved", hotBonds...), posted(h)); diff != "" {
		t.Errorf("clear holds (-want +got):\n%s", diff)
	}
}

// TestResolveCarriesRef checks that the resolve notification carries the
// firing message's ref, across a restart too.
func TestResolveCarriesRef(t *testing.T) {
	src := &bottest.SwitchSource{}
	src.Set(bottest.SampleSnapshot(t, 1, nil))
	h := bottest.New(t, bottest.WithSource(src))
	h.Must(`rule add hot "coupon > utility + 400bp"`)
	h.Refresh()
	fired := h.Poster.Posts()
	if len(fired) != 3 {
		t.Fatalf("fired %d, want 3", len(fired))
	}
	refs := map[string]string{}
	for _, n := range fired {
		refs[n.Subject] = fmt.Sprintf("ref-%d", n.ID)
	}
	h.Close()
	h2 := bottest.New(t, bottest.WithDB(h.Path), bottest.WithSource(src))
	src.Set(bottest.SampleSnapshot(t, 2, func(f bottest.Feed) { bottest.SetBenchmark(f, "utility", 9) }))
	h2.Refresh()
	got := h2.Poster.Posts()
	if len(got) != 3 {
		t.Fatalf("resolved %d, want 3: %v", len(got), h2.Poster.Lines())
	}
	for _, n := range got {
		if n.Kind != bot.KindResolved || n.Ref != refs[n.Subject] {
			t.Errorf("%s %s ref %q, want resolved with ref %q", n.Kind, n.Subject, n.Ref, refs[n.Subject])
		}
	}
}
