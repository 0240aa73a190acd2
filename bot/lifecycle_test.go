package bot

import (
	"testing"
	"time"
)

func TestStep(t *testing.T) {
	t0 := time.Date(2026, 7, 2, 12, 0, 0, 0, time.UTC)
	asOf := t0
	rule := Rule{Team: "T", Name: "hot", Expr: "coupon > 9%"}
	withFor := rule
	withFor.For = 2 * time.Hour
	withRepeat := rule
	withRepeat.Repeat = 24 * time.Hour
	withClear := rule
	withClear.Clear = "coupon < 8%"
	withAge := rule
	withAge.MaxAge = 7 * Day
	yes, no := true, false

	inactive := Alert{Team: "T", Rule: "hot", Subject: "B1", Ticker: "X"}
	firing := inactive
	firing.ID, firing.State, firing.Since, firing.ActiveSince, firing.FiringSince, firing.LastNotified, firing.Ref =
		"A1", StateFiring, t0.Add(-time.Hour), t0.Add(-time.Hour), t0.Add(-time.Hour), t0.Add(-time.Hour), "ts1"
	pending := inactive
	pending.ID, pending.State, pending.Since, pending.ActiveSince = "A1", StatePending, t0.Add(-time.Hour), t0.Add(-time.Hour)
	resolved := inactive
	resolved.ID, resolved.State, resolved.Since = "A1", StateResolved, t0.Add(-time.Hour)
	lacking := inactive
	lacking.State, lacking.Since = StateLacksData, t0.Add(-time.Hour)
	staleFiring := firing
	staleFiring.State = StateStale
	acked := firing
	acked.AckedBy, acked.LastNotified = "U1", t0.Add(-48*time.Hour)
	oldNotified := firing
	oldNotified.LastNotified = t0.Add(-25 * time.Hour)

	tests := []struct {
		name     string
		prev     Alert
		obs      observation
		rule     Rule
		now      time.Time
		asOf     time.Time
		want     AlertState
		wantFrom AlertState // "" means no transition
		kind     NotificationKind
	}{
		{"inactive stays inactive on no match", inactive, observation{Outcome: outcomeNoMatch}, rule, t0, asOf, StateInactive, "", ""},
		{"match with for=0 fires at once", inactive, observation{Outcome: outcomeMatch}, rule, t0, asOf, StateFiring, StateInactive, KindFiring},
		{"match with for=2h goes pending", inactive, observation{Outcome: outcomeMatch}, withFor, t0, asOf, StatePending, StateInactive, ""},
		{"pending before for elapsed stays", pending, observation{Outcome: outcomeMatch}, withFor, t0, asOf, StatePending, "", ""},
		{"pending after for elapsed fires", pending, observation{Outcome: outcomeMatch}, withFor, t0.Add(time.Hour), asOf, StateFiring, StatePending, KindFiring},
		{"pending that stops holding goes inactive", pending, observation{Outcome: outcomeNoMatch}, withFor, t0, asOf, StateInactive, StatePending, ""},
		{"firing stays firing silently", firing, observation{Outcome: outcomeMatch}, rule, t0, asOf, StateFiring, "", ""},
		{"firing resolves when it stops holding", firing, observation{Outcome: outcomeNoMatch}, rule, t0, asOf, StateResolved, StateFiring, KindResolved},
		{"firing with clear waits while clear does not hold", firing, observation{Outcome: outcomeNoMatch, ClearHolds: &no}, withClear, t0, asOf, StateFiring, "", ""},
		{"firing with clear waits while clear is unknown", firing, observation{Outcome: outcomeNoMatch}, withClear, t0, asOf, StateFiring, "", ""},
		{"firing with clear resolves when clear holds", firing, observation{Outcome: outcomeNoMatch, ClearHolds: &yes}, withClear, t0, asOf, StateResolved, StateFiring, KindResolved},
		{"firing repeats after repeat interval", oldNotified, observation{Outcome: outcomeMatch}, withRepeat, t0, asOf, StateFiring, "", KindRepeat},
		{"firing does not repeat before interval", firing, observation{Outcome: outcomeMatch}, withRepeat, t0, asOf, StateFiring, "", ""},
		{"acked firing does not repeat", acked, observation{Outcome: outcomeMatch}, withRepeat, t0, asOf, StateFiring, "", ""},
		{"resolved stays resolved", resolved, observation{Outcome: outcomeNoMatch}, rule, t0, asOf, StateResolved, "", ""},
		{"resolved fires again", resolved, observation{Outcome: outcomeMatch}, rule, t0, asOf, StateFiring, StateResolved, KindFiring},
		{"lacks data", inactive, observation{Outcome: outcomeLacksData, Detail: "coupon is unknown"}, rule, t0, asOf, StateLacksData, StateInactive, ""},
		{"lacks data stays", lacking, observation{Outcome: outcomeLacksData}, rule, t0, asOf, StateLacksData, "", ""},
		{"lacks data that now holds fires", lacking, observation{Outcome: outcomeMatch}, rule, t0, asOf, StateFiring, StateLacksData, KindFiring},
		{"lacks data that does not hold goes inactive", lacking, observation{Outcome: outcomeNoMatch}, rule, t0, asOf, StateInactive, StateLacksData, ""},
		{"error", inactive, observation{Outcome: outcomeError, Detail: "division by zero"}, rule, t0, asOf, StateError, StateInactive, ""},
		{"firing that errors keeps its announcement", firing, observation{Outcome: outcomeError}, rule, t0, asOf, StateError, StateFiring, ""},
		{"stale data makes firing stale", firing, observation{Outcome: outcomeMatch}, withAge, t0.Add(8 * Day), asOf, StateStale, StateFiring, ""},
		{"stale data never fires", inactive, observation{Outcome: outcomeMatch}, withAge, t0.Add(8 * Day), asOf, StateStale, StateInactive, ""},
		{"stale data leaves idle instances alone", inactive, observation{Outcome: outcomeNoMatch}, withAge, t0.Add(8 * Day), asOf, StateInactive, "", ""},
		{"fresh data within max_age fires", inactive, observation{Outcome: outcomeMatch}, withAge, t0.Add(6 * Day), asOf, StateFiring, StateInactive, KindFiring},
		{"stale firing back to fresh match does not re-announce", staleFiring, observation{Outcome: outcomeMatch}, rule, t0, asOf, StateFiring, StateStale, ""},
		{"stale firing back to fresh no match resolves", staleFiring, observation{Outcome: outcomeNoMatch}, rule, t0, asOf, StateResolved, StateStale, KindResolved},
		{"firing subject gone resolves even with clear", firing, observation{Outcome: outcomeGone}, withClear, t0, asOf, StateResolved, StateFiring, KindResolved},
		{"lacking subject gone goes inactive", lacking, observation{Outcome: outcomeGone}, rule, t0, asOf, StateInactive, StateLacksData, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, tr, kind := step(tt.prev, tt.obs, tt.rule, tt.now, tt.asOf)
			if next.State != tt.want {
				t.Errorf("state = %s, want %s", next.State, tt.want)
			}
			if kind != tt.kind {
				t.Errorf("kind = %q, want %q", kind, tt.kind)
			}
			switch {
			case tt.wantFrom == "" && tr != nil:
				t.Errorf("unexpected transition %s → %s (%s)", tr.From, tr.To, tr.Reason)
			case tt.wantFrom != "" && tr == nil:
				t.Errorf("no transition, want %s → %s", tt.wantFrom, tt.want)
			case tr != nil:
				if tr.From != tt.wantFrom || tr.To != tt.want || tr.Reason == "" || !tr.At.Equal(tt.now) {
					t.Errorf("transition = %+v, want %s → %s at %v with a reason", *tr, tt.wantFrom, tt.want, tt.now)
				}
				if next.Reason != tr.Reason || !next.Since.Equal(tt.now) {
					t.Errorf("alert reason/since = %q/%v, want %q/%v", next.Reason, next.Since, tr.Reason, tt.now)
				}
			}
			if kind == KindFiring || kind == KindRepeat {
				if !next.LastNotified.Equal(tt.now) {
					t.Errorf("LastNotified = %v, want %v", next.LastNotified, tt.now)
				}
			}
			if kind == KindFiring && (next.AckedBy != "" || next.Ref != "" || next.FiringSince.IsZero()) {
				t.Errorf("new firing should clear ack and ref and set FiringSince: %+v", next)
			}
			if kind == KindResolved && next.Ref != tt.prev.Ref {
				t.Errorf("resolve lost the firing message ref: %q", next.Ref)
			}
		})
	}
}

func TestSilenced(t *testing.T) {
	now := time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC)
	ss := []Silence{
		{ID: "S1", Rule: "hot", Until: now.Add(time.Hour)},
		{ID: "S2", Ticker: "CIFR", Until: now.Add(time.Hour)},
		{ID: "S3", Rule: "cold", Ticker: "WULF", Until: now.Add(time.Hour)},
		{ID: "S4", Ticker: "IREN", Until: now}, // expired
	}
	tests := []struct {
		rule, ticker string
		want         bool
	}{
		{"hot", "X", true}, {"other", "CIFR", true}, {"cold", "WULF", true}, {"cold", "X", false}, {"x", "WULF", false}, {"x", "IREN", false},
	}
	for _, tt := range tests {
		if got := silenced(ss, tt.rule, tt.ticker, now); got != tt.want {
			t.Errorf("silenced(%s, %s) = %v, want %v", tt.rule, tt.ticker, got, tt.want)
		}
	}
}
