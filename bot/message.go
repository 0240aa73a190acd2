package bot

import "time"

// Request is one command typed by a chat user, already stripped of the
// platform's prefix ("/spreadwatch", a mention, or a slash-command name).
type Request struct {
	// Platform is "console", "slack" or "discord".
	Platform string `json:"platform,omitempty"`
	// Team is the workspace the request came from: a Slack team id, a
	// Discord guild id, or "local" for the console.
	Team string `json:"team,omitempty"`
	// User is the platform user id; it decides the user's role.
	User string `json:"user,omitempty"`
	// UserName is a display name for audit entries, when known.
	UserName string `json:"user_name,omitempty"`
	// Channel is the platform channel id the request was typed in.
	Channel string `json:"channel,omitempty"`
	// Text is the command line, e.g. `spread CIFR` or `rule add hi "coupon > 9%"`.
	Text string `json:"text,omitempty"`
}

// Severity grades a reply or an alert.
type Severity string

// Severities, from least to most urgent. SeverityOK marks a resolved alert.
const (
	SeverityInfo  Severity = "info"
	SeverityWarn  Severity = "warn"
	SeverityCrit  Severity = "crit"
	SeverityOK    Severity = "ok"
	SeverityError Severity = "error"
)

// Reply is a platform-neutral structured message. Each adapter renders it
// natively (Block Kit, embeds, plain text); PlainText is the canonical
// text form and every adapter's fallback.
type Reply struct {
	Title  string  `json:"title,omitempty"`
	Text   string  `json:"text,omitempty"`
	Fields []Field `json:"fields,omitempty"`
	Tables []Table `json:"tables,omitempty"`
	// Footer carries the as-of date and the data source.
	Footer   string   `json:"footer,omitempty"`
	Severity Severity `json:"severity,omitempty"`
	// Ephemeral replies are shown only to the requester where the
	// platform allows it. Errors are ephemeral.
	Ephemeral bool `json:"ephemeral,omitempty"`
	// Error marks a reply that reports a failed command.
	Error bool `json:"error,omitempty"`
	// Actions are buttons offered with the message (alerts: Ack, Mute).
	Actions []Action `json:"actions,omitempty"`
}

// Field is a labelled value, e.g. {"Spread", "+415 bp"}.
type Field struct {
	Name   string `json:"name,omitempty"`
	Value  string `json:"value,omitempty"`
	Inline bool   `json:"inline,omitempty"`
}

// Table is a small grid of text cells. Adapters truncate rows that do not
// fit the platform's limits and say how many were left out.
type Table struct {
	Title   string     `json:"title,omitempty"`
	Columns []string   `json:"columns,omitempty"`
	Rows    [][]string `json:"rows,omitempty"`
}

// Action is a button. Pressing it runs Command as if the user had typed it,
// with that user's role.
type Action struct {
	ID      string `json:"id,omitempty"` // stable action id, e.g. "ack", "mute1d"
	Label   string `json:"label,omitempty"`
	Command string `json:"command,omitempty"`
	Style   string `json:"style,omitempty"` // "", "primary" or "danger"
}

// NotificationKind says why a notification was sent.
type NotificationKind string

// Notification kinds.
const (
	KindFiring   NotificationKind = "firing"
	KindResolved NotificationKind = "resolved"
	KindRepeat   NotificationKind = "repeat"
)

// Notification is an alert message on its way to one chat channel. It is
// stored in the outbox before it is sent.
type Notification struct {
	// ID is the outbox id, unique and stable across restarts.
	ID       uint64           `json:"id,omitempty"`
	Platform string           `json:"platform,omitempty"`
	Team     string           `json:"team,omitempty"`
	Channel  string           `json:"channel,omitempty"`
	Kind     NotificationKind `json:"kind,omitempty"`
	// AlertID is the short id users type in `ack`, e.g. "A12".
	AlertID  string   `json:"alert_id,omitempty"`
	Rule     string   `json:"rule,omitempty"`
	Subject  string   `json:"subject,omitempty"`
	Ticker   string   `json:"ticker,omitempty"`
	Severity Severity `json:"severity,omitempty"`
	Reply    Reply    `json:"reply"`
	// Ref is the platform's id of the alert's first (firing) message, when
	// known: a resolve updates that message and replies in its thread.
	Ref     string    `json:"ref,omitempty"`
	Created time.Time `json:"created,omitzero"`
}
