package slack

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// HTTP mode endpoints, relative to the adapter's public base URL.
const (
	CommandsPath     = "/slack/commands"
	EventsPath       = "/slack/events"
	InteractionsPath = "/slack/interactions"
)

// HTTPHandler serves Slack's HTTP mode: POST /slack/commands (slash
// commands), POST /slack/events (Events API, including url_verification)
// and POST /slack/interactions (buttons). Every request must carry a valid
// signature made with the signing secret at most 5 minutes ago, else it
// gets 401 and changes nothing; a body over MaxBodyBytes gets 413 and a
// method other than POST 405. A slash command or interaction whose
// signature was already accepted (a replay within the timestamp's
// validity) is not run again: it gets the first answer when that is still
// kept, else "Already handled." (commands) or an empty 200 (interactions).
func (a *Adapter) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST "+CommandsPath, a.verified(a.once(a.serveCommand, alreadyHandled)))
	mux.Handle("POST "+EventsPath, a.verified(a.serveEvent)) // deduplicated by event_id
	mux.Handle("POST "+InteractionsPath, a.verified(a.once(a.serveInteraction, ackOnly)))
	return mux
}

// verified reads a request's body within the size limit and checks its
// Slack signature before handing the body to next.
func (a *Adapter) verified(next func(http.ResponseWriter, *http.Request, []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sv, err := slack.NewSecretsVerifier(r.Header, a.signingSecret)
		if err != nil {
			a.reject(w, r, http.StatusUnauthorized, "bad signature headers", err)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.maxBody))
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				a.reject(w, r, http.StatusRequestEntityTooLarge, "body too large", nil)
				return
			}
			a.reject(w, r, http.StatusBadRequest, "unreadable body", err)
			return
		}
		if _, err := sv.Write(body); err != nil {
			a.reject(w, r, http.StatusUnauthorized, "bad signature", err)
			return
		}
		if err := sv.Ensure(); err != nil {
			a.reject(w, r, http.StatusUnauthorized, "bad signature", err)
			return
		}
		next(w, r, body)
	})
}

// reject answers a request that is not processed and logs why.
func (a *Adapter) reject(w http.ResponseWriter, r *http.Request, status int, why string, err error) {
	args := []any{"path", r.URL.Path, "remote", r.RemoteAddr, "status", status}
	if err != nil {
		args = append(args, "err", err)
	}
	a.log.Warn("slack request rejected: "+why, args...)
	http.Error(w, http.StatusText(status), status)
}

// serveCommand answers a slash command: within about 2 s with the reply
// itself, else with an ephemeral "Working on it…" and the reply later on
// the command's response_url.
func (a *Adapter) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.PostForm, r.Form = nil, nil
	cmd, err := slack.SlashCommandParse(r)
	if err == nil && r.PostForm.Get("ssl_check") == "1" {
		w.WriteHeader(http.StatusOK) // Slack checking the certificate
		return
	}
	if err != nil || cmd.TeamID == "" || cmd.UserID == "" || cmd.ChannelID == "" {
		a.reject(w, r, http.StatusBadRequest, "malformed slash command", err)
		return
	}
	req := commandRequest(cmd)
	a.log.Debug("slack command", "team", req.Team, "channel", req.Channel, "user", req.User, "text", req.Text)
	rep, late := a.answerWithin(r.Context(), req, a.lateAnswer(cmd.ResponseURL, req))
	if late {
		writeJSON(w, working())
		return
	}
	writeJSON(w, a.payloadFor(rep, renderOptions{}))
}

// serveEvent answers the Events API: url_verification with its challenge;
// event callbacks are acknowledged at once and handled in the background.
func (a *Adapter) serveEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		a.reject(w, r, http.StatusBadRequest, "malformed event", err)
		return
	}
	switch outer.Type {
	case slackevents.URLVerification:
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, outer.Challenge)
		return
	case slackevents.AppRateLimited:
		a.log.Warn("slack events rate limited by Slack")
		w.WriteHeader(http.StatusOK)
		return
	}
	// The signature is verified; the legacy verification token is not used.
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		// Unknown or malformed inner events: acknowledge, so that Slack does
		// not retry what we would never handle.
		a.log.Debug("slack event not parsed", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	a.onEvent(r.Context(), ev)
	w.WriteHeader(http.StatusOK)
}

// serveInteraction acknowledges a button press at once; the command runs
// in the background and is answered on the response_url.
func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		a.reject(w, r, http.StatusBadRequest, "malformed interaction", err)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		a.reject(w, r, http.StatusBadRequest, "malformed interaction", err)
		return
	}
	a.onInteraction(r.Context(), cb)
	w.WriteHeader(http.StatusOK)
}

// writeJSON answers 200 with v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
