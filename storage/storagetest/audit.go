package storagetest

import (
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot"
)

// testAudit covers Audit ordering, limits and team isolation. The audit
// entries of each Put and Delete are checked with those methods.
func testAudit(t *testing.T, open opener) {
	t.Run("newest first, at most n, per team", func(t *testing.T) {
		s := parallel(t, open)
		var t1, t10 []bot.AuditEntry
		for i, name := range []string{"a", "b", "c"} {
			e1 := audit("T1", "rule.add", name, time.Duration(i)*time.Minute)
			fatalIf(t, s.PutRule(rule("T1", name, i), e1), "PutRule")
			e10 := audit("T10", "watch.create", name, time.Duration(i)*time.Minute)
			fatalIf(t, s.PutWatchlist(bot.Watchlist{Team: "T10", Name: name, Channel: "C1"}, e10), "PutWatchlist")
			t1 = append([]bot.AuditEntry{e1}, t1...)
			t10 = append([]bot.AuditEntry{e10}, t10...)
		}
		every := []bot.AuditEntry{t10[0], t1[0], t10[1], t1[1], t10[2], t1[2]}
		for _, tc := range []struct {
			team string
			n    int
			want []bot.AuditEntry
		}{
			{"T1", 0, t1},
			{"T1", 2, t1[:2]},
			{"T1", 3, t1},
			{"T1", 10, t1},
			{"T10", 1, t10[:1]},
			{"T", 0, nil},
			{"", 0, every},
			{"", 4, every[:4]},
		} {
			got, err := s.Audit(tc.team, tc.n)
			fatalIf(t, err, "Audit")
			if d := diff(tc.want, got); d != "" {
				t.Errorf("Audit(%q, %d) mismatch (-want +got):\n%s", tc.team, tc.n, d)
			}
		}
	})
	t.Run("silences are audited with their team", func(t *testing.T) {
		s := parallel(t, open)
		e := audit("T1", "mute", "S1", 0)
		fatalIf(t, s.PutSilence(bot.Silence{ID: "S1", Team: "T1", Rule: "hi", Until: at(time.Hour), Author: "U1", Created: at(0)}, e), "PutSilence")
		if d := diff([]bot.AuditEntry{e}, auditLog(t, s, "T1")); d != "" {
			t.Errorf("Audit(T1) mismatch (-want +got):\n%s", d)
		}
		if got := auditLog(t, s, "T10"); len(got) != 0 {
			t.Errorf("Audit(T10) = %v, want none", got)
		}
	})
}
