package slack

import (
	"context"
	"sync"
	"time"
)

// limiter spaces messages to one channel at least interval apart without
// holding up other channels. It is safe for concurrent use.
type limiter struct {
	interval time.Duration

	mu   sync.Mutex
	next map[string]time.Time // channel → earliest time of its next message
}

func newLimiter(interval time.Duration) *limiter {
	return &limiter{interval: interval, next: make(map[string]time.Time)}
}

// wait blocks until channel may receive a message, reserving that slot,
// or returns ctx's error.
func (l *limiter) wait(ctx context.Context, channel string) error {
	now := time.Now()
	l.mu.Lock()
	slot := now
	if n, ok := l.next[channel]; ok && n.After(now) {
		slot = n
	}
	l.next[channel] = slot.Add(l.interval)
	if len(l.next) > 1024 {
		l.prune(now)
	}
	l.mu.Unlock()

	d := slot.Sub(now)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// backoff keeps channel quiet until d from now, after Slack asked for it.
func (l *limiter) backoff(channel string, d time.Duration) {
	until := time.Now().Add(d)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.next[channel].Before(until) {
		l.next[channel] = until
	}
}

// prune forgets channels whose next slot has passed. l.mu must be held.
func (l *limiter) prune(now time.Time) {
	for ch, n := range l.next {
		if !n.After(now) {
			delete(l.next, ch)
		}
	}
}
