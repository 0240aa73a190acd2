package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/spreadwatch/spreadwatch/bot"
)

// Test credentials. They must never show up in a reply or a log line.
const (
	testSecret   = "8f14e45fceea167a5a36dedd4bea2543-signing"
	testBotToken = "xoxb-1111-2222-SECRETbottoken"
	testAppToken = "xapp-1-A111-3333-SECRETapptoken"
)

// wait is how long a test waits for something that should happen now.
const wait = 5 * time.Second

// call is one Web API call or response_url POST the fake received.
type call struct {
	Method   string // "chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"
	Channel  string
	User     string
	Text     string
	ThreadTS string
	TS       string
	Token    string
	// Blocks is the blocks JSON as sent.
	Blocks json.RawMessage
	// ResponseType is set on response_url POSTs.
	ResponseType string
}

// failure is a canned error answer for the next call of a method.
type failure struct {
	status int
	header map[string]string
	body   string
	// block, when set, holds the request until the client gives up.
	block bool
}

// fakeSlack is a slacktest server whose chat.* routes record what they get
// (the built-in chat.postMessage records nothing and leaks goroutines) and
// that also serves a response_url at /response.
type fakeSlack struct {
	*slacktest.Server
	t     *testing.T
	calls chan call
	seq   atomic.Int64

	mu       sync.Mutex
	failures map[string][]failure
}

func newFakeSlack(t *testing.T, extra ...slacktest.Binder) *fakeSlack {
	t.Helper()
	f := &fakeSlack{t: t, calls: make(chan call, 64), failures: map[string][]failure{}}
	binders := append([]slacktest.Binder{func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", f.chat("chat.postMessage"))
		c.Handle("/chat.update", f.chat("chat.update"))
		c.Handle("/chat.postEphemeral", f.chat("chat.postEphemeral"))
		c.Handle("/response/", f.responseURL)
	}}, extra...)
	f.Server = slacktest.NewTestServer(binders...)
	f.Start()
	t.Cleanup(f.Stop)
	return f
}

// fail makes the next call of method answer with fl.
func (f *fakeSlack) fail(method string, fl failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[method] = append(f.failures[method], fl)
}

func (f *fakeSlack) nextFailure(method string) (failure, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.failures[method]
	if len(q) == 0 {
		return failure{}, false
	}
	f.failures[method] = q[1:]
	return q[0], true
}

// responseURLFor returns a response_url served by the fake.
func (f *fakeSlack) responseURLFor(id string) string {
	return f.GetAPIURL() + "response/" + id
}

func (f *fakeSlack) record(c call) {
	select {
	case f.calls <- c:
	default:
		f.t.Errorf("fake slack: too many unread calls; dropped %+v", c)
	}
}

func (f *fakeSlack) chat(method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if fl, ok := f.nextFailure(method); ok {
			if fl.block {
				<-r.Context().Done()
				return
			}
			for k, v := range fl.header {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(fl.status)
			_, _ = io.WriteString(w, fl.body)
			return
		}
		c := call{
			Method:   method,
			Channel:  r.PostForm.Get("channel"),
			User:     r.PostForm.Get("user"),
			Text:     r.PostForm.Get("text"),
			ThreadTS: r.PostForm.Get("thread_ts"),
			TS:       r.PostForm.Get("ts"),
			Token:    r.PostForm.Get("token"),
			Blocks:   json.RawMessage(r.PostForm.Get("blocks")),
		}
		f.record(c)
		ts := c.TS
		if ts == "" {
			ts = fmt.Sprintf("1767225600.%06d", f.seq.Add(1))
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"ok": true, "channel": c.Channel, "ts": ts, "message_ts": ts, "text": c.Text,
		})
	}
}

func (f *fakeSlack) responseURL(w http.ResponseWriter, r *http.Request) {
	var p struct {
		ResponseType string          `json:"response_type"`
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("response_url POST has Content-Type %q, want application/json", ct)
	}
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		f.t.Errorf("response_url POST: %v", err)
	}
	f.record(call{Method: "response_url", Channel: strings.TrimPrefix(r.URL.Path, "/response/"),
		Text: p.Text, Blocks: p.Blocks, ResponseType: p.ResponseType})
	_, _ = io.WriteString(w, "ok")
}

// next returns the next call, failing the test if none comes in time.
func (f *fakeSlack) next(t *testing.T) call {
	t.Helper()
	select {
	case c := <-f.calls:
		return c
	case <-time.After(wait):
		t.Fatal("timed out waiting for a call to the fake Slack")
		return call{}
	}
}

// none fails the test if a call is pending.
func (f *fakeSlack) none(t *testing.T) {
	t.Helper()
	select {
	case c := <-f.calls:
		t.Errorf("unexpected call to the fake Slack: %+v", c)
	default:
	}
}

// recordingHandler is a bot.Handler that records requests and answers
// with reply (or a default reply echoing the text). While hold is open,
// Handle waits for it to be closed.
type recordingHandler struct {
	reqs  chan bot.Request
	reply func(bot.Request) bot.Reply
	hold  chan struct{}
}

func newRecordingHandler() *recordingHandler {
	return &recordingHandler{reqs: make(chan bot.Request, 64)}
}

func (h *recordingHandler) Handle(ctx context.Context, req bot.Request) bot.Reply {
	h.reqs <- req
	if h.hold != nil {
		select {
		case <-h.hold:
		case <-ctx.Done():
		}
	}
	if h.reply != nil {
		return h.reply(req)
	}
	return spreadReply("ECHO " + req.Text)
}

func (h *recordingHandler) next(t *testing.T) bot.Request {
	t.Helper()
	select {
	case r := <-h.reqs:
		return r
	case <-time.After(wait):
		t.Fatal("timed out waiting for the handler to be called")
		return bot.Request{}
	}
}

// spreadReply is a typical query answer.
func spreadReply(title string) bot.Reply {
	return bot.Reply{
		Title:    title,
		Severity: bot.SeverityInfo,
		Fields:   []bot.Field{{Name: "Issuer", Value: "North Compute Corp", Inline: true}, {Name: "Rating", Value: "B+", Inline: true}},
		Tables: []bot.Table{{
			Title:   "Senior notes",
			Columns: []string{"Bond", "Coupon", "Spread"},
			Rows: [][]string{
				{"NRTH 9.5% 2029", "9.50%", "+480 bp"},
				{"NRTH 8.25% 2031", "8.25%", "+355 bp"},
			},
		}},
		Footer: "as of 2026-07-01 · source: sample",
	}
}

// newTestAdapter returns an adapter on the fake with test credentials.
func newTestAdapter(t *testing.T, f *fakeSlack, h bot.Handler, mod func(*Options)) *Adapter {
	t.Helper()
	opts := Options{
		BotToken:         testBotToken,
		SigningSecret:    testSecret,
		QueriesInChannel: true,
		Logger:           slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
		Handler:          h,
	}
	if f != nil {
		opts.APIURL = f.GetAPIURL()
	}
	if mod != nil {
		mod(&opts)
	}
	a, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if !a.waitJobs(wait) {
			t.Error("background jobs still running at the end of the test")
		}
	})
	return a
}

// signedRequest builds a POST to srvURL+path signed with secret at ts.
func signedRequest(t testing.TB, srvURL, path, contentType, body, secret string, ts time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srvURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	sign(req.Header, secret, ts, body)
	return req
}

// sign sets Slack's signature headers for body.
func sign(h http.Header, secret string, ts time.Time, body string) {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", stamp, body)
	h.Set("X-Slack-Request-Timestamp", stamp)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
}

// do sends req and returns the status and body.
func do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// blockTexts returns every "text" string in a blocks JSON, in order.
func blockTexts(t *testing.T, blocks json.RawMessage) []string {
	t.Helper()
	var v any
	if err := json.NewDecoder(bytes.NewReader(blocks)).Decode(&v); err != nil {
		t.Fatalf("blocks %q: %v", blocks, err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok {
				out = append(out, s)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}

// blockTypes returns the type of each block in a blocks JSON.
func blockTypes(t *testing.T, blocks json.RawMessage) []string {
	t.Helper()
	var bs []struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatalf("blocks %q: %v", blocks, err)
	}
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Type
	}
	return out
}

// buttons returns the buttons of a blocks JSON as action_id=value.
func buttons(t *testing.T, blocks json.RawMessage) []string {
	t.Helper()
	var bs []struct {
		Type     string `json:"type"`
		Elements []struct {
			Type     string `json:"type"`
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatalf("blocks %q: %v", blocks, err)
	}
	var out []string
	for _, b := range bs {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			out = append(out, e.ActionID+"="+e.Value)
		}
	}
	return out
}
