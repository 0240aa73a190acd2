package slack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot"
)

// lockedBuffer is a bytes.Buffer safe for concurrent writes (logs).
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the JSON log records whose msg contains msg.
func (b *lockedBuffer) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for line := range strings.Lines(b.buf.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m, _ := rec["msg"].(string); strings.Contains(m, msg) {
			out = append(out, rec)
		}
	}
	return out
}

// noMoreCalls fails when the handler was called again once the adapter's
// background jobs are done.
func noMoreCalls(t *testing.T, a *Adapter, h *recordingHandler) {
	t.Helper()
	if !a.waitJobs(wait) {
		t.Fatal("jobs did not finish")
	}
	select {
	case r := <-h.reqs:
		t.Errorf("handler called again with %+v", r)
	default:
	}
}

// TestReplayedCommandRunsOnce sends one correctly signed slash command
// twice: the handler runs once, and the replay gets the first answer.
func TestReplayedCommandRunsOnce(t *testing.T) {
	logs := &lockedBuffer{}
	h := newRecordingHandler()
	h.reply = func(req bot.Request) bot.Reply {
		return bot.Reply{Text: "Muted NRTH for 1d (mute #" + req.Text + ")", Severity: bot.SeverityOK}
	}
	a := newTestAdapter(t, nil, h, func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()

	ts := time.Now()
	body := commandForm("", "mute ticker=NRTH for 1d")
	status1, body1 := do(t, signedRequest(t, srv.URL, CommandsPath, formType, body, testSecret, ts))
	if status1 != http.StatusOK {
		t.Fatalf("first: status %d, body %s", status1, body1)
	}
	if got := h.next(t).Text; got != "mute ticker=NRTH for 1d" {
		t.Fatalf("handler got %q", got)
	}

	status2, body2 := do(t, signedRequest(t, srv.URL, CommandsPath, formType, body, testSecret, ts))
	if status2 != http.StatusOK || !bytes.Equal(body1, body2) {
		t.Errorf("replay answered %d %s, want 200 and the first answer %s", status2, body2, body1)
	}
	// The same signature in upper-case hex passes verification too: it is
	// the same request.
	up := signedRequest(t, srv.URL, CommandsPath, formType, body, testSecret, ts)
	up.Header.Set("X-Slack-Signature", "v0="+strings.ToUpper(strings.TrimPrefix(up.Header.Get("X-Slack-Signature"), "v0=")))
	if status, b := do(t, up); status != http.StatusOK || !bytes.Equal(body1, b) {
		t.Errorf("upper-case replay answered %d %s, want 200 and the first answer", status, b)
	}
	noMoreCalls(t, a, h)

	recs := logs.records(t, "replayed")
	if len(recs) != 2 {
		t.Fatalf("%d replay log records, want 2", len(recs))
	}
	if r := recs[0]; r["level"] != "WARN" || r["path"] != CommandsPath || r["cached_answer"] != true ||
		r["timestamp"] != fmt.Sprint(ts.Unix()) || r["platform"] != "slack" {
		t.Errorf("replay log record = %v", r)
	}

	// A different body signed with the same timestamp is a new request.
	status3, body3 := do(t, signedRequest(t, srv.URL, CommandsPath, formType,
		commandForm("", "mute ticker=CIFR for 1d"), testSecret, ts))
	if status3 != http.StatusOK || bytes.Equal(body3, body1) {
		t.Errorf("other command answered %d %s", status3, body3)
	}
	if got := h.next(t).Text; got != "mute ticker=CIFR for 1d" {
		t.Errorf("handler got %q, want the second command", got)
	}
	noMoreCalls(t, a, h)
}

// TestReplayWhileFirstRuns sends the same slow command twice at once and
// again after the interim answer: it runs once, every copy gets the same
// interim answer, and the late answer is delivered once.
func TestReplayWhileFirstRuns(t *testing.T) {
	f := newFakeSlack(t)
	h := newRecordingHandler()
	h.hold = make(chan struct{})
	h.reply = func(bot.Request) bot.Reply { return spreadReply("NRTH") }
	a := newTestAdapter(t, f, h, nil)
	a.ackWait = 300 * time.Millisecond
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()

	ts := time.Now()
	body := commandForm(f.responseURLFor("slow1"), "spreads")
	type result struct {
		status int
		body   []byte
	}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			resp, err := http.DefaultClient.Do(signedRequest(t, srv.URL, CommandsPath, formType, body, testSecret, ts))
			if err != nil {
				results <- result{}
				return
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			results <- result{resp.StatusCode, b.Bytes()}
		}()
	}
	h.next(t)
	r1, r2 := <-results, <-results
	for _, r := range []result{r1, r2} {
		if ans := decodeAnswer(t, r.body); r.status != http.StatusOK || !strings.Contains(ans.Text, "Working on it") {
			t.Errorf("answer %d %s, want 200 Working on it…", r.status, r.body)
		}
	}
	status, b := do(t, signedRequest(t, srv.URL, CommandsPath, formType, body, testSecret, ts))
	if status != http.StatusOK || !bytes.Equal(b, r1.body) {
		t.Errorf("later replay answered %d %s, want %s", status, b, r1.body)
	}
	close(h.hold)
	if c := f.next(t); c.Method != "response_url" || c.Channel != "slow1" {
		t.Errorf("got %+v, want the late answer on response_url slow1", c)
	}
	noMoreCalls(t, a, h)
	f.none(t)
}

// TestReplayedButtonRunsOnce presses one button twice with the same
// signed request: one mute, one answer.
func TestReplayedButtonRunsOnce(t *testing.T) {
	f := newFakeSlack(t)
	h := newRecordingHandler()
	h.reply = func(bot.Request) bot.Reply { return bot.Reply{Text: "Muted NRTH for 7d"} }
	a := newTestAdapter(t, f, h, nil)
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()

	ts := time.Now()
	body := buttonPayload(f.responseURLFor("btn1"), "mute ticker NRTH 7d")
	for i := range 2 {
		if status, b := do(t, signedRequest(t, srv.URL, InteractionsPath, formType, body, testSecret, ts)); status != http.StatusOK || len(b) != 0 {
			t.Errorf("press %d answered %d %q, want an empty 200", i+1, status, b)
		}
	}
	if got := h.next(t).Text; got != "mute ticker NRTH 7d" {
		t.Errorf("handler got %q", got)
	}
	if c := f.next(t); c.Method != "response_url" || c.Text != "Muted NRTH for 7d" {
		t.Errorf("got %+v, want the answer on the response_url", c)
	}
	noMoreCalls(t, a, h)
	f.none(t)

	// A press signed a second later is a new request (a second click).
	if status, _ := do(t, signedRequest(t, srv.URL, InteractionsPath, formType, body, testSecret, ts.Add(time.Second))); status != http.StatusOK {
		t.Errorf("second press answered %d", status)
	}
	h.next(t)
	f.next(t)
	noMoreCalls(t, a, h)
}

// TestReplayAnswerNotKept: when the first answer was not kept, a replay
// of a command gets an ephemeral "Already handled." and still does not run.
func TestReplayAnswerNotKept(t *testing.T) {
	h := newRecordingHandler()
	a := newTestAdapter(t, nil, h, nil)
	a.replays = newReplayCache(16, 8) // too small for any answer
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()

	ts := time.Now()
	body := commandForm("", "spread NRTH")
	if status, b := do(t, signedRequest(t, srv.URL, CommandsPath, formType, body, testSecret, ts)); status != http.StatusOK ||
		!strings.Contains(decodeAnswer(t, b).Text, "+480 bp") {
		t.Fatalf("first answered %d %s", status, b)
	}
	h.next(t)
	status, b := do(t, signedRequest(t, srv.URL, CommandsPath, formType, body, testSecret, ts))
	if ans := decodeAnswer(t, b); status != http.StatusOK || ans.Text != alreadyHandledText || ans.ResponseType != "ephemeral" {
		t.Errorf("replay answered %d %s, want an ephemeral %q", status, b, alreadyHandledText)
	}
	noMoreCalls(t, a, h)
}

// TestReplayOnlyAfterVerification: a forged copy of a request is rejected
// and does not spoil the real one.
func TestReplayOnlyAfterVerification(t *testing.T) {
	h := newRecordingHandler()
	a := newTestAdapter(t, nil, h, nil)
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()

	ts := time.Now()
	body := commandForm("", "spread NRTH")
	real := signedRequest(t, srv.URL, CommandsPath, formType, body, testSecret, ts)
	forged := signedRequest(t, srv.URL, CommandsPath, formType, strings.Replace(body, "U1", "U0ADMIN", 1), testSecret, ts)
	forged.Header.Set("X-Slack-Signature", real.Header.Get("X-Slack-Signature"))
	if status, _ := do(t, forged); status != http.StatusUnauthorized {
		t.Errorf("forged: status %d, want 401", status)
	}
	if a.replays.count() != 0 {
		t.Errorf("a rejected request was remembered")
	}
	if status, _ := do(t, real); status != http.StatusOK {
		t.Errorf("real: status %d", status)
	}
	if got := h.next(t).User; got != "U1" {
		t.Errorf("handler ran for %q", got)
	}
	noMoreCalls(t, a, h)
}

func TestReplayCache(t *testing.T) {
	t0 := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	answer := func(body string) *cachedResponse {
		return &cachedResponse{status: 200, header: http.Header{}, body: []byte(body)}
	}

	t.Run("remembers until expiry", func(t *testing.T) {
		c := newReplayCache(10, 1<<20)
		e, first, _ := c.claim("a", t0.Add(replayWindow), t0)
		if !first {
			t.Fatal("first claim not first")
		}
		select {
		case <-e.done:
			t.Fatal("done before finish")
		default:
		}
		c.finish(e, answer("A"))
		<-e.done
		if e2, first, _ := c.claim("a", t0.Add(time.Hour), t0.Add(replayWindow-time.Second)); first || e2 != e || string(c.response(e2).body) != "A" {
			t.Errorf("replay before expiry: first=%v, answer %v", first, c.response(e2))
		}
		e3, first, _ := c.claim("a", t0.Add(2*replayWindow), t0.Add(replayWindow))
		if !first || e3 == e {
			t.Error("claim after expiry is not first")
		}
		c.finish(e3, nil)
		if c.response(e3) != nil {
			t.Error("nil answer recorded")
		}
	})

	t.Run("entry cap evicts oldest", func(t *testing.T) {
		const maxEntries = 100
		c := newReplayCache(maxEntries, 1<<20)
		evicted := 0
		for i := range 3 * maxEntries {
			e, first, n := c.claim(fmt.Sprint("k", i), t0.Add(time.Hour), t0)
			if !first {
				t.Fatalf("k%d not first", i)
			}
			c.finish(e, answer("x"))
			evicted += n
			if c.count() > maxEntries {
				t.Fatalf("%d entries after %d claims, cap %d", c.count(), i+1, maxEntries)
			}
		}
		if evicted != 2*maxEntries {
			t.Errorf("evicted %d, want %d", evicted, 2*maxEntries)
		}
		// The newest are remembered, the oldest forgotten.
		if _, first, _ := c.claim(fmt.Sprint("k", 3*maxEntries-1), t0.Add(time.Hour), t0); first {
			t.Error("newest entry forgotten")
		}
		if _, first, _ := c.claim("k0", t0.Add(time.Hour), t0); !first {
			t.Error("oldest entry still remembered")
		}
	})

	t.Run("expired entries make room first", func(t *testing.T) {
		c := newReplayCache(2, 1<<20)
		old, _, _ := c.claim("old", t0.Add(time.Minute), t0)
		c.finish(old, nil)
		live, _, _ := c.claim("live", t0.Add(time.Hour), t0)
		c.finish(live, nil)
		_, _, n := c.claim("new", t0.Add(time.Hour), t0.Add(2*time.Minute))
		if n != 0 {
			t.Errorf("evicted %d live entries, want 0", n)
		}
		if _, first, _ := c.claim("live", t0.Add(time.Hour), t0.Add(2*time.Minute)); first {
			t.Error("live entry forgotten")
		}
	})

	t.Run("byte budget drops oldest answers, keeps signatures", func(t *testing.T) {
		one := answer(strings.Repeat("x", 1000))
		c := newReplayCache(100, 3*one.size())
		var es []*replayEntry
		for i := range 5 {
			e, _, _ := c.claim(fmt.Sprint("k", i), t0.Add(time.Hour), t0)
			c.finish(e, answer(strings.Repeat("x", 1000)))
			es = append(es, e)
			if c.answerBytes() > c.maxBytes {
				t.Fatalf("%d bytes of answers, budget %d", c.answerBytes(), c.maxBytes)
			}
		}
		for i, e := range es {
			if kept := c.response(e) != nil; kept != (i >= 2) {
				t.Errorf("answer %d kept = %v", i, kept)
			}
		}
		if _, first, _ := c.claim("k0", t0.Add(time.Hour), t0); first {
			t.Error("signature forgotten with its answer")
		}
		big, _, _ := c.claim("big", t0.Add(time.Hour), t0)
		c.finish(big, answer(strings.Repeat("x", 4*1000)))
		if c.response(big) != nil {
			t.Error("answer over the whole budget kept")
		}
	})

	t.Run("concurrent claims have one winner", func(t *testing.T) {
		c := newReplayCache(10, 1<<20)
		var wg sync.WaitGroup
		var mu sync.Mutex
		winners := 0
		for range 16 {
			wg.Go(func() {
				e, first, _ := c.claim("same", t0.Add(time.Hour), t0)
				if first {
					mu.Lock()
					winners++
					mu.Unlock()
					c.finish(e, answer("A"))
					return
				}
				<-e.done
				if r := c.response(e); r == nil || string(r.body) != "A" {
					t.Errorf("loser saw %v", r)
				}
			})
		}
		wg.Wait()
		if winners != 1 {
			t.Errorf("%d winners, want 1", winners)
		}
	})
}

func TestReplayKey(t *testing.T) {
	h := http.Header{}
	ts := time.Unix(1767225600, 0)
	sign(h, testSecret, ts, "body")
	k1, exp, ok := replayKey(h)
	if !ok || !exp.Equal(ts.Add(replayWindow)) {
		t.Fatalf("replayKey = %q %v %v", k1, exp, ok)
	}
	h.Set("X-Slack-Signature", strings.ToUpper(h.Get("X-Slack-Signature")))
	h.Set("X-Slack-Signature", "v0="+strings.TrimPrefix(h.Get("X-Slack-Signature"), "V0="))
	if k2, _, _ := replayKey(h); k2 != k1 {
		t.Errorf("upper-case key %q, want %q", k2, k1)
	}
	for _, bad := range []string{"", "v1=ab", "v0=zz"} {
		h.Set("X-Slack-Signature", bad)
		if _, _, ok := replayKey(h); ok {
			t.Errorf("replayKey(%q) ok", bad)
		}
	}
}
