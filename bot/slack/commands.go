package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/spreadwatch/spreadwatch/bot"
)

// Response types of a slash command or response_url answer.
const (
	inChannel = "in_channel"
	ephemeral = "ephemeral"
)

// workingText is the interim answer of a slow command.
const workingText = ":hourglass_flowing_sand: Working on it…"

// payload is the JSON answer to a slash command or a button: the body of
// the HTTP response, the Socket Mode ack payload, or a response_url POST.
type payload struct {
	ResponseType string        `json:"response_type,omitempty"`
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks,omitempty"`
}

// payloadFor renders rep for an answer. Errors and ephemeral replies are
// ephemeral; other replies go to the channel when QueriesInChannel is set.
func (a *Adapter) payloadFor(rep bot.Reply, o renderOptions) payload {
	o.actions = true
	m := render(rep, o)
	rt := ephemeral
	if a.queriesInChannel && !rep.Error && !rep.Ephemeral {
		rt = inChannel
	}
	return payload{ResponseType: rt, Text: m.Text, Blocks: m.Blocks}
}

// handle runs req through the handler. A panic becomes an error reply, so
// that one bad command never takes down the bot.
func (a *Adapter) handle(ctx context.Context, req bot.Request) (rep bot.Reply) {
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("slack handler panicked", "team", req.Team, "user", req.User, "channel", req.Channel, "panic", fmt.Sprint(p))
			rep = bot.Reply{Text: "Something went wrong.", Severity: bot.SeverityError, Error: true, Ephemeral: true}
		}
	}()
	return a.handler.Handle(ctx, req)
}

// answerWithin runs req and returns its reply if it is ready within
// a.ackWait. Otherwise it returns late=true at once, and late is called
// with the reply when it is ready; the work is tracked in a.jobs and
// outlives ctx's cancellation (for at most jobTimeout).
func (a *Adapter) answerWithin(ctx context.Context, req bot.Request, late func(context.Context, bot.Reply)) (bot.Reply, bool) {
	const (
		pending = iota
		onTime
		tooLate
	)
	var state atomic.Int32
	done := make(chan bot.Reply, 1)
	a.jobs.Go(func() {
		jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jobTimeout)
		defer cancel()
		rep := a.handle(jctx, req)
		if state.CompareAndSwap(pending, onTime) {
			done <- rep
			return
		}
		late(jctx, rep)
	})

	t := time.NewTimer(a.ackWait)
	defer t.Stop()
	select {
	case rep := <-done:
		return rep, false
	case <-t.C:
		if state.CompareAndSwap(pending, tooLate) {
			return bot.Reply{}, true
		}
		return <-done, false
	}
}

// goJob runs f in the background with a context that survives ctx's
// cancellation for at most jobTimeout.
func (a *Adapter) goJob(ctx context.Context, f func(context.Context)) {
	a.jobs.Go(func() {
		jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jobTimeout)
		defer cancel()
		f(jctx)
	})
}

// commandRequest maps a slash command to a bot request.
func commandRequest(cmd slack.SlashCommand) bot.Request {
	return bot.Request{
		Platform: platform,
		Team:     cmd.TeamID,
		User:     cmd.UserID,
		UserName: cmd.UserName,
		Channel:  cmd.ChannelID,
		Text:     commandText(cmd.Text),
	}
}

// commandText turns the text a user typed, as Slack delivers it, into a
// command line: channel links made bare ids, entities decoded, typographic
// quotes made plain, and an empty line read as "help".
func commandText(s string) string {
	s = strings.NewReplacer(
		"&lt;", "<", "&gt;", ">", "&amp;", "&",
		"\u201c", `"`, "\u201d", `"`, "\u2018", "'", "\u2019", "'",
		"\u00a0", " ",
	).Replace(channelRefs(s))
	s = strings.TrimSpace(s)
	if s == "" {
		return "help"
	}
	return s
}

// channelRefs rewrites Slack's channel links, "<#C123|credit>" or
// "<#C123>", as the bare channel id: what the bot stores for a watchlist
// and what chat.postMessage takes. A literal "<" typed by the user arrives
// as "&lt;", so every "<" here is Slack's markup.
func channelRefs(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "<#")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		id, _, _ := strings.Cut(s[i+2:i+j], "|")
		b.WriteString(s[:i])
		b.WriteString(id)
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

// stripMention returns the text after the bot's mention ("<@U123>" or
// "<@U123|name>"), or after the first mention when botID is unknown or
// absent from text.
func stripMention(text, botID string) string {
	i := -1
	if botID != "" {
		i = strings.Index(text, "<@"+botID)
	}
	if i < 0 {
		i = strings.Index(text, "<@")
	}
	if i < 0 {
		return text
	}
	end := strings.IndexByte(text[i:], '>')
	if end < 0 {
		return text
	}
	return text[i+end+1:]
}

// botUserID is the bot's user id among an event's authorizations.
func botUserID(cb *slackevents.EventsAPICallbackEvent) string {
	if cb == nil {
		return ""
	}
	for _, au := range cb.Authorizations {
		if au.IsBot && au.UserID != "" {
			return au.UserID
		}
	}
	return ""
}

// onEvent handles an Events API callback: app mentions are answered in a
// thread. Duplicate deliveries (same event_id) are dropped. It returns at
// once; the work runs in the background.
func (a *Adapter) onEvent(ctx context.Context, ev slackevents.EventsAPIEvent) {
	cb, _ := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if cb != nil && !a.events.first(cb.EventID, time.Now()) {
		a.log.Debug("slack duplicate event dropped", "event_id", cb.EventID, "team", ev.TeamID)
		return
	}
	switch inner := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		if inner.BotID != "" || inner.User == "" {
			return // never answer bots, ourselves included
		}
		team := ev.TeamID
		botID := botUserID(cb)
		a.goJob(ctx, func(ctx context.Context) { a.answerMention(ctx, team, botID, inner) })
	default:
		a.log.Debug("slack event ignored", "type", ev.InnerEvent.Type, "team", ev.TeamID)
	}
}

// answerMention runs the text after the mention and answers in the
// mention's thread: errors and ephemeral replies only to the user.
func (a *Adapter) answerMention(ctx context.Context, team, botID string, ev *slackevents.AppMentionEvent) {
	req := bot.Request{
		Platform: platform,
		Team:     team,
		User:     ev.User,
		Channel:  ev.Channel,
		Text:     commandText(stripMention(ev.Text, botID)),
	}
	rep := a.handle(ctx, req)
	thread := ev.ThreadTimeStamp
	if thread == "" {
		thread = ev.TimeStamp
	}
	m := render(rep, renderOptions{actions: true})
	opts := []slack.MsgOption{
		slack.MsgOptionText(m.Text, false), // already escaped
		slack.MsgOptionBlocks(m.Blocks...),
		slack.MsgOptionTS(thread),
		slack.MsgOptionDisableLinkUnfurl(),
	}
	var err error
	if rep.Error || rep.Ephemeral {
		_, err = a.api.PostEphemeralContext(ctx, ev.Channel, ev.User, opts...)
	} else {
		_, err = a.postMessage(ctx, ev.Channel, opts...)
	}
	if err != nil {
		se := classify(err)
		a.log.Warn("slack mention answer failed", "team", team, "channel", ev.Channel, "user", ev.User, "reason", se.Reason, "err", err)
	}
}

// onInteraction handles a button press: the button's value is a command,
// run as the user who pressed it and answered only to them. It returns at
// once; the work runs in the background.
func (a *Adapter) onInteraction(ctx context.Context, cb slack.InteractionCallback) {
	if cb.Type != slack.InteractionTypeBlockActions {
		a.log.Debug("slack interaction ignored", "type", string(cb.Type), "team", cb.Team.ID)
		return
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	name := cb.User.Name
	if name == "" {
		name = cb.User.Username
	}
	for _, act := range cb.ActionCallback.BlockActions {
		if act == nil || strings.TrimSpace(act.Value) == "" {
			continue
		}
		req := bot.Request{
			Platform: platform,
			Team:     cb.Team.ID,
			User:     cb.User.ID,
			UserName: name,
			Channel:  channel,
			Text:     strings.TrimSpace(act.Value),
		}
		responseURL := cb.ResponseURL
		a.goJob(ctx, func(ctx context.Context) {
			rep := a.handle(ctx, req)
			p := a.payloadFor(rep, renderOptions{})
			p.ResponseType = ephemeral
			if err := a.deliver(ctx, responseURL, req, p); err != nil {
				a.log.Warn("slack button answer failed", "team", req.Team, "channel", req.Channel, "user", req.User, "err", err)
			}
		})
	}
}

// deliver sends a late or button answer: to responseURL when there is
// one, else as an ephemeral message to the user.
func (a *Adapter) deliver(ctx context.Context, responseURL string, req bot.Request, p payload) error {
	if responseURL != "" {
		return a.respond(ctx, responseURL, p)
	}
	_, err := a.api.PostEphemeralContext(ctx, req.Channel, req.User,
		slack.MsgOptionText(p.Text, false), slack.MsgOptionBlocks(p.Blocks...))
	return err
}

// respond POSTs p as JSON to a response_url.
func (a *Adapter) respond(ctx context.Context, responseURL string, p payload) error {
	u, err := url.Parse(responseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("respond: response_url is not an http(s) URL")
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("respond: response_url answered %s", resp.Status)
	}
	return nil
}

// lateAnswer returns the function that delivers a slow command's reply to
// its response_url.
func (a *Adapter) lateAnswer(responseURL string, req bot.Request) func(context.Context, bot.Reply) {
	return func(ctx context.Context, rep bot.Reply) {
		if err := a.deliver(ctx, responseURL, req, a.payloadFor(rep, renderOptions{})); err != nil {
			a.log.Warn("slack late answer failed", "team", req.Team, "channel", req.Channel, "user", req.User, "err", err)
		}
	}
}

// working is the interim answer of a slow command.
func working() payload {
	return payload{ResponseType: ephemeral, Text: workingText}
}
