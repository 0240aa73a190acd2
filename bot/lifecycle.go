package bot

import (
	"fmt"
	"time"

	"github.com/spreadwatch/spreadwatch/rules"
)

// outcome is what one evaluation said about one (rule, subject).
type outcome string

// Outcomes, as the rules engine reports them, plus outcomeGone for an
// instance whose subject left the rule's scope or the data.
const (
	outcomeMatch     outcome = "match"
	outcomeNoMatch   outcome = "no_match"
	outcomeLacksData outcome = "lacks_data"
	outcomeError     outcome = "error"
	outcomeGone      outcome = "gone"
)

// observation is the input of one lifecycle step.
type observation struct {
	Outcome outcome
	// Detail explains lacks_data and error outcomes ("coupon is unknown").
	Detail string
	// Values is the values behind the outcome, e.g. "coupon 9.25%
	// (utility 4.50%)", when res is nil.
	Values string
	// res, when set, is the rules engine's result; its values are
	// formatted only when the alert changes, so a steady state formats
	// nothing.
	res *rules.Result
	// ClearHolds is the rule's clear expression for this subject: nil
	// when the rule has none or it could not be evaluated.
	ClearHolds *bool
}

func (o observation) values() string {
	if o.res != nil {
		return resultValues(*o.res)
	}
	return o.Values
}

// step advances one alert instance by one evaluation. prev is the stored
// instance, or the zero Alert (State "") for an inactive one; now is the
// evaluation time and dataAsOf the as-of time of the snapshot evaluated.
//
// It returns the next instance, the transition when the state changed, and
// the notification kind to send ("" for none). A next State of
// StateInactive means the instance is deleted. The caller applies
// silences and the NotifyResolved setting and, when it drops a
// notification, keeps prev.LastNotified.
//
// An alert that was announced as firing keeps FiringSince while it is
// stale, lacks data or errors, so it neither re-announces when it matches
// again nor loses its resolve notification.
func step(prev Alert, obs observation, r Rule, now, dataAsOf time.Time) (next Alert, tr *Transition, kind NotificationKind) {
	next = prev
	if next.State == "" {
		next.State = StateInactive
	}
	from := next.State
	move := func(to AlertState, reason string) {
		next.State = to
		next.Since = now
		next.Reason = reason
		if v := obs.values(); v != "" || obs.res != nil {
			next.Values = v
		}
		tr = &Transition{
			Team: r.Team, AlertID: next.ID, Rule: r.Name, Subject: next.Subject, Ticker: next.Ticker,
			From: from, To: to, At: now, Reason: reason,
		}
	}
	announced := !prev.FiringSince.IsZero()

	if r.MaxAge > 0 && now.Sub(dataAsOf) > r.MaxAge && obs.Outcome != outcomeGone {
		// Stale data neither fires nor resolves: an active instance (or
		// one the stale data would start) waits in stale; an idle one
		// stays idle.
		switch {
		case announced || from == StatePending || from == StateFiring || obs.Outcome == outcomeMatch:
			if from != StateStale {
				move(StateStale, fmt.Sprintf("data as of %s is older than max_age %s", dataAsOf.UTC().Format("2006-01-02 15:04"), FormatDuration(r.MaxAge)))
			}
			return next, tr, ""
		case from == StateStale:
			move(StateInactive, "does not hold")
			next.ActiveSince = time.Time{}
			return next, tr, ""
		}
	}

	switch obs.Outcome {
	case outcomeMatch:
		switch {
		case from == StateFiring:
			if r.Repeat > 0 && prev.AckedBy == "" && now.Sub(prev.LastNotified) >= r.Repeat {
				next.LastNotified = now
				next.Values = obs.values()
				return next, nil, KindRepeat
			}
		case announced:
			move(StateFiring, "holds again: "+r.Expr)
		case from == StatePending && now.Sub(prev.ActiveSince) >= r.For:
			move(StateFiring, fmt.Sprintf("held for %s: %s", FormatDuration(r.For), r.Expr))
			next.FiringSince = now
			next.LastNotified = now
			kind = KindFiring
		case from == StatePending:
			// still waiting for `for` to elapse
		default:
			next.AckedBy, next.AckNote, next.AckedAt, next.Ref = "", "", time.Time{}, ""
			next.ActiveSince = now
			next.LastNotified = time.Time{}
			if r.For <= 0 {
				move(StateFiring, "holds: "+r.Expr)
				next.FiringSince = now
				next.LastNotified = now
				kind = KindFiring
			} else {
				move(StatePending, fmt.Sprintf("holds; fires if it still holds after %s: %s", FormatDuration(r.For), r.Expr))
			}
		}
	case outcomeNoMatch, outcomeGone:
		switch {
		case announced:
			gone := obs.Outcome == outcomeGone
			if r.Clear != "" && !gone && (obs.ClearHolds == nil || !*obs.ClearHolds) {
				if from != StateFiring {
					move(StateFiring, "no longer holds; waiting for clear: "+r.Clear)
				}
				return next, tr, ""
			}
			reason := "no longer holds: " + r.Expr
			switch {
			case gone:
				reason = "subject left the rule's scope or the data"
			case r.Clear != "":
				reason = "clear holds: " + r.Clear
			}
			move(StateResolved, reason)
			next.FiringSince = time.Time{}
			next.ActiveSince = time.Time{}
			kind = KindResolved
		case from == StateInactive || from == StateResolved:
			// nothing to do
		default:
			move(StateInactive, "does not hold")
			next.ActiveSince = time.Time{}
		}
	case outcomeLacksData, outcomeError:
		to, what := StateLacksData, "lacks data"
		if obs.Outcome == outcomeError {
			to, what = StateError, "error"
		}
		if from != to {
			reason := what
			if obs.Detail != "" {
				reason += ": " + obs.Detail
			}
			move(to, reason)
			if !announced {
				next.ActiveSince = time.Time{}
			}
		}
	}
	return next, tr, kind
}

// silenced reports whether a silence of ss covers (rule, ticker) at now.
func silenced(ss []Silence, rule, ticker string, now time.Time) bool {
	for _, s := range ss {
		if !now.Before(s.Until) {
			continue
		}
		if (s.Rule == "" || s.Rule == rule) && (s.Ticker == "" || s.Ticker == ticker) {
			return true
		}
	}
	return false
}
