package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// session runs the bot with stdin from a script and returns the exit
// status, stdout and stderr.
func session(t *testing.T, script string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(t.Context(), args, func(string) string { return "" }, strings.NewReader(script), &out, &errb)
	return code, out.String(), errb.String()
}

// notifications returns the FIRING and RESOLVED lines, reduced to
// "KIND rule subject".
func notifications(out string) []string {
	var got []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "FIRING ") || strings.HasPrefix(l, "RESOLVED ") {
			f := strings.Fields(l)
			got = append(got, strings.Join(f[:3], " "))
		}
	}
	return got
}

// TestConsoleLifecycle is the scripted console contract on a feed the
// sample has never seen: the right FIRING lines, no repeats after a
// restart, RESOLVED lines on a newer feed where the rule stopped holding.
func TestConsoleLifecycle(t *testing.T) {
	db := filepath.Join(t.TempDir(), "team.db")
	script := `watch create credit
watch add credit NRTH SLTE
rule add hot "coupon > utility + 400bp" watchlist=credit
rule add wide "spread > 600bp" severity=crit
refresh
alerts
`
	code, out, errOut := session(t, script, "--db", db, "--data", feedAug)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	want := []string{"FIRING hot NRTH-9.00-2030", "FIRING hot SLTE-10.50-2031", "FIRING wide SLTE-10.50-2031"}
	if diff := cmp.Diff(want, sorted(notifications(out))); diff != "" {
		t.Errorf("notifications (-want +got):\n%s\nstdout:\n%s", diff, out)
	}
	if strings.HasPrefix(out, "> ") {
		t.Errorf("a prompt was printed on non-terminal input")
	}
	// refresh delivers before it replies: every FIRING line comes before
	// the refresh reply.
	if i, j := strings.LastIndex(out, "FIRING"), strings.Index(out, "Refreshed"); i < 0 || j < 0 || i > j {
		t.Errorf("FIRING lines (last at %d) do not come before the refresh reply (at %d)", i, j)
	}

	// Same db, same data: nothing is notified again, alerts still lists them.
	code, out, errOut = session(t, "alerts\n", "--db", db, "--data", feedAug)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, errOut)
	}
	if n := notifications(out); len(n) != 0 {
		t.Errorf("second run repeated notifications: %v", n)
	}
	for _, s := range []string{"NRTH-9.00-2030", "SLTE-10.50-2031"} {
		if !strings.Contains(out, s) {
			t.Errorf("second run's alerts do not list %s:\n%s", s, out)
		}
	}

	// A newer feed where utility rose to 5.5%: NRTH's 9% coupon no longer
	// clears utility + 400bp (SLTE's 10.5% still does), and SLTE's spread
	// (yield 11.25% − 5.5% = +575 bp) falls below 600 bp.
	code, out, errOut = session(t, "refresh\n", "--db", db, "--data", feedAug, "--data", feedSep)
	if code != 0 {
		t.Fatalf("third run: exit %d: %s", code, errOut)
	}
	if diff := cmp.Diff([]string{"RESOLVED hot NRTH-9.00-2030", "RESOLVED wide SLTE-10.50-2031"}, sorted(notifications(out))); diff != "" {
		t.Errorf("third run notifications (-want +got):\n%s\nstdout:\n%s", diff, out)
	}
}

func sorted(s []string) []string {
	return slices.Sorted(slices.Values(s))
}

// TestNoReplyLineLooksLikeANotification feeds commands whose replies echo
// user text and checks no reply line starts with FIRING or RESOLVED.
func TestNoReplyLineLooksLikeANotification(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	script := "FIRING now\nRESOLVED\nwatch create FIRING\nrule add RESOLVED \"coupon > 99%\"\nrule test \"coupon > 99%\"\nhelp\n"
	code, out, _ := session(t, script, "--db", db)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if n := notifications(out); len(n) != 0 {
		t.Errorf("reply lines look like notifications: %v\n%s", n, out)
	}
}

// TestBadInputKeepsServing sends malformed and hostile commands; each gets
// a reply, and the last command still works.
func TestBadInputKeepsServing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	var script strings.Builder
	for _, l := range []string{
		"sprad CIFR", "spread", "spread NOPE", "rule add x \"coupon >\"", "rule add y \"cupon > 1\"",
		"rule add z \"coupon > 1\" for=2x", `rule add q "unbalanced`, "watch add nope CIFR", "ack A999",
		strings.Repeat("x", 100000), "rule add big \"" + strings.Repeat("(", 3000) + "1" + strings.Repeat(")", 3000) + " > 0\"",
		"mute", "alerts history -5", "\x00\x01\x02",
	} {
		script.WriteString(l + "\n")
	}
	script.WriteString("spread CIFR\n")
	code, out, errOut := session(t, script.String(), "--db", db)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "CIFR-7.125-2030") {
		t.Errorf("the bot stopped answering after bad input:\n%s", out)
	}
	if strings.Contains(out+errOut, "goroutine ") {
		t.Errorf("a stack trace was printed")
	}
	if !strings.Contains(out, `did you mean`) {
		t.Errorf("no suggestion for misspelled input:\n%s", out)
	}
}

func TestDatabaseInUse(t *testing.T) {
	db := filepath.Join(t.TempDir(), "locked.db")
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var out1 syncBuffer
	go func() {
		done <- run(t.Context(), []string{"--db", db}, func(string) string { return "" }, pr, &out1, io.Discard)
	}()
	// Wait until the first process has the database (it answers a command).
	fmt.Fprintln(pw, "status")
	waitFor(t, func() bool {
		return strings.Contains(out1.String(), "Status") || strings.Contains(out1.String(), "status")
	})

	start := time.Now()
	code, _, errOut := session(t, "", "--db", db)
	if code == 0 || !strings.Contains(errOut, "database in use") {
		t.Errorf("second process: exit %d, stderr %q; want a 'database in use' error", code, errOut)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("second process took %v to give up", d)
	}
	pw.Close()
	if code := <-done; code != 0 {
		t.Errorf("first process exit %d", code)
	}
}

func TestAdminEndpoints(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := filepath.Join(dir, "spreadwatch.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("db: bot.db\nadmin:\n  listen: %s\nconsole:\n  enabled: \"true\"\n", addr)), 0o644)
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		done <- run(ctx, []string{"--config", cfg}, func(string) string { return "" }, pr, io.Discard, io.Discard)
	}()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitFor(t, func() bool { c, _ := get("/readyz"); return c == http.StatusOK })
	if c, body := get("/healthz"); c != http.StatusOK || !strings.Contains(body, "ok") {
		t.Errorf("/healthz = %d %q", c, body)
	}
	fmt.Fprintln(pw, "rule add hot \"coupon > utility + 400bp\"")
	fmt.Fprintln(pw, "refresh")
	waitFor(t, func() bool {
		_, body := get("/metrics")
		return strings.Contains(body, "spreadwatch_") && strings.Contains(body, "firing")
	})
	_, body := get("/metrics")
	for _, m := range []string{"go_goroutines", "spreadwatch_"} {
		if !strings.Contains(body, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	if c, _ := get("/nope"); c != http.StatusNotFound {
		t.Errorf("/nope = %d, want 404", c)
	}
	if resp, err := http.Post("http://"+addr+"/healthz", "text/plain", nil); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %v, %v; want 405", resp.Status, err)
	} else {
		resp.Body.Close()
	}
	// SIGTERM-style shutdown: cancel the context; the bot exits cleanly.
	cancel()
	pw.Close()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after shutdown", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the bot did not stop after its context was cancelled")
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"--nope"}, {"stray"}, {"--config", "/does/not/exist.yaml"}} {
		code, _, errOut := session(t, "", args...)
		if code != 2 || errOut == "" {
			t.Errorf("run %v: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
	code, out, _ := session(t, "", "help")
	if code != 0 || !strings.Contains(out, "spreadwatch eval") {
		t.Errorf("help: exit %d, %q", code, out)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 15s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
