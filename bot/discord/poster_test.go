package discord

import (
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spreadwatch/spreadwatch/bot"
)

func newPoster(t *testing.T) (*Adapter, *fakeDiscord) {
	t.Helper()
	fake := newFakeDiscord(t)
	a, err := New(Options{Token: "test-token", ApplicationID: "APP1", APIURL: fake.apiURL(), Handler: newRecorder(nil)})
	if err != nil {
		t.Fatal(err)
	}
	return a, fake
}

func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return v
}

func TestPostFiring(t *testing.T) {
	a, fake := newPoster(t)
	n := alertNotification(bot.KindFiring)
	n.Channel = "<#C9>"
	ref, err := a.Post(t.Context(), n)
	if err != nil {
		t.Fatal(err)
	}
	c := fake.next(t, "POST", "/channels/")
	if c.Path != "/channels/C9/messages" {
		t.Errorf("posted to %s, want /channels/C9/messages", c.Path)
	}
	if c.Auth != "Bot test-token" {
		t.Errorf("authorization = %q", c.Auth)
	}
	if ref == "" || !strings.HasPrefix(ref, "M") {
		t.Errorf("ref = %q, want the message id", ref)
	}
	body := decode(t, c.Body)
	want, _ := json.Marshal(renderAlert(n))
	var wantMsg map[string]any
	_ = json.Unmarshal(want, &wantMsg)
	if diff := cmp.Diff(wantMsg["embeds"], body["embeds"]); diff != "" {
		t.Errorf("embeds (-want +got):\n%s", diff)
	}
	var labels, ids []string
	for _, row := range body["components"].([]any) {
		for _, b := range row.(map[string]any)["components"].([]any) {
			labels = append(labels, b.(map[string]any)["label"].(string))
			ids = append(ids, b.(map[string]any)["custom_id"].(string))
		}
	}
	if diff := cmp.Diff([]string{"Ack", "Mute 1d", "Mute 7d"}, labels); diff != "" {
		t.Errorf("buttons (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ack A12", "mute rule=hot ticker=CIFR for 1d", "mute rule=hot ticker=CIFR for 7d"}, ids); diff != "" {
		t.Errorf("custom ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"parse": []any{}, "replied_user": false}, body["allowed_mentions"]); diff != "" {
		t.Errorf("allowed_mentions (-want +got):\n%s", diff)
	}
}

func TestPostResolvedEditsAndReplies(t *testing.T) {
	a, fake := newPoster(t)
	n := alertNotification(bot.KindResolved)
	n.Ref = "M77"
	ref, err := a.Post(t.Context(), n)
	if err != nil {
		t.Fatal(err)
	}
	if ref != "M77" {
		t.Errorf("ref = %q, want the original M77", ref)
	}
	edit := fake.next(t, "PATCH", "/channels/C1/messages/M77")
	eb := decode(t, edit.Body)
	if diff := cmp.Diff([]any{}, eb["components"]); diff != "" {
		t.Errorf("edit keeps buttons (-want +got):\n%s", diff)
	}
	embed := eb["embeds"].([]any)[0].(map[string]any)
	if embed["color"] != float64(colorOK) || !strings.HasPrefix(embed["title"].(string), "RESOLVED") {
		t.Errorf("edited embed = %v", embed)
	}
	reply := fake.next(t, "POST", "/channels/C1/messages")
	rb := decode(t, reply.Body)
	mr, _ := rb["message_reference"].(map[string]any)
	if mr["message_id"] != "M77" || mr["channel_id"] != "C1" || mr["fail_if_not_exists"] != false {
		t.Errorf("reply reference = %v", rb["message_reference"])
	}
	if rb["components"] != nil {
		t.Errorf("reply has buttons: %v", rb["components"])
	}
}

func TestPostResolvedOriginalGone(t *testing.T) {
	a, fake := newPoster(t)
	fake.setOverride(func(c restCall) (int, string, bool) {
		if c.Method == "PATCH" {
			return 404, `{"message":"Unknown Message","code":10008}`, true
		}
		return 0, "", false
	})
	n := alertNotification(bot.KindResolved)
	n.Ref = "M5"
	ref, err := a.Post(t.Context(), n)
	if err != nil {
		t.Fatal(err)
	}
	fake.next(t, "PATCH", "/channels/C1/messages/M5")
	post := fake.next(t, "POST", "/channels/C1/messages")
	if _, ok := decode(t, post.Body)["message_reference"]; ok {
		t.Errorf("new message references the deleted one")
	}
	if ref == "M5" || ref == "" {
		t.Errorf("ref = %q, want the new message's id", ref)
	}
}

func TestPostErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		permanent bool
		retry     time.Duration
		reason    string
	}{
		{"rate limited", 429, `{"message":"You are being rate limited.","retry_after":30.5,"global":false}`, false, 30*time.Second + 500*time.Millisecond, "rate_limited"},
		{"unknown channel", 404, `{"message":"Unknown Channel","code":10003}`, true, 0, "unknown_channel"},
		{"missing access", 403, `{"message":"Missing Access","code":50001}`, true, 0, "missing_access"},
		{"missing permissions", 403, `{"message":"Missing Permissions","code":50013}`, true, 0, "missing_permissions"},
		{"unauthorized", 401, `{"message":"401: Unauthorized","code":0}`, true, 0, "unauthorized"},
		{"server error", 500, `{"message":"oops","code":0}`, false, 0, "discord_unavailable"},
		{"bad form", 400, `{"message":"Invalid Form Body","code":50035}`, true, 0, "invalid_message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, fake := newPoster(t)
			fake.setOverride(func(c restCall) (int, string, bool) { return tt.status, tt.body, true })
			_, err := a.Post(t.Context(), alertNotification(bot.KindFiring))
			se, ok := errors.AsType[*bot.SendError](err)
			if !ok {
				t.Fatalf("error %v (%T), want *bot.SendError", err, err)
			}
			if se.Permanent != tt.permanent || se.RetryAfter != tt.retry || !strings.HasPrefix(se.Reason, tt.reason) {
				t.Errorf("SendError{Permanent: %v, RetryAfter: %v, Reason: %q}, want {%v, %v, %q…}", se.Permanent, se.RetryAfter, se.Reason, tt.permanent, tt.retry, tt.reason)
			}
			if strings.Contains(err.Error(), "test-token") {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

func TestPostShortRateLimitIsWaitedOut(t *testing.T) {
	a, fake := newPoster(t)
	var calls atomic.Int32
	fake.setOverride(func(c restCall) (int, string, bool) {
		if calls.Add(1) == 1 {
			return 429, `{"message":"You are being rate limited.","retry_after":0.05,"global":false}`, true
		}
		return 0, "", false
	})
	ref, err := a.Post(t.Context(), alertNotification(bot.KindFiring))
	if err != nil || ref == "" {
		t.Fatalf("Post = %q, %v; want success after the short limit", ref, err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

func TestPostWithoutTokenOrChannel(t *testing.T) {
	sg := newSigner(t)
	a, err := New(Options{PublicKey: sg.hexKey(), Handler: newRecorder(nil)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Post(t.Context(), alertNotification(bot.KindFiring))
	if se, ok := errors.AsType[*bot.SendError](err); !ok || !se.Permanent {
		t.Errorf("no token: %v, want a permanent SendError", err)
	}
	b, _ := newPoster(t)
	n := alertNotification(bot.KindFiring)
	n.Channel = ""
	_, err = b.Post(t.Context(), n)
	if se, ok := errors.AsType[*bot.SendError](err); !ok || !se.Permanent {
		t.Errorf("no channel: %v, want a permanent SendError", err)
	}
}

func TestPostRepeatRepliesToFiring(t *testing.T) {
	a, fake := newPoster(t)
	n := alertNotification(bot.KindRepeat)
	n.Ref = "M3"
	ref, err := a.Post(t.Context(), n)
	if err != nil {
		t.Fatal(err)
	}
	c := fake.next(t, "POST", "/channels/C1/messages")
	b := decode(t, c.Body)
	if mr, _ := b["message_reference"].(map[string]any); mr["message_id"] != "M3" {
		t.Errorf("repeat reference = %v", b["message_reference"])
	}
	if b["components"] == nil {
		t.Errorf("repeat lacks buttons")
	}
	if ref == "M3" || ref == "" {
		t.Errorf("ref = %q, want the repeat's own id", ref)
	}
}
