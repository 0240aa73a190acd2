package storagetest

import (
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot"
)

// snapshot returns a stored-snapshot fixture h hours after the base time.
func snapshot(h int, fingerprint string) bot.StoredSnapshot {
	return bot.StoredSnapshot{
		AsOf:        at(time.Duration(h) * time.Hour),
		Fingerprint: fingerprint,
		Source:      "sample",
		Data:        []byte(`{"version":1,"as_of":"2026-07-01T09:00:00Z","fp":"` + fingerprint + `"}`),
	}
}

// testSnapshots covers PutSnapshot and Snapshots.
func testSnapshots(t *testing.T, open opener) {
	// put stores each snapshot with keep and checks what PutSnapshot
	// reported.
	put := func(t *testing.T, s bot.Store, keep int, want bool, snaps ...bot.StoredSnapshot) {
		t.Helper()
		for _, sn := range snaps {
			got, err := s.PutSnapshot(sn, keep)
			fatalIf(t, err, "PutSnapshot")
			if got != want {
				t.Errorf("PutSnapshot(%s, %d) = %t, want %t", sn.Fingerprint, keep, got, want)
			}
		}
	}
	check := func(t *testing.T, s bot.Store, want ...bot.StoredSnapshot) {
		t.Helper()
		got, err := s.Snapshots()
		fatalIf(t, err, "Snapshots")
		if d := diff(want, got); d != "" {
			t.Errorf("Snapshots() mismatch (-want +got):\n%s", d)
		}
	}
	t.Run("same as newest is skipped", func(t *testing.T) {
		s := parallel(t, open)
		a := snapshot(0, "fa")
		put(t, s, 0, true, a)
		put(t, s, 0, false, snapshot(1, "fa"))
		check(t, s, a)
	})
	t.Run("same as an older one is stored", func(t *testing.T) {
		s := parallel(t, open)
		a, b, a2 := snapshot(0, "fa"), snapshot(1, "fb"), snapshot(2, "fa")
		put(t, s, 0, true, a, b, a2)
		check(t, s, a, b, a2)
	})
	t.Run("retention keeps the newest", func(t *testing.T) {
		s := parallel(t, open)
		sn := []bot.StoredSnapshot{snapshot(0, "f0"), snapshot(1, "f1"), snapshot(2, "f2"), snapshot(3, "f3")}
		put(t, s, 2, true, sn...)
		check(t, s, sn[2:]...)
		put(t, s, 2, false, snapshot(4, "f3"))
		check(t, s, sn[2:]...)
		put(t, s, 1, true, snapshot(5, "f5"))
		check(t, s, snapshot(5, "f5"))
	})
	t.Run("keep 0 keeps all", func(t *testing.T) {
		s := parallel(t, open)
		var all []bot.StoredSnapshot
		for i, fp := range []string{"f0", "f1", "f2", "f3", "f4"} {
			all = append(all, snapshot(i, fp))
		}
		put(t, s, 0, true, all...)
		check(t, s, all...)
	})
	t.Run("binary data round trip", func(t *testing.T) {
		s := parallel(t, open)
		sn := snapshot(0, "bin")
		sn.Data = []byte{0, 1, 2, 0xfe, 0xff, '\n', '"'}
		put(t, s, 0, true, sn)
		check(t, s, sn)
	})
	t.Run("empty", func(t *testing.T) {
		s := parallel(t, open)
		check(t, s)
	})
}
