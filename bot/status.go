package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// statusOutboxScan bounds how many outbox items status inspects.
const statusOutboxScan = 10000

// cmdStatus reports the data, the last refresh and cycle, rules, alerts,
// the outbox and the registered posters.
func (b *Bot) cmdStatus(_ context.Context, c *call) (Reply, error) {
	rep := Reply{Title: "spreadwatch status", Severity: SeverityInfo}
	add := func(name, value string) { rep.Fields = append(rep.Fields, Field{Name: name, Value: value}) }

	add("Data source", sourceName(b.src))
	if d := c.data; d != nil {
		add("Data as of", fmt.Sprintf("%s (%s old), %d issuers, %d snapshots in history",
			formatTime(d.snap.AsOf), formatAge(c.now, d.snap.AsOf), len(d.snap.Issuers), len(d.history)))
		rep.Footer = d.footer()
	} else {
		add("Data as of", "no data loaded")
		rep.Severity = SeverityWarn
	}
	b.mu.RLock()
	lr, lc, sendErr := b.lastRefresh, b.lastCycle, b.lastSendErr
	nrules, nerr := len(b.rules[c.req.Team]), 0
	for k := range b.ruleErrs {
		if strings.HasPrefix(k, c.req.Team+"\x00") {
			nerr++
		}
	}
	b.mu.RUnlock()
	switch {
	case lr.at.IsZero():
		add("Last refresh", "never")
	case lr.err != nil:
		add("Last refresh", fmt.Sprintf("FAILED at %s: %s (still using the last good snapshot)", formatTime(lr.at), oneLine(lr.err.Error())))
		rep.Severity = SeverityWarn
	default:
		what := "unchanged"
		if lr.changed {
			what = fmt.Sprintf("new snapshot, %d stored", lr.stored)
		}
		add("Last refresh", fmt.Sprintf("ok at %s (%s)", formatTime(lr.at), what))
	}
	if !lc.at.IsZero() {
		v := fmt.Sprintf("%s, %d rules in %s, %d transitions, %d notifications", formatTime(lc.at), lc.rules, lc.dur.Round(100_000), lc.transitions, lc.notified)
		if lc.err != nil {
			v = fmt.Sprintf("FAILED at %s: %s", formatTime(lc.at), oneLine(lc.err.Error()))
			rep.Severity = SeverityWarn
		}
		add("Last evaluation", v)
	}
	rv := fmt.Sprintf("%d", nrules)
	if nerr > 0 {
		rv += fmt.Sprintf(" (%d failing to compile; see rule list)", nerr)
	}
	add("Rules", rv)
	counts := map[AlertState]int{}
	for _, a := range b.teamAlertList(c.req.Team) {
		counts[a.State]++
	}
	add("Alerts", fmt.Sprintf("%d firing, %d pending, %d lacking data, %d errors, %d stale, %d resolved",
		counts[StateFiring], counts[StatePending], counts[StateLacksData], counts[StateError], counts[StateStale], counts[StateResolved]))

	items, err := b.store.Outbox(statusOutboxScan)
	if err != nil {
		return Reply{}, err
	}
	var pending, failed int
	lastFail := ""
	for _, it := range items {
		switch it.Status {
		case OutboxPending, OutboxRetrying:
			pending++
		case OutboxFailed:
			failed++
			lastFail = it.LastError
		}
	}
	ov := fmt.Sprintf("%d pending, %d failed", pending, failed)
	if lastFail != "" {
		ov += "; last failure: " + oneLine(lastFail)
	} else if sendErr != "" && pending > 0 {
		ov += "; last send error: " + oneLine(sendErr)
	}
	add("Outbox", ov)
	b.postersMu.RLock()
	var ps []string
	for name := range b.posters {
		ps = append(ps, name)
	}
	b.postersMu.RUnlock()
	slices.Sort(ps)
	add("Chat", tickerList(ps))
	return rep, nil
}

// cmdRefresh re-reads the data, evaluates every rule and delivers the
// notifications before it replies.
func (b *Bot) cmdRefresh(ctx context.Context, c *call) (Reply, error) {
	err := b.Refresh(ctx)
	d := b.data.Load()
	b.mu.RLock()
	lr, lc := b.lastRefresh, b.lastCycle
	b.mu.RUnlock()
	rep := Reply{Title: "Refreshed", Severity: SeverityInfo}
	if d != nil {
		rep.Footer = d.footer()
	}
	if lr.err != nil {
		rep.Title = "Refresh: data read failed"
		rep.Text = "Still using the last good snapshot: " + oneLine(lr.err.Error())
		rep.Severity = SeverityWarn
	} else if lr.changed {
		rep.Text = "New snapshot loaded."
	} else {
		rep.Text = "Data unchanged."
	}
	if lc.err != nil {
		return Reply{}, lc.err
	}
	rep.Fields = []Field{
		{Name: "Rules evaluated", Value: fmt.Sprint(lc.rules)},
		{Name: "Transitions", Value: fmt.Sprint(lc.transitions)},
		{Name: "Notifications", Value: fmt.Sprint(lc.notified)},
	}
	if err != nil && lr.err == nil {
		return Reply{}, err
	}
	return rep, nil
}
