package bolt_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	"github.com/spreadwatch/spreadwatch/bot"
	"github.com/spreadwatch/spreadwatch/storage/bolt"
)

// v1Value encodes v as schema 1 stored it: record version 1, then JSON.
func v1Value(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte{1}, b...)
}

// buildV1 writes a schema 1 file by hand, as the first release laid it
// out: one bucket per concern and no index buckets.
func buildV1(t *testing.T, path string, fill func(tx *bbolt.Tx) error) {
	t.Helper()
	withBolt(t, path, func(tx *bbolt.Tx) error {
		for _, name := range []string{"meta", "teams", "watchlists", "rules", "alerts", "transitions", "silences", "outbox", "snapshots", "audit"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		if err := tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte("1")); err != nil {
			return err
		}
		return fill(tx)
	})
}

func TestMigrateFromV1(t *testing.T) {
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	rule := bot.Rule{Team: "T1", Name: "hi", Expr: "coupon > utility + 400bp", For: 2 * time.Hour, Severity: bot.SeverityWarn, Created: now}
	cifr := bot.Alert{ID: "A7", Team: "T1", Rule: "hi", Subject: "CIFR-2030", Ticker: "CIFR", State: bot.StateFiring, Since: now}
	wulf := bot.Alert{ID: "A3", Team: "T1", Rule: "hi", Subject: "WULF-2030", Ticker: "WULF", State: bot.StatePending, Since: now}
	other := bot.Alert{ID: "A2", Team: "T2", Rule: "lo", Subject: "IREN", Ticker: "IREN", State: bot.StateFiring, Since: now}
	// A9 was removed before the upgrade; only its transition remembers it.
	gone := bot.Transition{Team: "T1", AlertID: "A9", Rule: "hi", Subject: "CORZ-2029", From: bot.StateFiring, To: bot.StateResolved, At: now}
	items := []bot.OutboxItem{
		{Notification: bot.Notification{Team: "T1", AlertID: "A7", Kind: bot.KindFiring}, Status: bot.OutboxPending},
		{Notification: bot.Notification{Team: "T1", AlertID: "A9", Kind: bot.KindFiring}, Status: bot.OutboxSent, Sent: now},
		{Notification: bot.Notification{Team: "T1", AlertID: "A9", Kind: bot.KindResolved}, Status: bot.OutboxRetrying, NextAttempt: now.Add(time.Minute)},
		{Notification: bot.Notification{Team: "T1", AlertID: "A3", Kind: bot.KindRepeat}, Status: bot.OutboxFailed},
	}

	path := tempPath(t)
	buildV1(t, path, func(tx *bbolt.Tx) error {
		if err := tx.Bucket([]byte("teams")).Put([]byte("T1"), v1Value(t, bot.Team{ID: "T1", Platform: "slack", Created: now})); err != nil {
			return err
		}
		if err := tx.Bucket([]byte("rules")).Put([]byte("T1\x00hi"), v1Value(t, rule)); err != nil {
			return err
		}
		alerts := tx.Bucket([]byte("alerts"))
		for _, a := range []bot.Alert{cifr, wulf, other} {
			if err := alerts.Put([]byte(a.Team+"\x00"+a.Rule+"\x00"+a.Subject), v1Value(t, a)); err != nil {
				return err
			}
		}
		trs := tx.Bucket([]byte("transitions"))
		seq, _ := trs.NextSequence()
		gone.Seq = seq
		if err := trs.Put(binary.BigEndian.AppendUint64([]byte("T1\x00"), seq), v1Value(t, gone)); err != nil {
			return err
		}
		outbox := tx.Bucket([]byte("outbox"))
		for i := range items {
			id, _ := outbox.NextSequence()
			items[i].Notification.ID = id
			if err := outbox.Put(binary.BigEndian.AppendUint64(nil, id), v1Value(t, items[i])); err != nil {
				return err
			}
		}
		return nil
	})

	var logs bytes.Buffer
	db, err := bolt.Open(path, bolt.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("Open(v1 file) = %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if !strings.Contains(logs.String(), "migrated database schema") || !strings.Contains(logs.String(), "from=1 to=2") {
		t.Errorf("Open logged %q, want the migration from 1 to 2", logs.String())
	}

	rules, err := db.Rules("T1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bot.Rule{rule}, rules); diff != "" {
		t.Errorf("Rules(T1) after migration mismatch (-want +got):\n%s", diff)
	}
	for _, want := range []bot.Alert{cifr, wulf, other} {
		got, err := db.AlertByID(want.Team, want.ID)
		if err != nil {
			t.Errorf("AlertByID(%s, %s) after migration = %v", want.Team, want.ID, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("AlertByID(%s, %s) mismatch (-want +got):\n%s", want.Team, want.ID, diff)
		}
	}
	for _, tc := range []struct{ team, want string }{{"T1", "A10"}, {"T2", "A3"}, {"T3", "A1"}} {
		got, err := db.NextAlertID(tc.team)
		if err != nil || got != tc.want {
			t.Errorf("NextAlertID(%s) after migration = %q, %v; want %q", tc.team, got, err, tc.want)
		}
	}
	due, err := db.Due(now.Add(time.Minute), 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bot.OutboxItem{items[0], items[2]}, due); diff != "" {
		t.Errorf("Due after migration mismatch (-want +got):\n%s", diff)
	}
	ids, err := db.SaveCycle(bot.Cycle{Outbox: []bot.Notification{{Team: "T1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := items[len(items)-1].Notification.ID + 1; len(ids) != 1 || ids[0] != want {
		t.Errorf("first outbox ids after migration = %v, want [%d]", ids, want)
	}
	trs, err := db.Transitions("T1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bot.Transition{gone}, trs); diff != "" {
		t.Errorf("Transitions(T1) after migration mismatch (-want +got):\n%s", diff)
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := schemaVersion(t, path); got != "2" {
		t.Errorf("schema_version after migration = %q, want 2", got)
	}
	logs.Reset()
	db2, err := bolt.Open(path, bolt.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("reopen after migration = %v", err)
	}
	db2.Close()
	if logs.Len() != 0 {
		t.Errorf("reopening a migrated file logged %q, want nothing", logs.String())
	}
}

func TestNewFileIsAtCurrentSchema(t *testing.T) {
	path := tempPath(t)
	db, err := bolt.Open(path, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if got := schemaVersion(t, path); got != "2" {
		t.Errorf("schema_version of a new file = %q, want 2", got)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	path := tempPath(t)
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	team := bot.Team{ID: "T1", Platform: "slack", Created: now}
	w := bot.Watchlist{Team: "T1", Name: "miners", Channel: "C1", Tickers: []string{"CIFR", "WULF"}, Author: "U1", Created: now, Updated: now}
	r := bot.Rule{Team: "T1", Name: "hi", Expr: "coupon > utility + 400bp", For: 2 * time.Hour, Repeat: 24 * time.Hour, Severity: bot.SeverityCrit, Created: now}
	sil := bot.Silence{ID: "S1", Team: "T1", Ticker: "CIFR", Until: now.Add(24 * time.Hour), Author: "U1", Created: now}
	a := bot.Alert{ID: "A1", Team: "T1", Rule: "hi", Subject: "CIFR-2030", Ticker: "CIFR", State: bot.StateFiring, Since: now, FiringSince: now}
	tr := bot.Transition{Team: "T1", AlertID: "A1", Rule: "hi", Subject: "CIFR-2030", From: bot.StatePending, To: bot.StateFiring, At: now, Reason: "held for 2h"}
	n := bot.Notification{Platform: "slack", Team: "T1", Channel: "C1", Kind: bot.KindFiring, AlertID: "A1", Reply: bot.Reply{Title: "CIFR"}, Created: now}
	snap := bot.StoredSnapshot{AsOf: now, Fingerprint: "f1", Source: "sample", Data: []byte(`{"v":1}`)}
	audit := bot.AuditEntry{Team: "T1", Actor: "U1", Action: "rule.add", Target: "hi", At: now}

	db, err := bolt.Open(path, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	check("EnsureTeam", db.EnsureTeam(team))
	check("PutWatchlist", db.PutWatchlist(w, audit))
	check("PutRule", db.PutRule(r, audit))
	check("PutSilence", db.PutSilence(sil, audit))
	id, err := db.NextAlertID("T1")
	check("NextAlertID", err)
	if id != "A1" {
		t.Fatalf("NextAlertID = %q, want A1", id)
	}
	ids, err := db.SaveCycle(bot.Cycle{Alerts: []bot.Alert{a}, Transitions: []bot.Transition{tr}, Outbox: []bot.Notification{n}})
	check("SaveCycle", err)
	_, err = db.PutSnapshot(snap, 10)
	check("PutSnapshot", err)
	check("Close", db.Close())

	db = mustOpen(t, path)
	tr.Seq = 1
	n.ID = ids[0]
	for _, tc := range []struct {
		what string
		want any
		got  func() (any, error)
	}{
		{"Teams", []bot.Team{team}, func() (any, error) { return db.Teams() }},
		{"Watchlist", w, func() (any, error) { return db.Watchlist("T1", "miners") }},
		{"Rules", []bot.Rule{r}, func() (any, error) { return db.AllRules() }},
		{"Silences", []bot.Silence{sil}, func() (any, error) { return db.Silences("T1") }},
		{"AlertByID", a, func() (any, error) { return db.AlertByID("T1", "A1") }},
		{"Transitions", []bot.Transition{tr}, func() (any, error) { return db.Transitions("T1", 0) }},
		{"Due", []bot.OutboxItem{{Notification: n, Status: bot.OutboxPending}}, func() (any, error) { return db.Due(now, 0) }},
		{"Snapshots", []bot.StoredSnapshot{snap}, func() (any, error) { return db.Snapshots() }},
		{"Audit", []bot.AuditEntry{audit, audit, audit}, func() (any, error) { return db.Audit("T1", 0) }},
		{"NextAlertID", "A2", func() (any, error) { return db.NextAlertID("T1") }},
	} {
		got, err := tc.got()
		if err != nil {
			t.Errorf("%s after reopen: %v", tc.what, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s after reopen mismatch (-want +got):\n%s", tc.what, diff)
		}
	}
	ids2, err := db.SaveCycle(bot.Cycle{Outbox: []bot.Notification{n}})
	check("SaveCycle after reopen", err)
	if ids2[0] <= ids[0] {
		t.Errorf("outbox id after reopen = %d, want above %d", ids2[0], ids[0])
	}
}
