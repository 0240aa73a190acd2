package bolt

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/spreadwatch/spreadwatch/bot"
)

// undelivered reports whether an item with status s still waits for a
// delivery attempt, and so belongs in outbox_due.
func undelivered(s bot.OutboxStatus) bool {
	return s == bot.OutboxPending || s == bot.OutboxRetrying
}

// isDue reports whether it should be attempted at now.
func isDue(it bot.OutboxItem, now time.Time) bool {
	switch it.Status {
	case bot.OutboxPending:
		return true
	case bot.OutboxRetrying:
		return !it.NextAttempt.After(now)
	}
	return false
}

// unixNano is t.UnixNano clamped to the int64 range, so that times before
// 1678 and after 2262 (including the zero time) still compare correctly.
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// dueValue is an item's outbox_due value: the earliest time, in Unix
// nanoseconds, at which it may be due. Due reads the item itself only when
// that time has come.
func dueValue(it bot.OutboxItem) []byte {
	at := int64(math.MinInt64) // pending: due at once
	if it.Status == bot.OutboxRetrying {
		at = unixNano(it.NextAttempt)
	}
	return binary.BigEndian.AppendUint64(nil, uint64(at))
}

// unsafeEnqueue appends n to the outbox as a pending item with the next
// outbox id, in the caller's write transaction, and returns the id.
func unsafeEnqueue(tx *bbolt.Tx, n bot.Notification) (uint64, error) {
	b := bucket(tx, bucketOutbox)
	id, err := b.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	n.ID = id
	it := bot.OutboxItem{Notification: n, Status: bot.OutboxPending}
	k := seqKey(nil, id)
	if err := put(b, k, it); err != nil {
		return 0, fmt.Errorf("outbox item %d: %w", id, err)
	}
	if err := bucket(tx, bucketOutboxDue).Put(k, dueValue(it)); err != nil {
		return 0, fmt.Errorf("outbox item %d: %w", id, err)
	}
	return id, nil
}

// Due returns outbox items that are pending, or retrying with NextAttempt
// at or before now, oldest (lowest id) first, at most limit of them;
// limit <= 0 means no limit. It reads only undelivered items, however many
// sent ones the outbox holds.
func (db *DB) Due(now time.Time, limit int) ([]bot.OutboxItem, error) {
	nowNs := unixNano(now)
	var out []bot.OutboxItem
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		items := bucket(tx, bucketOutbox)
		c := bucket(tx, bucketOutboxDue).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) > nowNs {
				continue
			}
			raw := items.Get(k)
			if raw == nil {
				continue
			}
			var it bot.OutboxItem
			if err := decode(raw, &it); err != nil {
				return fmt.Errorf("outbox item %d: %w", keySeq(k), err)
			}
			if !isDue(it, now) {
				continue
			}
			out = append(out, it)
			if limit > 0 && len(out) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("due outbox items: %w", err)
	}
	return out, nil
}

// UpdateOutbox replaces the stored item with id it.Notification.ID by it,
// recording a delivery attempt's outcome. A pending or retrying item stays
// in the due index; a sent or failed one leaves it. It fails with
// [bot.ErrNotFound] when there is no item with that id.
func (db *DB) UpdateOutbox(it bot.OutboxItem) error {
	id := it.Notification.ID
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		b := bucket(tx, bucketOutbox)
		k := seqKey(nil, id)
		if b.Get(k) == nil {
			return bot.ErrNotFound
		}
		if err := put(b, k, it); err != nil {
			return err
		}
		due := bucket(tx, bucketOutboxDue)
		if undelivered(it.Status) {
			return due.Put(k, dueValue(it))
		}
		return due.Delete(k)
	})
	if err != nil {
		return fmt.Errorf("update outbox item %d: %w", id, err)
	}
	return nil
}

// Outbox lists the newest limit outbox items of every status in id order,
// newest last; limit <= 0 lists all of them.
func (db *DB) Outbox(limit int) ([]bot.OutboxItem, error) {
	var out []bot.OutboxItem
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		c := bucket(tx, bucketOutbox).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var it bot.OutboxItem
			if err := decode(v, &it); err != nil {
				return fmt.Errorf("outbox item %d: %w", keySeq(k), err)
			}
			out = append(out, it)
			if limit > 0 && len(out) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}
