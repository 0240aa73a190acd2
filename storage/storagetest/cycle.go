package storagetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/spreadwatch/spreadwatch/bot"
)

// transition returns a transition fixture of team.
func transition(team, alertID string, from, to bot.AlertState, d time.Duration) bot.Transition {
	return bot.Transition{
		Team:    team,
		AlertID: alertID,
		Rule:    "hi-coupon",
		Subject: "CIFR-2030",
		Ticker:  "CIFR",
		From:    from,
		To:      to,
		At:      at(d),
		Reason:  "coupon 9.25% > utility + 400bp for 2h",
	}
}

// notification returns a notification fixture of team.
func notification(team, alertID string, kind bot.NotificationKind, d time.Duration) bot.Notification {
	return bot.Notification{
		Platform: "slack",
		Team:     team,
		Channel:  "C1",
		Kind:     kind,
		AlertID:  alertID,
		Rule:     "hi-coupon",
		Subject:  "CIFR-2030",
		Ticker:   "CIFR",
		Severity: bot.SeverityWarn,
		Reply: bot.Reply{
			Title:    "CIFR 7.125% 2030: coupon above utility + 400bp",
			Text:     "Spread +440 bp",
			Fields:   []bot.Field{{Name: "Spread", Value: "+440 bp", Inline: true}},
			Tables:   []bot.Table{{Title: "Bonds", Columns: []string{"Bond", "Coupon"}, Rows: [][]string{{"CIFR-2030", "7.125%"}}}},
			Footer:   "as of 2026-07-01 · sample",
			Severity: bot.SeverityWarn,
			Actions:  []bot.Action{{ID: "ack", Label: "Ack", Command: "ack " + alertID, Style: "primary"}},
		},
		Ref:     "1720000000.000100",
		Created: at(d),
	}
}

// fullCycle returns a cycle touching every part of the store for team.
func fullCycle(team string) bot.Cycle {
	return bot.Cycle{
		Alerts: []bot.Alert{
			alert(team, "A1", "hi-coupon", "CIFR-2030", bot.StateFiring),
			alert(team, "A2", "hi-coupon", "WULF-2030", bot.StatePending),
		},
		Transitions: []bot.Transition{
			transition(team, "A1", bot.StateInactive, bot.StatePending, 0),
			transition(team, "A1", bot.StatePending, bot.StateFiring, time.Hour),
			transition(team, "A2", bot.StateInactive, bot.StatePending, time.Hour),
		},
		Outbox: []bot.Notification{
			notification(team, "A1", bot.KindFiring, time.Hour),
			notification(team, "A2", bot.KindRepeat, time.Hour),
		},
	}
}

// state is everything a cycle can change, for before/after comparisons.
type state struct {
	Alerts      []bot.Alert
	Transitions []bot.Transition
	Outbox      []bot.OutboxItem
	Due         []bot.OutboxItem
}

// snapshotState reads the store's cycle state.
func snapshotState(t *testing.T, s bot.Store) state {
	t.Helper()
	var st state
	var err error
	st.Alerts, err = s.Alerts("")
	fatalIf(t, err, "Alerts")
	st.Transitions, err = s.Transitions("", 0)
	fatalIf(t, err, "Transitions")
	st.Outbox, err = s.Outbox(0)
	fatalIf(t, err, "Outbox")
	st.Due, err = s.Due(at(1000*time.Hour), 0)
	fatalIf(t, err, "Due")
	return st
}

// testSaveCycle covers SaveCycle: id assignment, atomicity, concurrency.
func testSaveCycle(t *testing.T, open opener) {
	t.Run("assigns outbox ids and transition seqs", func(t *testing.T) {
		s := parallel(t, open)
		c := fullCycle("T1")
		ids, err := s.SaveCycle(c)
		fatalIf(t, err, "SaveCycle")
		if len(ids) != len(c.Outbox) || ids[0] == 0 || ids[1] <= ids[0] {
			t.Fatalf("SaveCycle ids = %v, want %d increasing non-zero ids", ids, len(c.Outbox))
		}
		var wantOutbox []bot.OutboxItem
		for i, n := range c.Outbox {
			n.ID = ids[i]
			wantOutbox = append(wantOutbox, bot.OutboxItem{Notification: n, Status: bot.OutboxPending})
		}
		gotOutbox, err := s.Outbox(0)
		fatalIf(t, err, "Outbox")
		if d := diff(wantOutbox, gotOutbox); d != "" {
			t.Errorf("Outbox(0) mismatch (-want +got):\n%s", d)
		}

		got, err := s.Transitions("T1", 0)
		fatalIf(t, err, "Transitions")
		want := slices.Clone(c.Transitions)
		slices.Reverse(want)
		if d := cmp.Diff(want, got, cmpopts.IgnoreFields(bot.Transition{}, "Seq")); d != "" {
			t.Errorf("Transitions(T1, 0) mismatch (-want +got):\n%s", d)
		}
		for i := range got {
			if got[i].Seq == 0 || (i > 0 && got[i].Seq >= got[i-1].Seq) {
				t.Errorf("Transitions(T1, 0) seqs = %v, want non-zero and decreasing", seqs(got))
				break
			}
		}

		alerts, err := s.Alerts("T1")
		fatalIf(t, err, "Alerts")
		if d := diff(c.Alerts, alerts); d != "" {
			t.Errorf("Alerts(T1) mismatch (-want +got):\n%s", d)
		}

		ids2, err := s.SaveCycle(fullCycle("T10"))
		fatalIf(t, err, "second SaveCycle")
		if ids2[0] <= ids[1] {
			t.Errorf("second SaveCycle ids = %v, want above %v", ids2, ids)
		}
		got2, err := s.Transitions("T10", 0)
		fatalIf(t, err, "Transitions")
		if got2[len(got2)-1].Seq <= got[0].Seq {
			t.Errorf("second cycle seqs %v, want above first cycle's %v", seqs(got2), seqs(got))
		}
	})
	t.Run("does not modify the cycle", func(t *testing.T) {
		s := parallel(t, open)
		c := fullCycle("T1")
		_, err := s.SaveCycle(c)
		fatalIf(t, err, "SaveCycle")
		if d := diff(fullCycle("T1"), c); d != "" {
			t.Errorf("SaveCycle modified its argument (-before +after):\n%s", d)
		}
	})
	t.Run("empty cycle", func(t *testing.T) {
		s := parallel(t, open)
		ids, err := s.SaveCycle(bot.Cycle{})
		fatalIf(t, err, "SaveCycle")
		if len(ids) != 0 {
			t.Errorf("SaveCycle(empty) ids = %v, want none", ids)
		}
	})
	t.Run("is atomic", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			spoil func(c *bot.Cycle)
		}{
			{"alert without team", func(c *bot.Cycle) { c.Alerts = append(c.Alerts, alert("", "A3", "r", "s", bot.StateFiring)) }},
			{"alert without subject", func(c *bot.Cycle) { c.Alerts = append(c.Alerts, alert("T1", "A3", "r", "", bot.StateFiring)) }},
			{"removed alert without rule", func(c *bot.Cycle) { c.Removed = append(c.Removed, alert("T1", "A3", "", "s", bot.StateFiring)) }},
			{"transition without team", func(c *bot.Cycle) {
				c.Transitions = append(c.Transitions, transition("", "A1", bot.StateFiring, bot.StateResolved, 0))
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := parallel(t, open)
				_, err := s.SaveCycle(fullCycle("T1"))
				fatalIf(t, err, "SaveCycle")
				before := snapshotState(t, s)

				c := fullCycle("T1")
				c.Alerts[0].State = bot.StateResolved
				c.Removed = []bot.Alert{c.Alerts[1]}
				c.Alerts = c.Alerts[:1]
				tc.spoil(&c)
				ids, err := s.SaveCycle(c)
				if err == nil {
					t.Fatalf("SaveCycle of an invalid cycle = %v, nil; want an error", ids)
				}
				if d := diff(before, snapshotState(t, s)); d != "" {
					t.Errorf("failed SaveCycle changed the store (-before +after):\n%s", d)
				}
			})
		}
	})
	t.Run("concurrent cycles get distinct ids", func(t *testing.T) {
		s := parallel(t, open)
		const workers, each = 4, 5
		got := make([][]uint64, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for range each {
					c := fullCycle("T1")
					c.Alerts = nil
					ids, err := s.SaveCycle(c)
					if err != nil {
						errs[w] = err
						return
					}
					got[w] = append(got[w], ids...)
				}
			})
		}
		wg.Wait()
		var all []uint64
		for w := range workers {
			fatalIf(t, errs[w], "SaveCycle")
			if !slices.IsSorted(got[w]) {
				t.Errorf("worker %d ids %v, want increasing", w, got[w])
			}
			all = append(all, got[w]...)
		}
		slices.Sort(all)
		if n := len(slices.Compact(slices.Clone(all))); n != workers*each*2 {
			t.Errorf("got %d distinct outbox ids, want %d: %v", n, workers*each*2, all)
		}
		out, err := s.Outbox(0)
		fatalIf(t, err, "Outbox")
		var outIDs []uint64
		for _, it := range out {
			outIDs = append(outIDs, it.Notification.ID)
		}
		if d := diff(all, outIDs); d != "" {
			t.Errorf("Outbox(0) ids mismatch (-want +got):\n%s", d)
		}
		tr, err := s.Transitions("T1", 0)
		fatalIf(t, err, "Transitions")
		if len(tr) != workers*each*3 {
			t.Errorf("got %d transitions, want %d", len(tr), workers*each*3)
		}
	})
}

// seqs returns the Seq of each transition.
func seqs(ts []bot.Transition) []uint64 {
	var out []uint64
	for _, t := range ts {
		out = append(out, t.Seq)
	}
	return out
}

// testTransitions covers Transitions.
func testTransitions(t *testing.T, open opener) {
	// save stores each transition in a cycle of its own.
	save := func(t *testing.T, s bot.Store, trs ...bot.Transition) {
		t.Helper()
		for _, tr := range trs {
			_, err := s.SaveCycle(bot.Cycle{Transitions: []bot.Transition{tr}})
			fatalIf(t, err, "SaveCycle")
		}
	}
	ignoreSeq := cmpopts.IgnoreFields(bot.Transition{}, "Seq")
	steps := func(team string) []bot.Transition {
		return []bot.Transition{
			transition(team, "A1", bot.StateInactive, bot.StatePending, 0),
			transition(team, "A1", bot.StatePending, bot.StateFiring, time.Hour),
			transition(team, "A1", bot.StateFiring, bot.StateResolved, 2*time.Hour),
			transition(team, "A2", bot.StateInactive, bot.StateError, 3*time.Hour),
			transition(team, "A2", bot.StateError, bot.StateStale, 4*time.Hour),
		}
	}
	t.Run("newest first, at most n", func(t *testing.T) {
		s := parallel(t, open)
		all := steps("T1")
		save(t, s, all...)
		newestFirst := slices.Clone(all)
		slices.Reverse(newestFirst)
		for _, tc := range []struct {
			n    int
			want []bot.Transition
		}{
			{0, newestFirst},
			{-1, newestFirst},
			{2, newestFirst[:2]},
			{5, newestFirst},
			{50, newestFirst},
		} {
			got, err := s.Transitions("T1", tc.n)
			fatalIf(t, err, "Transitions")
			if d := cmp.Diff(tc.want, got, ignoreSeq, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("Transitions(T1, %d) mismatch (-want +got):\n%s", tc.n, d)
			}
		}
	})
	t.Run("teams are isolated", func(t *testing.T) {
		s := parallel(t, open)
		a, b := steps("T1")[:2], steps("T10")[2:4]
		save(t, s, a[0], b[0], a[1], b[1])
		for _, tc := range []struct {
			team string
			want []bot.Transition
		}{
			{"T1", []bot.Transition{a[1], a[0]}},
			{"T10", []bot.Transition{b[1], b[0]}},
			{"T", nil},
			{"", []bot.Transition{b[1], a[1], b[0], a[0]}},
		} {
			got, err := s.Transitions(tc.team, 0)
			fatalIf(t, err, "Transitions")
			if d := cmp.Diff(tc.want, got, ignoreSeq, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("Transitions(%q, 0) mismatch (-want +got):\n%s", tc.team, d)
			}
		}
	})
}
