package bot_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot"
	"github.com/spreadwatch/spreadwatch/bot/bottest"
	"github.com/spreadwatch/spreadwatch/market"
	"github.com/spreadwatch/spreadwatch/storage/bolt"
)

const benchRules = 10000

// cpuTime is the process's user+system CPU time so far. The benchmarks
// report it per op next to wall time, because this machine is shared and
// wall time varies with its load.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per op since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// benchRule returns the i-th rule of the benchmark set: a mix of bond,
// project and issuer rules with varied thresholds, some of which hold and
// some of which lack data.
func benchRule(i int) string {
	switch i % 6 {
	case 0:
		return fmt.Sprintf(`rule add r%d "coupon > utility + %dbp"`, i, 200+i%400)
	case 1:
		return fmt.Sprintf(`rule add r%d "spread > %dbp && secured == false"`, i, 100+i%500)
	case 2:
		return fmt.Sprintf(`rule add r%d "slip_days > %d"`, i, i%120)
	case 3:
		return fmt.Sprintf(`rule add r%d "pipeline_ratio > %d.%d"`, i, i%5, i%10)
	case 4:
		return fmt.Sprintf(`rule add r%d "mw_cut > %d || slip > %dd"`, i, i%50, 30+i%90)
	default:
		return fmt.Sprintf(`rule add r%d "yield > utility + %dbp"`, i, i%300)
	}
}

var (
	benchDBOnce sync.Once
	benchDBPath string
	benchDBErr  error
)

// benchDB builds, once, a database with benchRules rules evaluated once
// over the sample, and returns a fresh copy of it.
func benchDB(b *testing.B) string {
	b.Helper()
	benchDBOnce.Do(func() {
		dir, err := os.MkdirTemp("", "spreadwatch-bench")
		if err != nil {
			benchDBErr = err
			return
		}
		benchDBPath = filepath.Join(dir, "bench.db")
		h := bottest.New(b, bottest.WithDB(benchDBPath))
		for i := range benchRules {
			if r := h.Do(benchRule(i)); r.Error {
				benchDBErr = fmt.Errorf("%s: %s", benchRule(i), r.PlainText())
				return
			}
		}
		h.Refresh()
		h.Close()
	})
	if benchDBErr != nil {
		b.Fatal(benchDBErr)
	}
	dst := filepath.Join(b.TempDir(), "bench.db")
	data, err := os.ReadFile(benchDBPath)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		b.Fatal(err)
	}
	return dst
}

// openBench opens a copy of the benchmark database with fsync on, the way
// the bot runs, and starts a bot on it.
func openBench(b *testing.B, src bot.Source) (*bot.Bot, *bottest.RecordingPoster) {
	b.Helper()
	db, err := bolt.Open(benchDB(b), bolt.Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if src == nil {
		src = bot.SampleSource()
	}
	bt, err := bot.New(bot.Options{Store: db, Source: src, NotifyResolved: true})
	if err != nil {
		b.Fatal(err)
	}
	p := &bottest.RecordingPoster{}
	bt.AddPoster("test", p)
	if err := bt.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	if err := bt.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	p.Reset()
	return bt, p
}

// BenchmarkRefresh10kRules is one refresh cycle with 10,000 rules over the
// unchanged sample: fetch, evaluation, state machine, no writes.
func BenchmarkRefresh10kRules(b *testing.B) {
	bt, _ := openBench(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	c0 := cpuTime()
	for b.Loop() {
		if err := bt.Refresh(ctx); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, c0)
}

// BenchmarkRefresh10kRulesChanging alternates the utility level between
// two snapshots, so each cycle flips the coupon rules' alerts (firing ↔
// resolved) and commits transitions and notifications in one bbolt
// transaction with fsync.
func BenchmarkRefresh10kRulesChanging(b *testing.B) {
	src := &bottest.SwitchSource{}
	var snaps [2]*market.Snapshot
	for i, l := range []float64{4.5, 4.6} {
		snaps[i] = bottest.SampleSnapshot(b, 0, func(f bottest.Feed) { bottest.SetBenchmark(f, "utility", l) })
	}
	src.Set(snaps[0])
	bt, p := openBench(b, src)
	ctx := context.Background()
	n := 0
	b.ReportAllocs()
	c0 := cpuTime()
	defer func() {
		reportCPU(b, c0)
		b.ReportMetric(float64(len(p.Posts()))/float64(b.N), "notifications/op")
	}()
	for b.Loop() {
		n++
		s := *snaps[n%2]
		s.AsOf = s.AsOf.Add(time.Duration(n) * time.Minute)
		src.Set(&s)
		if err := bt.Refresh(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// latency runs f b.N times and reports its p50 and p99.
func latency(b *testing.B, f func()) {
	var ds []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		f()
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkSpreadCommand answers `spread CRWV` with 10k rules loaded.
func BenchmarkSpreadCommand(b *testing.B) {
	bt, _ := openBench(b, nil)
	req := bot.Request{Platform: "test", Team: "T1", User: "U1", Channel: "C1", Text: "spread CRWV"}
	latency(b, func() {
		if r := bt.Handle(context.Background(), req); r.Error {
			b.Fatal(r.PlainText())
		}
	})
}

// BenchmarkRuleTestCommand answers `rule test r5000` with 10k rules
// loaded.
func BenchmarkRuleTestCommand(b *testing.B) {
	bt, _ := openBench(b, nil)
	req := bot.Request{Platform: "test", Team: "T1", User: "U1", Channel: "C1", Text: "rule test r5000"}
	latency(b, func() {
		if r := bt.Handle(context.Background(), req); r.Error {
			b.Fatal(r.PlainText())
		}
	})
}

// BenchmarkStartup10kRules opens the database with 10k rules and their
// alerts, loads everything and runs the first evaluation; it reports the
// heap in use afterwards.
func BenchmarkStartup10kRules(b *testing.B) {
	path := benchDB(b)
	var heap uint64
	var cpu time.Duration
	for b.Loop() {
		c0 := cpuTime()
		db, err := bolt.Open(path, bolt.Options{Timeout: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		bt, err := bot.New(bot.Options{Store: db, NotifyResolved: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := bt.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpu += cpuTime() - c0
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = ms.HeapInuse
		fmt.Fprint(io.Discard, bt.Ready())
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
}

// BenchmarkAlertsCommand answers `alerts` with 10k rules and their alert
// instances loaded.
func BenchmarkAlertsCommand(b *testing.B) {
	bt, _ := openBench(b, nil)
	req := bot.Request{Platform: "test", Team: "T1", User: "U1", Channel: "C1", Text: "alerts"}
	latency(b, func() {
		if r := bt.Handle(context.Background(), req); r.Error {
			b.Fatal(r.PlainText())
		}
	})
}

// BenchmarkStatusCommand answers `status` with 10k rules loaded.
func BenchmarkStatusCommand(b *testing.B) {
	bt, _ := openBench(b, nil)
	req := bot.Request{Platform: "test", Team: "T1", User: "U1", Channel: "C1", Text: "status"}
	latency(b, func() {
		if r := bt.Handle(context.Background(), req); r.Error {
			b.Fatal(r.PlainText())
		}
	})
}

// BenchmarkRefreshUnchangedAllocs is a refresh over unchanged data with
// 100 and with 2,000 rules whose expressions allocate nothing in the
// expression VM (see allocFreeRule), each with its firing, lacking-data
// and idle instances stored. allocs/op is the same for both: a refresh
// allocates per changed instance, not per rule or instance.
func BenchmarkRefreshUnchangedAllocs(b *testing.B) {
	for _, n := range []int{100, 2000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			h := bottest.New(b)
			allocFreeSetup(h)
			for i := range n {
				h.Must(allocFreeRule(i))
			}
			h.Refresh()
			h.Refresh()
			b.ReportAllocs()
			for b.Loop() {
				h.Refresh()
			}
		})
	}
}
