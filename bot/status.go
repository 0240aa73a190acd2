package bot

import (
	"context"
	"fmt"
	"slices"
)

// Bounds of the outbox scans of status: undelivered items counted, and
// newest items searched for failures.
const (
	statusOutboxScan = 10000
	statusFailedScan = 500
)

// cmdStatus reports the data, the last refresh and cycle, rules, alerts,
// the outbox and the registered posters.
func (b *Bot) cmdStatus(_ context.Context, c *call) (Reply, error) {
	rep := Reply{Title: "spreadwatch status", Severity: SeverityInfo}
	add := func(name, value string) { rep.Fields = append(rep.Fields, Field{Name: name, Value: value}) }

	add("Data source", sourceName(b.src))
	if d := c.data; d != nil {
		add("Data as of", fmt.Sprintf("%s (%s old), %s, %s in history",
			formatTime(d.snap.AsOf), formatAge(c.now, d.snap.AsOf), plural(len(d.snap.Issuers), "issuer"), plural(len(d.history), "snapshot")))
		rep.Footer = d.footer()
	} else {
		add("Data as of", "no data loaded")
		rep.Severity = SeverityWarn
	}
	b.mu.RLock()
	lr, lc, sendErr := b.lastRefresh, b.lastCycle, b.lastSendErr
	nrules, nerr := len(b.rules[c.req.Team]), 0
	for k := range b.ruleErrs {
		if k.team == c.req.Team {
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
		v := fmt.Sprintf("%s, %s in %s, %s, %s", formatTime(lc.at), plural(lc.rules, "rule"), lc.dur.Round(100_000),
			plural(lc.transitions, "transition"), plural(lc.notified, "notification"))
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
	counts := b.alertCounts(c.req.Team, "")
	add("Alerts", fmt.Sprintf("%d firing, %d pending, %d lacking data, %d errors, %d stale, %d resolved",
		counts[StateFiring], counts[StatePending], counts[StateLacksData], counts[StateError], counts[StateStale], counts[StateResolved]))

	// Undelivered items are indexed, so counting them is cheap; failed
	// ones are counted among the newest items only.
	due, err := b.store.Due(c.now.Add(100*Year), statusOutboxScan)
	if err != nil {
		return Reply{}, err
	}
	items, err := b.store.Outbox(statusFailedScan)
	if err != nil {
		return Reply{}, err
	}
	failed := 0
	lastFail := ""
	for _, it := range items {
		if it.Status == OutboxFailed {
			failed++
			lastFail = it.LastError
		}
	}
	ov := fmt.Sprintf("%d pending, %d failed", len(due), failed)
	if len(items) == statusFailedScan {
		ov = fmt.Sprintf("%d pending, %d failed of the newest %d", len(due), failed, statusFailedScan)
	}
	if lastFail != "" {
		ov += "; last failure: " + oneLine(lastFail)
	} else if sendErr != "" && len(due) > 0 {
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
	if err != nil && ctx.Err() == nil {
		b.log.Warn("refresh command failed", "team", c.req.Team, "user", c.req.User, "err", err)
	}
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

// plural renders "1 rule", "2 rules".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
