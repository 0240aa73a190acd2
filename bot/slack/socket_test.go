package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"

	"github.com/spreadwatch/spreadwatch/bot"
)

// fakeSocket serves Socket Mode: apps.connections.open returns the URL of
// its /link websocket, which says hello and hands the connection to the
// test; whatever the client sends back (acks) arrives on frames.
type fakeSocket struct {
	t      *testing.T
	opens  chan string // Authorization header of each apps.connections.open
	conns  chan *websocket.Conn
	frames chan []byte

	mu      sync.Mutex
	openErr string
	all     []*websocket.Conn
}

func newFakeSocket(t *testing.T) *fakeSocket {
	fs := &fakeSocket{t: t, opens: make(chan string, 8), conns: make(chan *websocket.Conn, 8), frames: make(chan []byte, 64)}
	t.Cleanup(func() {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		for _, c := range fs.all {
			_ = c.Close()
		}
	})
	return fs
}

func (fs *fakeSocket) binder(c slacktest.Customize) {
	c.Handle("/apps.connections.open", fs.open)
	c.Handle("/link", fs.link)
}

func (fs *fakeSocket) open(w http.ResponseWriter, r *http.Request) {
	fs.opens <- r.Header.Get("Authorization")
	fs.mu.Lock()
	openErr := fs.openErr
	fs.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if openErr != "" {
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": openErr})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": "ws://" + r.Host + "/link"})
}

func (fs *fakeSocket) link(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		fs.t.Errorf("upgrade: %v", err)
		return
	}
	fs.mu.Lock()
	fs.all = append(fs.all, c)
	fs.mu.Unlock()
	if err := c.WriteJSON(map[string]any{"type": "hello", "num_connections": 1,
		"debug_info": map[string]any{"host": "fake"}, "connection_info": map[string]any{"app_id": "A123"}}); err != nil {
		fs.t.Errorf("hello: %v", err)
		return
	}
	fs.conns <- c // from now on only the test writes to c
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		fs.frames <- msg
	}
}

func (fs *fakeSocket) nextConn(t *testing.T) *websocket.Conn {
	t.Helper()
	select {
	case c := <-fs.conns:
		return c
	case <-time.After(wait):
		t.Fatal("timed out waiting for a Socket Mode connection")
		return nil
	}
}

// ack is a Socket Mode acknowledgement as the fake reads it.
type ack struct {
	EnvelopeID string  `json:"envelope_id"`
	Payload    *answer `json:"payload"`
	size       int
}

func (fs *fakeSocket) nextAck(t *testing.T) ack {
	t.Helper()
	select {
	case msg := <-fs.frames:
		var a ack
		if err := json.Unmarshal(msg, &a); err != nil {
			t.Fatalf("frame %q: %v", msg, err)
		}
		a.size = len(msg)
		return a
	case <-time.After(wait):
		t.Fatal("timed out waiting for an ack")
		return ack{}
	}
}

func send(t *testing.T, c *websocket.Conn, typ, envelope string, payload string) {
	t.Helper()
	msg := `{"type":"` + typ + `","envelope_id":"` + envelope + `","accepts_response_payload":` +
		map[bool]string{true: "true", false: "false"}[typ == "slash_commands"] + `,"payload":` + payload + `}`
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatalf("send %s: %v", typ, err)
	}
}

func slashJSON(responseURL, text string) string {
	b, _ := json.Marshal(map[string]any{
		"token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": "C1", "channel_name": "credit",
		"user_id": "U1", "user_name": "ann", "command": "/spreadwatch", "text": text, "api_app_id": "A123",
		"is_enterprise_install": "false", "response_url": responseURL, "trigger_id": "1.2.3",
	})
	return string(b)
}

// runSocket starts a Socket Mode adapter and returns a stop function that
// cancels it and checks that Run returned nil.
func runSocket(t *testing.T, f *fakeSlack, h bot.Handler, mod func(*Adapter)) (*Adapter, func()) {
	t.Helper()
	a := newTestAdapter(t, f, h, func(o *Options) {
		o.AppToken = testAppToken
		o.SigningSecret = ""
	})
	a.pingInterval = time.Minute // the fake never pings
	if mod != nil {
		mod(a)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	return a, func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v, want nil after cancel", err)
			}
		case <-time.After(wait):
			t.Error("Run did not return after cancel")
		}
	}
}

func TestSocketMode(t *testing.T) {
	fs := newFakeSocket(t)
	f := newFakeSlack(t, fs.binder)
	h := newRecordingHandler()
	a, stop := runSocket(t, f, h, nil)
	defer stop()

	conn := fs.nextConn(t)
	if auth := <-fs.opens; auth != "Bearer "+testAppToken {
		t.Errorf("apps.connections.open Authorization = %q, want the app token", auth)
	}

	// A slash command is answered in its ack.
	send(t, conn, "slash_commands", "e1", slashJSON(f.responseURLFor("s1"), "spread NRTH"))
	got := fs.nextAck(t)
	if got.EnvelopeID != "e1" || got.Payload == nil {
		t.Fatalf("ack = %+v, want e1 with a payload", got)
	}
	if got.Payload.ResponseType != "in_channel" || !strings.Contains(got.Payload.Text, "ECHO spread NRTH") || !strings.Contains(got.Payload.Text, "+480 bp") {
		t.Errorf("ack payload = %+v", got.Payload)
	}
	if len(blockTypes(t, got.Payload.Blocks)) == 0 {
		t.Error("ack payload has no blocks")
	}
	want := bot.Request{Platform: "slack", Team: "T1", User: "U1", UserName: "ann", Channel: "C1", Text: "spread NRTH"}
	if diff := cmp.Diff(want, h.next(t)); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}

	// A mention is acked and answered in its thread.
	send(t, conn, "events_api", "e2", mentionEvent("Ev1", "<@UBOT> spread CIFR"))
	if got := fs.nextAck(t); got.EnvelopeID != "e2" || got.Payload != nil {
		t.Errorf("ack = %+v, want e2 without payload", got)
	}
	if r := h.next(t); r.Text != "spread CIFR" || r.Team != "T1" || r.Channel != "C1" {
		t.Errorf("mention request = %+v", r)
	}
	if c := f.next(t); c.Method != "chat.postMessage" || c.Channel != "C1" || c.ThreadTS != "1767225600.000100" || !strings.Contains(c.Text, "ECHO spread CIFR") {
		t.Errorf("mention answer = %+v, want a threaded chat.postMessage", c)
	}

	// Slack redelivers the same event: acked, not answered again.
	send(t, conn, "events_api", "e3", mentionEvent("Ev1", "<@UBOT> spread CIFR"))
	if got := fs.nextAck(t); got.EnvelopeID != "e3" {
		t.Errorf("ack = %+v, want e3", got)
	}

	// A button press runs its command as the presser, answered ephemerally.
	send(t, conn, "interactive", "e4", buttonJSON(f.responseURLFor("b1"), "ack A12"))
	if got := fs.nextAck(t); got.EnvelopeID != "e4" {
		t.Errorf("ack = %+v, want e4", got)
	}
	want = bot.Request{Platform: "slack", Team: "T1", User: "U2", UserName: "bob", Channel: "C9", Text: "ack A12"}
	if diff := cmp.Diff(want, h.next(t)); diff != "" {
		t.Errorf("button request (-want +got):\n%s", diff)
	}
	if c := f.next(t); c.Method != "response_url" || c.Channel != "b1" || c.ResponseType != "ephemeral" {
		t.Errorf("button answer = %+v, want an ephemeral response_url POST", c)
	}

	if !a.waitJobs(wait) {
		t.Fatal("jobs did not finish")
	}
	f.none(t)
	select {
	case r := <-h.reqs:
		t.Errorf("unexpected handler call %+v (duplicate event answered?)", r)
	default:
	}

	// Slack asks for a reconnect: the client opens a new connection and
	// keeps serving.
	if err := conn.WriteJSON(map[string]any{"type": "disconnect", "reason": "refresh_requested"}); err != nil {
		t.Fatal(err)
	}
	conn2 := fs.nextConn(t)
	send(t, conn2, "slash_commands", "e5", slashJSON("", "status"))
	if got := fs.nextAck(t); got.EnvelopeID != "e5" || got.Payload == nil || !strings.Contains(got.Payload.Text, "ECHO status") {
		t.Errorf("ack after reconnect = %+v", got)
	}
	h.next(t)
}

func TestSocketModeSlowAndLargeAnswers(t *testing.T) {
	fs := newFakeSocket(t)
	f := newFakeSlack(t, fs.binder)
	h := newRecordingHandler()
	hold := make(chan struct{})
	h.reply = func(req bot.Request) bot.Reply {
		if req.Text == "slow" {
			<-hold
			return spreadReply("SLOW")
		}
		long := make([]string, 300)
		for i := range long {
			long[i] = strings.Repeat("<&>", 30)
		}
		return bot.Reply{Title: "Huge", Text: strings.Join(long, "\n"), Tables: []bot.Table{bigTable(400)}, Footer: "as of today"}
	}
	_, stop := runSocket(t, f, h, func(a *Adapter) { a.ackWait = 50 * time.Millisecond })
	defer stop()
	conn := fs.nextConn(t)

	send(t, conn, "slash_commands", "e1", slashJSON(f.responseURLFor("slow"), "slow"))
	got := fs.nextAck(t)
	if got.EnvelopeID != "e1" || got.Payload == nil || got.Payload.ResponseType != "ephemeral" || !strings.Contains(got.Payload.Text, "Working on it") {
		t.Errorf("ack = %+v, want an ephemeral Working on it…", got)
	}
	close(hold)
	if c := f.next(t); c.Method != "response_url" || c.Channel != "slow" || !strings.Contains(c.Text, "SLOW") {
		t.Errorf("late answer = %+v, want the reply on the response_url", c)
	}

	send(t, conn, "slash_commands", "e2", slashJSON("", "spreads"))
	got = fs.nextAck(t)
	if got.EnvelopeID != "e2" || got.Payload == nil || got.Payload.Text == "" {
		t.Fatalf("ack = %+v, want e2 with a payload", got)
	}
	if got.size >= 20*1024 {
		t.Errorf("ack frame is %d bytes, want < 20 KB", got.size)
	}
	h.next(t)
	h.next(t)
}

func TestSocketModeRefusedToken(t *testing.T) {
	fs := newFakeSocket(t)
	fs.openErr = "invalid_auth"
	f := newFakeSlack(t, fs.binder)
	a := newTestAdapter(t, f, newRecordingHandler(), func(o *Options) { o.AppToken = testAppToken })
	done := make(chan error, 1)
	go func() { done <- a.Run(t.Context()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
			t.Errorf("Run = %v, want an invalid_auth error", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not give up on a refused app token")
	}
}
