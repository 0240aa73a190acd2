package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spreadwatch/spreadwatch/bot"
)

// httpFixture is an adapter in HTTP-only mode behind a real HTTP server,
// with the fake Discord for follow-ups.
type httpFixture struct {
	a    *Adapter
	h    *recorder
	fake *fakeDiscord
	sign signer
	url  string
}

func newHTTPFixture(t *testing.T, h bot.Handler, rec *recorder) *httpFixture {
	t.Helper()
	fake := newFakeDiscord(t)
	sg := newSigner(t)
	a, err := New(Options{
		Token:         "test-token",
		ApplicationID: "APP1",
		PublicKey:     sg.hexKey(),
		APIURL:        fake.apiURL(),
		Handler:       h,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.HTTPHandler())
	t.Cleanup(srv.Close)
	return &httpFixture{a: a, h: rec, fake: fake, sign: sg, url: srv.URL + InteractionsPath}
}

// post sends a correctly signed interaction and decodes the response.
func (f *httpFixture) post(t *testing.T, body string) (int, map[string]any) {
	t.Helper()
	status, b := do(t, f.sign.request(t, f.url, body, time.Now()))
	var v map[string]any
	if status == http.StatusOK {
		if err := json.Unmarshal([]byte(b), &v); err != nil {
			t.Fatalf("response %q: %v", b, err)
		}
	}
	return status, v
}

func TestHTTPPing(t *testing.T) {
	rec := newRecorder(nil)
	f := newHTTPFixture(t, rec, rec)
	status, body := do(t, f.sign.request(t, f.url, `{"id":"P1","type":1,"application_id":"APP1","token":"x","version":1}`, time.Now()))
	if status != http.StatusOK {
		t.Fatalf("status = %d, want 200", status)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"type": float64(1)}, got); diff != "" {
		t.Errorf("PING response (-want +got):\n%s", diff)
	}
}

func TestHTTPCommand(t *testing.T) {
	rec := newRecorder(func(_ context.Context, req bot.Request) bot.Reply {
		return bot.Reply{
			Title:  "NRTH — North Compute",
			Fields: []bot.Field{{Name: "NRTH 9.5% 2031", Value: "+480 bp"}},
			Footer: "as of 2026-07-01 · sample",
		}
	})
	f := newHTTPFixture(t, rec, rec)
	status, got := f.post(t, slashJSON(t, "I1", "spread", strOpt("ticker", "NRTH")))
	if status != http.StatusOK {
		t.Fatalf("status = %d", status)
	}
	req := rec.next(t)
	want := bot.Request{Platform: "discord", Team: "G1", User: "U1", UserName: "ana", Channel: "C1", Text: "spread NRTH"}
	if diff := cmp.Diff(want, req); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	if got["type"] != float64(4) {
		t.Fatalf("type = %v, want 4: %v", got["type"], got)
	}
	data := got["data"].(map[string]any)
	if c := answerText(data); !strings.Contains(c, "NRTH") || !strings.Contains(c, "+480 bp") {
		t.Errorf("content = %q, want the ticker and the spread", c)
	}
	embeds, _ := data["embeds"].([]any)
	if len(embeds) != 1 {
		t.Fatalf("embeds = %v, want one", data["embeds"])
	}
	if b, _ := json.Marshal(embeds[0]); !strings.Contains(string(b), "+480 bp") {
		t.Errorf("embed %s lacks the spread", b)
	}
	if diff := cmp.Diff(map[string]any{"parse": []any{}, "replied_user": false}, data["allowed_mentions"]); diff != "" {
		t.Errorf("allowed_mentions (-want +got):\n%s", diff)
	}
	if _, ok := data["flags"]; ok {
		t.Errorf("flags = %v, want none for an answer", data["flags"])
	}
}

func TestHTTPErrorIsEphemeral(t *testing.T) {
	rec := newRecorder(func(_ context.Context, req bot.Request) bot.Reply {
		return bot.Reply{Text: `unknown ticker "ZZZZ"`, Error: true, Ephemeral: true, Severity: bot.SeverityError}
	})
	f := newHTTPFixture(t, rec, rec)
	_, got := f.post(t, slashJSON(t, "I1", "spread", strOpt("ticker", "ZZZZ")))
	data := got["data"].(map[string]any)
	if data["flags"] != float64(64) {
		t.Errorf("flags = %v, want 64", data["flags"])
	}
}

func TestHTTPUnknownCommandOrOption(t *testing.T) {
	rec := newRecorder(nil)
	f := newHTTPFixture(t, rec, rec)
	for _, tt := range []struct {
		name, body, want string
	}{
		{"command", slashJSON(t, "I1", "frobnicate"), "unknown command /frobnicate"},
		{"option", slashJSON(t, "I2", "spread", strOpt("ticker", "CIFR"), strOpt("colour", "red")), `unknown option "colour"`},
		{"subcommand", slashJSON(t, "I3", "watch", subOpt("explode")), "unknown subcommand /watch explode"},
		{"missing", slashJSON(t, "I4", "spread"), "/spread needs ticker"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, got := f.post(t, tt.body)
			if status != http.StatusOK || got["type"] != float64(4) {
				t.Fatalf("status %d, response %v", status, got)
			}
			data := got["data"].(map[string]any)
			if data["flags"] != float64(64) {
				t.Errorf("flags = %v, want 64 (ephemeral)", data["flags"])
			}
			c := answerText(data)
			if !strings.Contains(c, tt.want) || strings.Contains(c, "\n") {
				t.Errorf("content = %q, want one line with %q", c, tt.want)
			}
		})
	}
	select {
	case r := <-rec.reqs:
		t.Errorf("handler called with %+v", r)
	default:
	}
}

func TestHTTPRejectsBadSignatures(t *testing.T) {
	rec := newRecorder(nil)
	f := newHTTPFixture(t, rec, rec)
	body := slashJSON(t, "I1", "spread", strOpt("ticker", "NRTH"))
	other := newSigner(t)
	for _, tt := range []struct {
		name string
		req  func() *http.Request
	}{
		{"wrong key", func() *http.Request { return other.request(t, f.url, body, time.Now()) }},
		{"tampered body", func() *http.Request {
			r := f.sign.request(t, f.url, body, time.Now())
			r.Body = http.NoBody
			tampered := strings.Replace(body, "NRTH", "CIFR", 1)
			r2 := f.sign.request(t, f.url, tampered, time.Now())
			r2.Header = r.Header
			return r2
		}},
		{"stale", func() *http.Request { return f.sign.request(t, f.url, body, time.Now().Add(-10*time.Minute)) }},
		{"future", func() *http.Request { return f.sign.request(t, f.url, body, time.Now().Add(10*time.Minute)) }},
		{"no signature", func() *http.Request {
			r := f.sign.request(t, f.url, body, time.Now())
			r.Header.Del("X-Signature-Ed25519")
			return r
		}},
		{"no timestamp", func() *http.Request {
			r := f.sign.request(t, f.url, body, time.Now())
			r.Header.Del("X-Signature-Timestamp")
			return r
		}},
		{"garbage signature", func() *http.Request {
			r := f.sign.request(t, f.url, body, time.Now())
			r.Header.Set("X-Signature-Ed25519", "zz")
			return r
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if status, b := do(t, tt.req()); status != http.StatusUnauthorized {
				t.Errorf("status = %d (%s), want 401", status, b)
			}
		})
	}
	select {
	case r := <-rec.reqs:
		t.Errorf("handler called with %+v", r)
	default:
	}
}

func TestHTTPMethodAndSize(t *testing.T) {
	rec := newRecorder(nil)
	f := newHTTPFixture(t, rec, rec)
	r, _ := http.NewRequest("GET", f.url, nil)
	if status, _ := do(t, r); status != http.StatusMethodNotAllowed {
		t.Errorf("GET status = %d, want 405", status)
	}
	big := `{"type":2,"pad":"` + strings.Repeat("x", maxBody) + `"}`
	if status, _ := do(t, f.sign.request(t, f.url, big, time.Now())); status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized status = %d, want 413", status)
	}
}

func TestHTTPSlowCommandDefersAndFollowsUp(t *testing.T) {
	release := make(chan struct{})
	rec := newRecorder(func(ctx context.Context, req bot.Request) bot.Reply {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return bot.Reply{Title: "refreshed", Text: "3 alerts sent"}
	})
	f := newHTTPFixture(t, rec, rec)
	f.a.deferAfter = 50 * time.Millisecond
	status, got := f.post(t, slashJSON(t, "I9", "refresh"))
	if status != http.StatusOK || got["type"] != float64(5) {
		t.Fatalf("status %d, response %v, want a type 5 deferral", status, got)
	}
	close(release)
	c := f.fake.next(t, "POST", "/webhooks/APP1/itoken")
	var data map[string]any
	if err := json.Unmarshal([]byte(c.Body), &data); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(answerText(data), "3 alerts sent") {
		t.Errorf("follow-up content = %v", data["content"])
	}
	if c.Query != "wait=true" {
		t.Errorf("follow-up query = %q", c.Query)
	}
}

func TestHTTPButtonRunsCommandAsUser(t *testing.T) {
	rec := newRecorder(func(_ context.Context, req bot.Request) bot.Reply {
		return bot.Reply{Text: "A12 acknowledged"}
	})
	f := newHTTPFixture(t, rec, rec)
	body := interactionJSON(t, map[string]any{
		"id": "I5", "type": 3,
		"member":  map[string]any{"user": map[string]any{"id": "U7", "username": "bo"}, "nick": "Bo"},
		"message": map[string]any{"id": "M1", "channel_id": "C1"},
		"data":    map[string]any{"custom_id": "ack A12", "component_type": 2},
	})
	status, got := f.post(t, body)
	if status != http.StatusOK || got["type"] != float64(4) {
		t.Fatalf("status %d, response %v", status, got)
	}
	req := rec.next(t)
	want := bot.Request{Platform: "discord", Team: "G1", User: "U7", UserName: "Bo", Channel: "C1", Text: "ack A12"}
	if diff := cmp.Diff(want, req); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	if data := got["data"].(map[string]any); data["flags"] != float64(64) {
		t.Errorf("flags = %v, want 64", data["flags"])
	}
}

func TestHTTPLongButtonCommand(t *testing.T) {
	rec := newRecorder(nil)
	f := newHTTPFixture(t, rec, rec)
	long := "mute rule=" + strings.Repeat("r", 60) + " ticker=CIFR for 7d " + strings.Repeat("note ", 10)
	id := customID(long)
	if !strings.HasPrefix(id, longIDPrefix) || len(id) > maxCustomID {
		t.Fatalf("customID = %q", id)
	}
	press := func(iid string) map[string]any {
		_, got := f.post(t, interactionJSON(t, map[string]any{
			"id": iid, "type": 3, "data": map[string]any{"custom_id": id, "component_type": 2},
		}))
		return got
	}
	got := press("I6")
	if c := answerText(got["data"].(map[string]any)); !strings.Contains(c, "expired") {
		t.Errorf("unknown long id: content = %q, want expired", c)
	}
	f.a.remember([]bot.Action{{Label: "Mute 7d", Command: long}})
	press("I7")
	if req := rec.next(t); req.Text != long {
		t.Errorf("text = %q, want %q", req.Text, long)
	}
}

func TestHTTPReplayRunsOnce(t *testing.T) {
	rec := newRecorder(nil)
	f := newHTTPFixture(t, rec, rec)
	body := slashJSON(t, "I1", "status")
	_, first := f.post(t, body)
	_, second := f.post(t, body)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("replayed answer differs (-first +second):\n%s", diff)
	}
	rec.next(t)
	select {
	case r := <-rec.reqs:
		t.Errorf("replay ran the command again: %+v", r)
	default:
	}
}

func TestHTTPAutocomplete(t *testing.T) {
	auto := func(id string, options ...map[string]any) string {
		return interactionJSON(t, map[string]any{
			"id": id, "type": 4,
			"data": map[string]any{"id": "CMD", "name": "watch", "type": 1, "options": options},
		})
	}
	focusedTickers := subOpt("add",
		map[string]any{"name": "name", "type": 3, "value": "hy"},
		map[string]any{"name": "tickers", "type": 3, "value": "WULF c", "focused": true})

	t.Run("with completer", func(t *testing.T) {
		rec := newRecorder(nil)
		h := completingRecorder{recorder: rec, asked: make(chan [3]string, 4)}
		f := newHTTPFixture(t, h, rec)
		_, got := f.post(t, auto("I1", focusedTickers))
		if got["type"] != float64(8) {
			t.Fatalf("type = %v, want 8", got["type"])
		}
		want := map[string]any{"choices": []any{
			map[string]any{"name": "WULF CIFR", "value": "WULF CIFR"},
			map[string]any{"name": "WULF CORZ", "value": "WULF CORZ"},
			map[string]any{"name": "WULF CRWV", "value": "WULF CRWV"},
		}}
		if diff := cmp.Diff(want, got["data"]); diff != "" {
			t.Errorf("choices (-want +got):\n%s", diff)
		}
		if asked := <-h.asked; asked != [3]string{"G1", "ticker", "c"} {
			t.Errorf("Complete asked %v", asked)
		}
	})
	t.Run("without completer", func(t *testing.T) {
		rec := newRecorder(nil)
		f := newHTTPFixture(t, rec, rec)
		_, got := f.post(t, auto("I2", focusedTickers))
		if diff := cmp.Diff(map[string]any{"type": float64(8), "data": map[string]any{"choices": []any{}}}, got); diff != "" {
			t.Errorf("response (-want +got):\n%s", diff)
		}
	})
	t.Run("help commands", func(t *testing.T) {
		rec := newRecorder(nil)
		f := newHTTPFixture(t, rec, rec)
		_, got := f.post(t, interactionJSON(t, map[string]any{
			"id": "I3", "type": 4,
			"data": map[string]any{"id": "CMD", "name": "help", "type": 1, "options": []any{
				map[string]any{"name": "command", "type": 3, "value": "watch a", "focused": true},
			}},
		}))
		want := []any{map[string]any{"name": "watch add", "value": "watch add"}}
		if diff := cmp.Diff(want, got["data"].(map[string]any)["choices"]); diff != "" {
			t.Errorf("choices (-want +got):\n%s", diff)
		}
	})
}

func TestHTTPDirectMessageTeam(t *testing.T) {
	rec := newRecorder(nil)
	f := newHTTPFixture(t, rec, rec)
	f.post(t, interactionJSON(t, map[string]any{
		"id": "I1", "type": 2, "guild_id": nil, "member": nil, "channel_id": "D1",
		"user": map[string]any{"id": "U3", "username": "cy", "global_name": "Cy"},
		"data": map[string]any{"id": "CMD", "name": "status", "type": 1},
	}))
	want := bot.Request{Platform: "discord", Team: "dm:U3", User: "U3", UserName: "Cy", Channel: "D1", Text: "status"}
	if diff := cmp.Diff(want, rec.next(t)); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
}

// answerText is everything a user sees of an interaction response's data:
// the content and the embeds' text.
func answerText(data map[string]any) string {
	c, _ := data["content"].(string)
	if e, ok := data["embeds"]; ok {
		b, _ := json.Marshal(e)
		var s string
		// Undo JSON escaping of the embed text so callers can search it.
		var parts []any
		if json.Unmarshal(b, &parts) == nil {
			s = fmt.Sprint(parts)
		}
		c += "\n" + s
	}
	return c
}
