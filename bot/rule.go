package bot

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spreadwatch/spreadwatch/rules"
)

// maxRulesPerTeam bounds how many rules one team may keep.
const maxRulesPerTeam = 20000

// maxTestRows bounds the rows of rule test.
const maxTestRows = 60

// compiled is a rule's cached program for one benchmark set.
type compiled struct {
	expr, clear, envKey string
	prog, clearProg     *rules.Program
	err                 error
}

// progKey is the key of rule name of team in Bot.progs and Bot.ruleErrs.
func progKey(team, name string) ruleKey { return ruleKey{team, name} }

// ruleKey identifies a rule across teams: the key of Bot.progs and
// Bot.ruleErrs. A struct rather than a joined string, so that looking a
// rule up in an evaluation cycle allocates nothing.
type ruleKey struct{ team, name string }

// program returns the rule's compiled program for d, compiling it when the
// rule or the benchmark set changed.
func (b *Bot) program(d *dataState, r Rule) *compiled {
	k := progKey(r.Team, r.Name)
	b.progMu.Lock()
	c := b.progs[k]
	b.progMu.Unlock()
	if c != nil && c.expr == r.Expr && c.clear == r.Clear && c.envKey == d.envKey {
		return c
	}
	c = &compiled{expr: r.Expr, clear: r.Clear, envKey: d.envKey}
	c.prog, c.err = rules.Compile(r.Expr, d.env)
	if c.err == nil && r.Clear != "" {
		c.clearProg, c.err = rules.Compile(r.Clear, d.env)
		if c.err != nil {
			c.err = fmt.Errorf("clear: %w", c.err)
		}
	}
	b.progMu.Lock()
	b.progs[k] = c
	b.progMu.Unlock()
	b.mu.Lock()
	if c.err != nil {
		b.ruleErrs[k] = oneLine(c.err.Error())
	} else {
		delete(b.ruleErrs, k)
	}
	b.mu.Unlock()
	return c
}

// precompileMin is the number of stale programs from which precompile
// compiles in parallel.
const precompileMin = 32

// precompile compiles, in parallel, every rule whose cached program is
// missing or stale for d: at start and when the benchmark set changes.
func (b *Bot) precompile(d *dataState) {
	// Rule slices are replaced, never changed in place: the teams' slices
	// can be read after mu is released. Only stale rules are copied, so
	// that a cycle with every program fresh costs no copy of the rules.
	b.mu.RLock()
	sets := make([][]Rule, 0, len(b.rules))
	for _, rs := range b.rules {
		sets = append(sets, rs)
	}
	b.mu.RUnlock()
	var todo []Rule
	b.progMu.Lock()
	for _, rs := range sets {
		for i := range rs {
			r := &rs[i]
			c := b.progs[progKey(r.Team, r.Name)]
			if c == nil || c.expr != r.Expr || c.clear != r.Clear || c.envKey != d.envKey {
				todo = append(todo, *r)
			}
		}
	}
	b.progMu.Unlock()
	if len(todo) < precompileMin {
		return
	}
	workers := min(runtime.GOMAXPROCS(0), 8)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(todo) {
					return
				}
				b.program(d, todo[i])
			}
		})
	}
	wg.Wait()
}

// rule returns a team's rule or explains which exist.
func (b *Bot) rule(team, name string) (Rule, error) {
	rs := b.rulesOf(team)
	i, ok := slices.BinarySearchFunc(rs, name, func(r Rule, n string) int { return strings.Compare(r.Name, n) })
	if ok {
		return rs[i], nil
	}
	if len(rs) == 0 {
		return Rule{}, &UserError{Msg: fmt.Sprintf("unknown rule %q; there are no rules yet", name), Usage: lookupSpec("rule add").usage()}
	}
	names := make([]string, 0, 10)
	for _, r := range rs[:min(len(rs), 10)] {
		names = append(names, r.Name)
	}
	more := ""
	if len(rs) > 10 {
		more = fmt.Sprintf(" and %d more", len(rs)-10)
	}
	return Rule{}, userErrorf("unknown rule %q; rules: %s%s", name, strings.Join(names, ", "), more)
}

// scopeOf returns the rule's ticker filter: nil for every issuer.
func scopeOf(r Rule, wls map[string]Watchlist) (func(string) bool, error) {
	if r.Watchlist == "" {
		return nil, nil
	}
	w, ok := wls[r.Watchlist]
	if !ok {
		return func(string) bool { return false }, fmt.Errorf("watchlist %q does not exist", r.Watchlist)
	}
	set := make(map[string]bool, len(w.Tickers))
	for _, t := range w.Tickers {
		set[strings.ToUpper(t)] = true
	}
	return func(t string) bool { return set[strings.ToUpper(t)] }, nil
}

// compileUserError turns a compile error into a one-line user error.
func compileUserError(what string, err error) error {
	var ce *rules.CompileError
	if errors.As(err, &ce) {
		return userErrorf("%s does not compile: %s", what, oneLine(ce.Error()))
	}
	return fmt.Errorf("compile %s: %w", what, err)
}

// cmdRuleAdd: rule add NAME "EXPR" [options].
func (b *Bot) cmdRuleAdd(_ context.Context, c *call) (Reply, error) {
	if err := needData(c.data); err != nil {
		return Reply{}, err
	}
	name, src := c.cmd.Args[0], strings.TrimSpace(c.cmd.Args[1])
	o := c.cmd.Opts
	r := Rule{
		Team: c.req.Team, Name: name, Expr: src, Clear: strings.TrimSpace(o["clear"]),
		Watchlist: o["watchlist"], Severity: SeverityWarn,
		Channel: c.req.Channel, Platform: c.req.Platform, Author: c.actor(), Created: c.now, Updated: c.now,
	}
	if v := o["severity"]; v != "" {
		r.Severity = Severity(v)
	}
	for k, dst := range map[string]*time.Duration{"for": &r.For, "repeat": &r.Repeat, "max_age": &r.MaxAge} {
		if v, ok := o[k]; ok {
			*dst, _ = ParseDuration(v) // checked by the parser
		}
	}
	wls := map[string]Watchlist{}
	if r.Watchlist != "" {
		w, err := b.watchlist(c.req.Team, r.Watchlist)
		if err != nil {
			return Reply{}, err
		}
		wls[w.Name] = w
	}
	prog, err := rules.Compile(src, c.data.env)
	if err != nil {
		return Reply{}, compileUserError("rule", err)
	}
	if r.Clear != "" {
		cp, err := rules.Compile(r.Clear, c.data.env)
		if err != nil {
			return Reply{}, compileUserError("clear", err)
		}
		if cp.Subject() != prog.Subject() {
			return Reply{}, userErrorf("clear is evaluated per %s but the rule per %s; they must read the same kind of fields", cp.Subject(), prog.Subject())
		}
	}
	action := "rule.add"
	existing := b.rulesOf(c.req.Team)
	if old, err := b.rule(c.req.Team, name); err == nil {
		r.Created, r.Author = old.Created, old.Author
		action = "rule.update"
	} else if len(existing) >= maxRulesPerTeam {
		return Reply{}, userErrorf("this team has %d rules, the most allowed", len(existing))
	}
	if err := b.store.PutRule(r, c.audit(action, name, ruleSummary(r))); err != nil {
		return Reply{}, err
	}
	b.mu.Lock()
	rs := slices.Clone(b.rules[r.Team])
	i, found := slices.BinarySearchFunc(rs, name, func(x Rule, n string) int { return strings.Compare(x.Name, n) })
	if found {
		rs[i] = r
	} else {
		rs = slices.Insert(rs, i, r)
	}
	b.rules[r.Team] = rs
	b.mu.Unlock()

	scope, _ := scopeOf(r, wls)
	results := prog.Eval(c.data.ix, c.data.hist, scope)
	verb := "Saved"
	if action == "rule.update" {
		verb = "Replaced"
	}
	rep := Reply{
		Title:    fmt.Sprintf("%s rule %s", verb, name),
		Text:     preview(prog.Subject(), results),
		Fields:   []Field{{Name: "Rule", Value: ruleSummary(r)}},
		Footer:   c.data.footer(),
		Severity: SeverityInfo,
	}
	if r.Watchlist == "" {
		rep.Fields = append(rep.Fields, Field{Name: "Alerts to", Value: channelLabel(r.Channel) + " (all issuers)"})
	} else {
		rep.Fields = append(rep.Fields, Field{Name: "Alerts to", Value: channelLabel(wls[r.Watchlist].Channel) + " (watchlist " + r.Watchlist + ")"})
	}
	return rep, nil
}

// subjectNoun names a subject kind in the plural.
func subjectNoun(s rules.Subject, n int) string {
	noun := s.String()
	if n != 1 {
		noun += "s"
	}
	return noun
}

// preview summarizes results: "holds now for 2 of 25 bonds: A, B; lacks
// data for 3: …".
func preview(kind rules.Subject, results []rules.Result) string {
	var match, lacks, errs []string
	for _, res := range results {
		switch toOutcome(res) {
		case outcomeMatch:
			match = append(match, res.ID)
		case outcomeLacksData:
			lacks = append(lacks, res.ID)
		case outcomeError:
			errs = append(errs, res.ID)
		}
	}
	s := fmt.Sprintf("holds now for %d of %d %s", len(match), len(results), subjectNoun(kind, len(results)))
	if len(match) > 0 {
		s += ": " + idList(match)
	}
	if len(lacks) > 0 {
		s += fmt.Sprintf("; lacks data for %d: %s", len(lacks), idList(lacks))
	}
	if len(errs) > 0 {
		s += fmt.Sprintf("; errors for %d: %s", len(errs), idList(errs))
	}
	return s
}

// idList joins ids, eliding after ten.
func idList(ids []string) string {
	if len(ids) <= 10 {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:10], ", ") + fmt.Sprintf(", … (%d more)", len(ids)-10)
}

// ruleSummary renders a rule as the options it was added with.
func ruleSummary(r Rule) string {
	parts := []string{fmt.Sprintf("%q", r.Expr)}
	if r.For > 0 {
		parts = append(parts, "for="+FormatDuration(r.For))
	}
	if r.Clear != "" {
		parts = append(parts, fmt.Sprintf("clear=%q", r.Clear))
	}
	if r.Repeat > 0 {
		parts = append(parts, "repeat="+FormatDuration(r.Repeat))
	}
	if r.Watchlist != "" {
		parts = append(parts, "watchlist="+r.Watchlist)
	}
	parts = append(parts, "severity="+string(r.Severity))
	if r.MaxAge > 0 {
		parts = append(parts, "max_age="+FormatDuration(r.MaxAge))
	}
	return strings.Join(parts, " ")
}

// cmdRuleList: rule list.
func (b *Bot) cmdRuleList(_ context.Context, c *call) (Reply, error) {
	rs := b.rulesOf(c.req.Team)
	if len(rs) == 0 {
		return Reply{Title: "Rules", Text: "No rules yet. Add one with: " + lookupSpec("rule add").example, Severity: SeverityInfo}, nil
	}
	firing := map[string]int{}
	b.scanAlerts(c.req.Team, "", func(a *Alert) {
		if a.State == StateFiring {
			firing[a.Rule]++
		}
	})
	b.mu.RLock()
	errs := map[string]string{}
	for _, r := range rs {
		if e, ok := b.ruleErrs[progKey(r.Team, r.Name)]; ok {
			errs[r.Name] = e
		}
	}
	b.mu.RUnlock()
	t := Table{Columns: []string{"Name", "Rule", "Firing", "Status"}}
	rep := Reply{Title: fmt.Sprintf("Rules (%d)", len(rs)), Severity: SeverityInfo}
	for i, r := range rs {
		if i == 200 {
			rep.Text = fmt.Sprintf("%d more not shown.", len(rs)-200)
			break
		}
		st := "ok"
		if e, ok := errs[r.Name]; ok {
			st = "error: " + e
		}
		t.Rows = append(t.Rows, []string{r.Name, ruleSummary(r), fmt.Sprint(firing[r.Name]), st})
	}
	rep.Tables = []Table{t}
	return rep, nil
}

// cmdRuleShow: rule show NAME.
func (b *Bot) cmdRuleShow(_ context.Context, c *call) (Reply, error) {
	r, err := b.rule(c.req.Team, c.cmd.Args[0])
	if err != nil {
		return Reply{}, err
	}
	counts := b.alertCounts(c.req.Team, r.Name)
	rep := Reply{Title: "Rule " + r.Name, Severity: SeverityInfo}
	add := func(n, v string) { rep.Fields = append(rep.Fields, Field{Name: n, Value: v}) }
	add("Expression", r.Expr)
	if r.Clear != "" {
		add("Clear", r.Clear)
	}
	add("Options", ruleSummary(r))
	if r.Watchlist != "" {
		add("Scope", "watchlist "+r.Watchlist)
	} else {
		add("Scope", "all issuers; alerts to "+channelLabel(r.Channel))
	}
	add("Alerts", fmt.Sprintf("%d firing, %d pending, %d lacking data, %d errors, %d stale",
		counts[StateFiring], counts[StatePending], counts[StateLacksData], counts[StateError], counts[StateStale]))
	add("Author", fmt.Sprintf("%s, updated %s", r.Author, formatTime(r.Updated)))
	b.mu.RLock()
	e, bad := b.ruleErrs[progKey(r.Team, r.Name)]
	b.mu.RUnlock()
	if bad {
		add("Status", "error: "+e)
		rep.Severity = SeverityWarn
	}
	return rep, nil
}

// cmdRuleDelete: rule delete NAME. It removes the rule's alerts too.
func (b *Bot) cmdRuleDelete(_ context.Context, c *call) (Reply, error) {
	r, err := b.rule(c.req.Team, c.cmd.Args[0])
	if err != nil {
		return Reply{}, err
	}
	b.cycleMu.Lock()
	defer b.cycleMu.Unlock()
	if err := b.store.DeleteRule(r.Team, r.Name, c.audit("rule.delete", r.Name, ruleSummary(r))); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Reply{}, userErrorf("unknown rule %q", r.Name)
		}
		return Reply{}, err
	}
	var removed []Alert
	b.mu.RLock()
	if ta := b.alerts[r.Team]; ta != nil {
		for _, a := range ta.byRule[r.Name] {
			removed = append(removed, *a)
		}
	}
	b.mu.RUnlock()
	if len(removed) > 0 {
		if _, err := b.store.SaveCycle(Cycle{Removed: removed}); err != nil {
			return Reply{}, err
		}
	}
	b.mu.Lock()
	for _, a := range removed {
		b.deleteAlertLocked(a)
	}
	rs := slices.DeleteFunc(slices.Clone(b.rules[r.Team]), func(x Rule) bool { return x.Name == r.Name })
	b.rules[r.Team] = rs
	delete(b.ruleErrs, progKey(r.Team, r.Name))
	b.mu.Unlock()
	b.progMu.Lock()
	delete(b.progs, progKey(r.Team, r.Name))
	b.progMu.Unlock()
	return Reply{Title: "Rule " + r.Name + " deleted", Text: fmt.Sprintf("Removed %d alert instances.", len(removed)), Severity: SeverityInfo}, nil
}

// testTarget resolves `rule test NAME|"EXPR"` to a program and scope.
func (b *Bot) testTarget(c *call, arg string) (*rules.Program, func(string) bool, string, error) {
	if nameRe.MatchString(strings.ToLower(arg)) {
		if r, err := b.rule(c.req.Team, strings.ToLower(arg)); err == nil {
			cp := b.program(c.data, r)
			if cp.err != nil {
				return nil, nil, "", compileUserError("rule "+r.Name, cp.err)
			}
			wls := map[string]Watchlist{}
			if r.Watchlist != "" {
				w, err := b.watchlist(c.req.Team, r.Watchlist)
				if err != nil {
					return nil, nil, "", err
				}
				wls[w.Name] = w
			}
			scope, _ := scopeOf(r, wls)
			return cp.prog, scope, "rule " + r.Name + ": " + r.Expr, nil
		}
	}
	p, err := rules.Compile(arg, c.data.env)
	if err != nil {
		if nameRe.MatchString(strings.ToLower(arg)) {
			if _, rerr := b.rule(c.req.Team, strings.ToLower(arg)); rerr != nil {
				return nil, nil, "", fmt.Errorf("%w (or, as an expression: %s)", rerr, oneLine(err.Error()))
			}
		}
		return nil, nil, "", compileUserError("expression", err)
	}
	return p, nil, arg, nil
}

// cmdRuleTest: rule test NAME|"EXPR".
func (b *Bot) cmdRuleTest(_ context.Context, c *call) (Reply, error) {
	if err := needData(c.data); err != nil {
		return Reply{}, err
	}
	p, scope, label, err := b.testTarget(c, c.cmd.Args[0])
	if err != nil {
		var ue *UserError
		if errors.As(err, &ue) {
			return Reply{}, ue
		}
		return Reply{}, userErrorf("%s", oneLine(err.Error()))
	}
	results := p.Eval(c.data.ix, c.data.hist, scope)
	order := map[outcome]int{outcomeMatch: 0, outcomeLacksData: 1, outcomeError: 2, outcomeNoMatch: 3}
	slices.SortStableFunc(results, func(x, y rules.Result) int { return order[toOutcome(x)] - order[toOutcome(y)] })
	t := Table{Columns: []string{"Subject", "Ticker", "Outcome", "Values"}}
	rep := Reply{Title: "Test " + label, Text: preview(p.Subject(), results), Footer: c.data.footer(), Severity: SeverityInfo}
	for i, res := range results {
		if i == maxTestRows {
			rep.Text += fmt.Sprintf("\n%d more not shown.", len(results)-maxTestRows)
			break
		}
		v := resultValues(res)
		if o := toOutcome(res); (o == outcomeLacksData || o == outcomeError) && res.Detail != "" {
			v = res.Detail
		}
		t.Rows = append(t.Rows, []string{res.ID, res.Ticker, string(toOutcome(res)), v})
	}
	rep.Tables = []Table{t}
	return rep, nil
}

// cmdRuleExplain: rule explain NAME [SUBJECT].
func (b *Bot) cmdRuleExplain(_ context.Context, c *call) (Reply, error) {
	if err := needData(c.data); err != nil {
		return Reply{}, err
	}
	r, err := b.rule(c.req.Team, c.cmd.Args[0])
	if err != nil {
		return Reply{}, err
	}
	cp := b.program(c.data, r)
	if cp.err != nil {
		return Reply{}, compileUserError("rule "+r.Name, cp.err)
	}
	var subject string
	if len(c.cmd.Args) == 2 {
		subject = c.cmd.Args[1]
		if _, err := cp.prog.Decide(c.data.ix, c.data.hist, subject); errors.Is(err, rules.ErrNoSubject) && cp.prog.Subject() != rules.SubjectIssuer {
			// A ticker names the issuer's first matching bond or project,
			// else its first one.
			for i, res := range cp.prog.Eval(c.data.ix, c.data.hist, func(t string) bool { return strings.EqualFold(t, subject) }) {
				if i == 0 || toOutcome(res) == outcomeMatch {
					subject = res.ID
				}
				if toOutcome(res) == outcomeMatch {
					break
				}
			}
		}
	} else {
		wls := map[string]Watchlist{}
		if r.Watchlist != "" {
			if w, err := b.watchlist(c.req.Team, r.Watchlist); err == nil {
				wls[w.Name] = w
			}
		}
		scope, _ := scopeOf(r, wls)
		for _, res := range cp.prog.Eval(c.data.ix, c.data.hist, scope) {
			if toOutcome(res) == outcomeMatch {
				subject = res.ID
				break
			}
		}
		if subject == "" {
			return Reply{}, &UserError{Msg: fmt.Sprintf("rule %s holds for no %s now; name one", r.Name, cp.prog.Subject()), Usage: lookupSpec("rule explain").usage()}
		}
	}
	ex, err := cp.prog.Explain(c.data.ix, c.data.hist, subject)
	if errors.Is(err, rules.ErrNoSubject) {
		// Retry without regard to case, then suggest close ids.
		var ids []string
		for _, res := range cp.prog.Eval(c.data.ix, c.data.hist, nil) {
			if strings.EqualFold(res.ID, subject) {
				subject = res.ID
				ex, err = cp.prog.Explain(c.data.ix, c.data.hist, subject)
				break
			}
			if levenshtein(strings.ToUpper(subject), strings.ToUpper(res.ID)) <= 3 {
				ids = append(ids, res.ID)
			}
		}
		if err != nil {
			msg := fmt.Sprintf("no %s %q in the data", cp.prog.Subject(), subject)
			if len(ids) > 0 {
				msg += "; did you mean " + strings.Join(ids[:min(len(ids), 3)], " or ") + "?"
			}
			return Reply{}, userErrorf("%s", msg)
		}
	}
	if err != nil {
		return Reply{}, userErrorf("cannot explain %s for %s: %s", r.Name, subject, oneLine(err.Error()))
	}
	return Reply{
		Title:    fmt.Sprintf("Explain %s for %s", r.Name, subject),
		Text:     ex.String(),
		Footer:   c.data.footer(),
		Severity: SeverityInfo,
	}, nil
}
