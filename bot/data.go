package bot

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spreadwatch/spreadwatch/market"
	"github.com/spreadwatch/spreadwatch/rules"
)

// dataState is the data the bot works on: the current snapshot, its
// history and the rules engine's views of them. It is immutable once
// published, so commands read it without locks.
type dataState struct {
	snap    *market.Snapshot
	fp      string
	history []*market.Snapshot // oldest first; includes snap
	fps     map[string]bool
	hist    *rules.MemHistory
	ix      *rules.Index
	env     rules.Env
	envKey  string // benchmark ids: programs are recompiled when it changes
	tickers []string
}

// newDataState builds the state for history with cur as the current
// snapshot: ix is cur's index and hist holds the history's indexes.
// fps holds the fingerprints of the history (computing one encodes the
// whole snapshot, so they are carried from state to state).
func newDataState(history []*market.Snapshot, cur *market.Snapshot, curFP string, fps map[string]bool, ix *rules.Index, hist *rules.MemHistory) *dataState {
	d := &dataState{snap: cur, fp: curFP, history: history, fps: fps, hist: hist, ix: ix}
	d.env = rules.EnvFor(cur)
	ids := make([]string, 0, len(cur.Benchmarks))
	for _, bm := range cur.Benchmarks {
		ids = append(ids, bm.ID)
	}
	slices.Sort(ids)
	d.envKey = strings.Join(ids, ",")
	d.tickers = cur.Tickers()
	return d
}

// footer is the as-of line of replies: "as of 2026-07-02 · sample".
func (d *dataState) footer() string {
	src := d.snap.Source
	if src != "sample" && src != "" {
		src = filepath.Base(src)
	}
	return fmt.Sprintf("as of %s · %s", d.snap.AsOf.UTC().Format("2006-01-02"), src)
}

// loadHistory decodes the stored snapshots into the initial data state.
func (b *Bot) loadHistory(stored []StoredSnapshot) {
	var snaps []*market.Snapshot
	for _, st := range stored {
		s, err := market.Decode(bytes.NewReader(st.Data), st.Source)
		if err != nil {
			b.log.Warn("skip unreadable stored snapshot", "as_of", st.AsOf, "err", err)
			continue
		}
		snaps = append(snaps, s)
	}
	if len(snaps) == 0 {
		return
	}
	slices.SortStableFunc(snaps, func(a, b *market.Snapshot) int { return a.AsOf.Compare(b.AsOf) })
	hist := rules.NewHistory(snaps...)
	fps := make(map[string]bool, len(stored))
	for _, st := range stored {
		fps[st.Fingerprint] = true
	}
	cur := snaps[len(snaps)-1]
	b.data.Store(newDataState(snaps, cur, cur.Fingerprint(), fps, hist.Newest(), hist))
}

// fetch reads the source and publishes a new data state when it brought
// something new. The outcome is kept for status.
func (b *Bot) fetch(ctx context.Context) error {
	b.fetchMu.Lock()
	defer b.fetchMu.Unlock()
	snaps, err := b.src.Fetch(ctx)
	if err == nil && len(snaps) == 0 {
		err = fmt.Errorf("source %s returned no snapshot", sourceName(b.src))
	}
	st := refreshStatus{at: b.now(), err: err}
	if err == nil {
		st.stored, st.changed, err = b.ingest(snaps)
		st.err = err
	}
	b.mu.Lock()
	b.lastRefresh = st
	b.mu.Unlock()
	if err != nil {
		return fmt.Errorf("refresh data from %s: %w", sourceName(b.src), err)
	}
	return nil
}

// ingest stores the fetched snapshots that are new and publishes the new
// data state. The newest fetched snapshot becomes current.
func (b *Bot) ingest(snaps []*market.Snapshot) (stored int, changed bool, err error) {
	cur := b.data.Load()
	newest := snaps[len(snaps)-1]
	for _, s := range snaps[:len(snaps)-1] {
		if s.AsOf.After(newest.AsOf) {
			newest = s
		}
	}
	if cur != nil && newest.AsOf.Before(cur.snap.AsOf) {
		// The source went back in time (an older file put in place of a
		// newer one). History is ordered by as_of, so the newest snapshot
		// stays current; what was read joins the history.
		b.log.Warn("data is older than the current snapshot; keeping the current one",
			"read_as_of", newest.AsOf, "current_as_of", cur.snap.AsOf, "source", newest.Source)
		snaps = append(slices.Clone(snaps), cur.snap)
		newest = cur.snap
	}
	var add []*market.Snapshot
	addFP := map[*market.Snapshot]string{}
	newestFP := ""
	for _, s := range snaps {
		fp := s.Fingerprint()
		if s == newest {
			newestFP = fp
		}
		switch {
		case cur == nil:
		case s == newest && fp != cur.fp:
		case s != newest && !cur.fps[fp]:
		default:
			continue
		}
		add = append(add, s)
		addFP[s] = fp
	}
	if len(add) == 0 {
		return 0, false, nil
	}
	for _, s := range add {
		var buf bytes.Buffer
		if err := market.Encode(&buf, s); err != nil {
			return stored, false, fmt.Errorf("encode snapshot as of %s: %w", s.AsOf, err)
		}
		ok, err := b.store.PutSnapshot(StoredSnapshot{AsOf: s.AsOf, Fingerprint: addFP[s], Source: s.Source, Data: buf.Bytes()}, b.retention)
		if err != nil {
			return stored, false, fmt.Errorf("store snapshot as of %s: %w", s.AsOf, err)
		}
		if ok {
			stored++
		}
	}
	var history []*market.Snapshot
	var hist *rules.MemHistory
	fps := map[string]bool{}
	if cur != nil {
		history = slices.Clone(cur.history)
		hist = cur.hist
		maps.Copy(fps, cur.fps)
	} else {
		hist = rules.NewHistory()
	}
	for _, fp := range addFP {
		fps[fp] = true
	}
	var ix *rules.Index
	for _, s := range add {
		if s == newest {
			ix = rules.NewIndex(s)
			hist.AddIndex(ix)
			continue
		}
		hist.Add(s)
		history = append(history, s)
	}
	if ix == nil {
		// Only older snapshots were new: the current one stays current.
		ix = cur.ix
	}
	history = slices.DeleteFunc(history, func(s *market.Snapshot) bool { return s.AsOf.Equal(newest.AsOf) })
	history = append(history, newest)
	slices.SortStableFunc(history, func(a, b *market.Snapshot) int { return a.AsOf.Compare(b.AsOf) })
	if b.retention > 0 && len(history) > b.retention {
		history = history[len(history)-b.retention:]
		hist.Prune(b.retention)
	}
	b.data.Store(newDataState(history, newest, newestFP, fps, ix, hist))
	b.log.Info("new snapshot", "as_of", newest.AsOf, "source", newest.Source, "stored", stored, "history", len(history))
	return stored, true, nil
}
