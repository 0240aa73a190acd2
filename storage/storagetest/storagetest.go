// Package storagetest is the conformance suite for implementations of
// [bot.Store]. Every storage backend runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) bot.Store {
//			db, err := bolt.Open(filepath.Join(t.TempDir(), "test.db"), bolt.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { db.Close() })
//			return db
//		})
//	}
//
// # Contract
//
// Beyond the method comments of [bot.Store], the suite pins down:
//
//   - Lookups of a missing named record, deletes of one, PutAlert of an
//     instance that is not stored and UpdateOutbox of an unknown id fail
//     with an error that [errors.Is] [bot.ErrNotFound].
//   - Put methods create or replace. A Put or Delete writes its audit entry
//     in the same transaction, and a failed one writes none.
//   - Lists are ordered: teams by ID; watchlists, rules and silences by
//     name (ID); AllRules and Alerts("") by team first; alerts by rule,
//     then subject. Transitions and Audit are newest first; n <= 0 means
//     all, and team "" reads every team.
//   - A team never sees another team's records, even when one team's id is
//     a prefix of the other's ("t1" and "t10").
//   - SaveCycle is atomic: when any record is invalid (an alert without a
//     team, rule or subject; a transition without a team), nothing of the
//     cycle is stored. It assigns increasing Transition.Seq numbers and
//     outbox ids, returns the ids in Cycle.Outbox order, and does not
//     modify the caller's Cycle.
//   - Due returns pending items, and retrying items whose NextAttempt is at
//     or before now, lowest id first; limit <= 0 means no limit. Outbox
//     returns the newest limit items with the newest last.
//   - PutSnapshot skips a snapshot whose fingerprint equals the newest
//     stored one's and then keeps the newest keep snapshots.
//   - Short alert ids from NextAlertID are "A1", "A2", … per team, unique
//     under concurrent calls.
//
// Every subtest gets a fresh, empty store from open and runs in parallel
// with others, so open must be safe to call concurrently and should
// register its own cleanup with t.Cleanup.
package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/spreadwatch/spreadwatch/bot"
)

// opener returns a new, empty store for one test: the open func of Run.
type opener func(t *testing.T) bot.Store

// Run runs the conformance suite against the stores open returns.
func Run(t *testing.T, open func(t *testing.T) bot.Store) {
	t.Helper()
	groups := []struct {
		name string
		run  func(*testing.T, opener)
	}{
		{"Teams", testTeams},
		{"Watchlists", testWatchlists},
		{"Rules", testRules},
		{"Silences", testSilences},
		{"Alerts", testAlerts},
		{"SaveCycle", testSaveCycle},
		{"Transitions", testTransitions},
		{"Outbox", testOutbox},
		{"Snapshots", testSnapshots},
		{"Audit", testAudit},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			g.run(t, open)
		})
	}
}

// at returns the fixtures' base time, 2026-07-01 09:00 UTC, plus d.
func at(d time.Duration) time.Time {
	return time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC).Add(d)
}

// diff is cmp.Diff for stored records: nil and empty slices are equal,
// since a backend may return either for "none".
func diff(want, got any) string { return cmp.Diff(want, got, cmpopts.EquateEmpty()) }

// fatalIf stops the test when err is not nil.
func fatalIf(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantNotFound fails the test unless err is bot.ErrNotFound.
func wantNotFound(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("%s: err = %v, want bot.ErrNotFound", what, err)
	}
}

// audit returns an audit entry for team.
func audit(team, action, target string, d time.Duration) bot.AuditEntry {
	return bot.AuditEntry{Team: team, Actor: "U1", Action: action, Target: target, Detail: "by test", At: at(d)}
}

// auditLog returns the team's whole audit log, newest first.
func auditLog(t *testing.T, s bot.Store, team string) []bot.AuditEntry {
	t.Helper()
	got, err := s.Audit(team, 0)
	fatalIf(t, err, "Audit")
	return got
}

// parallel marks t parallel and returns a fresh store.
func parallel(t *testing.T, open opener) bot.Store {
	t.Parallel()
	return open(t)
}
