package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/spreadwatch/spreadwatch/rules"
)

// Defaults for Options.
const (
	DefaultRefreshInterval = 5 * time.Minute
	DefaultRetention       = 100
	shutdownFlushTimeout   = 5 * time.Second
)

// Options configures a Bot. Store is required; everything else has a
// default.
type Options struct {
	// Store keeps teams, watchlists, rules, alerts, the outbox and the
	// snapshot history.
	Store Store
	// Source provides market data; nil means SampleSource().
	Source Source
	// Logger receives the bot's structured logs; nil discards them.
	Logger *slog.Logger
	// Registerer, when set, receives the bot's Prometheus metrics. The
	// default registry is never used.
	Registerer prometheus.Registerer
	// Roles maps users to roles; the zero value makes everyone an editor.
	Roles Roles
	// RefreshInterval is how often Run re-reads the data and evaluates
	// every rule; zero means DefaultRefreshInterval.
	RefreshInterval time.Duration
	// Retention is how many snapshots are kept for history; zero means
	// DefaultRetention, negative means unlimited.
	Retention int
	// NotifyResolved sends a notification when a firing alert resolves.
	// Configuration defaults it to true.
	NotifyResolved bool
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxAttempts is how many times a notification is tried before it is
	// marked failed; zero means 8.
	MaxAttempts int
	// RetryBackoff is the first wait after a failed send, doubled on each
	// further failure up to 10 minutes; a platform's RetryAfter is honoured
	// when longer. Zero means 2s.
	RetryBackoff time.Duration
}

// Bot is the platform-neutral chat bot: it answers commands (Handle),
// keeps the data fresh (Refresh, Run), evaluates rules into alerts and
// delivers notifications through the registered Posters (Flush). A Bot is
// safe for concurrent use.
type Bot struct {
	store          Store
	src            Source
	log            *slog.Logger
	roles          Roles
	interval       time.Duration
	retention      int
	notifyResolved bool
	now            func() time.Time
	maxAttempts    int
	retryBackoff   time.Duration
	m              *metrics
	handlers       map[string]handlerFunc

	fetchMu   sync.Mutex // serializes reads of the source
	refreshes singleflight.Group
	data      atomic.Pointer[dataState]
	ready     atomic.Bool

	postersMu sync.RWMutex
	posters   map[string]Poster

	// cycleMu serializes evaluation cycles and every other change of an
	// alert (ack, message ref, rule deletion). Changing the alert cache
	// needs both cycleMu and mu; reading it needs either.
	cycleMu sync.Mutex
	// decisions is the evaluation cycle's buffer for one rule's
	// decisions, reused from rule to rule; guarded by cycleMu.
	decisions []rules.Decision

	mu          sync.RWMutex
	teams       map[string]Team
	rules       map[string][]Rule // by team, sorted by name; replaced, never changed in place
	alerts      map[string]*teamAlerts
	ruleErrs    map[ruleKey]string // (team, rule) → last compile or scope error
	lastRefresh refreshStatus
	lastCycle   cycleStatus
	lastSendErr string

	progMu sync.Mutex // guards progs
	progs  map[ruleKey]*compiled

	deliverMu sync.Mutex
	wake      chan struct{}
}

// teamAlerts is the in-memory copy of one team's stored alerts.
type teamAlerts struct {
	byRule map[string]map[string]*Alert // rule → subject → alert
	byID   map[string]*Alert
	counts map[AlertState]int  // alerts by state
	active map[*Alert]struct{} // pending and firing alerts
}

// track counts a (not) being in its state.
func (ta *teamAlerts) track(a *Alert, in bool) {
	d := 1
	if !in {
		d = -1
	}
	ta.counts[a.State] += d
	if a.State == StateFiring || a.State == StatePending {
		if in {
			ta.active[a] = struct{}{}
		} else {
			delete(ta.active, a)
		}
	}
}

// cycleStatus summarizes the last evaluation cycle.
type cycleStatus struct {
	at          time.Time
	dur         time.Duration
	rules       int
	transitions int
	notified    int
	err         error
}

// New returns a Bot. Call Start before serving commands.
func New(opts Options) (*Bot, error) {
	if opts.Store == nil {
		return nil, errors.New("bot: Options.Store is required")
	}
	b := &Bot{
		store:          opts.Store,
		src:            opts.Source,
		log:            opts.Logger,
		roles:          opts.Roles,
		interval:       opts.RefreshInterval,
		retention:      opts.Retention,
		notifyResolved: opts.NotifyResolved,
		now:            opts.Now,
		maxAttempts:    opts.MaxAttempts,
		retryBackoff:   opts.RetryBackoff,
		posters:        map[string]Poster{},
		teams:          map[string]Team{},
		rules:          map[string][]Rule{},
		alerts:         map[string]*teamAlerts{},
		progs:          map[ruleKey]*compiled{},
		ruleErrs:       map[ruleKey]string{},
		wake:           make(chan struct{}, 1),
	}
	if b.src == nil {
		b.src = SampleSource()
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	b.log = b.log.With("component", "bot")
	if b.interval <= 0 {
		b.interval = DefaultRefreshInterval
	}
	if b.retention == 0 {
		b.retention = DefaultRetention
	}
	if b.retention < 0 {
		b.retention = 0
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.maxAttempts <= 0 {
		b.maxAttempts = defaultMaxAttempts
	}
	if b.retryBackoff <= 0 {
		b.retryBackoff = defaultRetryBackoff
	}
	m, err := newMetrics(opts.Registerer, b.snapshotAge)
	if err != nil {
		return nil, fmt.Errorf("bot: register metrics: %w", err)
	}
	b.m = m
	b.handlers = b.handlerTable()
	return b, nil
}

// snapshotAge is the current snapshot's age in seconds, for the metric.
func (b *Bot) snapshotAge() float64 {
	d := b.data.Load()
	if d == nil {
		return 0
	}
	return b.now().Sub(d.snap.AsOf).Seconds()
}

// AddPoster registers the Poster that delivers notifications of platform
// ("console", "slack", "discord"). Notifications wait in the outbox until
// their platform has a Poster.
func (b *Bot) AddPoster(platform string, p Poster) {
	b.postersMu.Lock()
	b.posters[platform] = p
	b.postersMu.Unlock()
	b.wakeDelivery()
}

// Ready reports whether Start has succeeded: the store is open and a
// snapshot is loaded.
func (b *Bot) Ready() bool { return b.ready.Load() }

// Start loads the stored state and snapshot history, fetches the data and
// evaluates every rule once. The notifications it produces are delivered
// by Run or Flush. It fails when no snapshot can be had, neither stored
// nor fetched.
func (b *Bot) Start(ctx context.Context) error {
	teams, err := b.store.Teams()
	if err != nil {
		return fmt.Errorf("bot: load teams: %w", err)
	}
	rs, err := b.store.AllRules()
	if err != nil {
		return fmt.Errorf("bot: load rules: %w", err)
	}
	b.installRules(teams, rs)
	// Decoding the alerts is the slowest part of a start with many rules:
	// do it while the history is read, the data fetched and the rules
	// compiled.
	var as []Alert
	var aerr error
	var wg sync.WaitGroup
	wg.Go(func() { as, aerr = b.store.Alerts("") })
	stored, err := b.store.Snapshots()
	if err != nil {
		wg.Wait()
		return fmt.Errorf("bot: load snapshots: %w", err)
	}
	b.loadHistory(stored)
	ferr := b.fetch(ctx)
	if ferr != nil {
		b.log.Error("data refresh failed", "err", ferr)
	}
	if d := b.data.Load(); d != nil {
		b.precompile(d)
	}
	wg.Wait()
	if aerr != nil {
		return fmt.Errorf("bot: load alerts: %w", aerr)
	}
	if err := b.installAlerts(as); err != nil {
		return err
	}
	b.log.Info("state loaded", "teams", len(teams), "rules", len(rs), "alerts", len(as), "snapshots", len(stored))
	if b.data.Load() == nil {
		return fmt.Errorf("bot: no data: %w", ferr)
	}
	if err := b.evaluate(); err != nil {
		return fmt.Errorf("bot: first evaluation: %w", err)
	}
	b.ready.Store(true)
	b.wakeDelivery()
	return nil
}

// installRules fills the team and rule caches.
func (b *Bot) installRules(teams []Team, rs []Rule) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range teams {
		b.teams[t.ID] = t
	}
	byTeam := map[string][]Rule{}
	for _, r := range rs {
		byTeam[r.Team] = append(byTeam[r.Team], r)
	}
	for t, list := range byTeam {
		slices.SortFunc(list, func(a, b Rule) int { return strings.Compare(a.Name, b.Name) })
		b.rules[t] = list
	}
}

// installAlerts fills the alert cache and deletes the alerts of rules
// that no longer exist (a crash between deleting a rule and its alerts).
func (b *Bot) installAlerts(as []Alert) error {
	b.cycleMu.Lock()
	defer b.cycleMu.Unlock()
	b.mu.Lock()
	var orphans []Alert
	for i := range as {
		a := as[i]
		if _, ok := slices.BinarySearchFunc(b.rules[a.Team], a.Rule, func(r Rule, n string) int { return strings.Compare(r.Name, n) }); !ok {
			orphans = append(orphans, a)
			continue
		}
		b.putAlertLocked(a)
	}
	b.mu.Unlock()
	if len(orphans) > 0 {
		if _, err := b.store.SaveCycle(Cycle{Removed: orphans}); err != nil {
			return fmt.Errorf("bot: remove alerts of deleted rules: %w", err)
		}
	}
	return nil
}

// putAlertLocked inserts or replaces a in the cache; b.mu must be held
// for writing.
func (b *Bot) putAlertLocked(a Alert) *Alert {
	ta := b.alerts[a.Team]
	if ta == nil {
		ta = &teamAlerts{byRule: map[string]map[string]*Alert{}, byID: map[string]*Alert{}, counts: map[AlertState]int{}, active: map[*Alert]struct{}{}}
		b.alerts[a.Team] = ta
	}
	m := ta.byRule[a.Rule]
	if m == nil {
		m = map[string]*Alert{}
		ta.byRule[a.Rule] = m
	}
	p := m[a.Subject]
	if p == nil {
		p = new(Alert)
		m[a.Subject] = p
	} else {
		ta.track(p, false)
	}
	if p.ID != "" && p.ID != a.ID && ta.byID[p.ID] == p {
		delete(ta.byID, p.ID)
	}
	*p = a
	ta.track(p, true)
	if a.ID != "" {
		ta.byID[a.ID] = p
	}
	return p
}

// deleteAlertLocked removes a from the cache; b.mu must be held for
// writing.
func (b *Bot) deleteAlertLocked(a Alert) {
	ta := b.alerts[a.Team]
	if ta == nil {
		return
	}
	m := ta.byRule[a.Rule]
	p := m[a.Subject]
	if p == nil {
		return
	}
	if p.ID != "" && ta.byID[p.ID] == p {
		delete(ta.byID, p.ID)
	}
	ta.track(p, false)
	delete(m, a.Subject)
	if len(m) == 0 {
		delete(ta.byRule, a.Rule)
	}
}

// Run keeps the bot going until ctx is done: it refreshes the data and
// evaluates every rule each RefreshInterval (sooner when a data file
// changes) and delivers due notifications. When ctx is done it lets the
// running cycle finish, flushes the outbox with a short deadline and
// returns nil.
func (b *Bot) Run(ctx context.Context) error {
	refresh := time.NewTicker(b.interval)
	defer refresh.Stop()
	poll := time.NewTicker(deliveryPoll)
	defer poll.Stop()
	cw, _ := b.src.(ChangeWatcher)
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownFlushTimeout)
			err := b.Flush(fctx)
			cancel()
			if err != nil {
				b.log.Warn("outbox flush at shutdown incomplete", "err", err)
			}
			return nil
		case <-refresh.C:
			b.refreshLogged(ctx)
		case <-poll.C:
			if cw != nil && cw.Changed() {
				b.log.Info("data files changed")
				b.refreshLogged(ctx)
				continue
			}
			b.flushLogged(ctx)
		case <-b.wake:
			b.flushLogged(ctx)
		}
	}
}

func (b *Bot) refreshLogged(ctx context.Context) {
	if err := b.Refresh(ctx); err != nil && ctx.Err() == nil {
		b.log.Error("refresh failed", "err", err)
	}
}

func (b *Bot) flushLogged(ctx context.Context) {
	if err := b.Flush(ctx); err != nil && ctx.Err() == nil {
		b.log.Error("outbox delivery failed", "err", err)
	}
}

// Refresh re-reads the data, stores a new snapshot unless it is unchanged,
// evaluates every rule and delivers the resulting notifications, all
// before it returns. A failed read keeps the last good snapshot; the rules
// are evaluated anyway and the read error is returned.
//
// Concurrent calls share one refresh: a flood of refresh commands costs
// one re-read and one evaluation at a time, not one each.
func (b *Bot) Refresh(ctx context.Context) error {
	ch := b.refreshes.DoChan("refresh", func() (any, error) { return nil, b.refresh(ctx) })
	select {
	case r := <-ch:
		return r.Err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *Bot) refresh(ctx context.Context) error {
	ferr := b.fetch(ctx)
	if b.data.Load() == nil {
		return ferr
	}
	if err := b.evaluate(); err != nil {
		return err
	}
	if err := b.Flush(ctx); err != nil {
		return errors.Join(ferr, err)
	}
	return ferr
}

// handlerFunc runs one parsed command.
type handlerFunc func(ctx context.Context, c *call) (Reply, error)

// call is one command being handled.
type call struct {
	req  Request
	cmd  Command
	role Role
	now  time.Time
	data *dataState
}

// actor names the user in audit entries.
func (c *call) actor() string {
	if c.req.UserName != "" && c.req.UserName != c.req.User {
		return c.req.Platform + ":" + c.req.User + " (" + c.req.UserName + ")"
	}
	return c.req.Platform + ":" + c.req.User
}

func (c *call) audit(action, target, detail string) AuditEntry {
	return AuditEntry{Team: c.req.Team, Actor: c.actor(), Action: action, Target: target, Detail: detail, At: c.now}
}

// Handle runs one command and returns its reply. It implements Handler:
// it never panics (a panic becomes "Something went wrong (ref xxxx)." with
// the detail logged under the same ref) and always returns a reply.
func (b *Bot) Handle(ctx context.Context, req Request) (rep Reply) {
	defer func() {
		if p := recover(); p != nil {
			ref := newRef()
			b.log.Error("command panicked", "ref", ref, "team", req.Team, "platform", req.Platform, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			rep = internalReply(ref)
		}
	}()
	if req.Team == "" {
		req.Team = "local"
	}
	cmd, err := ParseCommand(req.Text)
	if err != nil {
		return errorReply(err)
	}
	s := lookupSpec(cmd.Name)
	role := b.roles.For(req.Platform, req.User)
	if s.role != "" && !role.AtLeast(s.role) {
		return errorReply(userErrorf("you need the %s role to run %s (you are %s)", s.role, s.name, article(role)))
	}
	if err := b.ensureTeam(req); err != nil {
		return b.failed(req, err)
	}
	c := &call{req: req, cmd: cmd, role: role, now: b.now(), data: b.data.Load()}
	h := b.handlers[cmd.Name]
	if h == nil {
		return b.failed(req, fmt.Errorf("no handler for %q", cmd.Name))
	}
	rep, err = h(ctx, c)
	if err != nil {
		return b.failed(req, err)
	}
	return rep
}

func article(r Role) string {
	if r == RoleAdmin {
		return "an admin"
	}
	return "a " + string(r)
}

// failed turns a handler error into a reply: user errors as they are,
// anything else as an internal error logged under a ref.
func (b *Bot) failed(req Request, err error) Reply {
	var ue *UserError
	if errors.As(err, &ue) {
		return errorReply(ue)
	}
	ref := newRef()
	b.log.Error("command failed", "ref", ref, "team", req.Team, "platform", req.Platform, "command", firstWords(req.Text), "err", err)
	return internalReply(ref)
}

// firstWords returns the command words of text for logs, never its
// arguments.
func firstWords(text string) string {
	f := strings.Fields(text)
	return strings.Join(f[:min(len(f), 2)], " ")
}

// ensureTeam stores the request's team the first time it is seen.
func (b *Bot) ensureTeam(req Request) error {
	b.mu.RLock()
	_, ok := b.teams[req.Team]
	b.mu.RUnlock()
	if ok {
		return nil
	}
	t := Team{ID: req.Team, Platform: req.Platform, Created: b.now()}
	if err := b.store.EnsureTeam(t); err != nil {
		return fmt.Errorf("ensure team %q: %w", req.Team, err)
	}
	teams, err := b.store.Teams()
	if err != nil {
		return fmt.Errorf("ensure team %q: %w", req.Team, err)
	}
	b.mu.Lock()
	for _, t := range teams {
		b.teams[t.ID] = t
	}
	b.mu.Unlock()
	return nil
}

// rulesOf returns the team's rules sorted by name; the slice must not be
// modified.
func (b *Bot) rulesOf(team string) []Rule {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.rules[team]
}

// handlerTable maps command names to handlers.
func (b *Bot) handlerTable() map[string]handlerFunc {
	return map[string]handlerFunc{
		"help":           b.cmdHelp,
		"spread":         b.cmdSpread,
		"spreads":        b.cmdSpreads,
		"issuer":         b.cmdIssuer,
		"watch create":   b.cmdWatchCreate,
		"watch add":      b.cmdWatchAdd,
		"watch remove":   b.cmdWatchRemove,
		"watch show":     b.cmdWatchShow,
		"watch list":     b.cmdWatchList,
		"watch delete":   b.cmdWatchDelete,
		"rule add":       b.cmdRuleAdd,
		"rule list":      b.cmdRuleList,
		"rule show":      b.cmdRuleShow,
		"rule delete":    b.cmdRuleDelete,
		"rule test":      b.cmdRuleTest,
		"rule explain":   b.cmdRuleExplain,
		"alerts":         b.cmdAlerts,
		"alerts history": b.cmdAlertsHistory,
		"mute":           b.cmdMute,
		"mute list":      b.cmdMuteList,
		"mute remove":    b.cmdMuteRemove,
		"ack":            b.cmdAck,
		"status":         b.cmdStatus,
		"refresh":        b.cmdRefresh,
	}
}
