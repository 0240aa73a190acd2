package slack

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot"
)

// quickHandler answers at once, so that fuzzing exercises the HTTP path.
type quickHandler struct{}

func (quickHandler) Handle(_ context.Context, req bot.Request) bot.Reply {
	return bot.Reply{Title: req.Text, Text: req.User + " " + req.Channel}
}

// FuzzSlashCommand feeds arbitrary bodies and signature headers to the
// slash command endpoint: it must never panic and must answer 200 only to
// a correctly signed, well-formed command.
func FuzzSlashCommand(f *testing.F) {
	f.Add(commandForm("", "spread NRTH"), true, int64(0), "", "")
	f.Add(commandForm("https://hooks.slack.com/x", "rule add a \"coupon &gt; 9%\""), true, int64(-299), "", "")
	f.Add("command=%2Fspreadwatch&text=%ZZ&team_id=T&user_id=U&channel_id=C", true, int64(0), "", "")
	f.Add("team_id=T&user_id=U&channel_id=C&text="+strings.Repeat("%F0%9F%98%80", 50), true, int64(0), "", "")
	f.Add(commandForm("", "spread NRTH"), false, int64(0), "v0=00", "1700000000")
	f.Add(commandForm("", "spread NRTH"), true, int64(601), "", "")
	f.Add("", false, int64(0), "v0="+strings.Repeat("ab", 32), "-1")
	f.Add("", false, int64(0), "v1=x", "9999999999999999999999")

	a, err := New(Options{SigningSecret: testSecret, Handler: quickHandler{}, MaxBodyBytes: 4 << 10})
	if err != nil {
		f.Fatal(err)
	}
	h := a.HTTPHandler()
	f.Fuzz(func(t *testing.T, body string, signed bool, skew int64, sig, stamp string) {
		req := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
		req.Header.Set("Content-Type", formType)
		if signed {
			sign(req.Header, testSecret, time.Now().Add(time.Duration(skew%3600)*time.Second), body)
		} else {
			req.Header.Set("X-Slack-Signature", sig)
			req.Header.Set("X-Slack-Request-Timestamp", stamp)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			if !signed {
				t.Fatalf("unsigned request answered 200: sig %q stamp %q", sig, stamp)
			}
		case http.StatusUnauthorized, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for body %q", rec.Code, body)
		}
	})
}
