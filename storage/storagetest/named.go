package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot"
)

// named describes a team-scoped record kind that is stored under a name
// (watchlists, rules) or an id (silences), so one set of tests covers them
// all.
type named[T any] struct {
	kind string // audit action prefix and messages: "watch", "rule"
	// make returns a record of team called name; v varies its contents.
	make func(team, name string, v int) T
	put  func(s bot.Store, r T, a bot.AuditEntry) error
	// get is nil when the Store has no single-record lookup for the kind.
	get  func(s bot.Store, team, name string) (T, error)
	list func(s bot.Store, team string) ([]T, error)
	del  func(s bot.Store, team, name string, a bot.AuditEntry) error
}

// testNamed runs the shared tests of a named record kind.
func testNamed[T any](t *testing.T, open opener, k named[T]) {
	t.Run("round trip", func(t *testing.T) {
		s := parallel(t, open)
		r := k.make("T01", "miners", 1)
		fatalIf(t, k.put(s, r, audit("T01", k.kind+".add", "miners", 0)), "put")
		if k.get != nil {
			got, err := k.get(s, "T01", "miners")
			fatalIf(t, err, "get")
			if d := diff(r, got); d != "" {
				t.Errorf("get(T01, miners) mismatch (-want +got):\n%s", d)
			}
		}
		got, err := k.list(s, "T01")
		fatalIf(t, err, "list")
		if d := diff([]T{r}, got); d != "" {
			t.Errorf("list(T01) mismatch (-want +got):\n%s", d)
		}
	})
	t.Run("put replaces", func(t *testing.T) {
		s := parallel(t, open)
		fatalIf(t, k.put(s, k.make("T01", "miners", 1), audit("T01", k.kind+".add", "miners", 0)), "put")
		r2 := k.make("T01", "miners", 2)
		fatalIf(t, k.put(s, r2, audit("T01", k.kind+".update", "miners", time.Minute)), "put again")
		got, err := k.list(s, "T01")
		fatalIf(t, err, "list")
		if d := diff([]T{r2}, got); d != "" {
			t.Errorf("list(T01) after replace mismatch (-want +got):\n%s", d)
		}
	})
	t.Run("listed by name", func(t *testing.T) {
		s := parallel(t, open)
		var want []T
		for _, name := range []string{"alpha", "beta", "gamma"} {
			want = append(want, k.make("T01", name, 1))
		}
		for _, i := range []int{1, 2, 0} {
			fatalIf(t, k.put(s, want[i], audit("T01", k.kind+".add", "x", 0)), "put")
		}
		got, err := k.list(s, "T01")
		fatalIf(t, err, "list")
		if d := diff(want, got); d != "" {
			t.Errorf("list(T01) mismatch (-want +got):\n%s", d)
		}
	})
	t.Run("missing is not found", func(t *testing.T) {
		s := parallel(t, open)
		if k.get != nil {
			_, err := k.get(s, "T01", "nope")
			wantNotFound(t, err, "get(T01, nope)")
		}
		err := k.del(s, "T01", "nope", audit("T01", k.kind+".delete", "nope", 0))
		wantNotFound(t, err, "delete(T01, nope)")
		if got := auditLog(t, s, "T01"); len(got) != 0 {
			t.Errorf("failed delete wrote audit entries %v, want none", got)
		}
	})
	t.Run("put and delete are audited", func(t *testing.T) {
		s := parallel(t, open)
		add := audit("T01", k.kind+".add", "miners", 0)
		fatalIf(t, k.put(s, k.make("T01", "miners", 1), add), "put")
		del := audit("T01", k.kind+".delete", "miners", time.Minute)
		fatalIf(t, k.del(s, "T01", "miners", del), "delete")
		if k.get != nil {
			_, err := k.get(s, "T01", "miners")
			wantNotFound(t, err, "get after delete")
		}
		got, err := k.list(s, "T01")
		fatalIf(t, err, "list")
		if len(got) != 0 {
			t.Errorf("list(T01) after delete = %v, want none", got)
		}
		if d := diff([]bot.AuditEntry{del, add}, auditLog(t, s, "T01")); d != "" {
			t.Errorf("Audit(T01) mismatch (-want +got):\n%s", d)
		}
	})
	t.Run("teams are isolated", func(t *testing.T) {
		s := parallel(t, open)
		// "T1" is a prefix of "T10": a naive prefix scan would mix them.
		a := k.make("T1", "shared", 1)
		b := k.make("T10", "shared", 2)
		onlyB := k.make("T10", "only", 3)
		for _, p := range []struct {
			team string
			r    T
		}{{"T1", a}, {"T10", b}, {"T10", onlyB}} {
			fatalIf(t, k.put(s, p.r, audit(p.team, k.kind+".add", "x", 0)), "put")
		}
		for _, tc := range []struct {
			team string
			want []T
		}{
			{"T1", []T{a}},
			{"T10", []T{onlyB, b}},
			{"T", nil},
		} {
			got, err := k.list(s, tc.team)
			fatalIf(t, err, "list")
			if d := diff(tc.want, got); d != "" {
				t.Errorf("list(%q) mismatch (-want +got):\n%s", tc.team, d)
			}
		}
		if k.get != nil {
			_, err := k.get(s, "T1", "only")
			wantNotFound(t, err, "get(T1, only) of a T10 record")
		}
		wantNotFound(t, k.del(s, "T1", "only", audit("T1", k.kind+".delete", "only", 0)), "delete(T1, only) of a T10 record")
		fatalIf(t, k.del(s, "T1", "shared", audit("T1", k.kind+".delete", "shared", 0)), "delete(T1, shared)")
		got, err := k.list(s, "T10")
		fatalIf(t, err, "list")
		if d := diff([]T{onlyB, b}, got); d != "" {
			t.Errorf("list(T10) after deleting T1's record mismatch (-want +got):\n%s", d)
		}
	})
}

// testWatchlists covers the watchlist methods.
func testWatchlists(t *testing.T, open opener) {
	testNamed(t, open, named[bot.Watchlist]{
		kind: "watch",
		make: func(team, name string, v int) bot.Watchlist {
			return bot.Watchlist{
				Team:    team,
				Name:    name,
				Channel: fmt.Sprintf("C%d", v),
				Tickers: []string{"CIFR", "WULF", fmt.Sprintf("X%d", v)},
				Author:  "U1",
				Created: at(0),
				Updated: at(time.Duration(v) * time.Minute),
			}
		},
		put:  bot.Store.PutWatchlist,
		get:  bot.Store.Watchlist,
		list: bot.Store.Watchlists,
		del:  bot.Store.DeleteWatchlist,
	})
}

// rule returns a rule fixture of team called name; v varies its contents.
func rule(team, name string, v int) bot.Rule {
	return bot.Rule{
		Team:      team,
		Name:      name,
		Expr:      fmt.Sprintf("coupon > utility + %dbp", 400+v),
		Clear:     "coupon < utility + 350bp",
		For:       2 * time.Hour,
		Repeat:    24 * time.Hour,
		MaxAge:    72 * time.Hour,
		Watchlist: "miners",
		Severity:  bot.SeverityWarn,
		Channel:   "C1",
		Platform:  "slack",
		Author:    "U1",
		Created:   at(0),
		Updated:   at(time.Duration(v) * time.Minute),
	}
}

// testRules covers the rule methods, AllRules included.
func testRules(t *testing.T, open opener) {
	testNamed(t, open, named[bot.Rule]{
		kind: "rule",
		make: rule,
		put:  bot.Store.PutRule,
		list: bot.Store.Rules,
		del:  bot.Store.DeleteRule,
	})
	t.Run("all rules by team then name", func(t *testing.T) {
		s := parallel(t, open)
		want := []bot.Rule{rule("T1", "a", 1), rule("T1", "b", 2), rule("T10", "a", 3), rule("T2", "a", 4)}
		for _, i := range []int{3, 1, 2, 0} {
			fatalIf(t, s.PutRule(want[i], audit(want[i].Team, "rule.add", want[i].Name, 0)), "PutRule")
		}
		got, err := s.AllRules()
		fatalIf(t, err, "AllRules")
		if d := diff(want, got); d != "" {
			t.Errorf("AllRules() mismatch (-want +got):\n%s", d)
		}
	})
	t.Run("no rules", func(t *testing.T) {
		s := parallel(t, open)
		got, err := s.AllRules()
		fatalIf(t, err, "AllRules")
		if len(got) != 0 {
			t.Errorf("AllRules() = %v, want none", got)
		}
	})
}

// testSilences covers the silence methods.
func testSilences(t *testing.T, open opener) {
	testNamed(t, open, named[bot.Silence]{
		kind: "mute",
		make: func(team, id string, v int) bot.Silence {
			return bot.Silence{
				ID:      id,
				Team:    team,
				Rule:    "hi-coupon",
				Ticker:  fmt.Sprintf("T%d", v),
				Until:   at(24 * time.Hour),
				Author:  "U1",
				Comment: "earnings week",
				Created: at(time.Duration(v) * time.Minute),
			}
		},
		put:  bot.Store.PutSilence,
		list: bot.Store.Silences,
		del:  bot.Store.DeleteSilence,
	})
}
