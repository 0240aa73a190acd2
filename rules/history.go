package rules

import (
	"slices"
	"sync"
	"time"

	"github.com/spreadwatch/spreadwatch/market"
)

// History gives rules access to older snapshots, for prev, change and
// crossed_above/crossed_below. Implementations must be safe for concurrent
// use.
type History interface {
	// Before returns the index of the newest snapshot strictly older than
	// t, and false when there is none.
	Before(t time.Time) (*Index, bool)
	// AtOrBefore returns the index of the newest snapshot with AsOf <= t,
	// and false when there is none.
	AtOrBefore(t time.Time) (*Index, bool)
}

// MemHistory is a History held in memory: snapshots sorted by AsOf, each
// with its Index built once. It is safe for concurrent use.
type MemHistory struct {
	mu  sync.RWMutex
	ixs []*Index // sorted by AsOf, oldest first
}

var _ History = (*MemHistory)(nil)

// NewHistory returns a history holding snaps, in any order.
func NewHistory(snaps ...*market.Snapshot) *MemHistory {
	h := &MemHistory{}
	for _, s := range snaps {
		h.Add(s)
	}
	return h
}

// Add indexes s and adds it, replacing a snapshot with the same AsOf. It
// returns the new index.
func (h *MemHistory) Add(s *market.Snapshot) *Index {
	ix := NewIndex(s)
	h.AddIndex(ix)
	return ix
}

// AddIndex adds an index that is already built, replacing one with the
// same AsOf.
func (h *MemHistory) AddIndex(ix *Index) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := ix.snap.AsOf
	i, found := slices.BinarySearchFunc(h.ixs, t, func(e *Index, t time.Time) int { return e.snap.AsOf.Compare(t) })
	if found {
		h.ixs[i] = ix
		return
	}
	h.ixs = slices.Insert(h.ixs, i, ix)
}

// Before implements History.
func (h *MemHistory) Before(t time.Time) (*Index, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	i, _ := slices.BinarySearchFunc(h.ixs, t, func(e *Index, t time.Time) int { return e.snap.AsOf.Compare(t) })
	if i == 0 {
		return nil, false
	}
	return h.ixs[i-1], true
}

// AtOrBefore implements History.
func (h *MemHistory) AtOrBefore(t time.Time) (*Index, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	i, found := slices.BinarySearchFunc(h.ixs, t, func(e *Index, t time.Time) int { return e.snap.AsOf.Compare(t) })
	if found {
		return h.ixs[i], true
	}
	if i == 0 {
		return nil, false
	}
	return h.ixs[i-1], true
}

// Newest returns the index of the newest snapshot, or nil when empty.
func (h *MemHistory) Newest() *Index {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if len(h.ixs) == 0 {
		return nil
	}
	return h.ixs[len(h.ixs)-1]
}

// Len returns the number of snapshots held.
func (h *MemHistory) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.ixs)
}

// Prune drops all but the newest keep snapshots.
func (h *MemHistory) Prune(keep int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	keep = max(keep, 0)
	if len(h.ixs) > keep {
		n := copy(h.ixs, h.ixs[len(h.ixs)-keep:])
		clear(h.ixs[n:])
		h.ixs = h.ixs[:n]
	}
}
