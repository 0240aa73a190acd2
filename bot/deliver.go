package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Delivery defaults; see Options.
const (
	defaultMaxAttempts  = 8
	defaultRetryBackoff = 2 * time.Second
	maxRetryBackoff     = 10 * time.Minute
	postTimeout         = 30 * time.Second
	dueBatch            = 200
	deliveryPoll        = time.Second
)

// Flush delivers every outbox notification that is due now and returns
// when none is left to try now (items waiting for a retry stay queued) or
// ctx is done. Notifications for a platform with no registered Poster stay
// pending until one is added.
//
// # Delivery guarantee
//
// A notification is written to the outbox in the same transaction as the
// transition that caused it, so a crash never loses one, and it is marked
// sent in the outbox right after the Poster returns, so a restart never
// repeats a recorded delivery. The one duplicate window: a crash (or
// kill -9) after the platform accepted a message and before the outbox
// recorded it as sent; on restart that single message is sent again.
// Only one Flush runs at a time.
func (b *Bot) Flush(ctx context.Context) error {
	b.deliverMu.Lock()
	defer b.deliverMu.Unlock()
	skipped := map[uint64]bool{}
	var refs []refUpdate
	defer func() { b.saveRefs(refs) }()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := b.now()
		items, err := b.store.Due(now, dueBatch+len(skipped))
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		tried := 0
		for _, it := range items {
			if skipped[it.Notification.ID] {
				continue
			}
			p := b.poster(it.Notification.Platform)
			if p == nil {
				skipped[it.Notification.ID] = true
				b.log.Debug("no poster for notification", "platform", it.Notification.Platform, "id", it.Notification.ID)
				continue
			}
			ru, err := b.deliver(ctx, p, it, refs)
			if ru != nil {
				refs = append(refs, *ru)
			}
			if err != nil {
				return err
			}
			tried++
		}
		b.saveRefs(refs)
		refs = refs[:0]
		if tried == 0 {
			return nil
		}
	}
}

// refUpdate is the platform ref of a delivered firing message, to be
// copied into its alert.
type refUpdate struct {
	team, alertID, ref string
}

// deliver makes one attempt at it and records the outcome. It returns an
// error only when the outcome could not be recorded or ctx is done. refs
// are the firing refs delivered earlier in this batch, not yet saved.
func (b *Bot) deliver(ctx context.Context, p Poster, it OutboxItem, refs []refUpdate) (*refUpdate, error) {
	n := it.Notification
	if n.Ref == "" && (n.Kind == KindResolved || n.Kind == KindRepeat) {
		for _, r := range refs {
			if r.team == n.Team && r.alertID == n.AlertID {
				n.Ref = r.ref
			}
		}
		if n.Ref == "" {
			n.Ref = b.alertRef(n.Team, n.AlertID)
		}
	}
	pctx, cancel := context.WithTimeout(ctx, postTimeout)
	ref, err := p.Post(pctx, n)
	cancel()
	if err != nil && ctx.Err() != nil {
		// Shutting down: leave the item as it was; it is tried again
		// after the restart.
		return nil, ctx.Err()
	}
	now := b.now()
	it.Attempts++
	log := b.log.With("id", n.ID, "platform", n.Platform, "team", n.Team, "rule", n.Rule, "subject", n.Subject, "kind", string(n.Kind))
	if err == nil {
		it.Status = OutboxSent
		it.Ref = ref
		it.Sent = now
		it.LastError = ""
		it.NextAttempt = time.Time{}
		if uerr := b.store.UpdateOutbox(it); uerr != nil {
			return nil, fmt.Errorf("record delivery of notification %d: %w", n.ID, uerr)
		}
		b.m.sent.WithLabelValues(n.Platform).Inc()
		log.Info("notification sent", "attempts", it.Attempts, "ref", ref)
		if n.Kind == KindFiring && ref != "" {
			return &refUpdate{team: n.Team, alertID: n.AlertID, ref: ref}, nil
		}
		return nil, nil
	}
	b.m.failed.WithLabelValues(n.Platform).Inc()
	var se *SendError
	permanent := errors.As(err, &se) && se.Permanent
	it.LastError = err.Error()
	if permanent || it.Attempts >= b.maxAttempts {
		it.Status = OutboxFailed
		it.NextAttempt = time.Time{}
		log.Error("notification failed", "attempts", it.Attempts, "err", err)
	} else {
		backoff := it.Backoff * 2
		if backoff <= 0 {
			backoff = b.retryBackoff
		}
		backoff = min(backoff, maxRetryBackoff)
		it.Backoff = backoff
		wait := backoff
		if se != nil && se.RetryAfter > wait {
			wait = se.RetryAfter
		}
		it.Status = OutboxRetrying
		it.NextAttempt = now.Add(wait)
		log.Warn("notification send failed, will retry", "attempts", it.Attempts, "retry_in", wait.String(), "err", err)
	}
	b.mu.Lock()
	b.lastSendErr = fmt.Sprintf("%s: %s", n.Platform, it.LastError)
	b.mu.Unlock()
	if uerr := b.store.UpdateOutbox(it); uerr != nil {
		return nil, fmt.Errorf("record failed delivery of notification %d: %w", n.ID, uerr)
	}
	return nil, nil
}

// saveRefs copies the refs of delivered firing messages into their
// alerts, in one write, so that a resolve can update the message across
// restarts too. A crash before it only loses the update-in-place: the
// resolve is then posted as a new message.
func (b *Bot) saveRefs(refs []refUpdate) {
	if len(refs) == 0 {
		return
	}
	b.cycleMu.Lock()
	defer b.cycleMu.Unlock()
	var upd []Alert
	b.mu.RLock()
	for _, r := range refs {
		if ta := b.alerts[r.team]; ta != nil {
			if a := ta.byID[r.alertID]; a != nil && a.Ref != r.ref {
				x := *a
				x.Ref = r.ref
				upd = append(upd, x)
			}
		}
	}
	b.mu.RUnlock()
	if len(upd) == 0 {
		return
	}
	if _, err := b.store.SaveCycle(Cycle{Alerts: upd}); err != nil {
		b.log.Warn("record message refs", "err", err)
		return
	}
	b.mu.Lock()
	for _, a := range upd {
		b.putAlertLocked(a)
	}
	b.mu.Unlock()
}

// alertRef returns the platform ref of the alert's firing message, or "".
func (b *Bot) alertRef(team, id string) string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if ta := b.alerts[team]; ta != nil {
		if a := ta.byID[id]; a != nil {
			return a.Ref
		}
	}
	return ""
}

// poster returns the Poster registered for platform, or nil.
func (b *Bot) poster(platform string) Poster {
	b.postersMu.RLock()
	defer b.postersMu.RUnlock()
	return b.posters[platform]
}

// wakeDelivery asks the Run loop to deliver soon.
func (b *Bot) wakeDelivery() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}
