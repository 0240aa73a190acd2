package storagetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot"
)

// alert returns an alert fixture.
func alert(team, id, rule, subject string, state bot.AlertState) bot.Alert {
	return bot.Alert{
		ID:          id,
		Team:        team,
		Rule:        rule,
		Subject:     subject,
		Ticker:      "CIFR",
		State:       state,
		Since:       at(time.Hour),
		ActiveSince: at(0),
		FiringSince: at(time.Hour),
		Reason:      "coupon 9.25% > utility + 400bp",
		Values:      "coupon=9.25 utility=4.85",
	}
}

// saveAlerts stores alerts in one cycle.
func saveAlerts(t *testing.T, s bot.Store, alerts ...bot.Alert) {
	t.Helper()
	_, err := s.SaveCycle(bot.Cycle{Alerts: alerts})
	fatalIf(t, err, "SaveCycle")
}

// testAlerts covers NextAlertID, Alerts, AlertByID, PutAlert and the alert
// part of SaveCycle.
func testAlerts(t *testing.T, open opener) {
	t.Run("next alert id counts per team", func(t *testing.T) {
		s := parallel(t, open)
		for _, tc := range []struct{ team, want string }{
			{"T1", "A1"}, {"T1", "A2"}, {"T10", "A1"}, {"T1", "A3"}, {"T10", "A2"},
		} {
			got, err := s.NextAlertID(tc.team)
			fatalIf(t, err, "NextAlertID")
			if got != tc.want {
				t.Errorf("NextAlertID(%q) = %q, want %q", tc.team, got, tc.want)
			}
		}
	})
	t.Run("next alert id is unique under concurrency", func(t *testing.T) {
		s := parallel(t, open)
		const workers, each = 4, 25
		ids := make([][]string, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for range each {
					id, err := s.NextAlertID("T1")
					if err != nil {
						errs[w] = err
						return
					}
					ids[w] = append(ids[w], id)
				}
			})
		}
		wg.Wait()
		var got []string
		for w := range workers {
			fatalIf(t, errs[w], "NextAlertID")
			got = append(got, ids[w]...)
		}
		var want []string
		for i := 1; i <= workers*each; i++ {
			want = append(want, fmt.Sprintf("A%d", i))
		}
		slices.Sort(got)
		slices.Sort(want)
		if d := diff(want, got); d != "" {
			t.Errorf("concurrent NextAlertID ids mismatch (-want +got):\n%s", d)
		}
	})
	t.Run("listed by team, rule and subject", func(t *testing.T) {
		s := parallel(t, open)
		t1 := []bot.Alert{
			alert("T1", "A2", "hi-coupon", "CIFR-2030", bot.StateFiring),
			alert("T1", "A1", "hi-coupon", "WULF-2030", bot.StatePending),
			alert("T1", "A3", "slip", "IREN", bot.StateError),
		}
		t10 := []bot.Alert{alert("T10", "A1", "hi-coupon", "CIFR-2030", bot.StateFiring)}
		t2 := []bot.Alert{alert("T2", "A1", "a", "CORZ", bot.StateStale)}
		saveAlerts(t, s, t2[0], t1[2], t10[0], t1[1], t1[0])
		for _, tc := range []struct {
			team string
			want []bot.Alert
		}{
			{"T1", t1},
			{"T10", t10},
			{"T", nil},
			{"", slices.Concat(t1, t10, t2)},
		} {
			got, err := s.Alerts(tc.team)
			fatalIf(t, err, "Alerts")
			if d := diff(tc.want, got); d != "" {
				t.Errorf("Alerts(%q) mismatch (-want +got):\n%s", tc.team, d)
			}
		}
	})
	t.Run("by id within the team", func(t *testing.T) {
		s := parallel(t, open)
		a1 := alert("T1", "A1", "hi-coupon", "CIFR-2030", bot.StateFiring)
		b1 := alert("T10", "A1", "slip", "IREN", bot.StatePending)
		b2 := alert("T10", "A2", "slip", "WULF", bot.StatePending)
		saveAlerts(t, s, a1, b1, b2)
		for _, tc := range []struct {
			team, id string
			want     bot.Alert
		}{
			{"T1", "A1", a1},
			{"T10", "A1", b1},
			{"T10", "A2", b2},
		} {
			got, err := s.AlertByID(tc.team, tc.id)
			fatalIf(t, err, "AlertByID")
			if d := diff(tc.want, got); d != "" {
				t.Errorf("AlertByID(%q, %q) mismatch (-want +got):\n%s", tc.team, tc.id, d)
			}
		}
		for _, tc := range []struct{ team, id string }{{"T1", "A2"}, {"T2", "A1"}, {"T", "A1"}, {"T1", "A"}} {
			_, err := s.AlertByID(tc.team, tc.id)
			wantNotFound(t, err, fmt.Sprintf("AlertByID(%q, %q)", tc.team, tc.id))
		}
	})
	t.Run("upsert with a new id moves the id", func(t *testing.T) {
		s := parallel(t, open)
		a := alert("T1", "A1", "hi-coupon", "CIFR-2030", bot.StatePending)
		saveAlerts(t, s, a)
		a.ID, a.State = "A5", bot.StateFiring
		saveAlerts(t, s, a)
		_, err := s.AlertByID("T1", "A1")
		wantNotFound(t, err, "AlertByID(T1, A1) after the id changed")
		got, err := s.AlertByID("T1", "A5")
		fatalIf(t, err, "AlertByID(T1, A5)")
		if d := diff(a, got); d != "" {
			t.Errorf("AlertByID(T1, A5) mismatch (-want +got):\n%s", d)
		}
		all, err := s.Alerts("T1")
		fatalIf(t, err, "Alerts")
		if d := diff([]bot.Alert{a}, all); d != "" {
			t.Errorf("Alerts(T1) mismatch (-want +got):\n%s", d)
		}
	})
	t.Run("removed instances are gone", func(t *testing.T) {
		s := parallel(t, open)
		a := alert("T1", "A1", "hi-coupon", "CIFR-2030", bot.StateResolved)
		keep := alert("T1", "A2", "hi-coupon", "WULF-2030", bot.StateFiring)
		saveAlerts(t, s, a, keep)
		never := alert("T1", "A9", "nope", "nope", bot.StateFiring)
		_, err := s.SaveCycle(bot.Cycle{Removed: []bot.Alert{a, never}})
		fatalIf(t, err, "SaveCycle removing")
		_, err = s.AlertByID("T1", "A1")
		wantNotFound(t, err, "AlertByID of a removed alert")
		got, err := s.Alerts("T1")
		fatalIf(t, err, "Alerts")
		if d := diff([]bot.Alert{keep}, got); d != "" {
			t.Errorf("Alerts(T1) mismatch (-want +got):\n%s", d)
		}
	})
	t.Run("put alert records an ack", func(t *testing.T) {
		s := parallel(t, open)
		a := alert("T1", "A1", "hi-coupon", "CIFR-2030", bot.StateFiring)
		saveAlerts(t, s, a)
		a.AckedBy, a.AckNote, a.AckedAt, a.Ref = "U2", "refi in Q3", at(2*time.Hour), "1720000000.000100"
		ack := audit("T1", "ack", "A1", 2*time.Hour)
		fatalIf(t, s.PutAlert(a, &ack), "PutAlert")
		got, err := s.AlertByID("T1", "A1")
		fatalIf(t, err, "AlertByID")
		if d := diff(a, got); d != "" {
			t.Errorf("AlertByID after PutAlert mismatch (-want +got):\n%s", d)
		}
		if d := diff([]bot.AuditEntry{ack}, auditLog(t, s, "T1")); d != "" {
			t.Errorf("Audit(T1) mismatch (-want +got):\n%s", d)
		}
	})
	t.Run("put alert without audit", func(t *testing.T) {
		s := parallel(t, open)
		a := alert("T1", "A1", "hi-coupon", "CIFR-2030", bot.StateFiring)
		saveAlerts(t, s, a)
		a.Ref = "1720000000.000100"
		fatalIf(t, s.PutAlert(a, nil), "PutAlert")
		got, err := s.Alerts("T1")
		fatalIf(t, err, "Alerts")
		if d := diff([]bot.Alert{a}, got); d != "" {
			t.Errorf("Alerts(T1) mismatch (-want +got):\n%s", d)
		}
		if got := auditLog(t, s, "T1"); len(got) != 0 {
			t.Errorf("PutAlert(a, nil) wrote audit entries %v, want none", got)
		}
	})
	t.Run("put alert never brings one back", func(t *testing.T) {
		s := parallel(t, open)
		a := alert("T1", "A1", "hi-coupon", "CIFR-2030", bot.StateFiring)
		ack := audit("T1", "ack", "A1", 0)
		wantNotFound(t, s.PutAlert(a, &ack), "PutAlert of an instance that is not stored")
		got, err := s.Alerts("")
		fatalIf(t, err, "Alerts")
		if len(got) != 0 {
			t.Errorf("Alerts() = %v, want none", got)
		}
		if got := auditLog(t, s, "T1"); len(got) != 0 {
			t.Errorf("failed PutAlert wrote audit entries %v, want none", got)
		}
	})
}
