package bolt_test

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot"
	"github.com/spreadwatch/spreadwatch/storage/bolt"
)

// benchOpen opens a database for a benchmark's setup or body.
func benchOpen(b *testing.B, path string, noSync bool) *bolt.DB {
	b.Helper()
	db, err := bolt.Open(path, bolt.Options{NoSync: noSync, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkSaveCycle10kAlerts commits one cycle that upserts 10,000 alert
// instances, with fsync, as a large evaluation cycle would.
func BenchmarkSaveCycle10kAlerts(b *testing.B) {
	db := benchOpen(b, tempPath(b), false)
	defer db.Close()
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	var c bot.Cycle
	for i := range 10_000 {
		c.Alerts = append(c.Alerts, bot.Alert{
			ID: fmt.Sprintf("A%d", i+1), Team: "T1", Rule: fmt.Sprintf("rule-%d", i%50),
			Subject: fmt.Sprintf("BOND-%d", i), Ticker: "CIFR", State: bot.StateFiring,
			Since: now, ActiveSince: now, FiringSince: now,
			Reason: "coupon 9.25% > utility + 400bp", Values: "coupon=9.25 utility=4.85",
		})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.SaveCycle(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDue asks for due items in an outbox of 100,000 sent items and
// 10 pending ones.
func BenchmarkDue(b *testing.B) {
	db := benchOpen(b, tempPath(b), true)
	defer db.Close()
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	n := bot.Notification{Platform: "slack", Team: "T1", Channel: "C1", Kind: bot.KindFiring, Reply: bot.Reply{Title: "CIFR 7.125% 2030"}}
	for range 10 {
		var c bot.Cycle
		for range 10_000 {
			c.Outbox = append(c.Outbox, n)
		}
		ids, err := db.SaveCycle(c)
		if err != nil {
			b.Fatal(err)
		}
		for _, id := range ids {
			n := n
			n.ID = id
			if err := db.UpdateOutbox(bot.OutboxItem{Notification: n, Status: bot.OutboxSent, Attempts: 1, Sent: now}); err != nil {
				b.Fatal(err)
			}
		}
	}
	pending := bot.Cycle{Outbox: make([]bot.Notification, 10)}
	for i := range pending.Outbox {
		pending.Outbox[i] = n
	}
	if _, err := db.SaveCycle(pending); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		due, err := db.Due(now, 100)
		if err != nil {
			b.Fatal(err)
		}
		if len(due) != 10 {
			b.Fatalf("Due returned %d items, want 10", len(due))
		}
	}
}

// BenchmarkOpenAllRules opens a database holding 10,000 rules, lists them
// all and closes it, as the bot does at start.
func BenchmarkOpenAllRules(b *testing.B) {
	path := tempPath(b)
	db := benchOpen(b, path, true)
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	for i := range 10_000 {
		r := bot.Rule{
			Team: fmt.Sprintf("T%d", i%20), Name: fmt.Sprintf("rule-%d", i),
			Expr: "coupon > utility + 400bp", Clear: "coupon < utility + 350bp",
			For: 2 * time.Hour, Repeat: 24 * time.Hour, Severity: bot.SeverityWarn,
			Channel: "C1", Platform: "slack", Author: "U1", Created: now, Updated: now,
		}
		if err := db.PutRule(r, bot.AuditEntry{Actor: "U1", Action: "rule.add", Target: r.Name, At: now}); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		db := benchOpen(b, path, false)
		rules, err := db.AllRules()
		if err != nil {
			b.Fatal(err)
		}
		if len(rules) != 10_000 {
			b.Fatalf("AllRules returned %d rules, want 10000", len(rules))
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
