package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"

	"github.com/slack-go/slack"

	"github.com/spreadwatch/spreadwatch/bot"
)

// transient reports whether a Slack error code is worth retrying. Every
// other ok:false code is permanent: channel_not_found, not_in_channel,
// is_archived, invalid_auth, not_authed, account_inactive, token_revoked,
// missing_scope, msg_too_long, invalid_blocks and the like fail the same
// way however often they are retried.
func transient(code string) bool {
	switch code {
	case "ratelimited", "rate_limited", "internal_error", "fatal_error",
		"service_unavailable", "request_timeout", "team_added_to_org":
		return true
	}
	return false
}

// gone reports whether a Slack error code means that the message to update
// no longer exists or can no longer change.
func gone(code string) bool {
	switch code {
	case "message_not_found", "cant_update_message", "edit_window_closed":
		return true
	}
	return false
}

// Post sends n to n.Channel with Block Kit, a text fallback and the
// reply's buttons (Ack, Mute…), and returns the message ts. For a resolved
// alert with n.Ref set, it updates the original message (resolved look,
// no buttons) and replies in its thread, returning n.Ref; if the original
// is gone, it posts a new message and returns that one's ts.
//
// Messages to one channel are spaced by PerChannelInterval; Post waits for
// its slot. Failures are *bot.SendError: RetryAfter set on 429, Permanent
// for errors such as channel_not_found, not_in_channel or invalid_auth
// (Reason is Slack's error code), retryable for 5xx, timeouts and network
// errors. Post never retries by itself.
func (a *Adapter) Post(ctx context.Context, n bot.Notification) (string, error) {
	if a.botToken == "" {
		return "", &bot.SendError{Permanent: true, Reason: "not_authed", Err: errors.New("no Slack bot token configured")}
	}
	if n.Channel == "" {
		return "", &bot.SendError{Permanent: true, Reason: "channel_not_found", Err: errors.New("notification has no channel")}
	}
	if n.Kind == bot.KindResolved && n.Ref != "" {
		return a.resolve(ctx, n)
	}
	m := render(n.Reply, renderOptions{actions: true})
	ts, err := a.postMessage(ctx, n.Channel, messageOptions(m)...)
	if err != nil {
		return "", classify(err)
	}
	return ts, nil
}

// resolve updates the firing message n.Ref and replies in its thread.
func (a *Adapter) resolve(ctx context.Context, n bot.Notification) (string, error) {
	rep := n.Reply
	if rep.Severity == "" {
		rep.Severity = bot.SeverityOK
	}
	m := render(rep, renderOptions{}) // no buttons: nothing left to ack or mute
	_, _, _, err := a.api.UpdateMessageContext(ctx, n.Channel, n.Ref, messageOptions(m)...)
	threaded := true
	if err != nil {
		se := classify(err)
		if !gone(se.Reason) {
			return "", se
		}
		a.log.Warn("slack alert message gone, posting the resolve anew",
			"team", n.Team, "channel", n.Channel, "ref", n.Ref, "reason", se.Reason)
		threaded = false
	}
	opts := messageOptions(m)
	if threaded {
		opts = append(opts, slack.MsgOptionTS(n.Ref))
	}
	ts, err := a.postMessage(ctx, n.Channel, opts...)
	if err != nil {
		return "", classify(err)
	}
	if !threaded {
		return ts, nil
	}
	return n.Ref, nil
}

// messageOptions are the options of a rendered message. Its text is
// already escaped.
func messageOptions(m message) []slack.MsgOption {
	return []slack.MsgOption{
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionBlocks(m.Blocks...),
		slack.MsgOptionDisableLinkUnfurl(),
	}
}

// postMessage calls chat.postMessage once the channel's rate limit allows,
// and returns the message ts.
func (a *Adapter) postMessage(ctx context.Context, channel string, opts ...slack.MsgOption) (string, error) {
	if err := a.limiter.wait(ctx, channel); err != nil {
		return "", err
	}
	_, ts, err := a.api.PostMessageContext(ctx, channel, opts...)
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		a.limiter.backoff(channel, rl.RetryAfter)
		a.log.Debug("slack rate limited", "channel", channel, "retry_after", rl.RetryAfter)
	}
	return ts, err
}

// classify gives a Web API error its retry class.
func classify(err error) *bot.SendError {
	if se, ok := errors.AsType[*bot.SendError](err); ok {
		return se
	}
	if rl, ok := errors.AsType[*slack.RateLimitedError](err); ok {
		return &bot.SendError{RetryAfter: rl.RetryAfter, Reason: "ratelimited", Err: err}
	}
	if sc, ok := errors.AsType[slack.StatusCodeError](err); ok {
		reason := fmt.Sprintf("http_%d", sc.Code)
		switch {
		case sc.Code == 429:
			return &bot.SendError{Reason: "ratelimited", Err: err}
		case sc.Code >= 500, sc.Code == 408:
			return &bot.SendError{Reason: reason, Err: err}
		default:
			return &bot.SendError{Permanent: true, Reason: reason, Err: err}
		}
	}
	if er, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		return &bot.SendError{Permanent: !transient(er.Err), Reason: er.Err, Err: err}
	}
	if errors.Is(err, context.Canceled) {
		return &bot.SendError{Reason: "canceled", Err: err}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &bot.SendError{Reason: "timeout", Err: err}
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return &bot.SendError{Reason: "timeout", Err: err}
	}
	if _, ok := errors.AsType[*json.SyntaxError](err); ok {
		return &bot.SendError{Reason: "bad_response", Err: err}
	}
	return &bot.SendError{Reason: "network", Err: err}
}
