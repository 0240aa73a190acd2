package slack

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot"
)

func TestNewValidates(t *testing.T) {
	h := newRecordingHandler()
	tests := []struct {
		name string
		opts Options
		want string // part of the error; "" for success
	}{
		{"no handler", Options{BotToken: testBotToken}, "Handler"},
		{"listen without secret", Options{Handler: h, Listen: "127.0.0.1:0"}, "signing secret"},
		{"bot token as app token", Options{Handler: h, AppToken: testBotToken}, "xapp-"},
		{"bad API URL", Options{Handler: h, APIURL: "slack.example/api/"}, "http"},
		{"negative body limit", Options{Handler: h, MaxBodyBytes: -1}, "MaxBodyBytes"},
		{"HTTP mode", Options{Handler: h, Listen: "127.0.0.1:0", SigningSecret: testSecret}, ""},
		{"Socket Mode", Options{Handler: h, AppToken: testAppToken, BotToken: testBotToken}, ""},
		{"both, API URL without slash", Options{Handler: h, AppToken: testAppToken, SigningSecret: testSecret, Listen: ":0", APIURL: "http://127.0.0.1:1/api"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("New = %v, want success", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("New = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestRunHTTPMode(t *testing.T) {
	f := newFakeSlack(t)
	h := newRecordingHandler()
	a := newTestAdapter(t, f, h, func(o *Options) { o.Listen = "127.0.0.1:0" })
	addrc := make(chan net.Addr, 1)
	a.onListen = func(addr net.Addr) { addrc <- addr }

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("Run = %v before listening", err)
	case <-time.After(wait):
		t.Fatal("Run did not listen")
	}

	status, body := do(t, signedRequest(t, "http://"+addr.String(), "/slack/commands", formType,
		commandForm("", "spread NRTH"), testSecret, time.Now()))
	if status != http.StatusOK || !strings.Contains(string(body), "ECHO spread NRTH") {
		t.Errorf("command over Run's listener = %d %s", status, body)
	}

	// A button press is in flight when the bot shuts down: Run waits for
	// its answer before returning.
	h.hold = make(chan struct{})
	status, _ = do(t, signedRequest(t, "http://"+addr.String(), "/slack/interactions", formType,
		buttonPayload(f.responseURLFor("late"), "ack A1"), testSecret, time.Now()))
	if status != http.StatusOK {
		t.Fatalf("interaction status = %d", status)
	}
	h.next(t)
	h.next(t)
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Run = %v before the in-flight answer was delivered", err)
	default:
	}
	close(h.hold)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after cancel")
	}
	if c := f.next(t); c.Method != "response_url" || c.Channel != "late" {
		t.Errorf("in-flight answer = %+v", c)
	}
	if _, err := http.Get("http://" + addr.String() + "/slack/commands"); err == nil {
		t.Error("listener still open after Run returned")
	}
}

func TestRunListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a := newTestAdapter(t, nil, newRecordingHandler(), func(o *Options) { o.Listen = ln.Addr().String() })
	if err := a.Run(t.Context()); err == nil {
		t.Error("Run on a busy address = nil, want an error")
	}
}

func TestNoSecretsLeak(t *testing.T) {
	var logs bytes.Buffer
	fs := newFakeSocket(t)
	f := newFakeSlack(t, fs.binder)
	h := newRecordingHandler()
	h.reply = func(req bot.Request) bot.Reply {
		if req.Text == "boom" {
			panic("handler exploded")
		}
		return spreadReply("ECHO " + req.Text)
	}
	a := newTestAdapter(t, f, h, func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.AppToken = testAppToken
		o.PerChannelInterval = -1
	})
	a.pingInterval = time.Minute
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()

	var replies []string
	req := func(path, ctype, body, secret string, ts time.Time) {
		_, b := do(t, signedRequest(t, srv.URL, path, ctype, body, secret, ts))
		replies = append(replies, string(b))
	}
	req("/slack/commands", formType, commandForm("", "spread NRTH"), testSecret, time.Now())
	req("/slack/commands", formType, commandForm("", "boom"), testSecret, time.Now())
	req("/slack/commands", formType, commandForm("", "spread NRTH"), "wrong", time.Now())
	req("/slack/commands", formType, commandForm("", "spread NRTH"), testSecret, time.Now().Add(-time.Hour))
	req("/slack/events", "application/json", mentionEvent("Ev1", "<@UBOT> token"), testSecret, time.Now())
	req("/slack/interactions", formType, buttonPayload(f.responseURLFor("x"), "ack A1"), testSecret, time.Now())
	if !a.waitJobs(wait) {
		t.Fatal("jobs did not finish")
	}

	f.fail("chat.postMessage", failure{status: 200, body: `{"ok":false,"error":"invalid_auth"}`})
	_, err := a.Post(t.Context(), firing())
	replies = append(replies, err.Error())
	f.fail("chat.postMessage", failure{status: 500})
	_, err = a.Post(t.Context(), firing())
	replies = append(replies, err.Error())

	// Socket Mode: connect, answer a command, and fail to reconnect.
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	conn := fs.nextConn(t)
	send(t, conn, "slash_commands", "e1", slashJSON("", "spread NRTH"))
	replies = append(replies, fs.nextAck(t).Payload.Text)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}

	for _, c := range drain(f) {
		replies = append(replies, c.Text, string(c.Blocks))
	}
	for _, secret := range []string{testSecret, testBotToken, testAppToken, "SECRET"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs.String())
		}
		for _, r := range replies {
			if strings.Contains(r, secret) {
				t.Errorf("reply %q contains %q", r, secret)
			}
		}
	}
	if !strings.Contains(logs.String(), "handler exploded") || !strings.Contains(logs.String(), "bad signature") {
		t.Errorf("logs lack the expected entries:\n%s", logs.String())
	}
}

// drain returns the calls the fake has recorded so far.
func drain(f *fakeSlack) []call {
	var out []call
	for {
		select {
		case c := <-f.calls:
			out = append(out, c)
		default:
			return out
		}
	}
}

func TestHandlerPanicIsAnError(t *testing.T) {
	h := newRecordingHandler()
	h.reply = func(bot.Request) bot.Reply { panic(errors.New("nil map")) }
	a := newTestAdapter(t, nil, h, nil)
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()
	status, body := do(t, signedRequest(t, srv.URL, "/slack/commands", formType, commandForm("", "spread X"), testSecret, time.Now()))
	if status != http.StatusOK {
		t.Fatalf("status = %d", status)
	}
	if ans := decodeAnswer(t, body); ans.ResponseType != "ephemeral" || !strings.Contains(ans.Text, "Something went wrong") {
		t.Errorf("answer = %+v, want an ephemeral error", ans)
	}
}

func TestDedupe(t *testing.T) {
	d := newDedupe(10 * time.Minute)
	t0 := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	steps := []struct {
		id   string
		at   time.Duration
		want bool
	}{
		{"Ev1", 0, true},
		{"Ev1", time.Second, false},
		{"Ev2", time.Second, true},
		{"Ev1", 9 * time.Minute, false},
		{"Ev1", 10*time.Minute + time.Second, true},
		{"", 0, true},
		{"", 0, true},
	}
	for _, s := range steps {
		if got := d.first(s.id, t0.Add(s.at)); got != s.want {
			t.Errorf("first(%q) at +%v = %v, want %v", s.id, s.at, got, s.want)
		}
	}
}
