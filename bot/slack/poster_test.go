package slack

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spreadwatch/spreadwatch/bot"
)

func firing() bot.Notification {
	return bot.Notification{
		ID: 7, Platform: "slack", Team: "T1", Channel: "C42", Kind: bot.KindFiring,
		AlertID: "A12", Rule: "hi-coupon", Subject: "CIFR-7.125-2030", Ticker: "CIFR", Severity: bot.SeverityCrit,
		Reply: bot.Reply{
			Title:    "hi-coupon firing: CIFR 7.125% 2030",
			Text:     "coupon 7.125% > utility + 400bp",
			Fields:   []bot.Field{{Name: "Spread", Value: "+415 bp", Inline: true}},
			Footer:   "as of 2026-07-01 · source: sample",
			Severity: bot.SeverityCrit,
			Actions:  alertActions(),
		},
	}
}

func resolved(ref string) bot.Notification {
	n := firing()
	n.Kind = bot.KindResolved
	n.Ref = ref
	n.Reply = bot.Reply{
		Title:   "hi-coupon resolved: CIFR 7.125% 2030",
		Text:    "coupon 7.125% no longer > utility + 400bp",
		Footer:  "as of 2026-07-02 · source: sample",
		Actions: alertActions(),
	}
	return n
}

func TestPostFiring(t *testing.T) {
	f := newFakeSlack(t)
	a := newTestAdapter(t, f, newRecordingHandler(), nil)

	ref, err := a.Post(t.Context(), firing())
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	c := f.next(t)
	if c.Method != "chat.postMessage" || c.Channel != "C42" || c.ThreadTS != "" {
		t.Errorf("got %s to %s (thread %q), want chat.postMessage to C42", c.Method, c.Channel, c.ThreadTS)
	}
	if c.TS != "" || ref == "" || !strings.HasPrefix(ref, "1767225600.") {
		t.Errorf("ref = %q, want the ts the fake answered", ref)
	}
	if !strings.Contains(c.Text, "hi-coupon firing: CIFR 7.125% 2030") || !strings.Contains(c.Text, "+415 bp") {
		t.Errorf("text = %q", c.Text)
	}
	if diff := cmp.Diff([]string{"header", "section", "section", "context", "actions"}, blockTypes(t, c.Blocks)); diff != "" {
		t.Errorf("block types (-want +got):\n%s", diff)
	}
	want := []string{"ack=ack A12", "mute1d=mute rule hi-coupon ticker CIFR 1d", "mute7d=mute rule hi-coupon ticker CIFR 7d"}
	if diff := cmp.Diff(want, buttons(t, c.Blocks)); diff != "" {
		t.Errorf("buttons (-want +got):\n%s", diff)
	}
	if texts := blockTexts(t, c.Blocks); texts[0] != ":rotating_light: hi-coupon firing: CIFR 7.125% 2030" {
		t.Errorf("header = %q", texts[0])
	}
	f.none(t)
}

func TestPostResolved(t *testing.T) {
	f := newFakeSlack(t)
	a := newTestAdapter(t, f, newRecordingHandler(), nil)
	const ref = "1767225600.000009"

	got, err := a.Post(t.Context(), resolved(ref))
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if got != ref {
		t.Errorf("ref = %q, want the original %q", got, ref)
	}

	up := f.next(t)
	if up.Method != "chat.update" || up.Channel != "C42" || up.TS != ref {
		t.Errorf("got %s %s ts %q, want chat.update of C42 %s", up.Method, up.Channel, up.TS, ref)
	}
	if bs := buttons(t, up.Blocks); len(bs) != 0 {
		t.Errorf("updated message keeps buttons %v", bs)
	}
	if texts := blockTexts(t, up.Blocks); texts[0] != ":white_check_mark: hi-coupon resolved: CIFR 7.125% 2030" {
		t.Errorf("updated header = %q, want the resolved look", texts[0])
	}
	if !strings.Contains(up.Text, "resolved") {
		t.Errorf("updated text = %q", up.Text)
	}

	reply := f.next(t)
	if reply.Method != "chat.postMessage" || reply.Channel != "C42" || reply.ThreadTS != ref {
		t.Errorf("got %s %s thread %q, want chat.postMessage in C42's thread %s", reply.Method, reply.Channel, reply.ThreadTS, ref)
	}
	if !strings.Contains(reply.Text, "no longer") {
		t.Errorf("thread reply text = %q", reply.Text)
	}
	f.none(t)
}

func TestPostResolvedOriginalGone(t *testing.T) {
	f := newFakeSlack(t)
	a := newTestAdapter(t, f, newRecordingHandler(), nil)
	f.fail("chat.update", failure{status: 200, body: `{"ok":false,"error":"message_not_found"}`})

	got, err := a.Post(t.Context(), resolved("1767225600.000009"))
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	c := f.next(t)
	if c.Method != "chat.postMessage" || c.ThreadTS != "" {
		t.Errorf("got %s thread %q, want a new top-level chat.postMessage", c.Method, c.ThreadTS)
	}
	if got == "1767225600.000009" || got == "" {
		t.Errorf("ref = %q, want the new message's ts", got)
	}
}

func TestPostErrors(t *testing.T) {
	tests := []struct {
		name   string
		method string // which call fails
		n      bot.Notification
		fl     failure
		want   bot.SendError // Err is not compared
	}{
		{"429 with Retry-After", "chat.postMessage", firing(),
			failure{status: 429, header: map[string]string{"Retry-After": "7"}, body: `{"ok":false,"error":"ratelimited"}`},
			bot.SendError{RetryAfter: 7 * time.Second, Reason: "ratelimited"}},
		{"429 without Retry-After", "chat.postMessage", firing(),
			failure{status: 429, body: `{"ok":false,"error":"ratelimited"}`},
			bot.SendError{Reason: "ratelimited"}},
		{"500", "chat.postMessage", firing(), failure{status: 500, body: "<html>oops</html>"}, bot.SendError{Reason: "http_500"}},
		{"503", "chat.postMessage", firing(), failure{status: 503}, bot.SendError{Reason: "http_503"}},
		{"internal_error", "chat.postMessage", firing(), failure{status: 200, body: `{"ok":false,"error":"internal_error"}`}, bot.SendError{Reason: "internal_error"}},
		{"garbage answer", "chat.postMessage", firing(), failure{status: 200, body: `<html>proxy</html>`}, bot.SendError{Reason: "bad_response"}},
		{"update 502", "chat.update", resolved("1.2"), failure{status: 502}, bot.SendError{Reason: "http_502"}},
		{"update invalid_auth", "chat.update", resolved("1.2"), failure{status: 200, body: `{"ok":false,"error":"invalid_auth"}`}, bot.SendError{Permanent: true, Reason: "invalid_auth"}},
		{"404", "chat.postMessage", firing(), failure{status: 404}, bot.SendError{Permanent: true, Reason: "http_404"}},
	}
	for _, code := range []string{"channel_not_found", "not_in_channel", "invalid_auth", "account_inactive", "token_revoked",
		"missing_scope", "is_archived", "msg_too_long", "invalid_blocks", "msg_blocks_too_long", "some_new_error"} {
		tests = append(tests, struct {
			name   string
			method string
			n      bot.Notification
			fl     failure
			want   bot.SendError
		}{code, "chat.postMessage", firing(), failure{status: 200, body: `{"ok":false,"error":"` + code + `"}`},
			bot.SendError{Permanent: true, Reason: code}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t)
			a := newTestAdapter(t, f, newRecordingHandler(), nil)
			f.fail(tt.method, tt.fl)
			ref, err := a.Post(t.Context(), tt.n)
			se, ok := errors.AsType[*bot.SendError](err)
			if !ok {
				t.Fatalf("Post = %q, %v; want a *bot.SendError", ref, err)
			}
			if se.Err == nil {
				t.Error("SendError.Err is nil, want the cause")
			}
			got := *se
			got.Err = nil
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SendError (-want +got):\n%s", diff)
			}
			if ref != "" {
				t.Errorf("ref = %q on failure, want empty", ref)
			}
			f.none(t)
		})
	}
}

func TestPostTimeout(t *testing.T) {
	f := newFakeSlack(t)
	a := newTestAdapter(t, f, newRecordingHandler(), nil)
	f.fail("chat.postMessage", failure{block: true})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := a.Post(ctx, firing())
	se, ok := errors.AsType[*bot.SendError](err)
	if !ok || se.Permanent || se.Reason != "timeout" {
		t.Fatalf("Post = %v, want a retryable timeout SendError", err)
	}
}

func TestPostWithoutTokenOrChannel(t *testing.T) {
	a := newTestAdapter(t, nil, newRecordingHandler(), func(o *Options) { o.BotToken = "" })
	_, err := a.Post(t.Context(), firing())
	if se, ok := errors.AsType[*bot.SendError](err); !ok || !se.Permanent {
		t.Errorf("Post without token = %v, want a permanent SendError", err)
	}
	b := newTestAdapter(t, nil, newRecordingHandler(), nil)
	n := firing()
	n.Channel = ""
	_, err = b.Post(t.Context(), n)
	if se, ok := errors.AsType[*bot.SendError](err); !ok || !se.Permanent {
		t.Errorf("Post without channel = %v, want a permanent SendError", err)
	}
}

func TestPostPerChannelLimit(t *testing.T) {
	f := newFakeSlack(t)
	const interval = 300 * time.Millisecond
	a := newTestAdapter(t, f, newRecordingHandler(), func(o *Options) { o.PerChannelInterval = interval })

	post := func(ch string) <-chan error {
		errc := make(chan error, 1)
		n := firing()
		n.Channel = ch
		go func() {
			_, err := a.Post(t.Context(), n)
			errc <- err
		}()
		return errc
	}
	start := time.Now()
	if err := <-post("C1"); err != nil {
		t.Fatal(err)
	}
	if c := f.next(t); c.Channel != "C1" {
		t.Fatalf("first post to %s", c.Channel)
	}
	second := post("C1") // must wait for its slot
	if err := <-post("C2"); err != nil {
		t.Fatal(err)
	}
	// C2 is not held up by C1's limit: it is posted before C1's second.
	if c := f.next(t); c.Channel != "C2" {
		t.Errorf("next post to %s, want C2 first", c.Channel)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < interval-10*time.Millisecond {
		t.Errorf("second post to C1 after %v, want at least %v", elapsed, interval)
	}
	if c := f.next(t); c.Channel != "C1" {
		t.Errorf("last post to %s, want C1", c.Channel)
	}
}

func TestPostRateLimitHoldsChannel(t *testing.T) {
	f := newFakeSlack(t)
	a := newTestAdapter(t, f, newRecordingHandler(), func(o *Options) { o.PerChannelInterval = -1 })
	f.fail("chat.postMessage", failure{status: 429, header: map[string]string{"Retry-After": "30"}})
	if _, err := a.Post(t.Context(), firing()); err == nil {
		t.Fatal("Post succeeded, want a rate limit error")
	}
	// The channel is now held for 30 s: a post with a short deadline gives
	// up waiting rather than hitting Slack again.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := a.Post(ctx, firing())
	if se, ok := errors.AsType[*bot.SendError](err); !ok || se.Permanent {
		t.Errorf("Post = %v, want a retryable SendError", err)
	}
	f.none(t)
}
