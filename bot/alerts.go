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

// teamAlertList copies the team's cached alerts.
func (b *Bot) teamAlertList(team string) []Alert {
	b.mu.RLock()
	defer b.mu.RUnlock()
	ta := b.alerts[team]
	if ta == nil {
		return nil
	}
	var out []Alert
	for _, m := range ta.byRule {
		for _, a := range m {
			out = append(out, *a)
		}
	}
	return out
}

// cmdAlerts lists firing (and pending) alerts with counts of the rest.
func (b *Bot) cmdAlerts(_ context.Context, c *call) (Reply, error) {
	all := b.teamAlertList(c.req.Team)
	counts := map[AlertState]int{}
	var active []Alert
	for _, a := range all {
		counts[a.State]++
		if a.State == StateFiring || a.State == StatePending {
			active = append(active, a)
		}
	}
	slices.SortFunc(active, func(x, y Alert) int {
		return cmp.Or(cmp.Compare(stateOrder(x.State), stateOrder(y.State)), strings.Compare(x.Rule, y.Rule), strings.Compare(x.Subject, y.Subject))
	})
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
		for i, a := range active {
			if i == maxAlertRows {
				rep.Text = fmt.Sprintf("%d more not shown.", len(active)-maxAlertRows)
				break
			}
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
		for _, x := range b.teamAlertList(c.req.Team) {
			if x.State == StateFiring && x.ID != "" {
				firing = append(firing, x.ID)
			}
		}
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
