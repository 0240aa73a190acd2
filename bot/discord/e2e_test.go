package discord

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot"
	"github.com/spreadwatch/spreadwatch/bot/bottest"
)

// nrthFeed is the sample feed plus an issuer the sample lacks, NRTH, with
// one bond whose coupon is coupon (percent points; utility is 4.5).
func nrthFeed(t *testing.T, coupon float64) []byte {
	return bottest.SampleFeed(t, 0, func(f bottest.Feed) {
		issuers := f["issuers"].([]any)
		var base map[string]any
		for _, is := range issuers {
			if is.(map[string]any)["ticker"] == "CIFR" {
				base = is.(map[string]any)
			}
		}
		b, _ := json.Marshal(base)
		var n map[string]any
		_ = json.Unmarshal(b, &n)
		n["ticker"] = "NRTH"
		n["name"] = "North Compute Corp."
		n["cik"] = nil
		bond := n["bonds"].([]any)[0].(map[string]any)
		bond["id"] = "NRTH-9.3-2031"
		bond["coupon"] = coupon
		bond["yield"] = nil
		bond["price"] = nil
		n["bonds"] = []any{bond}
		for _, k := range []string{"projects", "offtakes"} {
			for _, x := range n[k].([]any) {
				m := x.(map[string]any)
				m["id"] = "NRTH-" + m["id"].(string)
			}
		}
		f["issuers"] = append(issuers, n)
	})
}

// TestEndToEnd runs the real bot (bottest: a real bbolt file, real rules)
// behind the adapter in HTTP-only mode, the way the acceptance check
// does, then drives an alert through Discord: posted with buttons, acked
// with a button, resolved with an edit and a reply.
func TestEndToEnd(t *testing.T) {
	const token = "e2e-SECRET-token-7"
	feed := filepath.Join(t.TempDir(), "feed.json")
	bottest.WriteFeed(t, feed, nrthFeed(t, 9.3))
	h := bottest.New(t, bottest.WithFeeds(feed), bottest.WithPlatform(platform), bottest.WithoutPoster())

	fake := newFakeDiscord(t)
	sg := newSigner(t)
	logs := &logBuffer{}
	a, err := New(Options{
		Token:         token,
		ApplicationID: "APP1",
		PublicKey:     sg.hexKey(),
		GuildID:       "G1",
		APIURL:        fake.apiURL(),
		Listen:        "127.0.0.1:0",
		Logger:        logs.logger(),
		Handler:       h.Bot,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Bot.AddPoster(platform, a)
	addr := make(chan net.Addr, 1)
	a.onListen = func(ad net.Addr) { addr <- ad }
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var url string
	select {
	case ad := <-addr:
		url = "http://" + ad.String() + InteractionsPath
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(waitTimeout):
		t.Fatal("not listening")
	}

	reg := fake.next(t, "PUT", "/applications/APP1/guilds/G1/commands")
	if !strings.Contains(reg.Body, `"name":"spread"`) || reg.Auth != "Bot "+token {
		t.Errorf("registration: auth %q body %.200s", reg.Auth, reg.Body)
	}

	var bodies []string // every response, checked for the token at the end
	post := func(t *testing.T, body string) map[string]any {
		t.Helper()
		status, b := do(t, sg.request(t, url, body, time.Now()))
		bodies = append(bodies, b)
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, b)
		}
		return decode(t, b)
	}
	content := func(resp map[string]any) string {
		d, _ := resp["data"].(map[string]any)
		c := answerText(d)
		return c
	}

	t.Run("ping", func(t *testing.T) {
		resp := post(t, `{"id":"P1","type":1,"application_id":"APP1","token":"x","version":1}`)
		if len(resp) != 1 || resp["type"] != float64(1) {
			t.Errorf("PING = %v, want {type: 1}", resp)
		}
	})

	t.Run("spread NRTH", func(t *testing.T) {
		resp := post(t, slashJSON(t, "I1", "spread", strOpt("ticker", "NRTH")))
		c := content(resp)
		if resp["type"] != float64(4) || !strings.Contains(c, "NRTH") || !strings.Contains(c, "+480 bp") {
			t.Errorf("type %v content:\n%s", resp["type"], c)
		}
		embeds, _ := json.Marshal(resp["data"].(map[string]any)["embeds"])
		if !strings.Contains(string(embeds), "+480 bp") {
			t.Errorf("embeds lack the spread: %s", embeds)
		}
	})

	t.Run("bad signature", func(t *testing.T) {
		r := newSigner(t).request(t, url, slashJSON(t, "I2", "spread", strOpt("ticker", "NRTH")), time.Now())
		if status, _ := do(t, r); status != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", status)
		}
	})

	t.Run("unknown ticker is an ephemeral error", func(t *testing.T) {
		resp := post(t, slashJSON(t, "I3", "spread", strOpt("ticker", "ZZZZ")))
		if resp["data"].(map[string]any)["flags"] != float64(64) {
			t.Errorf("flags = %v, want 64: %s", resp["data"].(map[string]any)["flags"], content(resp))
		}
	})

	var alertRef string
	t.Run("alert fires with buttons", func(t *testing.T) {
		for i, body := range []string{
			slashJSON(t, "I10", "watch", subOpt("create", strOpt("name", "hy"))),
			slashJSON(t, "I11", "watch", subOpt("add", strOpt("name", "hy"), strOpt("tickers", "NRTH"))),
			slashJSON(t, "I12", "rule", subOpt("add", strOpt("name", "hot"), strOpt("expr", "coupon > utility + 400bp"), strOpt("watchlist", "hy"))),
			slashJSON(t, "I13", "refresh"),
		} {
			resp := post(t, body)
			if d := resp["data"].(map[string]any); d["flags"] == float64(64) {
				t.Fatalf("step %d failed: %s", i, content(resp))
			}
		}
		msg := fake.next(t, "POST", "/channels/C1/messages")
		b := decode(t, msg.Body)
		embeds, _ := json.Marshal(b["embeds"])
		if !strings.Contains(string(embeds), "NRTH-9.3-2031") || !strings.Contains(string(embeds), "FIRING") {
			t.Errorf("alert embed: %s", embeds)
		}
		var labels []string
		for _, row := range b["components"].([]any) {
			for _, btn := range row.(map[string]any)["components"].([]any) {
				labels = append(labels, btn.(map[string]any)["label"].(string))
			}
		}
		if strings.Join(labels, ",") != "Ack,Mute 1d,Mute 7d" {
			t.Errorf("buttons = %v", labels)
		}
		alertRef = "M1"
	})

	t.Run("ack button", func(t *testing.T) {
		resp := post(t, interactionJSON(t, map[string]any{
			"id": "I20", "type": 3,
			"member":  map[string]any{"user": map[string]any{"id": "U2", "username": "bo"}},
			"message": map[string]any{"id": alertRef, "channel_id": "C1"},
			"data":    map[string]any{"custom_id": "ack A1", "component_type": 2},
		}))
		d := resp["data"].(map[string]any)
		if d["flags"] != float64(64) || !strings.Contains(strings.ToLower(content(resp)), "ack") {
			t.Errorf("ack reply flags %v: %s", d["flags"], content(resp))
		}
		resp = post(t, slashJSON(t, "I21", "alerts"))
		if !strings.Contains(content(resp), "A1") {
			t.Errorf("alerts:\n%s", content(resp))
		}
	})

	t.Run("resolve edits and replies", func(t *testing.T) {
		bottest.WriteFeed(t, feed, nrthFeed(t, 8.0))
		post(t, slashJSON(t, "I30", "refresh"))
		edit := fake.next(t, "PATCH", "/channels/C1/messages/"+alertRef)
		if !strings.Contains(edit.Body, "RESOLVED") || !strings.Contains(edit.Body, `"components":[]`) {
			t.Errorf("edit body: %s", edit.Body)
		}
		reply := fake.next(t, "POST", "/channels/C1/messages")
		if !strings.Contains(reply.Body, `"message_id":"`+alertRef+`"`) {
			t.Errorf("reply body: %s", reply.Body)
		}
	})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Run did not return after cancel")
	}
	for _, b := range append(bodies, logs.String()) {
		if strings.Contains(b, token) {
			t.Errorf("token leaked in %.300s", b)
		}
	}
}

func TestAlertActions(t *testing.T) {
	n := bot.Notification{Kind: bot.KindFiring, AlertID: "A3", Rule: "hot", Ticker: "CIFR", Reply: bot.Reply{Actions: []bot.Action{
		{ID: "ack", Label: "Ack", Command: "ack A3"},
		{ID: "mute1d", Label: "Mute 1d", Command: "mute rule=hot ticker=CIFR for 1d"},
	}}}
	var got []string
	for _, a := range alertActions(n) {
		got = append(got, a.Label+"="+a.Command)
	}
	want := "Ack=ack A3|Mute 1d=mute rule=hot ticker=CIFR for 1d|Mute 7d=mute rule=hot ticker=CIFR for 7d"
	if strings.Join(got, "|") != want {
		t.Errorf("alertActions = %v\nwant %s", got, want)
	}
	n.Reply.Actions = nil
	n.Ticker = ""
	got = nil
	for _, a := range alertActions(n) {
		got = append(got, a.Command)
	}
	if strings.Join(got, "|") != "ack A3|mute rule=hot for 1d|mute rule=hot for 7d" {
		t.Errorf("alertActions without actions = %v", got)
	}
	n.Kind = bot.KindResolved
	if m := renderAlert(n); m.Components != nil {
		t.Errorf("resolved alert has buttons")
	}
}

// TestEndToEndViewerRole: a user whose role may not change rules gets an
// ephemeral one-line refusal, and nothing is saved.
func TestEndToEndViewerRole(t *testing.T) {
	h := bottest.New(t, bottest.WithPlatform(platform), bottest.WithRoles(bot.Roles{Default: bot.RoleViewer}))
	rec := newRecorder(nil)
	f := newHTTPFixture(t, h.Bot, rec)
	_, resp := f.post(t, slashJSON(t, "I1", "rule", subOpt("add", strOpt("name", "hot"), strOpt("expr", "coupon > utility + 400bp"))))
	d := resp["data"].(map[string]any)
	c := answerText(d)
	if d["flags"] != float64(64) || strings.Contains(c, "\n") || !strings.Contains(c, "viewer") {
		t.Errorf("flags %v, content %q; want an ephemeral one-line refusal naming the role", d["flags"], c)
	}
	if rules, err := h.DB.Rules("G1"); err != nil || len(rules) != 0 {
		t.Errorf("rules of G1 = %v, %v; want none saved", rules, err)
	}
}
