package bot_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/spreadwatch/spreadwatch/bot"
	"github.com/spreadwatch/spreadwatch/bot/bottest"
	"github.com/spreadwatch/spreadwatch/storage/bolt"
)

// wantReply runs text and checks that the reply contains every want, and
// whether it is an error.
func wantReply(t *testing.T, h *bottest.Harness, text string, isErr bool, wants ...string) bot.Reply {
	t.Helper()
	r := h.Do(text)
	got := r.PlainText()
	if r.Error != isErr {
		t.Errorf("%s: Error = %v, want %v:\n%s", text, r.Error, isErr, got)
	}
	if isErr && (!r.Ephemeral || strings.Contains(got, "\n")) {
		t.Errorf("%s: an error reply must be ephemeral and one line:\n%s", text, got)
	}
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: reply lacks %q:\n%s", text, w, got)
		}
	}
	return r
}

func TestQueries(t *testing.T) {
	h := bottest.New(t)
	wantReply(t, h, "spread crwv", false, "CRWV — CoreWeave", "utility 4.50%", "CRWV-9.25-2030", "9.25%", "+475 bp", "$2.0bn", "2030-06-01", "n/a", "as of 2026-07-02 · sample")
	wantReply(t, h, "spreads", false, "widest first", "CRWV-9.25-2030", "as of 2026-07-02 · sample")
	wantReply(t, h, "issuer CORZ", false, "Core Scientific", "Operating: 350 MW", "CORZ-CRWV-PROGRAM", "+90 days", "CoreWeave", "100%", "$10.0bn")
	wantReply(t, h, "spread CRWX", true, "unknown ticker CRWX; did you mean CRWV?")
	wantReply(t, h, "issuer NOPE", true, "unknown ticker NOPE")
	wantReply(t, h, "spreads nope", true, `unknown watchlist "nope"; there are no watchlists yet`)

	// spreads of a watchlist sort by spread, widest first.
	h.Must("watch create hy")
	h.Must("watch add hy CIFR WULF")
	r := h.Do("spreads hy")
	var bonds []string
	for _, row := range r.Tables[0].Rows {
		bonds = append(bonds, row[1])
	}
	want := []string{"WULF-7.75-2030", "FLASH-7.25-2030", "CIFR-7.125-2030", "CIFR-6.125-2031", "CIFR-0.00-2031-CV"}
	if diff := cmp.Diff(want, bonds); diff != "" {
		t.Errorf("spreads hy bonds (-want +got):\n%s", diff)
	}
}

func TestWatchlists(t *testing.T) {
	h := bottest.New(t)
	wantReply(t, h, "watch create hy <#C42|credit>", false, "Watchlist hy created", "#C42")
	wantReply(t, h, "watch create hy", true, `watchlist "hy" already exists`)
	wantReply(t, h, "watch add hy cifr WULF", false, "Added CIFR, WULF.", "Tickers: CIFR, WULF")
	wantReply(t, h, "watch add hy CIFR", false, "Nothing changed.")
	wantReply(t, h, "watch add hy NRTX", true, "unknown ticker NRTX")
	wantReply(t, h, "watch add hy WULG", true, "unknown ticker WULG; did you mean WULF?")
	wantReply(t, h, "watch add lo CIFR", true, `unknown watchlist "lo"; watchlists: hy`)
	wantReply(t, h, "watch remove hy WULF", false, "Removed WULF.", "Tickers: CIFR")
	wantReply(t, h, "watch remove hy IREN", true, "IREN is not in watchlist hy (it has: CIFR)")
	wantReply(t, h, "watch show hy", false, "Tickers: CIFR", "Channel: #C42")
	wantReply(t, h, "watch list", false, "hy", "CIFR", "#C42")
	h.Must(`rule add hot "coupon > 9%" watchlist=hy`)
	wantReply(t, h, "watch delete hy", true, "watchlist hy is used by rule hot")
	h.Must("rule delete hot")
	wantReply(t, h, "watch delete hy", false, "Watchlist hy deleted")
	wantReply(t, h, "watch show hy", true, `unknown watchlist "hy"; there are no watchlists yet`)

	audit, err := h.DB.Audit(h.Team, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
		if a.Actor != "test:U1 (tester)" || a.At.IsZero() {
			t.Errorf("audit entry %+v lacks actor or time", a)
		}
	}
	wantActions := []string{"watch.delete", "rule.delete", "rule.add", "watch.remove", "watch.add", "watch.create"}
	if diff := cmp.Diff(wantActions, actions); diff != "" {
		t.Errorf("audit actions, newest first (-want +got):\n%s", diff)
	}
}

func TestRules(t *testing.T) {
	h := bottest.New(t)
	wantReply(t, h, `rule add hot "coupon > utility + 400bp"`, false,
		"Saved rule hot", "holds now for 3 of 22 bonds: CRWV-9.25-2030, CRWV-9.00-2031, APLD-9.25-2030; lacks data for 3: CRWV-NOTES-2031-APR26, CORZ-SSN-2031-APR26, HELIOS-TL-2028")
	wantReply(t, h, `rule add cold "cupon > 3%"`, true, "rule does not compile: (1:1) unknown name cupon; did you mean coupon?")
	wantReply(t, h, `rule add mixed "coupon > 3% && slip_days > 3"`, true, "rule does not compile")
	wantReply(t, h, `rule add w "coupon > 9%" watchlist=nope`, true, `unknown watchlist "nope"`)
	wantReply(t, h, `rule add c "coupon > 9%" clear="slip_days > 2"`, true, "clear is evaluated per project but the rule per bond")
	h.Must("watch create hy")
	h.Must("watch add hy CRWV")
	wantReply(t, h, `rule add hy9 "coupon > 9%" watchlist=hy for=2h repeat=1d severity=crit max_age=7d`, false,
		"holds now for 1 of 4 bonds: CRWV-9.25-2030", `"coupon > 9%" for=2h repeat=1d watchlist=hy severity=crit max_age=1w`, "(watchlist hy)")
	wantReply(t, h, `rule add hy9 "coupon >= 9%" watchlist=hy`, false, "Replaced rule hy9", "holds now for 2 of 4 bonds")
	wantReply(t, h, "rule list", false, "Rules (2)", "hot", "hy9")
	wantReply(t, h, "rule show hy9", false, "Expression: coupon >= 9%", "Scope: watchlist hy")
	wantReply(t, h, "rule show nope", true, `unknown rule "nope"; rules: hot, hy9`)
	wantReply(t, h, "rule test hot", false, "Test rule hot", "CRWV-9.25-2030", "match", "lacks_data", "coupon is unknown")
	wantReply(t, h, `rule test "slip_days > 60"`, false, "holds now for 2 of 23 projects: CORZ-CRWV-PROGRAM, GLXY-HELIOS-P1; lacks data for 1")
	wantReply(t, h, `rule test "slip_dayz > 60"`, true, "expression does not compile: (1:1) unknown name slip_dayz; did you mean slip_days?")
	wantReply(t, h, "rule test nope", true, `unknown rule "nope"`)
	wantReply(t, h, "rule explain hot", false, "Explain hot for CRWV-9.25-2030", "coupon 9.25%", "✓")
	wantReply(t, h, "rule explain hot cifr-7.125-2030", false, "Explain hot for CIFR-7.125-2030", "✗")
	wantReply(t, h, "rule explain hot CIFR-7.125-2031", true, "no bond")
	h.Refresh()
	// 3 for hot, 2 for hy9 (replaced without for=, so it fires at once).
	if n := len(h.Poster.Posts()); n != 5 {
		t.Errorf("posted %d notifications, want 5", n)
	}
	wantReply(t, h, "rule delete hot", false, "Rule hot deleted", "Removed 6 alert instances.")
	wantReply(t, h, "alerts", false, "2 firing, 0 pending, 1 lacking data")
	wantReply(t, h, "rule delete hot", true, `unknown rule "hot"; rules: hy9`)
}

func TestAlertsAckAndMute(t *testing.T) {
	h := bottest.New(t)
	h.Must(`rule add hot "coupon > utility + 400bp"`)
	wantReply(t, h, "ack A1", true, "unknown alert A1; nothing is firing")
	h.Refresh()
	wantReply(t, h, "alerts", false, "Alerts: 3 firing, 0 pending, 3 lacking data, 0 errors, 0 stale", "A1", "CRWV-9.25-2030", "coupon 9.25% (utility 4.50%)")
	wantReply(t, h, "ack A9", true, "unknown alert A9; firing: A1, A2, A3")
	wantReply(t, h, "ack a2 on it", false, "Acknowledged A2", "Note: on it")
	wantReply(t, h, "alerts", false, "acked by test:U1 (tester): on it")
	wantReply(t, h, "alerts history 2", false, "newest 2 transitions", "inactive", "lacks_data")
	wantReply(t, h, "mute rule=nope", true, `unknown rule "nope"`)
	wantReply(t, h, "mute ticker=NOPE", true, "unknown ticker NOPE")
	wantReply(t, h, "mute rule=hot until 2001-01-01", true, "until 2001-01-01 is in the past")
	wantReply(t, h, "mute rule=hot ticker=crwv for 2d noisy week", false, "Silence S1 added", "rule hot and ticker CRWV")
	wantReply(t, h, "mute ticker=APLD", false, "Silence S2 added")
	wantReply(t, h, "mute list", false, "S1", "S2", "noisy week")
	wantReply(t, h, "unmute S7", true, "unknown silence S7; active: S1, S2")
	wantReply(t, h, "mute remove s2", false, "Silence S2 removed")
	wantReply(t, h, "mute list", false, "S1")
}

func TestRoles(t *testing.T) {
	h := bottest.New(t, bottest.WithRoles(bot.Roles{Default: bot.RoleViewer, Users: map[string]bot.Role{"test:U9": bot.RoleEditor}}))
	for _, cmd := range []string{"watch create hy", `rule add hot "coupon > 9%"`, "mute rule=hot", "ack A1", "rule delete hot", "unmute S1"} {
		r := h.Do(cmd)
		if !r.Error || !strings.HasPrefix(r.Text, "you need the editor role to run ") || !strings.HasSuffix(r.Text, "(you are a viewer)") {
			t.Errorf("viewer %s: %s", cmd, r.PlainText())
		}
	}
	for _, cmd := range []string{"spread CIFR", "spreads", "alerts", "rule list", "status", "help", "watch list"} {
		if r := h.Do(cmd); r.Error {
			t.Errorf("viewer %s: %s", cmd, r.PlainText())
		}
	}
	h.User = "U9"
	h.Must("watch create hy")
	// The console user is an admin whatever the roles say.
	r := h.Bot.Handle(context.Background(), bot.Request{Platform: "console", Team: "local", User: "console", Text: "watch create lo"})
	if r.Error {
		t.Errorf("console user: %s", r.PlainText())
	}
}

// panicStore panics in Watchlists, to check that Handle recovers.
type panicStore struct{ bot.Store }

func (panicStore) Watchlists(string) ([]bot.Watchlist, error) { panic("boom") }

// failStore fails Watchlist reads with an internal error.
type failStore struct{ bot.Store }

func (failStore) Watchlist(string, string) (bot.Watchlist, error) {
	return bot.Watchlist{}, errors.New("disk on fire with secret xoxb-123")
}

func TestInternalErrorsAreHidden(t *testing.T) {
	h := bottest.New(t)
	for _, st := range []bot.Store{panicStore{h.DB}, failStore{h.DB}} {
		b, err := bot.New(bot.Options{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range []string{"watch list", "watch show hy"} {
			r := b.Handle(t.Context(), h.Request(cmd))
			if _, isPanic := st.(panicStore); isPanic != (cmd == "watch list") {
				continue
			}
			got := r.PlainText()
			if !r.Error || !strings.HasPrefix(got, "Something went wrong (ref ") || strings.Contains(got, "boom") || strings.Contains(got, "xoxb") {
				t.Errorf("%T %s: %q", st, cmd, got)
			}
		}
	}
}

func TestStatusAndFailingFeed(t *testing.T) {
	dir := t.TempDir()
	feed := bottest.WriteFeed(t, filepath.Join(dir, "feed.json"), bottest.SampleFeed(t, 0, nil))
	h := bottest.New(t, bottest.WithFeeds(feed))
	wantReply(t, h, "status", false, "Data source: file "+feed, "Data as of: 2026-07-02 00:00 UTC", "Last refresh: ok", "Rules: 0", "Outbox: 0 pending, 0 failed", "Chat: test")
	// The feed turns bad: the last good snapshot stays, and status says why.
	bottest.WriteFeed(t, feed, []byte(`{"schema": "spreadwatch.issuer-feed/v1", "as_of": "2026-07-09T00:00:00Z", "benchmarks": [], "issuers": [{"ticker": "X"}]}`))
	wantReply(t, h, "refresh", false, "Refresh: data read failed", "Still using the last good snapshot", "issuers[X].name")
	wantReply(t, h, "status", false, "Last refresh: FAILED", "issuers[X].name", "Data as of: 2026-07-02")
	wantReply(t, h, "spread CIFR", false, "CIFR-7.125-2030")
	// A good feed again.
	bottest.WriteFeed(t, feed, bottest.SampleFeed(t, 7, nil))
	wantReply(t, h, "refresh", false, "New snapshot loaded.")
	wantReply(t, h, "status", false, "Data as of: 2026-07-09", "2 snapshots in history", "Last refresh: ok")
	wantReply(t, h, "refresh", false, "Data unchanged.")
	snaps, err := h.DB.Snapshots()
	if err != nil || len(snaps) != 2 {
		t.Errorf("stored snapshots = %d, %v; want 2 (an unchanged feed is not stored twice)", len(snaps), err)
	}
}

func TestFileSourceChanged(t *testing.T) {
	dir := t.TempDir()
	feed := bottest.WriteFeed(t, filepath.Join(dir, "feed.json"), bottest.SampleFeed(t, 0, nil))
	src := bot.FileSource(feed)
	cw := src.(bot.ChangeWatcher)
	if _, err := src.Fetch(t.Context()); err != nil {
		t.Fatal(err)
	}
	if cw.Changed() {
		t.Error("Changed right after Fetch")
	}
	bottest.WriteFeed(t, feed, bottest.SampleFeed(t, 1, nil))
	if err := os.Chtimes(feed, time.Now().Add(time.Hour), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !cw.Changed() {
		t.Error("Changed = false after the file changed")
	}
}

func TestHistoryAcrossRestart(t *testing.T) {
	src := &bottest.SwitchSource{}
	src.Set(bottest.SampleSnapshot(t, 0, nil))
	h := bottest.New(t, bottest.WithSource(src))
	src.Set(bottest.SampleSnapshot(t, 40, func(f bottest.Feed) { bottest.SetCoupon(f, "CIFR-7.125-2030", 8.0) }))
	h.Refresh()
	h.Close()
	// The restarted bot reads the history back, so change() sees both.
	h2 := bottest.New(t, bottest.WithDB(h.Path), bottest.WithSource(src))
	wantReply(t, h2, `rule test "change(coupon, \"30d\") > 50bp"`, false, "holds now for 1 of", "CIFR-7.125-2030")
	wantReply(t, h2, "status", false, "2 snapshots in history")
}

func TestDeliveryRetryAndFailure(t *testing.T) {
	clk := &clock{t: sampleAsOf.Add(time.Hour)}
	reg := prometheus.NewRegistry()
	h := bottest.New(t, bottest.WithNow(clk.Now), bottest.WithOptions(func(o *bot.Options) {
		o.Registerer = reg
		o.MaxAttempts = 3
	}))
	h.Must(`rule add hot "coupon > utility + 400bp"`)
	h.Poster.SetErr(&bot.SendError{Reason: "ratelimited", RetryAfter: time.Minute})
	h.Refresh()
	items, _ := h.DB.Outbox(100)
	for _, it := range items {
		if it.Status != bot.OutboxRetrying || it.Attempts != 1 || !it.NextAttempt.Equal(clk.Now().Add(time.Minute)) || it.LastError != "ratelimited" {
			t.Errorf("after a rate limit: %+v", it)
		}
	}
	wantReply(t, h, "status", false, "Outbox: 3 pending, 0 failed; last send error: test: ratelimited")
	// Not due yet: nothing is tried.
	clk.Add(30 * time.Second)
	if err := h.Bot.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	items, _ = h.DB.Outbox(100)
	if items[0].Attempts != 1 {
		t.Errorf("retried before RetryAfter: %+v", items[0])
	}
	// Due: the second attempt fails too, with backoff doubling from 2s,
	// but RetryAfter (1m) is longer.
	clk.Add(31 * time.Second)
	_ = h.Bot.Flush(t.Context())
	h.Poster.SetErr(errors.New("connection reset"))
	clk.Add(2 * time.Minute)
	_ = h.Bot.Flush(t.Context())
	items, _ = h.DB.Outbox(100)
	for _, it := range items {
		if it.Status != bot.OutboxFailed || it.Attempts != 3 || it.LastError != "connection reset" {
			t.Errorf("after 3 attempts: %+v", it)
		}
	}
	wantReply(t, h, "status", false, "Outbox: 0 pending, 3 failed; last failure: connection reset")
	if got := testutil.ToFloat64(mustVec(t, reg, "spreadwatch_notifications_failed_total")); got != 9 {
		t.Errorf("failed counter = %v, want 9", got)
	}

	// A permanent error fails at once.
	h.Poster.SetErr(&bot.SendError{Permanent: true, Reason: "channel_not_found"})
	h.Must(`rule add warm "coupon > utility + 300bp"`)
	h.Refresh()
	items, _ = h.DB.Outbox(100)
	for _, it := range items[3:] {
		if it.Status != bot.OutboxFailed || it.Attempts != 1 || it.LastError != "channel_not_found" {
			t.Errorf("permanent error: %+v", it)
		}
	}
	// Metrics are registered on the given registry.
	for _, name := range []string{"spreadwatch_rule_evaluations_total", "spreadwatch_alert_transitions_total", "spreadwatch_cycle_duration_seconds", "spreadwatch_snapshot_age_seconds"} {
		if n, err := testutil.GatherAndCount(reg, name); err != nil || n == 0 {
			t.Errorf("metric %s: %d series, %v", name, n, err)
		}
	}
}

// mustVec returns the sum collector of a metric family by name.
func mustVec(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "sum"})
	c.Add(sum)
	return c
}

func TestRunShutsDownAndDelivers(t *testing.T) {
	h := bottest.New(t)
	h.Must(`rule add hot "coupon > utility + 400bp"`)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- h.Bot.Run(ctx) }()
	// The Run loop evaluates on its interval (an hour here); a refresh
	// from a command delivers at once.
	wantReply(t, h, "refresh", false, "Notifications: 3")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if n := len(h.Poster.Posts()); n != 3 {
		t.Errorf("posted %d, want 3", n)
	}
}

func TestStartErrors(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "x.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	src := &bottest.SwitchSource{}
	src.Fail(errors.New("feed unreachable"))
	b, err := bot.New(bot.Options{Store: db, Source: src})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(t.Context()); err == nil || !strings.Contains(err.Error(), "feed unreachable") || b.Ready() {
		t.Errorf("Start without any data = %v, ready %v; want an error naming the cause", err, b.Ready())
	}
	if _, err := bot.New(bot.Options{}); err == nil {
		t.Error("New without a Store succeeded")
	}
}

// TestConcurrentUse runs commands from several goroutines while the Run
// loop and explicit refreshes evaluate; run it with -race.
func TestConcurrentUse(t *testing.T) {
	src := &bottest.SwitchSource{}
	src.Set(bottest.SampleSnapshot(t, 0, nil))
	h := bottest.New(t, bottest.WithSource(src), bottest.WithOptions(func(o *bot.Options) { o.RefreshInterval = 5 * time.Millisecond }))
	h.Must("watch create hy")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- h.Bot.Run(ctx) }()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 20 {
				for _, cmd := range []string{
					fmt.Sprintf(`rule add r%d-%d "coupon > utility + %dbp"`, g, i%3, 300+i*10),
					"spread CRWV", "spreads hy", "alerts", "status", "ack A1", "rule test r0-0",
					fmt.Sprintf("watch add hy %s", []string{"CIFR", "WULF", "IREN"}[i%3]),
					fmt.Sprintf("rule delete r%d-%d", g, (i+1)%3),
				} {
					if r := h.Do(cmd); strings.HasPrefix(r.Text, "Something went wrong") {
						t.Errorf("%s: %s", cmd, r.Text)
					}
				}
				if i%5 == 0 {
					src.Set(bottest.SampleSnapshot(t, i, func(f bottest.Feed) { bottest.SetBenchmark(f, "utility", 4+float64(i%3)/2) }))
					if err := h.Bot.Refresh(t.Context()); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func TestHelp(t *testing.T) {
	h := bottest.New(t)
	r := wantReply(t, h, "help", false, "spreadwatch commands")
	for _, c := range bot.Commands() {
		if c.Name == "unmute" {
			continue
		}
		if !strings.Contains(r.Text, c.Usage+" — "+c.Summary+" (e.g. "+c.Example+")") {
			t.Errorf("help lacks %q", c.Usage)
		}
	}
	wantReply(t, h, "help rule", false, "rule add NAME", "for=DUR", "clear=", "rule explain NAME [SUBJECT]", "Needs the editor role.")
	wantReply(t, h, "help rule add", false, "rule add NAME")
	wantReply(t, h, "help sprad", true, `no command "sprad"; did you mean: spread TICKER`)
}

func TestNotificationRouting(t *testing.T) {
	h := bottest.New(t)
	h.Must("watch create hy <#C42|credit>")
	h.Must("watch add hy CRWV")
	h.Must(`rule add scoped "coupon > utility + 400bp" watchlist=hy severity=crit`)
	h.Must(`rule add everywhere "coupon > utility + 450bp"`)
	h.Refresh()
	type route struct{ Rule, Subject, Channel, Platform, Team string }
	var got []route
	for _, n := range h.Poster.Posts() {
		got = append(got, route{n.Rule, n.Subject, n.Channel, n.Platform, n.Team})
		if n.Kind != bot.KindFiring || n.AlertID == "" || len(n.Reply.Actions) == 0 || !strings.HasPrefix(bot.NotificationLine(n), "FIRING "+n.Rule+" "+n.Subject+" ") {
			t.Errorf("notification %+v", n)
		}
	}
	want := []route{
		{"everywhere", "CRWV-9.25-2030", "C1", "test", "T1"},
		{"everywhere", "APLD-9.25-2030", "C1", "test", "T1"},
		{"scoped", "CRWV-9.25-2030", "C42", "test", "T1"},
		{"scoped", "CRWV-9.00-2031", "C42", "test", "T1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
}

func TestPlainText(t *testing.T) {
	r := bot.Reply{
		Title:  "Title",
		Text:   "Some text.",
		Fields: []bot.Field{{Name: "Spread", Value: "+415 bp"}},
		Tables: []bot.Table{{Title: "Bonds", Columns: []string{"Bond", "Coupon"}, Rows: [][]string{{"CIFR-7.125-2030", "7.125%"}, {"X", "n/a"}}}},
		Footer: "as of 2026-07-02 · sample",
	}
	want := "Title\nSome text.\nSpread: +415 bp\n\nBonds\nBond             Coupon\nCIFR-7.125-2030  7.125%\nX                n/a\nas of 2026-07-02 · sample"
	if got := r.PlainText(); got != want {
		t.Errorf("PlainText:\n%s\nwant:\n%s", got, want)
	}
}

// TestBenchmarkSetChange checks that programs are recompiled when the
// benchmark set changes: a rule reading a benchmark that disappears fails
// (shown in rule list, other rules go on), and works again when it is back.
func TestBenchmarkSetChange(t *testing.T) {
	src := &bottest.SwitchSource{}
	src.Set(bottest.SampleSnapshot(t, 0, nil))
	h := bottest.New(t, bottest.WithSource(src))
	h.Must(`rule add tsy "coupon > treasury_10y + 400bp"`)
	h.Must(`rule add hot "coupon > utility + 400bp"`)
	h.Refresh()
	dropTsy := func(f bottest.Feed) {
		var keep []any
		for _, b := range f["benchmarks"].([]any) {
			if b.(map[string]any)["id"] != "treasury_10y" {
				keep = append(keep, b)
			}
		}
		f["benchmarks"] = keep
	}
	src.Set(bottest.SampleSnapshot(t, 1, dropTsy))
	h.Refresh()
	wantReply(t, h, "rule list", false, "error: ", "treasury_10y")
	wantReply(t, h, "status", false, "1 failing to compile")
	wantReply(t, h, "rule show hot", false, "Expression: coupon > utility + 400bp")
	src.Set(bottest.SampleSnapshot(t, 2, nil))
	h.Refresh()
	if got := h.Text("rule list"); strings.Contains(got, "error: ") {
		t.Errorf("rule list after the benchmark came back:\n%s", got)
	}
}

// TestScopeChangeResolves checks that removing a ticker from a rule's
// watchlist resolves its firing alerts.
func TestScopeChangeResolves(t *testing.T) {
	h := bottest.New(t)
	h.Must("watch create hy")
	h.Must("watch add hy CRWV APLD")
	h.Must(`rule add hot "coupon > utility + 400bp" watchlist=hy`)
	h.Refresh()
	h.Poster.Reset()
	h.Must("watch remove hy APLD")
	h.Refresh()
	got := h.Poster.Lines()
	want := []string{"RESOLVED hot APLD-9.25-2030 coupon 9.25% (utility 4.50%) — subject left the rule's scope or the data"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestRestartWithManyRules restarts on a database with enough rules to
// compile them in parallel, and checks nothing is announced twice.
func TestRestartWithManyRules(t *testing.T) {
	h := bottest.New(t)
	for i := range 40 {
		h.Must(fmt.Sprintf(`rule add r%d "coupon > utility + %dbp"`, i, 300+5*i))
	}
	h.Refresh()
	before := len(h.Poster.Posts())
	alerts := h.Text("alerts")
	h.Close()
	h2 := bottest.New(t, bottest.WithDB(h.Path))
	h2.Refresh()
	if n := len(h2.Poster.Posts()); n != 0 || before == 0 {
		t.Errorf("before restart %d notifications; after restart %d, want 0", before, n)
	}
	if got := h2.Text("alerts"); got != alerts {
		t.Errorf("alerts after restart:\n%s\nwant:\n%s", got, alerts)
	}
	if got := h2.Text("rule list"); strings.Contains(got, "error") || !strings.Contains(got, "Rules (40)") {
		t.Errorf("rule list after restart:\n%s", got)
	}
}
