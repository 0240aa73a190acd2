package console_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spreadwatch/spreadwatch/bot"
	"github.com/spreadwatch/spreadwatch/bot/bottest"
	"github.com/spreadwatch/spreadwatch/bot/console"
	"github.com/spreadwatch/spreadwatch/storage/bolt"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// session runs one console session: a bot on the database at dbPath
// reading feed, with script as standard input, at the fixed time now.
func session(t *testing.T, dbPath, feed, script string, now time.Time) string {
	t.Helper()
	db, err := bolt.Open(dbPath, bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, err := bot.New(bot.Options{
		Store: db, Source: bot.FileSource(feed), NotifyResolved: true,
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c := console.New(console.Options{In: strings.NewReader(script), Out: &out})
	b.AddPoster(console.Platform, c)
	if err := b.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := c.Run(t.Context(), b); err != nil {
		t.Fatalf("Run = %v, want nil at end of input", err)
	}
	return out.String()
}

// linesWith returns the lines of s that begin with prefix.
func linesWith(s, prefix string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// TestSession is the golden transcript of three console sessions on one
// database: rules fire, a restart repeats nothing, and a newer feed in
// which the condition no longer holds resolves them.
func TestSession(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "spreadwatch.db")
	feed1 := bottest.WriteFeed(t, filepath.Join(dir, "feed-2026-07-02.json"), bottest.SampleFeed(t, 0, nil))
	feed2 := bottest.WriteFeed(t, filepath.Join(dir, "feed-2026-07-09.json"), bottest.SampleFeed(t, 7, func(f bottest.Feed) {
		bottest.SetBenchmark(f, "utility", 5.5)
	}))
	day := time.Date(2026, 7, 3, 9, 0, 0, 0, time.UTC)
	runs := []struct {
		feed, script string
		now          time.Time
	}{
		{feed1, "help\nspreads\nwatch create hy\nwatch add hy CIFR WULF\nrule add hot \"coupon > utility + 400bp\"\nrefresh\nalerts\nack A1 looked\n", day},
		{feed1, "alerts\n", day.Add(time.Hour)},
		{feed2, "alerts\nalerts history 6\n", day.Add(7 * 24 * time.Hour)},
	}
	var transcript strings.Builder
	var outs []string
	for i, r := range runs {
		out := session(t, db, r.feed, r.script, r.now)
		outs = append(outs, out)
		transcript.WriteString("=== session " + string(rune('1'+i)) + " on " + filepath.Base(r.feed) + "\n")
		for _, l := range strings.Split(strings.TrimSuffix(r.script, "\n"), "\n") {
			transcript.WriteString("$ " + l + "\n")
		}
		transcript.WriteString("---\n" + out)
	}

	wantFiring := []string{
		"FIRING hot CRWV-9.25-2030 coupon 9.25% (utility 4.50%) — coupon > utility + 400bp",
		"FIRING hot CRWV-9.00-2031 coupon 9.00% (utility 4.50%) — coupon > utility + 400bp",
		"FIRING hot APLD-9.25-2030 coupon 9.25% (utility 4.50%) — coupon > utility + 400bp",
	}
	if diff := cmp.Diff(wantFiring, linesWith(outs[0], "FIRING")); diff != "" {
		t.Errorf("session 1 FIRING lines (-want +got):\n%s", diff)
	}
	if got := linesWith(outs[0], "RESOLVED"); got != nil {
		t.Errorf("session 1 RESOLVED lines: %q", got)
	}
	if got := append(linesWith(outs[1], "FIRING"), linesWith(outs[1], "RESOLVED")...); got != nil {
		t.Errorf("session 2 repeated notifications: %q", got)
	}
	if !strings.Contains(outs[1], "Alerts: 3 firing") {
		t.Errorf("session 2 alerts do not list the firing alerts:\n%s", outs[1])
	}
	resolved := regexp.MustCompile(`^RESOLVED hot (CRWV-9.25-2030|CRWV-9.00-2031|APLD-9.25-2030) coupon [0-9.]+% \(utility 5.50%\) — no longer holds: coupon > utility \+ 400bp$`)
	got := linesWith(outs[2], "RESOLVED")
	if len(got) != 3 {
		t.Errorf("session 3 RESOLVED lines = %q, want 3", got)
	}
	for _, l := range got {
		if !resolved.MatchString(l) {
			t.Errorf("session 3 RESOLVED line %q does not match %s", l, resolved)
		}
	}
	if got := linesWith(outs[2], "FIRING"); got != nil {
		t.Errorf("session 3 FIRING lines: %q", got)
	}
	if strings.Contains(transcript.String(), "> ") && strings.Contains(transcript.String(), "\n> ") {
		t.Errorf("non-interactive session printed a prompt")
	}

	golden := filepath.Join("testdata", "session.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(transcript.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), transcript.String()); diff != "" {
		t.Errorf("transcript differs from %s (-want +got):\n%s", golden, diff)
	}
}

// TestRenderIndentsNotificationWords checks that no reply line can pass
// for a notification.
func TestRenderIndentsNotificationWords(t *testing.T) {
	r := bot.Reply{Title: "Firing alerts", Text: "RESOLVED one\nfine", Fields: []bot.Field{{Name: "FIRING", Value: "x"}}}
	for _, l := range strings.Split(console.Render(r), "\n") {
		if u := strings.ToUpper(l); strings.HasPrefix(u, "FIRING") || strings.HasPrefix(u, "RESOLVED") {
			t.Errorf("reply line %q begins with a notification word", l)
		}
	}
}

func TestInteractivePrompt(t *testing.T) {
	h := bottest.New(t, bottest.WithoutPoster())
	var out bytes.Buffer
	c := console.New(console.Options{In: strings.NewReader("status\n"), Out: &out, Interactive: true})
	h.Bot.AddPoster(console.Platform, c)
	if err := c.Run(t.Context(), h.Bot); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "> spreadwatch status") {
		t.Errorf("interactive output does not start with a prompt:\n%s", out.String())
	}
}

// TestLongLineAndBadInput checks that overlong lines and bad commands get
// a one-line answer and the session goes on.
func TestLongLineAndBadInput(t *testing.T) {
	h := bottest.New(t, bottest.WithoutPoster())
	var out bytes.Buffer
	in := strings.Repeat("x", 200_000) + "\nsprad CIFR\nrule add \"unbalanced\nstatus\n"
	c := console.New(console.Options{In: strings.NewReader(in), Out: &out})
	if err := c.Run(t.Context(), h.Bot); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"command too long", `unknown command "sprad"; did you mean: spread TICKER`, "unbalanced quote", "spreadwatch status"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRunStopsOnCancel checks that Run returns when its context ends
// while it waits for input.
func TestRunStopsOnCancel(t *testing.T) {
	h := bottest.New(t, bottest.WithoutPoster())
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	defer pr.Close()
	ctx, cancel := context.WithCancel(t.Context())
	c := console.New(console.Options{In: pr})
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, h.Bot) }()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Run = nil after cancel, want ctx error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
