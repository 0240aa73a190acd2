package slack

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spreadwatch/spreadwatch/bot"
)

const formType = "application/x-www-form-urlencoded"

func commandForm(responseURL, text string) string {
	return url.Values{
		"command":      {"/spreadwatch"},
		"text":         {text},
		"team_id":      {"T1"},
		"team_domain":  {"acme"},
		"user_id":      {"U1"},
		"user_name":    {"ann"},
		"channel_id":   {"C1"},
		"channel_name": {"credit"},
		"response_url": {responseURL},
		"trigger_id":   {"13345224609.738474920.8088930838d88f008e0"},
		"api_app_id":   {"A123"},
	}.Encode()
}

// answer is the JSON body of a slash command answer.
type answer struct {
	ResponseType string          `json:"response_type"`
	Text         string          `json:"text"`
	Blocks       json.RawMessage `json:"blocks"`
}

func decodeAnswer(t *testing.T, body []byte) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("answer %q is not JSON: %v", body, err)
	}
	return a
}

func TestCommandAnsweredInTime(t *testing.T) {
	f := newFakeSlack(t)
	h := newRecordingHandler()
	h.reply = func(req bot.Request) bot.Reply { return spreadReply("NRTH — North Compute") }
	a := newTestAdapter(t, f, h, nil)
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()

	start := time.Now()
	status, body := do(t, signedRequest(t, srv.URL, "/slack/commands", formType,
		commandForm(f.responseURLFor("c1"), "spread NRTH"), testSecret, time.Now()))
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("answered after %v, want < 3s", elapsed)
	}
	if status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", status, body)
	}
	ans := decodeAnswer(t, body)
	if ans.ResponseType != "in_channel" {
		t.Errorf("response_type = %q, want in_channel", ans.ResponseType)
	}
	for _, want := range []string{"NRTH", "+480 bp", "+355 bp", "as of 2026-07-01"} {
		if !strings.Contains(ans.Text, want) {
			t.Errorf("text %q lacks %q", ans.Text, want)
		}
	}
	if diff := cmp.Diff([]string{"header", "section", "section", "context"}, blockTypes(t, ans.Blocks)); diff != "" {
		t.Errorf("block types (-want +got):\n%s", diff)
	}

	want := bot.Request{Platform: "slack", Team: "T1", User: "U1", UserName: "ann", Channel: "C1", Text: "spread NRTH"}
	if diff := cmp.Diff(want, h.next(t)); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	f.none(t)
}

func TestCommandVisibility(t *testing.T) {
	tests := []struct {
		name     string
		inChan   bool
		reply    bot.Reply
		wantType string
	}{
		{"query in channel", true, spreadReply("CIFR"), "in_channel"},
		{"error is ephemeral", true, bot.Reply{Text: "unknown ticker ZZZZ", Error: true, Severity: bot.SeverityError}, "ephemeral"},
		{"ephemeral reply", true, bot.Reply{Text: "only you", Ephemeral: true}, "ephemeral"},
		{"queries ephemeral when configured", false, spreadReply("CIFR"), "ephemeral"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newRecordingHandler()
			h.reply = func(bot.Request) bot.Reply { return tt.reply }
			a := newTestAdapter(t, nil, h, func(o *Options) { o.QueriesInChannel = tt.inChan })
			srv := httptest.NewServer(a.HTTPHandler())
			defer srv.Close()
			status, body := do(t, signedRequest(t, srv.URL, "/slack/commands", formType,
				commandForm("", "spread CIFR"), testSecret, time.Now()))
			if status != http.StatusOK {
				t.Fatalf("status = %d, want 200", status)
			}
			if got := decodeAnswer(t, body).ResponseType; got != tt.wantType {
				t.Errorf("response_type = %q, want %q", got, tt.wantType)
			}
		})
	}
}

func TestCommandText(t *testing.T) {
	tests := []struct{ typed, want string }{
		{"spread CIFR", "spread CIFR"},
		{"  spread   CIFR ", "spread   CIFR"},
		{"", "help"},
		{`rule add hi "coupon &gt; 9% &amp;&amp; yield &lt; 12%"`, `rule add hi "coupon > 9% && yield < 12%"`},
		{"rule add hi \u201ccoupon > 9%\u201d", `rule add hi "coupon > 9%"`},
	}
	for _, tt := range tests {
		h := newRecordingHandler()
		a := newTestAdapter(t, nil, h, nil)
		srv := httptest.NewServer(a.HTTPHandler())
		status, _ := do(t, signedRequest(t, srv.URL, "/slack/commands", formType, commandForm("", tt.typed), testSecret, time.Now()))
		srv.Close()
		if status != http.StatusOK {
			t.Fatalf("%q: status = %d", tt.typed, status)
		}
		if got := h.next(t).Text; got != tt.want {
			t.Errorf("typed %q: handler got %q, want %q", tt.typed, got, tt.want)
		}
	}
}

func TestRequestStatuses(t *testing.T) {
	body := commandForm("", "spread NRTH")
	tests := []struct {
		name   string
		req    func(srvURL string) *http.Request
		status int
	}{
		{"wrong secret", func(u string) *http.Request {
			return signedRequest(t, u, "/slack/commands", formType, body, "not-the-secret", time.Now())
		}, 401},
		{"tampered body", func(u string) *http.Request {
			r := signedRequest(t, u, "/slack/commands", formType, body, testSecret, time.Now())
			r.Body = httpBody(strings.Replace(body, "U1", "U0ADMIN", 1))
			r.ContentLength = -1
			return r
		}, 401},
		{"timestamp 10 minutes old", func(u string) *http.Request {
			return signedRequest(t, u, "/slack/commands", formType, body, testSecret, time.Now().Add(-10*time.Minute))
		}, 401},
		{"timestamp 10 minutes ahead", func(u string) *http.Request {
			return signedRequest(t, u, "/slack/commands", formType, body, testSecret, time.Now().Add(10*time.Minute))
		}, 401},
		{"no signature", func(u string) *http.Request {
			r := signedRequest(t, u, "/slack/commands", formType, body, testSecret, time.Now())
			r.Header.Del("X-Slack-Signature")
			return r
		}, 401},
		{"no timestamp", func(u string) *http.Request {
			r := signedRequest(t, u, "/slack/commands", formType, body, testSecret, time.Now())
			r.Header.Del("X-Slack-Request-Timestamp")
			return r
		}, 401},
		{"garbage signature", func(u string) *http.Request {
			r := signedRequest(t, u, "/slack/commands", formType, body, testSecret, time.Now())
			r.Header.Set("X-Slack-Signature", "v0=zz")
			return r
		}, 401},
		{"forged event", func(u string) *http.Request {
			return signedRequest(t, u, "/slack/events", "application/json", mentionEvent("Ev1", "<@UBOT> spread CIFR"), "forged", time.Now())
		}, 401},
		{"forged url_verification", func(u string) *http.Request {
			return signedRequest(t, u, "/slack/events", "application/json", `{"type":"url_verification","challenge":"abc"}`, "forged", time.Now())
		}, 401},
		{"stale interaction", func(u string) *http.Request {
			return signedRequest(t, u, "/slack/interactions", formType, buttonPayload("", "mute ticker NRTH 7d"), testSecret, time.Now().Add(-6*time.Minute))
		}, 401},
		{"oversized body", func(u string) *http.Request {
			big := body + "&pad=" + strings.Repeat("x", DefaultMaxBodyBytes)
			return signedRequest(t, u, "/slack/commands", formType, big, testSecret, time.Now())
		}, 413},
		{"wrong method", func(u string) *http.Request {
			r, _ := http.NewRequest(http.MethodGet, u+"/slack/commands", nil)
			return r
		}, 405},
		{"malformed command", func(u string) *http.Request {
			return signedRequest(t, u, "/slack/commands", formType, "text=spread+NRTH", testSecret, time.Now())
		}, 400},
		{"ssl_check", func(u string) *http.Request {
			return signedRequest(t, u, "/slack/commands", formType, "ssl_check=1&token=legacy", testSecret, time.Now())
		}, 200},
		{"malformed event", func(u string) *http.Request {
			return signedRequest(t, u, "/slack/events", "application/json", "{not json", testSecret, time.Now())
		}, 400},
		{"malformed interaction", func(u string) *http.Request {
			return signedRequest(t, u, "/slack/interactions", formType, "payload=%7Bnope", testSecret, time.Now())
		}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			h := newRecordingHandler()
			a := newTestAdapter(t, f, h, nil)
			srv := httptest.NewServer(a.HTTPHandler())
			defer srv.Close()
			status, body := do(t, tt.req(srv.URL))
			if status != tt.status {
				t.Errorf("status = %d, want %d; body %q", status, tt.status, body)
			}
			if !a.waitJobs(wait) {
				t.Fatal("jobs did not finish")
			}
			select {
			case r := <-h.reqs:
				t.Errorf("handler called with %+v, want no call", r)
			default:
			}
			f.none(t)
		})
	}
}

func httpBody(s string) *nopCloser { return &nopCloser{strings.NewReader(s)} }

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func TestSlowCommandAnsweredLater(t *testing.T) {
	f := newFakeSlack(t)
	h := newRecordingHandler()
	h.hold = make(chan struct{})
	h.reply = func(bot.Request) bot.Reply { return spreadReply("NRTH") }
	a := newTestAdapter(t, f, h, nil)
	a.ackWait = 50 * time.Millisecond
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()

	status, body := do(t, signedRequest(t, srv.URL, "/slack/commands", formType,
		commandForm(f.responseURLFor("slow1"), "spreads"), testSecret, time.Now()))
	if status != http.StatusOK {
		t.Fatalf("status = %d, want 200", status)
	}
	ans := decodeAnswer(t, body)
	if ans.ResponseType != "ephemeral" || !strings.Contains(ans.Text, "Working on it") {
		t.Errorf("interim answer = %+v, want an ephemeral Working on it…", ans)
	}
	h.next(t)
	f.none(t)
	close(h.hold)

	c := f.next(t)
	if c.Method != "response_url" || c.Channel != "slow1" {
		t.Fatalf("got %+v, want a POST to response_url slow1", c)
	}
	if c.ResponseType != "in_channel" || !strings.Contains(c.Text, "+480 bp") {
		t.Errorf("late answer = %q (%s), want in_channel with +480 bp", c.Text, c.ResponseType)
	}
	if len(blockTypes(t, c.Blocks)) == 0 {
		t.Error("late answer has no blocks")
	}
}

func TestURLVerification(t *testing.T) {
	a := newTestAdapter(t, nil, newRecordingHandler(), nil)
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()
	body := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	status, got := do(t, signedRequest(t, srv.URL, "/slack/events", "application/json", body, testSecret, time.Now()))
	if status != http.StatusOK || string(got) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification = %d %q, want 200 and the challenge", status, got)
	}
}

func mentionEvent(eventID, text string) string {
	return mentionEventFrom(eventID, "U1", "", text)
}

func mentionEventFrom(eventID, user, botID, text string) string {
	ev := map[string]any{
		"token": "legacy", "team_id": "T1", "api_app_id": "A123", "type": "event_callback",
		"event_id": eventID, "event_time": 1767225600,
		"authorizations": []map[string]any{{"team_id": "T1", "user_id": "UBOT", "is_bot": true}},
		"event": map[string]any{
			"type": "app_mention", "user": user, "bot_id": botID, "text": text,
			"ts": "1767225600.000100", "channel": "C1", "event_ts": "1767225600.000100",
		},
	}
	b, _ := json.Marshal(ev)
	return string(b)
}

func TestMentionAnsweredInThread(t *testing.T) {
	f := newFakeSlack(t)
	h := newRecordingHandler()
	a := newTestAdapter(t, f, h, nil)
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()

	send := func(body string) {
		t.Helper()
		status, _ := do(t, signedRequest(t, srv.URL, "/slack/events", "application/json", body, testSecret, time.Now()))
		if status != http.StatusOK {
			t.Fatalf("status = %d, want 200", status)
		}
	}
	send(mentionEvent("Ev1", "<@UBOT> spread CIFR"))

	want := bot.Request{Platform: "slack", Team: "T1", User: "U1", Channel: "C1", Text: "spread CIFR"}
	if diff := cmp.Diff(want, h.next(t)); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	c := f.next(t)
	if c.Method != "chat.postMessage" || c.Channel != "C1" || c.ThreadTS != "1767225600.000100" {
		t.Errorf("got %s to %s thread %q, want chat.postMessage to C1 in thread 1767225600.000100", c.Method, c.Channel, c.ThreadTS)
	}
	if !strings.Contains(c.Text, "ECHO spread CIFR") || !strings.Contains(c.Text, "+480 bp") {
		t.Errorf("text = %q, want the answer", c.Text)
	}
	if c.Token != testBotToken {
		t.Errorf("posted with token %q, want the bot token", c.Token)
	}
	if got := blockTexts(t, c.Blocks); len(got) == 0 || !strings.Contains(got[0], "ECHO spread CIFR") {
		t.Errorf("blocks texts = %q, want a header with the answer", got)
	}

	// Slack retries the same event: it is dropped. A bot's mention is
	// ignored.
	send(mentionEvent("Ev1", "<@UBOT> spread CIFR"))
	send(mentionEventFrom("Ev2", "U9", "B9", "<@UBOT> spreads"))
	if !a.waitJobs(wait) {
		t.Fatal("jobs did not finish")
	}
	select {
	case r := <-h.reqs:
		t.Errorf("handler called again with %+v", r)
	default:
	}
	f.none(t)
}

func TestMentionErrorIsEphemeral(t *testing.T) {
	f := newFakeSlack(t)
	h := newRecordingHandler()
	h.reply = func(bot.Request) bot.Reply {
		return bot.Reply{Text: `unknown command "sprad"; did you mean: spread TICKER`, Error: true, Ephemeral: true}
	}
	a := newTestAdapter(t, f, h, nil)
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()
	status, _ := do(t, signedRequest(t, srv.URL, "/slack/events", "application/json",
		mentionEvent("Ev9", "hey <@UBOT|spreadwatch>   sprad CIFR"), testSecret, time.Now()))
	if status != http.StatusOK {
		t.Fatalf("status = %d", status)
	}
	if got := h.next(t).Text; got != "sprad CIFR" {
		t.Errorf("handler got %q, want %q", got, "sprad CIFR")
	}
	c := f.next(t)
	if c.Method != "chat.postEphemeral" || c.Channel != "C1" || c.User != "U1" || c.ThreadTS != "1767225600.000100" {
		t.Errorf("got %+v, want chat.postEphemeral to U1 in C1's thread", c)
	}
	if !strings.Contains(c.Text, "did you mean: spread TICKER") {
		t.Errorf("text = %q", c.Text)
	}
}

func buttonPayload(responseURL, command string) string {
	return url.Values{"payload": {buttonJSON(responseURL, command)}}.Encode()
}

// buttonJSON is a block_actions interaction payload for a button whose
// value is command, pressed by U2 in C9.
func buttonJSON(responseURL, command string) string {
	p := map[string]any{
		"type":       "block_actions",
		"team":       map[string]any{"id": "T1", "domain": "acme"},
		"user":       map[string]any{"id": "U2", "username": "bob", "name": "bob", "team_id": "T1"},
		"api_app_id": "A123", "token": "legacy", "trigger_id": "1.2.3",
		"container":    map[string]any{"type": "message", "message_ts": "1767225600.000001", "channel_id": "C9", "is_ephemeral": false},
		"channel":      map[string]any{"id": "C9", "name": "alerts"},
		"response_url": responseURL,
		"actions": []map[string]any{{
			"type": "button", "action_id": "mute7d", "block_id": "b1", "value": command,
			"text": map[string]any{"type": "plain_text", "text": "Mute 7d"}, "action_ts": "1767225601.1",
		}},
	}
	b, _ := json.Marshal(p)
	return string(b)
}

func TestButtonRunsCommandAsUser(t *testing.T) {
	f := newFakeSlack(t)
	h := newRecordingHandler()
	h.reply = func(req bot.Request) bot.Reply {
		return bot.Reply{Text: "Muted NRTH for 7d <!channel>", Severity: bot.SeverityOK}
	}
	a := newTestAdapter(t, f, h, nil)
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()

	status, body := do(t, signedRequest(t, srv.URL, "/slack/interactions", formType,
		buttonPayload(f.responseURLFor("btn1"), "mute ticker NRTH 7d"), testSecret, time.Now()))
	if status != http.StatusOK {
		t.Fatalf("status = %d, body %q", status, body)
	}
	want := bot.Request{Platform: "slack", Team: "T1", User: "U2", UserName: "bob", Channel: "C9", Text: "mute ticker NRTH 7d"}
	if diff := cmp.Diff(want, h.next(t)); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	c := f.next(t)
	if c.Method != "response_url" || c.Channel != "btn1" || c.ResponseType != "ephemeral" {
		t.Fatalf("got %+v, want an ephemeral POST to response_url btn1", c)
	}
	if c.Text != "Muted NRTH for 7d &lt;!channel&gt;" {
		t.Errorf("text = %q, want the answer with <!channel> escaped", c.Text)
	}
}
