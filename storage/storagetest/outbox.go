package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot"
)

// enqueue stores n notifications for team in one cycle and returns their
// outbox items as stored.
func enqueue(t *testing.T, s bot.Store, team string, n int) []bot.OutboxItem {
	t.Helper()
	var c bot.Cycle
	for i := range n {
		c.Outbox = append(c.Outbox, notification(team, fmt.Sprintf("A%d", i+1), bot.KindFiring, time.Duration(i)*time.Minute))
	}
	ids, err := s.SaveCycle(c)
	fatalIf(t, err, "SaveCycle")
	items := make([]bot.OutboxItem, n)
	for i, id := range ids {
		c.Outbox[i].ID = id
		items[i] = bot.OutboxItem{Notification: c.Outbox[i], Status: bot.OutboxPending}
	}
	return items
}

// testOutbox covers Due, UpdateOutbox and Outbox.
func testOutbox(t *testing.T, open opener) {
	now := at(10 * time.Hour)
	t.Run("pending items are due oldest first", func(t *testing.T) {
		s := parallel(t, open)
		items := enqueue(t, s, "T1", 3)
		for _, tc := range []struct {
			limit int
			want  []bot.OutboxItem
		}{
			{0, items},
			{-1, items},
			{2, items[:2]},
			{3, items},
			{10, items},
		} {
			got, err := s.Due(now, tc.limit)
			fatalIf(t, err, "Due")
			if d := diff(tc.want, got); d != "" {
				t.Errorf("Due(now, %d) mismatch (-want +got):\n%s", tc.limit, d)
			}
		}
	})
	t.Run("retry times and final states", func(t *testing.T) {
		s := parallel(t, open)
		items := enqueue(t, s, "T1", 6)
		retry := func(it bot.OutboxItem, next time.Time) bot.OutboxItem {
			it.Status, it.Attempts, it.NextAttempt = bot.OutboxRetrying, 1, next
			it.LastError, it.Backoff = "ratelimited", time.Minute
			return it
		}
		items[0] = retry(items[0], now.Add(-time.Minute))
		items[1] = retry(items[1], now.Add(time.Minute))
		items[2] = retry(items[2], now)
		items[3].Status, items[3].Attempts, items[3].Sent, items[3].Ref = bot.OutboxSent, 1, now, "1720000000.000200"
		items[4].Status, items[4].Attempts, items[4].LastError = bot.OutboxFailed, 3, "channel_not_found"
		for _, it := range items[:5] {
			fatalIf(t, s.UpdateOutbox(it), "UpdateOutbox")
		}
		for _, tc := range []struct {
			name string
			now  time.Time
			want []bot.OutboxItem
		}{
			{"before any retry", now.Add(-time.Hour), []bot.OutboxItem{items[5]}},
			{"at now", now, []bot.OutboxItem{items[0], items[2], items[5]}},
			{"a minute later", now.Add(time.Minute), []bot.OutboxItem{items[0], items[1], items[2], items[5]}},
		} {
			got, err := s.Due(tc.now, 0)
			fatalIf(t, err, "Due")
			if d := diff(tc.want, got); d != "" {
				t.Errorf("Due %s mismatch (-want +got):\n%s", tc.name, d)
			}
		}
		got, err := s.Due(now.Add(time.Minute), 2)
		fatalIf(t, err, "Due")
		if d := diff(items[:2], got); d != "" {
			t.Errorf("Due(now+1m, 2) mismatch (-want +got):\n%s", d)
		}
		all, err := s.Outbox(0)
		fatalIf(t, err, "Outbox")
		if d := diff(items, all); d != "" {
			t.Errorf("Outbox(0) after updates mismatch (-want +got):\n%s", d)
		}
	})
	t.Run("an item can be due again", func(t *testing.T) {
		s := parallel(t, open)
		it := enqueue(t, s, "T1", 1)[0]
		it.Status, it.Sent = bot.OutboxSent, now
		fatalIf(t, s.UpdateOutbox(it), "UpdateOutbox sent")
		if got, err := s.Due(now, 0); err != nil || len(got) != 0 {
			t.Fatalf("Due after sent = %v, %v; want none", got, err)
		}
		it.Status, it.NextAttempt = bot.OutboxRetrying, now
		fatalIf(t, s.UpdateOutbox(it), "UpdateOutbox retrying")
		got, err := s.Due(now, 0)
		fatalIf(t, err, "Due")
		if d := diff([]bot.OutboxItem{it}, got); d != "" {
			t.Errorf("Due after retrying again mismatch (-want +got):\n%s", d)
		}
	})
	t.Run("update of an unknown id is not found", func(t *testing.T) {
		s := parallel(t, open)
		items := enqueue(t, s, "T1", 1)
		it := items[0]
		it.Notification.ID += 100
		it.Status = bot.OutboxSent
		wantNotFound(t, s.UpdateOutbox(it), "UpdateOutbox of an unknown id")
		got, err := s.Outbox(0)
		fatalIf(t, err, "Outbox")
		if d := diff(items, got); d != "" {
			t.Errorf("Outbox(0) mismatch (-want +got):\n%s", d)
		}
	})
	t.Run("outbox lists the newest, newest last", func(t *testing.T) {
		s := parallel(t, open)
		items := enqueue(t, s, "T1", 5)
		items[1].Status = bot.OutboxSent
		fatalIf(t, s.UpdateOutbox(items[1]), "UpdateOutbox")
		for _, tc := range []struct {
			limit int
			want  []bot.OutboxItem
		}{
			{0, items},
			{2, items[3:]},
			{5, items},
			{9, items},
		} {
			got, err := s.Outbox(tc.limit)
			fatalIf(t, err, "Outbox")
			if d := diff(tc.want, got); d != "" {
				t.Errorf("Outbox(%d) mismatch (-want +got):\n%s", tc.limit, d)
			}
		}
	})
	t.Run("empty", func(t *testing.T) {
		s := parallel(t, open)
		due, err := s.Due(now, 0)
		fatalIf(t, err, "Due")
		all, err := s.Outbox(0)
		fatalIf(t, err, "Outbox")
		if len(due)+len(all) != 0 {
			t.Errorf("new store: Due = %v, Outbox = %v; want none", due, all)
		}
	})
}
