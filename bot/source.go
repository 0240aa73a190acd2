package bot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spreadwatch/spreadwatch/market"
)

// Source provides the market data. Fetch returns one or more snapshots:
// several snapshots are history, and the newest (by AsOf) is current. A
// failing Fetch leaves the bot on its last good snapshot.
type Source interface {
	Fetch(ctx context.Context) ([]*market.Snapshot, error)
}

// ChangeWatcher is an optional Source capability: Changed reports that a
// new Fetch would likely see new data (a file changed), so the bot
// refreshes before its interval is up.
type ChangeWatcher interface {
	Changed() bool
}

// SampleSource returns the embedded sample dataset as a Source.
func SampleSource() Source { return sampleSource{} }

type sampleSource struct{}

// Fetch implements Source: one fresh copy of the sample.
func (sampleSource) Fetch(context.Context) ([]*market.Snapshot, error) {
	s, err := market.Sample()
	if err != nil {
		return nil, err
	}
	return []*market.Snapshot{s}, nil
}

// String names the source in status.
func (sampleSource) String() string { return "sample" }

// FileSource reads feeds from files: each path is a v1 JSON feed file or a
// CSV directory, and each is one snapshot. Files are re-read on every
// Fetch; Changed reports a file whose modification time or size changed
// since the last Fetch. If any file fails to load, Fetch fails with that
// file's *market.FeedError and the bot keeps its last good data.
func FileSource(paths ...string) Source {
	return &fileSource{paths: slices.Clone(paths), stamps: map[string]string{}}
}

type fileSource struct {
	paths  []string
	mu     sync.Mutex
	stamps map[string]string
}

// Fetch implements Source: every file, oldest as_of first.
func (f *fileSource) Fetch(ctx context.Context) ([]*market.Snapshot, error) {
	if len(f.paths) == 0 {
		return nil, errors.New("no data files configured")
	}
	out := make([]*market.Snapshot, 0, len(f.paths))
	stamps := make(map[string]string, len(f.paths))
	var errs []error
	for _, p := range f.paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		stamps[p] = stamp(p)
		s, err := market.Load(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, s)
	}
	f.mu.Lock()
	f.stamps = stamps
	f.mu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b *market.Snapshot) int { return a.AsOf.Compare(b.AsOf) })
	return out, nil
}

// Changed reports whether any file's modification time or size differs
// from what the last Fetch saw.
func (f *fileSource) Changed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.paths {
		if stamp(p) != f.stamps[p] {
			return true
		}
	}
	return false
}

// String names the source in status.
func (f *fileSource) String() string { return "file " + strings.Join(f.paths, ", ") }

// stamp summarizes a file's (or a directory's files') modification times
// and sizes.
func stamp(p string) string {
	fi, err := os.Stat(p)
	if err != nil {
		return "error"
	}
	if !fi.IsDir() {
		return fmt.Sprintf("%d/%d", fi.ModTime().UnixNano(), fi.Size())
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		return "error"
	}
	var b strings.Builder
	for _, e := range ents {
		if i, err := e.Info(); err == nil {
			fmt.Fprintf(&b, "%s:%d/%d;", filepath.Base(e.Name()), i.ModTime().UnixNano(), i.Size())
		}
	}
	return b.String()
}

// sourceName describes a source for status.
func sourceName(s Source) string {
	if st, ok := s.(fmt.Stringer); ok {
		return st.String()
	}
	return fmt.Sprintf("%T", s)
}

// refreshStatus is the outcome of the last data refresh.
type refreshStatus struct {
	at      time.Time
	err     error
	stored  int // snapshots newly stored
	changed bool
}
