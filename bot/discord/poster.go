package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/spreadwatch/spreadwatch/bot"
)

// Discord JSON error codes the poster tells apart.
const (
	codeUnknownChannel     = 10003
	codeUnknownMessage     = 10008
	codeMissingAccess      = 50001
	codeMissingPermissions = 50013
	codeInvalidFormBody    = 50035
)

// Post sends n to its channel as an embed with its buttons (Ack, Mute 1d,
// Mute 7d) and returns the message id; a repeat replies to the firing
// message (n.Ref). A resolved notification with a Ref edits
// the original message (green, buttons removed) and replies to it; it
// returns the original's id. When the original is gone, the resolve is
// posted as a new message and that id is returned.
//
// discordgo's rate-limit buckets stay on; a 429 asking for more than a
// couple of seconds is not waited out but returned as SendError.RetryAfter,
// and every call is bounded by ctx and a timeout, so a global limit cannot
// stall the outbox. Errors are *bot.SendError: permanent for an unknown
// channel, missing access or permissions and a bad token.
func (a *Adapter) Post(ctx context.Context, n bot.Notification) (string, error) {
	if !a.hasToken {
		return "", &bot.SendError{Permanent: true, Reason: "no bot token: set discord.token to post alerts"}
	}
	channel := bot.ChannelID(n.Channel)
	if channel == "" {
		return "", &bot.SendError{Permanent: true, Reason: fmt.Sprintf("no channel to post to (%q)", n.Channel)}
	}
	a.remember(n.Reply.Actions)
	m := renderAlert(n)
	log := a.log.With("team", n.Team, "channel", channel, "rule", n.Rule, "kind", string(n.Kind))

	var ref *discordgo.MessageReference
	if n.Kind == bot.KindResolved && n.Ref != "" {
		noComponents := []discordgo.MessageComponent{}
		edit := &discordgo.MessageEdit{
			ID:              n.Ref,
			Channel:         channel,
			Embeds:          &m.Embeds,
			Components:      &noComponents,
			AllowedMentions: noMentions(),
		}
		err := a.send(ctx, func(opts ...discordgo.RequestOption) error {
			_, err := a.s.ChannelMessageEditComplex(edit, opts...)
			return err
		})
		switch se := classify(err); {
		case err == nil:
			noFail := false
			ref = &discordgo.MessageReference{MessageID: n.Ref, ChannelID: channel, FailIfNotExists: &noFail}
		case se.Reason == reasonUnknownMessage:
			log.Warn("resolved alert's message is gone; posting anew", "ref", n.Ref)
		default:
			return "", se
		}
	}

	if n.Kind == bot.KindRepeat && n.Ref != "" {
		// A repeat replies to the firing message, which stays the ref.
		noFail := false
		ref = &discordgo.MessageReference{MessageID: n.Ref, ChannelID: channel, FailIfNotExists: &noFail}
	}

	var id string
	err := a.send(ctx, func(opts ...discordgo.RequestOption) error {
		msg, err := a.s.ChannelMessageSendComplex(channel, &discordgo.MessageSend{
			Embeds:          m.Embeds,
			Components:      m.Components,
			AllowedMentions: noMentions(),
			Reference:       ref,
		}, opts...)
		if err == nil && msg != nil {
			id = msg.ID
		}
		return err
	})
	if err != nil {
		return "", classify(err) // the outbox logs and records it
	}
	if n.Kind == bot.KindResolved && ref != nil {
		return n.Ref, nil
	}
	return id, nil
}

// send makes one REST call for Post without discordgo's unbounded 429
// retry: a short 429 is waited out once, a longer one returned.
func (a *Adapter) send(ctx context.Context, fn func(opts ...discordgo.RequestOption) error) error {
	for attempt := 0; ; attempt++ {
		err := a.call(ctx, fn, discordgo.WithRetryOnRatelimit(false))
		rl, ok := errors.AsType[*discordgo.RateLimitError](err)
		if !ok || rl.RateLimit == nil || rl.TooManyRequests == nil || attempt > 0 || rl.RetryAfter > maxRateLimitWait {
			return err
		}
		t := time.NewTimer(rl.RetryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// Reasons of SendError that callers may test.
const (
	reasonUnknownMessage = "unknown_message"
)

// classify turns a REST error into a *bot.SendError with its retry class
// and a reason an operator can act on. It returns nil for nil.
func classify(err error) *bot.SendError {
	if err == nil {
		return nil
	}
	if se, ok := errors.AsType[*bot.SendError](err); ok {
		return se
	}
	if rl, ok := errors.AsType[*discordgo.RateLimitError](err); ok && rl.RateLimit != nil && rl.TooManyRequests != nil {
		return &bot.SendError{RetryAfter: max(rl.RetryAfter, time.Second/10), Reason: "rate_limited", Err: err}
	}
	if errors.Is(err, discordgo.ErrUnauthorized) {
		return &bot.SendError{Permanent: true, Reason: "unauthorized: check discord.token", Err: err}
	}
	if re, ok := errors.AsType[*discordgo.RESTError](err); ok && re.Response != nil {
		code := 0
		if re.Message != nil {
			code = re.Message.Code
		}
		status := re.Response.StatusCode
		switch {
		case code == codeUnknownChannel:
			return &bot.SendError{Permanent: true, Reason: "unknown_channel: the channel was deleted or the bot cannot see it (Discord 10003)", Err: err}
		case code == codeUnknownMessage:
			return &bot.SendError{Permanent: true, Reason: reasonUnknownMessage, Err: err}
		case code == codeMissingAccess:
			return &bot.SendError{Permanent: true, Reason: "missing_access: give the bot View Channel in this channel (Discord 50001)", Err: err}
		case code == codeMissingPermissions:
			return &bot.SendError{Permanent: true, Reason: "missing_permissions: give the bot Send Messages, Embed Links and Read Message History (Discord 50013)", Err: err}
		case code == codeInvalidFormBody:
			return &bot.SendError{Permanent: true, Reason: "invalid_message: Discord rejected the message (50035)", Err: err}
		case status == http.StatusUnauthorized:
			return &bot.SendError{Permanent: true, Reason: "unauthorized: check discord.token", Err: err}
		case status == http.StatusForbidden:
			return &bot.SendError{Permanent: true, Reason: fmt.Sprintf("forbidden (Discord %d)", code), Err: err}
		case status == http.StatusTooManyRequests:
			return &bot.SendError{RetryAfter: 5 * time.Second, Reason: "rate_limited", Err: err}
		case status >= 500:
			return &bot.SendError{Reason: fmt.Sprintf("discord_unavailable (HTTP %d)", status), Err: err}
		case status == http.StatusNotFound:
			return &bot.SendError{Permanent: true, Reason: fmt.Sprintf("not_found (Discord %d)", code), Err: err}
		case status >= 400:
			return &bot.SendError{Permanent: true, Reason: fmt.Sprintf("rejected (HTTP %d, Discord %d)", status, code), Err: err}
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &bot.SendError{Reason: "timeout", Err: err}
	}
	return &bot.SendError{Reason: "network", Err: err}
}
