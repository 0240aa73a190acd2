package slack

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot"
	"github.com/spreadwatch/spreadwatch/bot/bottest"
	"github.com/spreadwatch/spreadwatch/market"
)

// switchSource is a bot.Source whose snapshot a test can replace.
type switchSource struct {
	mu   sync.Mutex
	snap *market.Snapshot
}

func (s *switchSource) Fetch(context.Context) ([]*market.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return []*market.Snapshot{s.snap}, nil
}

func (s *switchSource) set(snap *market.Snapshot) {
	s.mu.Lock()
	s.snap = snap
	s.mu.Unlock()
}

// withNRTH adds an issuer NRTH, unknown to the sample, with two bonds whose
// coupons are given (percent points); the sample's utility benchmark is
// 4.50%, so 9.30 is a spread of +480 bp.
func withNRTH(coupons ...float64) func(bottest.Feed) {
	return func(f bottest.Feed) {
		issuers := f["issuers"].([]any)
		var bonds []any
		for i, c := range coupons {
			bonds = append(bonds, map[string]any{
				"id": []string{"NRTH-A-2029", "NRTH-B-2031"}[i], "kind": "senior_notes", "issuer_entity": "North Compute Corp",
				"coupon": c, "coupon_type": "fixed", "maturity": []string{"2029-03-01", "2031-09-15"}[i],
				"amount_usd": 500000000.0, "secured": false, "seniority": "senior_unsecured",
			})
		}
		issuers = append(issuers, map[string]any{
			"ticker": "NRTH", "name": "North Compute Corp", "kind": "miner_pivot", "rating": "B",
			"bonds": bonds,
		})
		f["issuers"] = issuers
	}
}

// TestEndToEndSpread is the acceptance check: the real bot behind Run's
// HTTP listener answers a signed slash command for an issuer that is not
// in the sample, within 3 s, with every bond's spread in the text.
func TestEndToEndSpread(t *testing.T) {
	src := &switchSource{snap: bottest.SampleSnapshot(t, 0, withNRTH(9.30, 8.05))}
	h := bottest.New(t, bottest.WithSource(src), bottest.WithPlatform("slack"), bottest.WithoutPoster())
	f := newFakeSlack(t)
	a := newTestAdapter(t, f, h.Bot, func(o *Options) { o.Listen = "127.0.0.1:0" })
	addrc := make(chan net.Addr, 1)
	a.onListen = func(addr net.Addr) { addrc <- addr }
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	base := "http://" + (<-addrc).String()

	body := url.Values{
		"command": {"/spreadwatch"}, "text": {"spread NRTH"}, "team_id": {"T0001"}, "user_id": {"U0001"},
		"channel_id": {"C0001"}, "response_url": {f.responseURLFor("nrth")},
	}.Encode()
	start := time.Now()
	status, got := do(t, signedRequest(t, base, "/slack/commands", formType, body, testSecret, time.Now()))
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("answered after %v, want < 3s", elapsed)
	}
	if status != http.StatusOK {
		t.Fatalf("status = %d, want 200: %s", status, got)
	}
	ans := decodeAnswer(t, got)
	for _, want := range []string{"NRTH", "NRTH-A-2029", "+480 bp", "NRTH-B-2031", "+355 bp"} {
		if !strings.Contains(ans.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, ans.Text)
		}
	}
	want := h.Bot.Handle(t.Context(), bot.Request{Platform: "slack", Team: "T0001", User: "U0001", Channel: "C0001", Text: "spread NRTH"})
	if ans.Text != plainText(want) {
		t.Errorf("text is not the full reply:\n got %q\nwant %q", ans.Text, plainText(want))
	}
	if ans.ResponseType != "in_channel" {
		t.Errorf("response_type = %q, want in_channel", ans.ResponseType)
	}
	if texts := blockTexts(t, ans.Blocks); len(texts) == 0 || !strings.Contains(strings.Join(texts, "\n"), "+480 bp") {
		t.Errorf("blocks lack the spreads: %q", texts)
	}

	// Forged and stale requests are refused.
	if status, _ := do(t, signedRequest(t, base, "/slack/commands", formType, body, "forged", time.Now())); status != http.StatusUnauthorized {
		t.Errorf("wrong signature: status %d, want 401", status)
	}
	if status, _ := do(t, signedRequest(t, base, "/slack/commands", formType, body, testSecret, time.Now().Add(-10*time.Minute))); status != http.StatusUnauthorized {
		t.Errorf("10-minute-old timestamp: status %d, want 401", status)
	}
	status, got = do(t, signedRequest(t, base, "/slack/events", "application/json", `{"type":"url_verification","challenge":"ch4ll3nge"}`, testSecret, time.Now()))
	if status != http.StatusOK || string(got) != "ch4ll3nge" {
		t.Errorf("url_verification = %d %q", status, got)
	}
	// An unknown command is a clear, ephemeral error.
	status, got = do(t, signedRequest(t, base, "/slack/commands", formType,
		strings.Replace(body, "spread+NRTH", "sprad+NRTH", 1), testSecret, time.Now()))
	if ans := decodeAnswer(t, got); status != http.StatusOK || ans.ResponseType != "ephemeral" || !strings.Contains(ans.Text, "spread") {
		t.Errorf("unknown command = %d %+v, want an ephemeral hint", status, ans)
	}
	f.none(t)
}

// TestEndToEndAlert runs an alert's life through the real bot: commands
// over HTTP, the firing post with buttons, a button press, the resolve
// that updates the original message and replies in its thread.
func TestEndToEndAlert(t *testing.T) {
	src := &switchSource{snap: bottest.SampleSnapshot(t, 0, withNRTH(9.30, 8.05))}
	h := bottest.New(t, bottest.WithSource(src), bottest.WithPlatform("slack"), bottest.WithoutPoster(),
		bottest.WithRoles(bot.Roles{Users: map[string]bot.Role{"U3": bot.RoleViewer}}))
	f := newFakeSlack(t)
	a := newTestAdapter(t, f, h.Bot, func(o *Options) { o.PerChannelInterval = 20 * time.Millisecond })
	h.Bot.AddPoster("slack", a)
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()

	command := func(text string) answer {
		t.Helper()
		body := url.Values{"command": {"/spreadwatch"}, "text": {text}, "team_id": {"T1"}, "user_id": {"U1"},
			"channel_id": {"C1"}, "response_url": {f.responseURLFor("cmd")}}.Encode()
		status, got := do(t, signedRequest(t, srv.URL, "/slack/commands", formType, body, testSecret, time.Now()))
		ans := decodeAnswer(t, got)
		if status != http.StatusOK || ans.ResponseType != "in_channel" {
			t.Fatalf("%s: %d %+v", text, status, ans)
		}
		return ans
	}
	command("watch create hy")
	command("watch add hy NRTH")
	command(`rule add hot "coupon > utility + 400bp" watchlist=hy`)

	h.Refresh()
	fired := f.next(t)
	if fired.Method != "chat.postMessage" || fired.Channel != "C1" || fired.ThreadTS != "" {
		t.Fatalf("firing post = %+v, want chat.postMessage to C1", fired)
	}
	if !strings.Contains(fired.Text, "FIRING hot NRTH-A-2029") {
		t.Errorf("firing text = %q", fired.Text)
	}
	btns := buttons(t, fired.Blocks)
	if len(btns) < 2 || btns[0] != "ack=ack A1" {
		t.Fatalf("firing buttons = %q, want Ack first", btns)
	}
	ref := "1767225600.000001" // the fake's first ts

	press := func(user, command, responseID string) call {
		t.Helper()
		p := strings.Replace(buttonJSON(f.responseURLFor(responseID), command), `"id":"U2"`, `"id":"`+user+`"`, 1)
		status, _ := do(t, signedRequest(t, srv.URL, "/slack/interactions", formType,
			url.Values{"payload": {p}}.Encode(), testSecret, time.Now()))
		if status != http.StatusOK {
			t.Fatalf("press %s: status %d", command, status)
		}
		c := f.next(t)
		if c.Method != "response_url" || c.Channel != responseID || c.ResponseType != "ephemeral" {
			t.Fatalf("press %s: answer %+v, want an ephemeral response_url POST", command, c)
		}
		return c
	}
	// A viewer may not mute; an editor may ack.
	_, mute, _ := strings.Cut(btns[1], "=")
	if c := press("U3", mute, "viewer"); !strings.Contains(strings.ToLower(c.Text), "editor") {
		t.Errorf("viewer's mute answered %q, want a role error", c.Text)
	}
	if c := press("U2", "ack A1", "editor"); !strings.Contains(c.Text, "A1") {
		t.Errorf("ack answered %q", c.Text)
	}
	if al, err := h.DB.AlertByID("T1", "A1"); err != nil || al.AckedBy == "" || al.Ref != ref {
		t.Errorf("alert A1 = %+v, %v; want acked, with ref %s", al, err, ref)
	}

	// The coupon drops below the threshold: the alert resolves.
	src.set(bottest.SampleSnapshot(t, 1, withNRTH(8.10, 8.05)))
	h.Refresh()
	up := f.next(t)
	if up.Method != "chat.update" || up.Channel != "C1" || up.TS != ref {
		t.Fatalf("resolve = %+v, want chat.update of %s", up, ref)
	}
	if bs := buttons(t, up.Blocks); len(bs) != 0 || !strings.Contains(up.Text, "RESOLVED hot NRTH-A-2029") {
		t.Errorf("updated message: text %q, buttons %q", up.Text, bs)
	}
	reply := f.next(t)
	if reply.Method != "chat.postMessage" || reply.ThreadTS != ref || !strings.Contains(reply.Text, "RESOLVED") {
		t.Errorf("thread reply = %+v, want RESOLVED in %s's thread", reply, ref)
	}
	f.none(t)
}
