package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/spreadwatch/spreadwatch/bot"
)

// Reconnect backoff of the gateway.
const (
	minBackoff = time.Second
	maxBackoff = 2 * time.Minute
)

// runGateway connects the gateway and keeps it connected until ctx is
// done. discordgo's own reconnect loop is off (ShouldReconnectOnError is
// false from the start): it cannot be stopped once it runs and outlives
// Close. Instead every Disconnect event wakes this loop, which reopens the
// session (a RESUME) with a backoff that ends with ctx. It returns nil when
// ctx is done, or an error when Discord refuses the bot for good (bad
// token, disallowed intents).
func (a *Adapter) runGateway(ctx context.Context) error {
	drops := make(chan struct{}, 1)
	// Handlers run in their own goroutines; they get a context that is not
	// cancelled at shutdown so that answers in flight can still be sent.
	hctx := context.WithoutCancel(ctx)
	removers := []func(){
		a.s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) {
			select {
			case drops <- struct{}{}:
			default:
			}
		}),
		a.s.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) { a.onReady(r) }),
		a.s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) { a.log.Info("gateway resumed") }),
		a.s.AddHandler(func(_ *discordgo.Session, rl *discordgo.RateLimit) {
			a.log.Warn("rate limited", "bucket", rl.Bucket, "retry_after", rl.RetryAfter.String())
		}),
		a.s.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
			if ic.Interaction == nil {
				return
			}
			a.answer(hctx, ic.Interaction, func(ctx context.Context, resp response) error {
				return a.callback(ctx, ic.Interaction, resp)
			})
		}),
		a.s.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) { a.onMessage(hctx, m) }),
	}
	defer func() {
		for _, remove := range removers {
			remove()
		}
	}()
	defer a.closeSession()

	if err := a.resolveGateway(ctx); err != nil {
		return nilIfDone(ctx, err)
	}
	if err := a.open(ctx); err != nil {
		return nilIfDone(ctx, err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-drops:
		}
		if ctx.Err() != nil {
			return nil
		}
		a.log.Warn("gateway disconnected; reconnecting")
		if err := a.open(ctx); err != nil {
			return nilIfDone(ctx, err)
		}
	}
}

func nilIfDone(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// closeSession closes the gateway for good (Close waits about a second
// for Discord to close the socket). ShouldReconnectOnError has been false
// since New, so no discordgo reconnect loop can start; it is not written
// here because discordgo reads it without a lock.
func (a *Adapter) closeSession() {
	if err := a.s.Close(); err != nil {
		a.log.Debug("close gateway", "err", err)
	}
	a.log.Info("gateway closed")
}

// resolveGateway finds the gateway URL: the configured one, else GET
// gateway/bot, retried with backoff until ctx is done.
func (a *Adapter) resolveGateway(ctx context.Context) error {
	if a.transport.gatewayURL() != "" {
		return nil
	}
	return a.retry(ctx, "ask gateway url", func() error {
		var gb *discordgo.GatewayBotResponse
		err := a.call(ctx, func(opts ...discordgo.RequestOption) error {
			var err error
			gb, err = a.s.GatewayBot(opts...)
			return err
		})
		if err != nil {
			// Only a refused token is final; anything else (a proxy or
			// fake without the route, an outage) is retried.
			if se := classify(err); se.Permanent && strings.HasPrefix(se.Reason, "unauthorized") {
				return permanentError{fmt.Errorf("discord: ask gateway url: %w", se)}
			}
			return err
		}
		if gb.URL == "" || gb.URL == "/" {
			return errors.New("gateway/bot returned no url")
		}
		a.transport.setGateway(gb.URL)
		a.log.Info("gateway url", "url", gb.URL, "shards", gb.Shards)
		return nil
	})
}

// open opens the session, retried with backoff until it succeeds, ctx is
// done, or Discord closes with a code that retrying cannot fix.
func (a *Adapter) open(ctx context.Context) error {
	return a.retry(ctx, "open gateway", func() error {
		stop := context.AfterFunc(ctx, a.abortOpen)
		err := a.s.Open()
		stop()
		a.opened(err == nil)
		if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			return nil
		}
		if ce, ok := errors.AsType[*websocket.CloseError](err); ok {
			if hint, fatal := fatalClose[ce.Code]; fatal {
				return permanentError{fmt.Errorf("discord: the gateway refused the bot (close %d): %s", ce.Code, hint)}
			}
		}
		return err
	})
}

// fatalClose are gateway close codes that a reconnect cannot fix.
var fatalClose = map[int]string{
	4004: "authentication failed: check discord.token",
	4010: "invalid shard",
	4011: "sharding required",
	4012: "invalid API version",
	4013: "invalid intents",
	4014: "disallowed intents: enable them in the developer portal",
}

// permanentError stops retry.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// retry calls fn until it succeeds, returns a permanentError, or ctx is
// done; the first retry is immediate, then the wait doubles up to
// maxBackoff.
func (a *Adapter) retry(ctx context.Context, what string, fn func() error) error {
	wait := time.Duration(0)
	for {
		err := fn()
		if err == nil {
			return nil
		}
		if pe, ok := errors.AsType[permanentError](err); ok {
			a.log.Error(what, "err", pe.err)
			return pe.err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		a.log.Warn(what, "err", err, "retry_in", wait.String())
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		wait = min(max(2*wait, minBackoff), maxBackoff)
	}
}

// onReady records the bot's ids, and the application id when it was not
// configured, which lets registerCommands start.
func (a *Adapter) onReady(r *discordgo.Ready) {
	var user, app string
	if r.User != nil {
		user = r.User.ID
	}
	if r.Application != nil {
		app = r.Application.ID
	}
	if app == "" {
		app = user
	}
	a.mu.Lock()
	a.botID = user
	if a.appID == "" {
		a.appID = app
	}
	appID := a.appID
	a.mu.Unlock()
	a.log.Info("gateway ready", "bot", user, "application", appID, "guilds", len(r.Guilds), "invite", InviteURL(appID))
	if appID != "" {
		a.setAppIDKnown() // wakes registerCommands
	}
}

// onMessage runs a text command: a message that starts with the prefix
// or mentions the bot. The answer replies to the message.
func (a *Adapter) onMessage(ctx context.Context, m *discordgo.MessageCreate) {
	if m.Message == nil || m.Author == nil || m.Author.Bot {
		return
	}
	a.mu.Lock()
	botID := a.botID
	a.mu.Unlock()
	text, ok := messageCommand(m.Content, a.prefix, botID)
	if !ok {
		return
	}
	if !a.jobs.start() {
		return
	}
	defer a.jobs.done()
	team := m.GuildID
	if team == "" {
		team = "dm:" + m.Author.ID
	}
	name := m.Author.GlobalName
	if m.Member != nil && m.Member.Nick != "" {
		name = m.Member.Nick
	}
	if name == "" {
		name = m.Author.Username
	}
	ctx, cancel := context.WithTimeout(ctx, jobTimeout)
	defer cancel()
	r := a.handle(ctx, bot.Request{
		Platform: platform,
		Team:     team,
		User:     m.Author.ID,
		UserName: name,
		Channel:  m.ChannelID,
		Text:     text,
	})
	a.remember(r.Actions)
	msg := render(r)
	noFail := false
	send := &discordgo.MessageSend{
		Content:         msg.Content,
		Embeds:          msg.Embeds,
		Components:      msg.Components,
		AllowedMentions: noMentions(),
		Reference: &discordgo.MessageReference{
			MessageID:       m.ID,
			ChannelID:       m.ChannelID,
			GuildID:         m.GuildID,
			FailIfNotExists: &noFail,
		},
	}
	err := a.call(ctx, func(opts ...discordgo.RequestOption) error {
		_, err := a.s.ChannelMessageSendComplex(m.ChannelID, send, opts...)
		return err
	})
	if err != nil {
		a.log.Warn("reply to message", "team", team, "channel", m.ChannelID, "err", classify(err))
	}
}

// messageCommand extracts the command from a message: the text after the
// prefix, or the message with the bot's mentions removed when it mentions
// the bot. ok is false for messages not meant for the bot. An empty
// command is "help".
func messageCommand(content, prefix, botID string) (string, bool) {
	content = strings.TrimSpace(content)
	var text string
	switch {
	case prefix != "" && strings.HasPrefix(content, prefix) &&
		(len(content) == len(prefix) || strings.ContainsRune(" \t\n", rune(content[len(prefix)]))):
		text = content[len(prefix):]
	case botID != "" && (strings.Contains(content, "<@"+botID+">") || strings.Contains(content, "<@!"+botID+">")):
		text = strings.NewReplacer("<@"+botID+"> ", "", "<@!"+botID+"> ", "", "<@"+botID+">", "", "<@!"+botID+">", "").Replace(content)
	default:
		return "", false
	}
	text = strings.TrimSpace(text)
	if text == "" {
		text = "help"
	}
	return text, true
}
