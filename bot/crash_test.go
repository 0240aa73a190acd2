package bot_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot"
	"github.com/spreadwatch/spreadwatch/bot/bottest"
	"github.com/spreadwatch/spreadwatch/market"
	"github.com/spreadwatch/spreadwatch/storage/bolt"
)

// The crash test re-executes the test binary as a child process (see
// TestMain) that runs evaluation cycles and delivers notifications until
// the parent kills it with SIGKILL.
const (
	envChild     = "SPREADWATCH_CRASH_CHILD" // "loop" or "drain"
	envDB        = "SPREADWATCH_CRASH_DB"
	envDelivered = "SPREADWATCH_CRASH_LOG"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(envChild); mode != "" {
		if err := crashChild(mode, os.Getenv(envDB), os.Getenv(envDelivered)); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// filePoster is the "platform" of the crash test: it accepts a
// notification by appending "pid id kind rule subject" to a file and
// syncing it, and only then returns.
type filePoster struct {
	mu sync.Mutex
	f  *os.File
}

func (p *filePoster) Post(_ context.Context, n bot.Notification) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := fmt.Fprintf(p.f, "%d %d %s %s %s\n", os.Getpid(), n.ID, n.Kind, n.Rule, n.Subject); err != nil {
		return "", err
	}
	if err := p.f.Sync(); err != nil {
		return "", err
	}
	return "m" + strconv.FormatUint(n.ID, 10), nil
}

// flipSource alternates between the sample with utility at 4.5 (three
// bonds over utility + 400bp) and at 6.0 (none), with a fresh as_of on
// every fetch.
type flipSource struct {
	snaps [2]*market.Snapshot
	n     int
}

func (s *flipSource) Fetch(context.Context) ([]*market.Snapshot, error) {
	s.n++
	cp := *s.snaps[s.n%2]
	cp.AsOf = time.Now().UTC().Truncate(time.Microsecond)
	return []*market.Snapshot{&cp}, nil
}

func newFlipSource() (*flipSource, error) {
	var s flipSource
	for i, level := range []float64{4.5, 6.0} {
		snap, err := market.Sample()
		if err != nil {
			return nil, err
		}
		for j := range snap.Benchmarks {
			if snap.Benchmarks[j].ID == "utility" {
				l := level
				snap.Benchmarks[j].Level = &l
			}
		}
		s.snaps[i] = snap
	}
	return &s, nil
}

// crashChild runs cycles until killed ("loop"), or starts and delivers
// what is pending, then exits ("drain").
func crashChild(mode, dbPath, logPath string) error {
	db, err := bolt.Open(dbPath, bolt.Options{Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	src, err := newFlipSource()
	if err != nil {
		return err
	}
	b, err := bot.New(bot.Options{Store: db, Source: src, NotifyResolved: true, Retention: 5})
	if err != nil {
		return err
	}
	b.AddPoster("test", &filePoster{f: f})
	ctx := context.Background()
	if err := b.Start(ctx); err != nil {
		return err
	}
	if mode == "drain" {
		return b.Flush(ctx)
	}
	for {
		if err := b.Refresh(ctx); err != nil {
			return err
		}
	}
}

type delivery struct {
	pid  int
	id   uint64
	line int // position in the log
}

func TestCrashDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "crash.db")
	logPath := filepath.Join(dir, "delivered.log")

	// Set up the rules in the parent.
	h := bottest.New(t, bottest.WithDB(dbPath))
	h.Must(`rule add hot "coupon > utility + 400bp"`)
	h.Must(`rule add warm "coupon > utility + 300bp"`)
	h.Must(`rule add lacking "yield > utility"`)
	h.Close()

	run := func(mode string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envChild+"="+mode, envDB+"="+dbPath, envDelivered+"="+logPath)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if stderr.Len() > 0 {
				t.Logf("child %d stderr: %s", cmd.Process.Pid, stderr.String())
			}
		})
		return cmd
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	const kills = 15
	for i := range kills {
		cmd := run("loop")
		time.Sleep(time.Duration(150+rng.IntN(500)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("child %d ended by itself (%v), not by SIGKILL", i, err)
		}
	}
	drain := run("drain")
	if err := drain.Wait(); err != nil {
		t.Fatalf("drain child: %v", err)
	}

	// What the platform accepted.
	lf, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	var log []delivery
	kinds := map[uint64]string{}
	sc := bufio.NewScanner(lf)
	for sc.Scan() {
		var d delivery
		var kind, rule, subject string
		if _, err := fmt.Sscanf(sc.Text(), "%d %d %s %s %s", &d.pid, &d.id, &kind, &rule, &subject); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		d.line = len(log)
		log = append(log, d)
		kinds[d.id] = kind + " " + rule + " " + subject
	}
	lastOfPid := map[int]int{}
	for i, d := range log {
		lastOfPid[d.pid] = i
	}
	seen := map[uint64][]delivery{}
	for _, d := range log {
		seen[d.id] = append(seen[d.id], d)
	}

	// What the outbox says.
	db, err := bolt.Open(dbPath, bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	items, err := db.Outbox(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) < 10 {
		t.Fatalf("only %d notifications were produced; the test did not exercise enough cycles", len(items))
	}
	dups, explained := 0, 0
	for _, it := range items {
		id := it.Notification.ID
		if it.Status != bot.OutboxSent {
			t.Errorf("notification %d is %s after the drain, want sent", id, it.Status)
		}
		ds := seen[id]
		if len(ds) == 0 {
			t.Errorf("notification %d (%s %s) was never delivered", id, it.Notification.Kind, it.Notification.Subject)
			continue
		}
		for _, d := range ds[:len(ds)-1] {
			dups++
			// The documented window: the process was killed after the
			// platform accepted the message and before the outbox
			// recorded it, so this was that process's last delivery.
			if lastOfPid[d.pid] == d.line {
				explained++
			} else {
				t.Errorf("notification %d delivered again although its first delivery (pid %d) was recorded", id, d.pid)
			}
		}
	}
	// Never twice for the same transition: per alert instance the
	// notifications alternate firing, resolved, firing, …
	last := map[string]bot.NotificationKind{}
	for _, it := range items {
		n := it.Notification
		k := n.Rule + "/" + n.Subject
		if n.Kind == last[k] || (last[k] == "" && n.Kind != bot.KindFiring) {
			t.Errorf("notification %d: %s after %q for %s", n.ID, n.Kind, last[k], k)
		}
		last[k] = n.Kind
	}
	t.Logf("%d kills, %d notifications, %d deliveries, %d duplicates (%d in the documented crash window)", kills, len(items), len(log), dups, explained)
}
