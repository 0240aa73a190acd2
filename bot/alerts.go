package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// maxAlertRows bounds the rows of the alerts listing.
const maxAlertRows = 100

// scanAlerts calls f for each cached alert of the team (of one rule when
// rule is not ""), under the read lock: f must not block or keep a.
func (b *Bot) scanAlerts(team, rule string, f func(a *Alert)) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	ta := b.alerts[team]
	if ta == nil {
		return
	}
	if rule != "" {
		for _, a := range ta.byRule[rule] {
			f(a)
		}
		return
	}
	for _, m := range ta.byRule {
		for _, a := range m {
			f(a)
		}
	}
}

// alertCounts counts the team's alerts (of one rule when rule is not "")
// by state.
func (b *Bot) alertCounts(team, rule string) map[AlertState]int {
	counts := map[AlertState]int{}
	if rule == "" {
		b.mu.RLock()
		if ta := b.alerts[team]; ta != nil {
			for s, n := range ta.counts {
				counts[s] = n
			}
		}
		b.mu.RUnlock()
		return counts
	}
	b.scanAlerts(team, rule, func(a *Alert) { counts[a.State]++ })
	return counts
}

// cmdAlerts lists firing (and pending) alerts with counts of the rest.
func (b *Bot) cmdAlerts(_ context.Context, c *call) (Reply, error) {
	counts := b.alertCounts(c.req.Team, "")
	var active []Alert
	b.mu.RLock()
	var ptrs []*Alert
	if ta := b.alerts[c.req.Team]; ta != nil {
		ptrs = make([]*Alert, 0, len(ta.active))
		for a := range ta.active {
			ptrs = append(ptrs, a)
		}
	}
	slices.SortFunc(ptrs, func(x, y *Alert) int {
		return cmp.Or(cmp.Compare(stateOrder(x.State), stateOrder(y.State)), strings.Compare(x.Rule, y.Rule), strings.Compare(x.Subject, y.Subject))
	})
	for _, a := range ptrs[:min(len(ptrs), maxAlertRows)] {
		active = append(active, *a)
	}
	b.mu.RUnlock()
	title := fmt.Sprintf("Alerts: %d firing, %d pending, %d lacking data, %d errors, %d stale",
		counts[StateFiring], counts[StatePending], counts[StateLacksData], counts[StateError], counts[StateStale])
	rep := Reply{Title: title, Severity: SeverityInfo}
	if counts[StateFiring] > 0 {
		rep.Severity = SeverityWarn
	}
	if len(active) == 0 {
		rep.Text = "Nothing is firing."
	} else {
		t := Table{Columns: []string{"ID", "Rule", "Subject", "State", "Since", "Values", "Ack"}}
		if n := counts[StateFiring] + counts[StatePending]; n > len(active) {
			rep.Text = fmt.Sprintf("%d more not shown.", n-len(active))
		}
		for _, a := range active {
			ack := ""
			if a.AckedBy != "" {
				ack = "acked by " + a.AckedBy
				if a.AckNote != "" {
					ack += ": " + a.AckNote
				}
			}
			since := a.Since
			if a.State == StateFiring && !a.FiringSince.IsZero() {
				since = a.FiringSince
			}
			t.Rows = append(t.Rows, []string{orDash(a.ID), a.Rule, a.Subject, string(a.State), formatTime(since), a.Values, ack})
		}
		rep.Tables = []Table{t}
	}
	if c.data != nil {
		rep.Footer = c.data.footer()
	}
	return rep, nil
}

func stateOrder(s AlertState) int {
	if s == StateFiring {
		return 0
	}
	return 1
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cmdAlertsHistory lists the newest transitions.
func (b *Bot) cmdAlertsHistory(_ context.Context, c *call) (Reply, error) {
	n := 20
	if len(c.cmd.Args) == 1 {
		n, _ = strconv.Atoi(c.cmd.Args[0])
	}
	ts, err := b.store.Transitions(c.req.Team, n)
	if err != nil {
		return Reply{}, err
	}
	if len(ts) == 0 {
		return Reply{Title: "Alert history", Text: "No transitions yet.", Severity: SeverityInfo}, nil
	}
	t := Table{Columns: []string{"At", "ID", "Rule", "Subject", "From", "To", "Reason"}}
	for _, tr := range ts {
		t.Rows = append(t.Rows, []string{formatTime(tr.At), orDash(tr.AlertID), tr.Rule, tr.Subject, string(tr.From), string(tr.To), tr.Reason})
	}
	return Reply{Title: fmt.Sprintf("Alert history: newest %d transitions", len(ts)), Tables: []Table{t}, Severity: SeverityInfo}, nil
}

// cmdAck: ack ALERT [note...].
func (b *Bot) cmdAck(_ context.Context, c *call) (Reply, error) {
	id := c.cmd.Args[0]
	note := strings.Join(c.cmd.Args[1:], " ")
	if len(note) > 500 {
		note = note[:500]
	}
	b.cycleMu.Lock()
	defer b.cycleMu.Unlock()
	b.mu.RLock()
	var p *Alert
	if ta := b.alerts[c.req.Team]; ta != nil {
		p = ta.byID[id]
	}
	var a Alert
	if p != nil {
		a = *p
	}
	b.mu.RUnlock()
	if p == nil {
		var firing []string
		b.mu.RLock()
		if ta := b.alerts[c.req.Team]; ta != nil {
			for x := range ta.active {
				if x.State == StateFiring && x.ID != "" {
					firing = append(firing, x.ID)
				}
			}
		}
		b.mu.RUnlock()
		slices.Sort(firing)
		if len(firing) == 0 {
			return Reply{}, userErrorf("unknown alert %s; nothing is firing", id)
		}
		return Reply{}, userErrorf("unknown alert %s; firing: %s", id, strings.Join(firing[:min(len(firing), 20)], ", "))
	}
	if a.State != StateFiring && a.FiringSince.IsZero() {
		return Reply{}, userErrorf("alert %s (%s %s) is %s, not firing", id, a.Rule, a.Subject, a.State)
	}
	a.AckedBy = c.actor()
	a.AckNote = note
	a.AckedAt = c.now
	audit := c.audit("alert.ack", id, note)
	if err := b.store.PutAlert(a, &audit); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Reply{}, userErrorf("alert %s has just resolved", id)
		}
		return Reply{}, err
	}
	b.mu.Lock()
	*p = a
	b.mu.Unlock()
	text := fmt.Sprintf("%s %s: no repeats until it resolves.", a.Rule, a.Subject)
	if note != "" {
		text += " Note: " + note
	}
	return Reply{Title: "Acknowledged " + id, Text: text, Severity: SeverityInfo}, nil
}
