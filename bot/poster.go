package bot

import (
	"context"
	"fmt"
	"time"
)

// Handler answers commands. The bot's Router implements it; chat adapters
// call it for every command, mention, slash command and button press.
type Handler interface {
	// Handle runs one command and returns the reply. It never panics and
	// always returns a reply, even for a malformed command.
	Handle(ctx context.Context, req Request) Reply
}

// Poster delivers notifications to one chat platform.
type Poster interface {
	// Post sends n to n.Channel and returns the platform's id for the
	// posted message. When n.Kind is KindResolved and n.Ref is set, the
	// poster updates the original message and replies in its thread.
	// Errors that the platform classifies should be *SendError.
	Post(ctx context.Context, n Notification) (ref string, err error)
}

// SendError is a delivery failure with its retry class.
type SendError struct {
	// Permanent errors (unknown channel, missing access, bad token) are
	// not retried.
	Permanent bool
	// RetryAfter, when positive, is how long the platform asked us to wait.
	RetryAfter time.Duration
	// Reason is a short operator-facing explanation, e.g. "channel_not_found".
	Reason string
	Err    error
}

func (e *SendError) Error() string {
	if e.Err == nil {
		return e.Reason
	}
	return fmt.Sprintf("%s: %v", e.Reason, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }
