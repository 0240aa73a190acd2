package bot_test

import (
	"fmt"
	"testing"

	"github.com/spreadwatch/spreadwatch/bot/bottest"
)

// allocFreeRule returns the i-th rule of a set whose expressions allocate
// nothing in the expression VM (no arithmetic on values, no predicates),
// so that what a refresh allocates for them is the bot's own work. Some
// hold (firing, or pending for a day), some lack data, most do not hold;
// some repeat, some are scoped to the watchlist hy (see allocFreeSetup),
// some have a clear expression that never holds.
func allocFreeRule(i int) string {
	var expr, clear string
	switch i % 5 {
	case 0:
		expr, clear = fmt.Sprintf("coupon > %d%%", 6+i%5), "coupon < 1%"
	case 1:
		expr, clear = fmt.Sprintf("spread > %dbp && secured == false", 300+i%170), "spread > 5000bp"
	case 2:
		expr, clear = fmt.Sprintf("slip > %dd", i%120), "stale_days > 100000"
	case 3:
		expr, clear = fmt.Sprintf("offtake_mw >= %dMW", 100+i%900), "offtake_mw < 0MW"
	default:
		expr, clear = fmt.Sprintf("stale_days > %d", i%30), "stale_days > 100000"
	}
	opts := [...]string{"", " for=1d", " repeat=24h", " watchlist=hy", fmt.Sprintf(" clear=%q", clear)}[(i/5)%5]
	return fmt.Sprintf("rule add a%d %q%s", i, expr, opts)
}

// allocFreeSetup creates the watchlist the rules of allocFreeRule use.
func allocFreeSetup(h *bottest.Harness) {
	h.Must("watch create hy")
	h.Must("watch add hy CRWV APLD CIFR CORZ")
}

// TestRefreshAllocsUnchanged checks that a refresh over unchanged data
// allocates nothing per rule or per alert instance: going from 50 to 500
// rules (and from tens to hundreds of firing, pending, lacking-data,
// idle, resolved and waiting-for-clear instances) adds no allocations to
// a refresh, when the rules' own expressions allocate nothing.
func TestRefreshAllocsUnchanged(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	if testing.Short() {
		t.Skip("adds 500 rules")
	}
	// Rules fire over a, then b raises utility by 150 bp: spread rules
	// resolve, or wait for their clear expression.
	a := bottest.SampleSnapshot(t, 0, nil)
	b := bottest.SampleSnapshot(t, 0, func(f bottest.Feed) { bottest.SetBenchmark(f, "utility", 6) })
	src := &bottest.SwitchSource{}
	src.Set(a)
	h := bottest.New(t, bottest.WithSource(src))
	allocFreeSetup(h)
	add := func(from, to int) {
		src.Set(a)
		h.Refresh()
		for i := from; i < to; i++ {
			h.Must(allocFreeRule(i))
		}
		h.Refresh()
		src.Set(b)
		// The first refresh over b resolves or waits for clear; the
		// second must change nothing.
		h.Refresh()
		h.Refresh()
	}
	measure := func() float64 {
		return testing.AllocsPerRun(20, h.Refresh)
	}
	add(0, 50)
	few := measure()
	add(50, 500)
	n0 := len(h.Poster.Posts())
	many := measure()
	if n := len(h.Poster.Posts()); n != n0 {
		t.Fatalf("refreshes over unchanged data sent %d notifications", n-n0)
	}
	alerts := h.Text("alerts")
	stored, err := h.DB.Alerts(h.Team)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]int{}
	for _, a := range stored {
		k := string(a.State)
		if a.Rule == "a46" && a.Subject == "CRWV-9.25-2030" && a.State == "firing" {
			// spread > 346bp held over a (475 bp), not over b (325 bp),
			// and its clear expression never holds.
			k = "waiting for clear"
		}
		states[k]++
	}
	for _, s := range []string{"firing", "pending", "lacks_data", "resolved", "waiting for clear"} {
		if states[s] == 0 {
			t.Errorf("no %s instance among %v: the rule set does not cover it", s, states)
		}
	}
	t.Logf("allocations per refresh: %v with 50 rules, %v with 500 rules; instances %v", few, many, states)
	if extra := (many - few) / 450; extra > 0.05 {
		t.Errorf("a refresh over unchanged data allocates %.2f times per extra rule (%v with 50 rules, %v with 500), want 0\nalerts:\n%s", extra, few, many, alerts)
	}
}
