package discord

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/spreadwatch/spreadwatch/bot"
)

// response is an interaction response as sent to Discord, over HTTP or
// to the callback endpoint.
type response struct {
	Type discordgo.InteractionResponseType `json:"type"`
	Data any                               `json:"data,omitempty"`
}

// messageData is the data of a message response or follow-up.
type messageData struct {
	Content         string                            `json:"content,omitempty"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds,omitempty"`
	Components      []discordgo.MessageComponent      `json:"components,omitempty"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Flags           discordgo.MessageFlags            `json:"flags,omitempty"`
}

// choicesData is the data of an autocomplete result.
type choicesData struct {
	Choices []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
}

// deferredData is the data of a deferral: only its flags.
type deferredData struct {
	Flags discordgo.MessageFlags `json:"flags,omitempty"`
}

// pending is a command still running after its interaction was deferred.
type pending struct {
	reply     <-chan bot.Reply
	ephemeral bool
	cancel    context.CancelFunc
	ctx       context.Context
}

// toData turns a rendered message into response data.
func toData(m message, ephemeral bool) *messageData {
	d := &messageData{
		Content:         m.Content,
		Embeds:          m.Embeds,
		Components:      m.Components,
		AllowedMentions: noMentions(),
	}
	if ephemeral || m.Ephemeral {
		d.Flags = discordgo.MessageFlagsEphemeral
	}
	return d
}

// replyResponse is the immediate (type 4) response carrying r.
func (a *Adapter) replyResponse(r bot.Reply, ephemeral bool) response {
	a.remember(r.Actions)
	return response{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: toData(render(r), ephemeral),
	}
}

// errorResponse is an ephemeral one-line error.
func (a *Adapter) errorResponse(err error) response {
	return a.replyResponse(bot.Reply{
		Text:      oneLine(err.Error()),
		Severity:  bot.SeverityError,
		Error:     true,
		Ephemeral: true,
	}, true)
}

// answer answers interaction i. initial delivers the first response (the
// HTTP body, or a POST to the callback endpoint); it is called within
// about two seconds. A command that is still running then is deferred and
// its answer follows up in the background.
func (a *Adapter) answer(ctx context.Context, i *discordgo.Interaction, initial func(context.Context, response) error) {
	resp, p := a.prepare(ctx, i)
	err := initial(ctx, resp)
	if err != nil {
		a.log.Warn("answer interaction", "interaction", i.ID, "type", int(i.Type), "team", teamOf(i), "err", classify(err))
	}
	if p == nil {
		return
	}
	go func() {
		defer a.jobs.done()
		defer p.cancel()
		r := <-p.reply
		if err != nil {
			return // Discord did not take the deferral; the token is useless.
		}
		if ferr := a.followUp(p.ctx, i, r, p.ephemeral); ferr != nil {
			a.log.Warn("follow-up", "interaction", i.ID, "team", teamOf(i), "err", classify(ferr))
		}
	}()
}

// prepare computes the first response to i, and the pending command when
// it was deferred.
func (a *Adapter) prepare(ctx context.Context, i *discordgo.Interaction) (response, *pending) {
	switch i.Type {
	case discordgo.InteractionPing:
		return response{Type: discordgo.InteractionResponsePong}, nil
	case discordgo.InteractionApplicationCommand:
		d, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
		if !ok {
			return a.errorResponse(&bot.UserError{Msg: "malformed command"}), nil
		}
		text, err := commandText(d)
		if err != nil {
			return a.errorResponse(err), nil
		}
		req, err := interactionRequest(i, text)
		if err != nil {
			return a.errorResponse(err), nil
		}
		return a.run(ctx, req, false)
	case discordgo.InteractionMessageComponent:
		d, ok := i.Data.(discordgo.MessageComponentInteractionData)
		if !ok {
			return a.errorResponse(&bot.UserError{Msg: "malformed button press"}), nil
		}
		text, ok := a.buttonCommand(d.CustomID)
		if !ok {
			return a.errorResponse(&bot.UserError{Msg: "this button has expired; type the command instead", Usage: "help"}), nil
		}
		req, err := interactionRequest(i, text)
		if err != nil {
			return a.errorResponse(err), nil
		}
		return a.run(ctx, req, true)
	case discordgo.InteractionApplicationCommandAutocomplete:
		d, _ := i.Data.(discordgo.ApplicationCommandInteractionData)
		return response{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &choicesData{Choices: a.complete(ctx, teamOf(i), d)},
		}, nil
	}
	return a.errorResponse(&bot.UserError{Msg: fmt.Sprintf("unsupported interaction (type %d)", i.Type)}), nil
}

// run runs a command. When it answers within deferAfter the response
// carries the answer; otherwise it is a deferral and the pending command
// is returned. Button presses (ephemeral) are answered only to the user.
func (a *Adapter) run(ctx context.Context, req bot.Request, ephemeral bool) (response, *pending) {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jobTimeout)
	if !a.jobs.start() {
		// Shutting down: answer in line, there is no one to follow up.
		defer cancel()
		return a.replyResponse(a.handle(hctx, req), ephemeral), nil
	}
	done := make(chan bot.Reply, 1)
	go func() { done <- a.handle(hctx, req) }()
	t := time.NewTimer(a.deferAfter)
	defer t.Stop()
	select {
	case r := <-done:
		cancel()
		a.jobs.done()
		return a.replyResponse(r, ephemeral), nil
	case <-t.C:
	}
	var data any
	if ephemeral {
		data = &deferredData{Flags: discordgo.MessageFlagsEphemeral}
	}
	return response{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource, Data: data},
		&pending{reply: done, ephemeral: ephemeral, cancel: cancel, ctx: hctx}
}

// handle runs the handler, turning a panic into an internal-error reply.
func (a *Adapter) handle(ctx context.Context, req bot.Request) (r bot.Reply) {
	defer func() {
		if p := recover(); p != nil {
			ref := fmt.Sprintf("%04x", time.Now().UnixNano()&0xffff)
			a.log.Error("handler panic", "ref", ref, "team", req.Team, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			r = bot.Reply{Text: "Something went wrong (ref " + ref + ").", Severity: bot.SeverityError, Error: true, Ephemeral: true}
		}
	}()
	return a.handler.Handle(ctx, req)
}

// followUp sends the answer of a deferred interaction to the webhook
// endpoint; the first follow-up replaces Discord's "thinking…" message.
func (a *Adapter) followUp(ctx context.Context, i *discordgo.Interaction, r bot.Reply, ephemeral bool) error {
	appID := i.AppID
	if appID == "" {
		appID = a.applicationID()
	}
	a.remember(r.Actions)
	data := toData(render(r), ephemeral)
	endpoint := discordgo.EndpointFollowupMessage(appID, i.Token)
	return a.call(ctx, func(opts ...discordgo.RequestOption) error {
		_, err := a.s.RequestWithBucketID("POST", endpoint+"?wait=true", data, endpoint, opts...)
		return err
	})
}

// callback posts a response to Discord's interaction callback endpoint
// (gateway mode).
func (a *Adapter) callback(ctx context.Context, i *discordgo.Interaction, resp response) error {
	endpoint := discordgo.EndpointInteractionResponse(i.ID, i.Token)
	return a.call(ctx, func(opts ...discordgo.RequestOption) error {
		_, err := a.s.RequestWithBucketID("POST", endpoint, resp, endpoint, opts...)
		return err
	})
}

// complete answers autocomplete: command names from the bot's table, the
// rest from the handler's Completer when it has one. A list option
// (tickers) completes its last word.
func (a *Adapter) complete(ctx context.Context, team string, d discordgo.ApplicationCommandInteractionData) []*discordgo.ApplicationCommandOptionChoice {
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	spec, typed := focused(d)
	if spec == nil {
		return choices
	}
	head, word := "", strings.TrimLeft(typed, " ")
	if spec.form == formWords {
		if k := strings.LastIndexAny(typed, " ,"); k >= 0 {
			head, word = strings.TrimSpace(typed[:k+1])+" ", typed[k+1:]
		}
		if spec.complete == completeCommand {
			head, word = "", strings.TrimSpace(typed)
		}
	}
	var names []string
	switch {
	case spec.complete == completeCommand:
		for _, n := range commandNames() {
			if strings.HasPrefix(n, strings.ToLower(word)) {
				names = append(names, n)
			}
		}
	case a.completer != nil:
		names = a.askCompleter(ctx, team, spec.complete, word)
	}
	for _, n := range names {
		v := head + n
		if n == "" || textLen(v) > maxChoiceLen || slices.ContainsFunc(choices, func(c *discordgo.ApplicationCommandOptionChoice) bool { return c.Value == v }) {
			continue
		}
		choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: v, Value: v})
		if len(choices) == maxChoices {
			break
		}
	}
	return choices
}

// askCompleter calls the Completer, giving up after completeTimeout.
func (a *Adapter) askCompleter(ctx context.Context, team, kind, prefix string) []string {
	ctx, cancel := context.WithTimeout(ctx, completeTimeout)
	defer cancel()
	out := make(chan []string, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				a.log.Error("completer panic", "team", team, "panic", fmt.Sprint(p))
				out <- nil
			}
		}()
		out <- a.completer.Complete(ctx, team, kind, prefix)
	}()
	select {
	case names := <-out:
		return names
	case <-ctx.Done():
		return nil
	}
}

// buttonCommand maps a button's custom_id back to its command.
func (a *Adapter) buttonCommand(id string) (string, bool) {
	if !strings.HasPrefix(id, longIDPrefix) {
		id = strings.TrimSpace(id)
		return id, id != ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cmd, ok := a.longIDs[id]
	return cmd, ok
}

// maxLongIDs bounds the remembered long button commands.
const maxLongIDs = 4096

// remember records the commands of buttons whose custom_id is a hash.
func (a *Adapter) remember(actions []bot.Action) {
	for _, act := range actions {
		id := customID(act.Command)
		if !strings.HasPrefix(id, longIDPrefix) {
			continue
		}
		a.mu.Lock()
		if len(a.longIDs) >= maxLongIDs {
			clear(a.longIDs)
		}
		a.longIDs[id] = act.Command
		a.mu.Unlock()
	}
}

func (a *Adapter) applicationID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.appID
}

// interactionRequest maps an interaction to a bot request: the guild is
// the team (a DM is the team "dm:" + user id), the user id the identity.
func interactionRequest(i *discordgo.Interaction, text string) (bot.Request, error) {
	u := interactionUser(i)
	if u == nil || u.ID == "" {
		return bot.Request{}, &bot.UserError{Msg: "cannot tell who sent this command"}
	}
	name := u.GlobalName
	if i.Member != nil && i.Member.Nick != "" {
		name = i.Member.Nick
	}
	if name == "" {
		name = u.Username
	}
	return bot.Request{
		Platform: platform,
		Team:     teamOf(i),
		User:     u.ID,
		UserName: name,
		Channel:  i.ChannelID,
		Text:     text,
	}, nil
}

func interactionUser(i *discordgo.Interaction) *discordgo.User {
	if i.Member != nil && i.Member.User != nil {
		return i.Member.User
	}
	return i.User
}

// teamOf is the team an interaction belongs to.
func teamOf(i *discordgo.Interaction) string {
	if i.GuildID != "" {
		return i.GuildID
	}
	if u := interactionUser(i); u != nil {
		return "dm:" + u.ID
	}
	return ""
}
