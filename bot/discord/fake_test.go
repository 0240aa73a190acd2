package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/spreadwatch/spreadwatch/bot"
)

// waitTimeout bounds every wait in these tests.
const waitTimeout = 5 * time.Second

// restCall is one request the fake Discord received.
type restCall struct {
	Method string
	Path   string // without /api/v9
	Query  string
	Auth   string
	Body   string
}

// fakeDiscord is an httptest server that plays Discord's REST API under
// /api/v9/ and the gateway under /gw/. It records every REST call.
type fakeDiscord struct {
	t     *testing.T
	srv   *httptest.Server
	calls chan restCall
	gw    *fakeGateway

	mu sync.Mutex
	// override, when set, answers a request instead of the defaults;
	// ok=false falls through to them.
	override func(c restCall) (status int, body string, ok bool)
	ids      atomic.Int64
}

func newFakeDiscord(t *testing.T) *fakeDiscord {
	t.Helper()
	f := &fakeDiscord{t: t, calls: make(chan restCall, 256)}
	f.gw = newFakeGateway()
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v9/", f.serveREST)
	mux.HandleFunc("/gw/", f.gw.serve)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		f.gw.closeAll()
		f.srv.Close()
	})
	return f
}

// apiURL is the REST base the adapter is configured with.
func (f *fakeDiscord) apiURL() string { return f.srv.URL + "/api/v9/" }

// gatewayURL is the websocket URL the fake hands out.
func (f *fakeDiscord) gatewayURL() string {
	return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/gw"
}

func (f *fakeDiscord) setOverride(fn func(c restCall) (int, string, bool)) {
	f.mu.Lock()
	f.override = fn
	f.mu.Unlock()
}

func (f *fakeDiscord) serveREST(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c := restCall{
		Method: r.Method,
		Path:   strings.TrimPrefix(r.URL.Path, "/api/v9"),
		Query:  r.URL.RawQuery,
		Auth:   r.Header.Get("Authorization"),
		Body:   string(body),
	}
	f.calls <- c

	f.mu.Lock()
	override := f.override
	f.mu.Unlock()
	if override != nil {
		if status, resp, ok := override(c); ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, resp)
			return
		}
	}

	parts := strings.Split(strings.Trim(c.Path, "/"), "/")
	w.Header().Set("Content-Type", "application/json")
	switch {
	case c.Method == "GET" && (c.Path == "/gateway/bot" || c.Path == "/gateway"):
		fmt.Fprintf(w, `{"url":%q,"shards":1}`, f.gatewayURL())
	case c.Method == "PUT" && parts[0] == "applications" && parts[len(parts)-1] == "commands":
		_, _ = w.Write(body)
	case c.Method == "POST" && parts[0] == "channels" && len(parts) == 3 && parts[2] == "messages":
		fmt.Fprintf(w, `{"id":"M%d","channel_id":%q}`, f.ids.Add(1), parts[1])
	case c.Method == "PATCH" && parts[0] == "channels" && len(parts) == 4:
		fmt.Fprintf(w, `{"id":%q,"channel_id":%q}`, parts[3], parts[1])
	case parts[0] == "webhooks":
		fmt.Fprintf(w, `{"id":"W%d","channel_id":"C1"}`, f.ids.Add(1))
	case c.Method == "POST" && parts[0] == "interactions":
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"message":"404: Not Found","code":0}`)
	}
}

// next returns the next recorded call that matches, skipping others.
func (f *fakeDiscord) next(t *testing.T, method, pathPrefix string) restCall {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		select {
		case c := <-f.calls:
			if c.Method == method && strings.HasPrefix(c.Path, pathPrefix) {
				return c
			}
		case <-deadline.C:
			t.Fatalf("no %s %s call within %v", method, pathPrefix, waitTimeout)
		}
	}
}

// fakeGateway plays Discord's gateway: HELLO, then READY for an
// IDENTIFY or RESUMED for a RESUME, ACKs for heartbeats.
type fakeGateway struct {
	conns chan *gwConn
	// refuse, when set, closes every connection with this code after
	// IDENTIFY (4004: authentication failed).
	refuse int
	// silent, when set, never sends HELLO; accepted reports each
	// connection.
	silent   bool
	accepted chan struct{}

	mu  sync.Mutex
	all []*gwConn
}

func newFakeGateway() *fakeGateway {
	return &fakeGateway{conns: make(chan *gwConn, 16), accepted: make(chan struct{}, 16)}
}

// gwConn is one gateway connection, published once the client has
// identified (op 2) or resumed (op 6).
type gwConn struct {
	ws  *websocket.Conn
	wmu sync.Mutex
	seq int64
	// op is the client's opening op: 2 IDENTIFY or 6 RESUME.
	op int
	// hello is the data of that op.
	hello map[string]any
}

func (c *gwConn) send(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteJSON(v)
}

// event sends an op 0 dispatch.
func (c *gwConn) event(typ string, d any) error {
	s := atomic.AddInt64(&c.seq, 1)
	return c.send(map[string]any{"op": 0, "s": s, "t": typ, "d": d})
}

// dispatch sends an op 0 event from a test.
func (c *gwConn) dispatch(t *testing.T, typ string, d any) {
	t.Helper()
	if err := c.event(typ, d); err != nil {
		t.Fatalf("dispatch %s: %v", typ, err)
	}
}

// drop cuts the connection without a close frame.
func (c *gwConn) drop() { _ = c.ws.UnderlyingConn().Close() }

func (g *fakeGateway) closeAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range g.all {
		_ = c.ws.Close()
	}
}

func (g *fakeGateway) serve(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwConn{ws: ws}
	g.mu.Lock()
	g.all = append(g.all, c)
	g.mu.Unlock()
	defer ws.Close()
	if g.silent {
		g.accepted <- struct{}{}
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}
	if err := c.send(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 45000}}); err != nil {
		return
	}
	for {
		var f struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if err := ws.ReadJSON(&f); err != nil {
			return
		}
		switch f.Op {
		case 1:
			_ = c.send(map[string]any{"op": 11})
		case 2, 6:
			if g.refuse != 0 {
				c.wmu.Lock()
				_ = ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(g.refuse, "refused"))
				c.wmu.Unlock()
				return
			}
			c.op = f.Op
			_ = json.Unmarshal(f.D, &c.hello)
			if f.Op == 2 {
				_ = c.event("READY", map[string]any{
					"v": 9, "session_id": "sess-1",
					"user":        map[string]any{"id": "BOT1", "username": "spreadwatch", "bot": true},
					"application": map[string]any{"id": "APP1"},
					"guilds":      []any{map[string]any{"id": "G1", "unavailable": true}},
				})
			} else {
				_ = c.event("RESUMED", map[string]any{})
			}
			g.conns <- c
		}
	}
}

// nextConn waits for the next identified or resumed connection.
func (g *fakeGateway) nextConn(t *testing.T) *gwConn {
	t.Helper()
	select {
	case c := <-g.conns:
		return c
	case <-time.After(waitTimeout):
		t.Fatalf("no gateway connection within %v", waitTimeout)
		return nil
	}
}

// recorder is a bot.Handler that records requests and answers with reply.
type recorder struct {
	reqs  chan bot.Request
	reply func(ctx context.Context, req bot.Request) bot.Reply
}

func newRecorder(reply func(ctx context.Context, req bot.Request) bot.Reply) *recorder {
	if reply == nil {
		reply = func(_ context.Context, req bot.Request) bot.Reply {
			return bot.Reply{Title: "echo", Text: req.Text}
		}
	}
	return &recorder{reqs: make(chan bot.Request, 64), reply: reply}
}

func (h *recorder) Handle(ctx context.Context, req bot.Request) bot.Reply {
	h.reqs <- req
	return h.reply(ctx, req)
}

func (h *recorder) next(t *testing.T) bot.Request {
	t.Helper()
	select {
	case r := <-h.reqs:
		return r
	case <-time.After(waitTimeout):
		t.Fatalf("handler not called within %v", waitTimeout)
		return bot.Request{}
	}
}

// completingRecorder also implements Completer.
type completingRecorder struct {
	*recorder
	asked chan [3]string
}

func (h completingRecorder) Complete(_ context.Context, team, kind, prefix string) []string {
	h.asked <- [3]string{team, kind, prefix}
	var out []string
	for _, t := range []string{"CIFR", "CORZ", "CRWV", "WULF"} {
		if strings.HasPrefix(t, strings.ToUpper(prefix)) {
			out = append(out, t)
		}
	}
	return out
}

// signer signs HTTP interactions like Discord does.
type signer struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

func newSigner(t *testing.T) signer {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return signer{pub: pub, priv: priv}
}

func (s signer) hexKey() string { return hex.EncodeToString(s.pub) }

// request builds a signed POST of body to url, signed at ts.
func (s signer) request(t *testing.T, url, body string, ts time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	stamp := strconv.FormatInt(ts.Unix(), 10)
	sig := ed25519.Sign(s.priv, []byte(stamp+body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(sig))
	r.Header.Set("X-Signature-Timestamp", stamp)
	return r
}

// do sends r and returns the status and body.
func do(t *testing.T, r *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// logBuffer collects JSON logs for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// interactionJSON builds an interaction payload.
func interactionJSON(t *testing.T, v map[string]any) string {
	t.Helper()
	base := map[string]any{
		"id": "I1", "application_id": "APP1", "token": "itoken", "version": 1,
		"guild_id": "G1", "channel_id": "C1",
		"member": map[string]any{"user": map[string]any{"id": "U1", "username": "ana"}},
	}
	for k, x := range v {
		if x == nil {
			delete(base, k)
			continue
		}
		base[k] = x
	}
	b, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// slashJSON is a type 2 interaction for /name with options.
func slashJSON(t *testing.T, id, name string, options ...map[string]any) string {
	t.Helper()
	if options == nil {
		options = []map[string]any{}
	}
	return interactionJSON(t, map[string]any{
		"id": id, "type": 2,
		"data": map[string]any{"id": "CMD", "name": name, "type": 1, "options": options},
	})
}

func strOpt(name, value string) map[string]any {
	return map[string]any{"name": name, "type": 3, "value": value}
}

func subOpt(name string, options ...map[string]any) map[string]any {
	if options == nil {
		options = []map[string]any{}
	}
	return map[string]any{"name": name, "type": 1, "options": options}
}
