package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/spreadwatch/spreadwatch/bot"
)

// maxAckBytes keeps a Socket Mode ack under Slack's 20 KB frame limit,
// with room for the envelope.
const maxAckBytes = 20*1024 - 512

// ackTimeout bounds the wait to queue an ack on the websocket.
const ackTimeout = 3 * time.Second

// runSocketMode connects with the app token and serves commands, mentions
// and buttons until ctx is done. slack-go reconnects by itself; it gives up
// only when Slack refuses the token, which is returned as an error.
func (a *Adapter) runSocketMode(ctx context.Context) error {
	client := a.newSocketClient()
	runErr := make(chan error, 1)
	go func() { runErr <- client.RunContext(ctx) }()

	for {
		select {
		case evt := <-client.Events:
			a.onSocketEvent(ctx, client, evt)
		case err := <-runErr:
			if ctx.Err() != nil {
				a.log.Info("slack socket mode stopped")
				return nil
			}
			return fmt.Errorf("slack: socket mode: %w", err)
		}
	}
}

// onSocketEvent handles one Socket Mode event without blocking the event
// loop for longer than an ack.
func (a *Adapter) onSocketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.log.Debug("slack socket mode connecting")
	case socketmode.EventTypeConnected:
		n := 0
		if ce, ok := evt.Data.(*socketmode.ConnectedEvent); ok {
			n = ce.ConnectionCount
		}
		a.log.Info("slack socket mode connected", "connection_count", n)
	case socketmode.EventTypeHello:
		a.log.Debug("slack socket mode hello")
	case socketmode.EventTypeConnectionError:
		var err error
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			err = ce.ErrorObj
		}
		a.log.Warn("slack socket mode connection failed, retrying", "err", err)
	case socketmode.EventTypeIncomingError:
		var err error
		if ie, ok := evt.Data.(*slack.IncomingEventError); ok {
			err = ie.ErrorObj
		}
		a.log.Info("slack socket mode disconnected, reconnecting", "err", err)
	case socketmode.EventTypeInvalidAuth:
		a.log.Error("slack socket mode: app token refused")
	case socketmode.EventTypeErrorBadMessage, socketmode.EventTypeErrorWriteFailed:
		a.log.Warn("slack socket mode message error", "type", string(evt.Type))

	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		req := commandRequest(cmd)
		a.log.Debug("slack command", "team", req.Team, "channel", req.Channel, "user", req.User, "text", req.Text)
		envelope := evt.Request.EnvelopeID
		// Answer off the event loop: the handler may take up to ackWait.
		a.goJob(ctx, func(ctx context.Context) {
			rep, late := a.answerWithin(ctx, req, a.lateAnswer(cmd.ResponseURL, req))
			var p *payload
			if late {
				w := working()
				p = &w
			} else {
				p = a.ackPayload(rep)
			}
			a.ack(ctx, client, envelope, p)
		})

	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if evt.Request != nil {
			a.ack(ctx, client, evt.Request.EnvelopeID, nil)
		}
		if ok && ev.Type == slackevents.CallbackEvent {
			a.onEvent(ctx, ev)
		}

	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if evt.Request != nil {
			a.ack(ctx, client, evt.Request.EnvelopeID, nil)
		}
		if ok {
			a.onInteraction(ctx, cb)
		}

	default:
		a.log.Debug("slack socket mode event ignored", "type", string(evt.Type))
	}
}

// ack acknowledges a Socket Mode envelope, with p as the response payload
// when it is not nil.
func (a *Adapter) ack(ctx context.Context, client *socketmode.Client, envelope string, p *payload) {
	actx, cancel := context.WithTimeout(ctx, ackTimeout)
	defer cancel()
	var pl any
	if p != nil {
		pl = p
	}
	if err := client.AckCtx(actx, envelope, pl); err != nil {
		a.log.Warn("slack socket mode ack failed", "envelope_id", envelope, "err", err)
	}
}

// ackPayload renders rep for a slash command ack, shrinking it until it
// fits in a Socket Mode frame: first a smaller block budget, then text only.
func (a *Adapter) ackPayload(rep bot.Reply) *payload {
	for _, budget := range []int{maxTotalChars, maxTotalChars / 2, maxTotalChars / 4} {
		p := a.payloadFor(rep, renderOptions{maxChars: budget})
		if fitsAck(p) {
			return &p
		}
	}
	p := a.payloadFor(rep, renderOptions{})
	p.Blocks = nil
	for n := maxTextChars; n > 0 && !fitsAck(p); n /= 2 {
		p.Text = limitLines(p.Text, n)
	}
	return &p
}

func fitsAck(p payload) bool {
	b, err := json.Marshal(p)
	return err == nil && len(b) < maxAckBytes
}
