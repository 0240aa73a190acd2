package discord

import (
	"context"
	"encoding/json"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spreadwatch/spreadwatch/bot"
)

// gatewayInteraction is the d of an INTERACTION_CREATE for /spread ticker.
func gatewayInteraction(id, ticker string) map[string]any {
	return map[string]any{
		"id": id, "application_id": "APP1", "type": 2, "token": "tok-" + id, "version": 1,
		"guild_id": "G1", "channel_id": "C1",
		"member": map[string]any{"user": map[string]any{"id": "U1", "username": "ana"}},
		"data": map[string]any{"id": "CMD", "name": "spread", "type": 1, "options": []any{
			map[string]any{"name": "ticker", "type": 3, "value": ticker},
		}},
	}
}

// TestGateway runs the adapter against the fake gateway: discovery,
// IDENTIFY, READY, registration, an interaction, the mention fallback, a
// dropped connection and its RESUME, and shutdown without a zombie
// session. It is one test because every session costs a second in
// discordgo's Close.
func TestGateway(t *testing.T) {
	const token = "gw-SECRET-token-42"
	fake := newFakeDiscord(t)
	logs := &logBuffer{}
	release := make(chan struct{})
	rec := newRecorder(func(ctx context.Context, req bot.Request) bot.Reply {
		if req.Text == "refresh" {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return bot.Reply{Text: "refreshed"}
		}
		return bot.Reply{Title: req.Text, Fields: []bot.Field{{Name: "CIFR-7.125-2030", Value: "+480 bp"}}}
	})
	a, err := New(Options{
		Token:   token,
		APIURL:  fake.apiURL(),
		Gateway: true,
		Prefix:  "!sw",
		Logger:  logs.logger(),
		Handler: rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	a.deferAfter = 500 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	fake.next(t, "GET", "/gateway/bot")
	c1 := fake.gw.nextConn(t)
	if c1.op != 2 || c1.hello["token"] != "Bot "+token || c1.hello["intents"] != float64(Intents) {
		t.Fatalf("opening op %d %v, want IDENTIFY with the token and intents %d", c1.op, c1.hello, Intents)
	}

	t.Run("registers on ready", func(t *testing.T) {
		reg := fake.next(t, "PUT", "/applications/APP1/commands")
		var cmds []struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal([]byte(reg.Body), &cmds); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range cmds {
			names = append(names, c.Name)
		}
		want := []string{"spread", "spreads", "issuer", "watch", "rule", "alerts", "mute", "ack", "status", "refresh", "help"}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("registered (-want +got):\n%s", diff)
		}
	})

	t.Run("interaction", func(t *testing.T) {
		c1.dispatch(t, "INTERACTION_CREATE", gatewayInteraction("I1", "CIFR"))
		cb := fake.next(t, "POST", "/interactions/")
		if cb.Path != "/interactions/I1/tok-I1/callback" {
			t.Errorf("callback path %s", cb.Path)
		}
		resp := decode(t, cb.Body)
		data := resp["data"].(map[string]any)
		if resp["type"] != float64(4) || !strings.Contains(answerText(data), "+480 bp") {
			t.Errorf("callback = %s", cb.Body)
		}
		want := bot.Request{Platform: "discord", Team: "G1", User: "U1", UserName: "ana", Channel: "C1", Text: "spread CIFR"}
		if diff := cmp.Diff(want, rec.next(t)); diff != "" {
			t.Errorf("request (-want +got):\n%s", diff)
		}
	})

	t.Run("slow command is deferred", func(t *testing.T) {
		in := gatewayInteraction("I3", "")
		in["data"] = map[string]any{"id": "CMD", "name": "refresh", "type": 1}
		c1.dispatch(t, "INTERACTION_CREATE", in)
		cb := fake.next(t, "POST", "/interactions/I3/")
		if resp := decode(t, cb.Body); resp["type"] != float64(5) {
			t.Errorf("callback = %s, want a type 5 deferral", cb.Body)
		}
		close(release)
		fu := fake.next(t, "POST", "/webhooks/APP1/tok-I3")
		if !strings.Contains(fu.Body, "refreshed") {
			t.Errorf("follow-up = %s", fu.Body)
		}
		rec.next(t)
	})

	t.Run("mention fallback", func(t *testing.T) {
		c1.dispatch(t, "MESSAGE_CREATE", map[string]any{
			"id": "MSG0", "channel_id": "C1", "guild_id": "G1", "content": "<@BOT1> hello",
			"author": map[string]any{"id": "B9", "username": "other-bot", "bot": true},
		})
		c1.dispatch(t, "MESSAGE_CREATE", map[string]any{
			"id": "MSG1", "channel_id": "C1", "guild_id": "G1", "content": "<@BOT1> spread WULF",
			"author": map[string]any{"id": "U2", "username": "bo"},
		})
		req := rec.next(t)
		if req.Text != "spread WULF" || req.User != "U2" || req.Team != "G1" {
			t.Errorf("request = %+v", req)
		}
		post := fake.next(t, "POST", "/channels/C1/messages")
		body := decode(t, post.Body)
		if mr, _ := body["message_reference"].(map[string]any); mr["message_id"] != "MSG1" {
			t.Errorf("reply reference = %v", body["message_reference"])
		}
		if diff := cmp.Diff(map[string]any{"parse": []any{}, "replied_user": false}, body["allowed_mentions"]); diff != "" {
			t.Errorf("allowed_mentions (-want +got):\n%s", diff)
		}
	})

	t.Run("reconnects after a drop", func(t *testing.T) {
		c1.drop()
		c2 := fake.gw.nextConn(t)
		if c2.op != 6 || c2.hello["session_id"] != "sess-1" {
			t.Fatalf("after the drop: op %d %v, want RESUME of sess-1", c2.op, c2.hello)
		}
		c2.dispatch(t, "INTERACTION_CREATE", gatewayInteraction("I2", "IREN"))
		cb := fake.next(t, "POST", "/interactions/")
		if cb.Path != "/interactions/I2/tok-I2/callback" {
			t.Errorf("callback path %s", cb.Path)
		}
		if req := rec.next(t); req.Text != "spread IREN" {
			t.Errorf("request = %+v", req)
		}
	})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("Run did not return within %v of cancel", waitTimeout)
	}

	t.Run("no zombie session", func(t *testing.T) {
		eventually(t, func() bool { return !strings.Contains(stacks(), "discordgo.(*Session)") },
			func() string { return stacks() })
		select {
		case r := <-rec.reqs:
			t.Errorf("unexpected request %+v (a bot's message?)", r)
		default:
		}
	})

	t.Run("no token in logs", func(t *testing.T) {
		l := logs.String()
		if strings.Contains(l, token) {
			t.Errorf("logs contain the token:\n%s", l)
		}
		if !strings.Contains(l, "gateway ready") || !strings.Contains(l, "gateway disconnected") {
			t.Errorf("logs lack connection events:\n%s", l)
		}
	})
}

// TestGatewayFatalClose: a gateway that refuses the bot (4004) makes
// Run return an error instead of retrying forever.
func TestGatewayFatalClose(t *testing.T) {
	fake := newFakeDiscord(t)
	fake.gw.refuse = 4004
	a, err := New(Options{Token: "t", ApplicationID: "APP1", APIURL: fake.apiURL(), GatewayURL: fake.gatewayURL(), Gateway: true, Handler: newRecorder(nil)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(t.Context()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "4004") {
			t.Errorf("Run = %v, want the 4004 refusal", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Run kept retrying a fatal close")
	}
}

// TestGatewayFatalKeepsHTTP: when the gateway refuses the bot but the
// HTTP endpoint is served, Run keeps serving it.
func TestGatewayFatalKeepsHTTP(t *testing.T) {
	fake := newFakeDiscord(t)
	fake.gw.refuse = 4004
	sg := newSigner(t)
	logs := &logBuffer{}
	a, err := New(Options{Token: "t", PublicKey: sg.hexKey(), Listen: "127.0.0.1:0", APIURL: fake.apiURL(),
		GatewayURL: fake.gatewayURL(), Gateway: true, Logger: logs.logger(), Handler: newRecorder(nil)})
	if err != nil {
		t.Fatal(err)
	}
	addr := make(chan net.Addr, 1)
	a.onListen = func(ad net.Addr) { addr <- ad }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	url := "http://" + (<-addr).String() + InteractionsPath
	eventually(t, func() bool { return strings.Contains(logs.String(), "serving the HTTP endpoint only") }, logs.String)
	status, body := do(t, sg.request(t, url, `{"id":"P","type":1}`, time.Now()))
	if status != 200 || body != `{"type":1}` {
		t.Errorf("PING after the gateway stopped: %d %s", status, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Run did not return")
	}
}

// TestGatewaySilentCancel: a gateway that accepts the connection but
// never says HELLO does not hold up Run's return on cancel.
func TestGatewaySilentCancel(t *testing.T) {
	fake := newFakeDiscord(t)
	fake.gw.silent = true
	a, err := New(Options{Token: "t", APIURL: fake.apiURL(), GatewayURL: fake.gatewayURL(), Gateway: true, Handler: newRecorder(nil)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-fake.gw.accepted:
	case <-time.After(waitTimeout):
		t.Fatal("no connection")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Run hangs on a silent gateway")
	}
}

// stacks returns every goroutine's stack.
func stacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// eventually polls cond until it holds or waitTimeout passes.
func eventually(t *testing.T, cond func() bool, explain func() string) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("condition not met within %v:\n%s", waitTimeout, explain())
		}
	}
}
