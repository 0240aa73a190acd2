package bot

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spreadwatch/spreadwatch/rules"
)

// errNoData is returned when there is nothing to evaluate yet.
var errNoData = errors.New("no snapshot loaded")

// change is one alert instance that changed in a cycle.
type change struct {
	next Alert
	tr   *Transition
	kind NotificationKind
	rule *Rule
	team Team
	wl   map[string]Watchlist
}

// evaluate runs one evaluation cycle: every rule of every team over the
// current snapshot, through the lifecycle, committed in one SaveCycle with
// the transitions and outbox items it caused. Unchanged instances cost no
// write and no allocation beyond what the rules' expressions allocate in
// the VM: rules are decided through the lean path (rules.Program.Outcomes)
// and only changed instances are described with their values.
func (b *Bot) evaluate() (err error) {
	b.cycleMu.Lock()
	defer b.cycleMu.Unlock()
	start := time.Now()
	now := b.now()
	st := cycleStatus{at: now}
	defer func() {
		st.dur = time.Since(start)
		st.err = err
		b.mu.Lock()
		b.lastCycle = st
		b.mu.Unlock()
		b.m.cycleDuration.Observe(st.dur.Seconds())
		if err != nil {
			b.log.Error("evaluation cycle failed", "err", err)
		} else {
			b.log.Debug("evaluation cycle", "rules", st.rules, "transitions", st.transitions, "notifications", st.notified, "duration", st.dur.String())
		}
	}()
	d := b.data.Load()
	if d == nil {
		return errNoData
	}
	b.precompile(d)
	b.mu.RLock()
	teams := slices.Collect(maps.Values(b.teams))
	b.mu.RUnlock()
	slices.SortFunc(teams, func(x, y Team) int { return strings.Compare(x.ID, y.ID) })

	var changes []change
	for _, t := range teams {
		rs := b.rulesOf(t.ID)
		if len(rs) == 0 {
			continue
		}
		ws, err := b.store.Watchlists(t.ID)
		if err != nil {
			return fmt.Errorf("read watchlists of team %q: %w", t.ID, err)
		}
		wls := make(map[string]Watchlist, len(ws))
		for _, w := range ws {
			wls[w.Name] = w
		}
		sil, err := b.store.Silences(t.ID)
		if err != nil {
			return fmt.Errorf("read silences of team %q: %w", t.ID, err)
		}
		scopes := scopeCache{wls: wls}
		ta := b.alerts[t.ID] // cycleMu held: no writer can run
		for i := range rs {
			r := &rs[i]
			st.rules++
			var existing map[string]*Alert
			if ta != nil {
				existing = ta.byRule[r.Name]
			}
			n0 := len(changes)
			changes = b.evalRule(changes, d, t, r, &scopes, existing, now)
			for j := n0; j < len(changes); j++ {
				c := &changes[j]
				if c.kind == "" {
					continue
				}
				drop := c.kind == KindResolved && !b.notifyResolved
				if silenced(sil, r.Name, c.next.Ticker, now) {
					drop = true
				}
				if drop {
					if c.kind != KindResolved {
						if p := existing[c.next.Subject]; p != nil {
							c.next.LastNotified = p.LastNotified
						} else {
							c.next.LastNotified = time.Time{}
						}
					}
					c.kind = ""
				}
			}
			// A silenced repeat changes nothing: drop it rather than
			// rewrite the alert.
			kept := n0
			for j := n0; j < len(changes); j++ {
				if changes[j].tr != nil || changes[j].kind != "" {
					changes[kept] = changes[j]
					kept++
				}
			}
			changes = changes[:kept]
		}
	}
	if len(changes) == 0 {
		return nil
	}
	if err := b.assignIDs(changes); err != nil {
		return err
	}
	var cyc Cycle
	for i := range changes {
		c := &changes[i]
		if c.tr != nil {
			c.tr.AlertID = c.next.ID
			cyc.Transitions = append(cyc.Transitions, *c.tr)
		}
		if c.next.State == StateInactive {
			cyc.Removed = append(cyc.Removed, c.next)
		} else {
			cyc.Alerts = append(cyc.Alerts, c.next)
		}
		if c.kind != "" {
			cyc.Outbox = append(cyc.Outbox, b.notification(d, c, now))
		}
	}
	if _, err := b.store.SaveCycle(cyc); err != nil {
		return err
	}
	b.mu.Lock()
	for i := range changes {
		if changes[i].next.State == StateInactive {
			b.deleteAlertLocked(changes[i].next)
		} else {
			b.putAlertLocked(changes[i].next)
		}
	}
	b.mu.Unlock()
	for _, tr := range cyc.Transitions {
		b.m.transitions.WithLabelValues(string(tr.To)).Inc()
		b.log.Debug("alert transition", "team", tr.Team, "rule", tr.Rule, "subject", tr.Subject, "from", string(tr.From), "to", string(tr.To), "reason", tr.Reason)
	}
	st.transitions = len(cyc.Transitions)
	st.notified = len(cyc.Outbox)
	if len(cyc.Outbox) > 0 {
		b.wakeDelivery()
	}
	return nil
}

// clearHolds and clearFails are what observation.ClearHolds points to in
// an evaluation cycle (step only reads them): the address of a local
// would move it to the heap for every instance waiting for its clear
// expression.
var clearHolds, clearFails = true, false

// evalRule evaluates one rule and appends the instances that changed.
func (b *Bot) evalRule(changes []change, d *dataState, t Team, r *Rule, scopes *scopeCache, existing map[string]*Alert, now time.Time) []change {
	b.m.evaluations.Inc()
	k := progKey(r.Team, r.Name)
	cp := b.program(d, *r)
	if cp.err != nil {
		b.m.ruleErrors.WithLabelValues(r.Name).Inc()
		b.log.Debug("rule does not compile", "team", t.ID, "rule", r.Name, "err", cp.err)
		return changes
	}
	wls := scopes.wls
	scope, serr := scopes.of(*r)
	if serr != nil {
		b.mu.Lock()
		b.ruleErrs[k] = serr.Error()
		b.mu.Unlock()
	}
	decs, perr := safeOutcomes(cp.prog, d, scope, b.decisions[:0])
	if perr != nil {
		// A bug in one rule's evaluation must not stop the others.
		b.rulePanicked(t, r, k, perr)
		return changes
	}
	b.decisions = decs[:0]
	if serr == nil {
		b.mu.RLock()
		_, stale := b.ruleErrs[k]
		b.mu.RUnlock()
		if stale {
			b.mu.Lock()
			delete(b.ruleErrs, k)
			b.mu.Unlock()
		}
	}
	n0 := len(changes)
	seen := 0
	hadErr := false
	for j := range decs {
		dec := &decs[j]
		o := decisionOutcome(dec.Outcome)
		prev := existing[dec.ID]
		if prev == nil && o == outcomeNoMatch {
			continue
		}
		if prev != nil {
			seen++
		}
		if o == outcomeError {
			hadErr = true
		}
		var base Alert
		if prev != nil {
			base = *prev
		} else {
			base = Alert{Team: t.ID, Rule: r.Name, Subject: dec.ID, Ticker: dec.Ticker}
		}
		// The first step sees the outcome alone: the detail and values
		// only go into a changed instance, so an unchanged one is decided
		// without formatting anything.
		obs := observation{Outcome: o}
		if o == outcomeNoMatch && cp.clearProg != nil && prev != nil && !prev.FiringSince.IsZero() {
			if cd, err := cp.clearProg.Decide(d.ix, d.hist, dec.ID); err == nil {
				obs.ClearHolds = &clearFails
				if cd.Outcome == rules.Match {
					obs.ClearHolds = &clearHolds
				}
			}
		}
		if _, tr, kind := step(base, obs, *r, now, d.snap.AsOf); tr == nil && kind == "" {
			continue
		}
		// The instance changes: step again with the full result, which
		// takes the same path (step decides on the outcome, never on the
		// detail or values) and fills the reason and values.
		res, err := safeDescribe(cp.prog, d, *dec)
		if err != nil {
			b.rulePanicked(t, r, k, err)
			return changes[:n0]
		}
		obs.Detail, obs.res = resultDetail(res), &res
		next, tr, kind := step(base, obs, *r, now, d.snap.AsOf)
		changes = append(changes, change{next: next, tr: tr, kind: kind, rule: r, team: t, wl: wls})
	}
	if len(existing) > seen {
		ids := make(map[string]bool, len(decs))
		for j := range decs {
			ids[decs[j].ID] = true
		}
		gone := make([]string, 0, len(existing)-seen)
		for s := range existing {
			if !ids[s] {
				gone = append(gone, s)
			}
		}
		slices.Sort(gone)
		for _, s := range gone {
			next, tr, kind := step(*existing[s], observation{Outcome: outcomeGone}, *r, now, d.snap.AsOf)
			if tr != nil || kind != "" {
				changes = append(changes, change{next: next, tr: tr, kind: kind, rule: r, team: t, wl: wls})
			}
		}
	}
	if hadErr {
		b.m.ruleErrors.WithLabelValues(r.Name).Inc()
	}
	return changes
}

// scopeCache is the scope of each watchlist of one team in one cycle,
// built once for all the rules on that watchlist.
type scopeCache struct {
	wls map[string]Watchlist
	by  map[string]cachedScope
}

type cachedScope struct {
	scope func(string) bool
	err   error
}

// of returns scopeOf(r, c.wls), computed once per watchlist.
func (c *scopeCache) of(r Rule) (func(string) bool, error) {
	if r.Watchlist == "" {
		return nil, nil
	}
	if s, ok := c.by[r.Watchlist]; ok {
		return s.scope, s.err
	}
	scope, err := scopeOf(r, c.wls)
	if c.by == nil {
		c.by = map[string]cachedScope{}
	}
	c.by[r.Watchlist] = cachedScope{scope, err}
	return scope, err
}

// alertIDBatcher is an optional Store capability: n fresh alert ids in
// one transaction.
type alertIDBatcher interface {
	NextAlertIDs(team string, n int) ([]string, error)
}

// assignIDs gives a short id to every changed instance that is pending,
// firing or notifies and has none. Instances that only lack data or error
// keep none, so that a large rule set does not burn a write per instance.
func (b *Bot) assignIDs(changes []change) error {
	need := map[string][]int{}
	for i := range changes {
		a := &changes[i].next
		if a.ID == "" && (a.State == StatePending || a.State == StateFiring || changes[i].kind != "") {
			need[a.Team] = append(need[a.Team], i)
		}
	}
	for team, idx := range need {
		var ids []string
		if bt, ok := b.store.(alertIDBatcher); ok {
			var err error
			if ids, err = bt.NextAlertIDs(team, len(idx)); err != nil {
				return fmt.Errorf("alert ids for team %q: %w", team, err)
			}
		} else {
			for range idx {
				id, err := b.store.NextAlertID(team)
				if err != nil {
					return fmt.Errorf("alert id for team %q: %w", team, err)
				}
				ids = append(ids, id)
			}
		}
		for j, i := range idx {
			changes[i].next.ID = ids[j]
		}
	}
	return nil
}

// notification builds the outbox notification of a change.
func (b *Bot) notification(d *dataState, c *change, now time.Time) Notification {
	a := c.next
	r := c.rule
	ch := r.Channel
	if r.Watchlist != "" {
		if w, ok := c.wl[r.Watchlist]; ok && w.Channel != "" {
			ch = w.Channel
		}
	}
	platform := c.team.Platform
	if platform == "" {
		platform = r.Platform
	}
	sev := r.Severity
	if sev == "" {
		sev = SeverityWarn
	}
	word := "FIRING"
	if c.kind == KindResolved {
		word = "RESOLVED"
		sev = SeverityOK
	}
	var text string
	switch c.kind {
	case KindFiring:
		text = joinDash(a.Values, r.Expr)
	case KindRepeat:
		text = joinDash(a.Values, r.Expr) + " (repeat; firing since " + formatTime(a.FiringSince) + ")"
	default:
		text = joinDash(a.Values, a.Reason)
	}
	rep := Reply{
		Title: fmt.Sprintf("%s %s %s", word, r.Name, a.Subject),
		Text:  text,
		Fields: []Field{
			{Name: "Alert", Value: a.ID, Inline: true},
			{Name: "Ticker", Value: a.Ticker, Inline: true},
			{Name: "Severity", Value: string(r.Severity), Inline: true},
		},
		Footer:   d.footer(),
		Severity: sev,
	}
	if c.kind != KindResolved {
		rep.Actions = []Action{
			{ID: "ack", Label: "Ack", Command: "ack " + a.ID, Style: "primary"},
			{ID: "mute1d", Label: "Mute 1d", Command: fmt.Sprintf("mute rule=%s ticker=%s for 1d", r.Name, a.Ticker)},
			{ID: "mute7d", Label: "Mute 7d", Command: fmt.Sprintf("mute rule=%s ticker=%s for 7d", r.Name, a.Ticker)},
		}
	}
	return Notification{
		Platform: platform, Team: a.Team, Channel: ch, Kind: c.kind, AlertID: a.ID,
		Rule: r.Name, Subject: a.Subject, Ticker: a.Ticker, Severity: sev, Reply: rep,
		Ref: a.Ref, Created: now,
	}
}

func joinDash(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " — " + b
}

// NotificationLine is the one-line plain form of a notification: FIRING
// or RESOLVED, the rule, the subject, the values and the reason, e.g.
// "FIRING hot CRWV-9.25-2030 coupon 9.25% (utility 4.50%) — coupon >
// utility + 400bp". Repeats start with FIRING too.
func NotificationLine(n Notification) string {
	word := "FIRING"
	if n.Kind == KindResolved {
		word = "RESOLVED"
	}
	return oneLine(fmt.Sprintf("%s %s %s %s", word, n.Rule, n.Subject, n.Reply.Text))
}

// resultDetail explains a lacks_data or error result.
func resultDetail(res rules.Result) string {
	if res.Detail != "" {
		return res.Detail
	}
	if res.Missing != "" {
		return res.Missing + " is unknown"
	}
	return ""
}

// rulePanicked records a panic in the evaluation of rule r.
func (b *Bot) rulePanicked(t Team, r *Rule, k ruleKey, err error) {
	b.m.ruleErrors.WithLabelValues(r.Name).Inc()
	b.log.Error("rule evaluation panicked", "team", t.ID, "rule", r.Name, "err", err)
	b.mu.Lock()
	b.ruleErrs[k] = "evaluation failed: " + err.Error()
	b.mu.Unlock()
}

// safeOutcomes decides p for every subject in scope, appending to dst and
// turning a panic into an error.
func safeOutcomes(p *rules.Program, d *dataState, scope func(string) bool, dst []rules.Decision) (res []rules.Decision, err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("panic: %v", x)
		}
	}()
	return p.Outcomes(d.ix, d.hist, scope, dst), nil
}

// safeDescribe returns the full result of one decision of p, turning a
// panic into an error.
func safeDescribe(p *rules.Program, d *dataState, dec rules.Decision) (res rules.Result, err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("panic: %v", x)
		}
	}()
	return p.Describe(d.ix, d.hist, dec)
}
