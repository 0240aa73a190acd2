package bot

import (
	"errors"
	"time"
)

// ErrNotFound is returned by Store methods when the named record does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned by Store create methods when the record already exists.
var ErrExists = errors.New("already exists")

// Team is a chat workspace: a Slack team, a Discord guild, or the console's
// "local". Watchlists, rules, silences and alerts belong to a team.
type Team struct {
	ID       string    `json:"id"`
	Platform string    `json:"platform"`
	Created  time.Time `json:"created"`
}

// Watchlist is a team-shared list of tickers whose alerts go to Channel.
type Watchlist struct {
	Team    string    `json:"team"`
	Name    string    `json:"name"`
	Channel string    `json:"channel"`
	Tickers []string  `json:"tickers"`
	Author  string    `json:"author"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Rule is a saved rule: an expression plus its alerting options.
type Rule struct {
	Team string `json:"team"`
	Name string `json:"name"`
	Expr string `json:"expr"`
	// Clear, when set, must hold for a firing alert to resolve (hysteresis).
	Clear  string        `json:"clear,omitempty"`
	For    time.Duration `json:"for,omitempty"`
	Repeat time.Duration `json:"repeat,omitempty"`
	MaxAge time.Duration `json:"max_age,omitempty"`
	// Watchlist scopes the rule to a watchlist's tickers and channel;
	// empty means every issuer, alerts to Channel.
	Watchlist string   `json:"watchlist,omitempty"`
	Severity  Severity `json:"severity"`
	// Channel is where the rule was created: the alert channel when the
	// rule has no watchlist.
	Channel  string    `json:"channel"`
	Platform string    `json:"platform"`
	Author   string    `json:"author"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// AlertState is where an alert instance is in its lifecycle.
type AlertState string

// Alert states. Inactive instances are not stored.
const (
	StateInactive  AlertState = "inactive"
	StatePending   AlertState = "pending"
	StateFiring    AlertState = "firing"
	StateResolved  AlertState = "resolved"
	StateStale     AlertState = "stale"
	StateLacksData AlertState = "lacks_data"
	StateError     AlertState = "error"
)

// Alert is the state of one (rule, subject) instance.
type Alert struct {
	// ID is the short id users type, e.g. "A12"; unique within a team.
	ID      string     `json:"id"`
	Team    string     `json:"team"`
	Rule    string     `json:"rule"`
	Subject string     `json:"subject"` // bond id, project id, or ticker
	Ticker  string     `json:"ticker"`
	State   AlertState `json:"state"`
	// Since is when the instance entered State.
	Since time.Time `json:"since"`
	// ActiveSince is when the condition started to hold (pending or firing).
	ActiveSince  time.Time `json:"active_since,omitzero"`
	FiringSince  time.Time `json:"firing_since,omitzero"`
	LastNotified time.Time `json:"last_notified,omitzero"`
	Reason       string    `json:"reason,omitempty"`
	Values       string    `json:"values,omitempty"`
	AckedBy      string    `json:"acked_by,omitempty"`
	AckNote      string    `json:"ack_note,omitempty"`
	AckedAt      time.Time `json:"acked_at,omitzero"`
	// Ref is the platform id of the firing message (Slack ts, Discord
	// message id), so a resolve can update it, across restarts.
	Ref string `json:"ref,omitempty"`
}

// Key identifies an alert instance within a team.
func (a Alert) Key() string { return a.Rule + "/" + a.Subject }

// Transition is one stored change of an alert's state, with its reason.
type Transition struct {
	Seq     uint64     `json:"seq"`
	Team    string     `json:"team"`
	AlertID string     `json:"alert_id"`
	Rule    string     `json:"rule"`
	Subject string     `json:"subject"`
	Ticker  string     `json:"ticker"`
	From    AlertState `json:"from"`
	To      AlertState `json:"to"`
	At      time.Time  `json:"at"`
	Reason  string     `json:"reason"`
}

// Silence suppresses notifications (not evaluation) for a rule, a ticker,
// or both, until it expires.
type Silence struct {
	ID      string    `json:"id"`
	Team    string    `json:"team"`
	Rule    string    `json:"rule,omitempty"`
	Ticker  string    `json:"ticker,omitempty"`
	Until   time.Time `json:"until"`
	Author  string    `json:"author"`
	Comment string    `json:"comment,omitempty"`
	Created time.Time `json:"created"`
}

// OutboxStatus is the delivery state of an outbox item.
type OutboxStatus string

// Outbox statuses.
const (
	OutboxPending  OutboxStatus = "pending"
	OutboxRetrying OutboxStatus = "retrying"
	OutboxSent     OutboxStatus = "sent"
	OutboxFailed   OutboxStatus = "failed"
)

// OutboxItem is a notification with its delivery record.
type OutboxItem struct {
	Notification Notification  `json:"notification"`
	Status       OutboxStatus  `json:"status"`
	Attempts     int           `json:"attempts"`
	NextAttempt  time.Time     `json:"next_attempt,omitzero"`
	LastError    string        `json:"last_error,omitempty"`
	Ref          string        `json:"ref,omitempty"`
	Sent         time.Time     `json:"sent,omitzero"`
	Backoff      time.Duration `json:"backoff,omitempty"`
}

// AuditEntry records who changed what.
type AuditEntry struct {
	Team   string    `json:"team"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"` // e.g. "rule.add", "watch.delete"
	Target string    `json:"target"`
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at"`
}

// StoredSnapshot is one feed snapshot kept for history, as v1 feed JSON.
type StoredSnapshot struct {
	AsOf        time.Time `json:"as_of"`
	Fingerprint string    `json:"fingerprint"`
	Source      string    `json:"source"`
	Data        []byte    `json:"data"`
}

// Cycle holds every write of one evaluation cycle; a Store commits it in
// one transaction, so a crash leaves either all of it or none.
type Cycle struct {
	Alerts      []Alert        // changed or new instances (upsert)
	Removed     []Alert        // instances back to inactive (delete)
	Transitions []Transition   // Seq assigned by the store
	Outbox      []Notification // ID assigned by the store
}

// Store is everything the bot keeps. Implementations must be safe for
// concurrent use. Methods return ErrNotFound for a missing named record and
// ErrExists when creating one that exists.
type Store interface {
	EnsureTeam(t Team) error
	Teams() ([]Team, error)

	Watchlists(team string) ([]Watchlist, error)
	Watchlist(team, name string) (Watchlist, error)
	PutWatchlist(w Watchlist, a AuditEntry) error
	DeleteWatchlist(team, name string, a AuditEntry) error

	Rules(team string) ([]Rule, error)
	AllRules() ([]Rule, error)
	PutRule(r Rule, a AuditEntry) error
	DeleteRule(team, name string, a AuditEntry) error

	// Alerts lists every stored alert instance of a team ("" for all teams).
	Alerts(team string) ([]Alert, error)
	// AlertByID finds an alert by its short id within a team.
	AlertByID(team, id string) (Alert, error)
	// PutAlert updates one alert outside a cycle (ack, message ref).
	PutAlert(a Alert, audit *AuditEntry) error
	// NextAlertID returns a fresh short alert id for the team ("A1", "A2", …).
	NextAlertID(team string) (string, error)
	// SaveCycle commits one evaluation cycle atomically; it assigns
	// Transition.Seq and Notification.ID and returns the stored outbox ids.
	SaveCycle(c Cycle) ([]uint64, error)
	// Transitions returns the newest n transitions of a team, newest first.
	Transitions(team string, n int) ([]Transition, error)

	Silences(team string) ([]Silence, error)
	PutSilence(s Silence, a AuditEntry) error
	DeleteSilence(team, id string, a AuditEntry) error

	// Due returns outbox items that are pending, or retrying with
	// NextAttempt <= now, oldest first, at most limit.
	Due(now time.Time, limit int) ([]OutboxItem, error)
	// UpdateOutbox records a delivery attempt's outcome.
	UpdateOutbox(it OutboxItem) error
	// Outbox lists items in id order (all statuses), at most limit, newest last.
	Outbox(limit int) ([]OutboxItem, error)

	// PutSnapshot stores a snapshot unless one with the same fingerprint is
	// the newest stored; it reports whether it stored it. Retention keeps at
	// most keep snapshots (0 = unlimited).
	PutSnapshot(s StoredSnapshot, keep int) (bool, error)
	// Snapshots returns stored snapshots oldest first.
	Snapshots() ([]StoredSnapshot, error)

	Audit(team string, n int) ([]AuditEntry, error)
	Close() error
}
