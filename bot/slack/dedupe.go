package slack

import (
	"sync"
	"time"
)

// dedupe remembers ids (Events API event_id) for ttl, so that a delivery
// Slack retries is handled once. It is safe for concurrent use.
type dedupe struct {
	ttl time.Duration

	mu        sync.Mutex
	seen      map[string]time.Time // id → when it expires
	lastPrune time.Time
}

func newDedupe(ttl time.Duration) *dedupe {
	return &dedupe{ttl: ttl, seen: make(map[string]time.Time)}
}

// first reports whether id is seen for the first time within ttl at now,
// and remembers it. An empty id is always first.
func (d *dedupe) first(id string, now time.Time) bool {
	if id == "" {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if now.Sub(d.lastPrune) > time.Minute {
		for k, exp := range d.seen {
			if !exp.After(now) {
				delete(d.seen, k)
			}
		}
		d.lastPrune = now
	}
	if exp, ok := d.seen[id]; ok && exp.After(now) {
		return false
	}
	d.seen[id] = now.Add(d.ttl)
	return true
}
