package discord

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// flakyTransport plays a network under the adapter's transport: the
// bulk overwrites it sees are numbered from 1; refuse names the one that
// fails to connect (a real dial to a closed port) and hold the one that
// waits for release before going through.
type flakyTransport struct {
	base    http.RoundTripper
	closed  string // address nothing listens on
	refuse  int64
	hold    int64
	held    chan struct{}
	release chan struct{}
	puts    atomic.Int64
}

func (f *flakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/commands") {
		switch f.puts.Add(1) {
		case f.refuse:
			c, err := net.Dial("tcp", f.closed)
			if err == nil {
				_ = c.Close()
				return nil, errors.New("closed port accepted a connection")
			}
			return nil, err
		case f.hold:
			close(f.held)
			select {
			case <-f.release:
			case <-r.Context().Done():
				return nil, r.Context().Err()
			}
		}
	}
	return f.base.RoundTrip(r)
}

// closedAddr returns a local address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// logRecords returns the JSON log records whose msg contains msg.
func logRecords(t *testing.T, logs *logBuffer, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(logs.String()) {
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

// TestRegisterRetriesUntilUp: Discord answers the first bulk overwrite
// with 503 and refuses the second connection; the third goes through.
// Meanwhile Run serves interactions; the log names the configured API,
// never discord.com.
func TestRegisterRetriesUntilUp(t *testing.T) {
	fake := newFakeDiscord(t)
	var served atomic.Int64
	fake.setOverride(func(c restCall) (int, string, bool) {
		if c.Method == http.MethodPut && served.Add(1) == 1 {
			return http.StatusServiceUnavailable, `{"message":"upstream connect error","code":0}`, true
		}
		return 0, "", false
	})
	flaky := &flakyTransport{
		base: http.DefaultTransport, closed: closedAddr(t),
		refuse: 2, hold: 3, held: make(chan struct{}), release: make(chan struct{}),
	}
	sg := newSigner(t)
	logs := &logBuffer{}
	rec := newRecorder(nil)
	a, err := New(Options{
		Token: "test-token", ApplicationID: "APP1", PublicKey: sg.hexKey(), Listen: "127.0.0.1:0",
		APIURL: fake.apiURL(), HTTPClient: &http.Client{Transport: flaky},
		Logger: logs.logger(), Handler: rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	a.registerBackoff, a.registerMaxBackoff = 10*time.Millisecond, 40*time.Millisecond
	registered := make(chan struct{})
	a.onRegistered = func() { close(registered) }
	addr := make(chan net.Addr, 1)
	a.onListen = func(ad net.Addr) { addr <- ad }
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	var endpoint string
	select {
	case ad := <-addr:
		endpoint = "http://" + ad.String() + InteractionsPath
	case <-time.After(waitTimeout):
		t.Fatal("Run did not listen")
	}

	// The third attempt is on its way: registration is not done, and
	// interactions are served.
	select {
	case <-flaky.held:
	case <-time.After(waitTimeout):
		t.Fatalf("third registration attempt not made (%d so far)", flaky.puts.Load())
	}
	status, body := do(t, sg.request(t, endpoint, slashJSON(t, "I1", "spread", strOpt("ticker", "NRTH")), time.Now()))
	if status != http.StatusOK || !strings.Contains(body, `"type":4`) {
		t.Errorf("interaction during registration = %d %s, want a type 4 answer", status, body)
	}
	if got := rec.next(t).Text; got != "spread NRTH" {
		t.Errorf("handler got %q", got)
	}
	select {
	case <-registered:
		t.Fatal("registered before the third attempt went through")
	default:
	}

	close(flaky.release)
	select {
	case <-registered:
	case <-time.After(waitTimeout):
		t.Fatal("commands not registered after the API came back")
	}
	if n := flaky.puts.Load(); n != 3 {
		t.Errorf("%d bulk overwrites, want 3", n)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Run did not return after cancel")
	}

	warns := logRecords(t, logs, "register commands failed; retrying")
	if len(warns) != 2 {
		t.Fatalf("%d retry warnings, want 2:\n%s", len(warns), logs.String())
	}
	for i, want := range []string{"discord_unavailable (HTTP 503)", "connection refused"} {
		w := warns[i]
		errText, _ := w["err"].(string)
		if w["level"] != "WARN" || w["api"] != fake.apiURL() || w["attempt"] != float64(i+1) || !strings.Contains(errText, want) || w["retry_in"] == nil {
			t.Errorf("warning %d = %v, want WARN, api %s, attempt %d, err with %q", i+1, w, fake.apiURL(), i+1, want)
		}
	}
	if errText, _ := warns[1]["err"].(string); !strings.Contains(errText, fake.apiURL()+"applications/APP1/commands") {
		t.Errorf("connection error %q does not name the configured API URL", errText)
	}
	if strings.Contains(logs.String(), "discord.com/api") {
		t.Errorf("logs name discord.com although the API is %s:\n%s", fake.apiURL(), logs.String())
	}
	if ok := logRecords(t, logs, "commands registered"); len(ok) != 1 || ok[0]["attempts"] != float64(3) {
		t.Errorf("success records = %v, want one after 3 attempts", ok)
	}
}

// startRegister runs registerCommands in the background; the returned
// channel is closed when it returns.
func startRegister(ctx context.Context, a *Adapter) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.registerCommands(ctx)
	}()
	return done
}

// TestRegisterStopsOnCancel: while Discord keeps failing, the retry loop
// runs until its context ends, then returns; Run waits for it.
func TestRegisterStopsOnCancel(t *testing.T) {
	fake := newFakeDiscord(t)
	fake.setOverride(func(c restCall) (int, string, bool) {
		if c.Method == http.MethodPut {
			return http.StatusServiceUnavailable, `{"message":"down","code":0}`, true
		}
		return 0, "", false
	})

	t.Run("loop", func(t *testing.T) {
		a, err := New(Options{Token: "t", ApplicationID: "APP1", APIURL: fake.apiURL(), Handler: newRecorder(nil)})
		if err != nil {
			t.Fatal(err)
		}
		a.registerBackoff, a.registerMaxBackoff = time.Millisecond, 5*time.Millisecond
		ctx, cancel := context.WithCancel(t.Context())
		done := startRegister(ctx, a)
		for range 3 {
			fake.next(t, http.MethodPut, "/applications/APP1/commands")
		}
		select {
		case <-done:
			t.Fatal("retry loop gave up while the API was down")
		default:
		}
		cancel()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Fatal("retry loop still running after cancel")
		}
	})

	t.Run("run", func(t *testing.T) {
		a, err := New(Options{Token: "t", ApplicationID: "APP1", APIURL: fake.apiURL(), Handler: newRecorder(nil)})
		if err != nil {
			t.Fatal(err)
		}
		// A long wait: cancel must cut it short.
		a.registerBackoff, a.registerMaxBackoff = time.Hour, time.Hour
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		fake.next(t, http.MethodPut, "/applications/APP1/commands")
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v", err)
			}
		case <-time.After(waitTimeout):
			t.Fatal("Run (and its retry loop) still running after cancel")
		}
	})
}

// TestRegisterPermanentErrors: a 403 is logged once at ERROR and retried
// only at the slowest pace; a 400 is logged at ERROR and not retried.
func TestRegisterPermanentErrors(t *testing.T) {
	t.Run("403 retried slowly, logged once", func(t *testing.T) {
		fake := newFakeDiscord(t)
		fake.setOverride(func(c restCall) (int, string, bool) {
			if c.Method == http.MethodPut {
				return http.StatusForbidden, `{"message":"Missing Access","code":50001}`, true
			}
			return 0, "", false
		})
		logs := &logBuffer{}
		a, err := New(Options{Token: "t", ApplicationID: "APP1", GuildID: "G1", APIURL: fake.apiURL(), Logger: logs.logger(), Handler: newRecorder(nil)})
		if err != nil {
			t.Fatal(err)
		}
		// The first wait would be an hour if the 403 were treated as
		// transient: the retries below prove it waits the maximum instead.
		a.registerBackoff, a.registerMaxBackoff = time.Hour, 5*time.Millisecond
		ctx, cancel := context.WithCancel(t.Context())
		done := startRegister(ctx, a)
		for range 3 {
			fake.next(t, http.MethodPut, "/applications/APP1/guilds/G1/commands")
		}
		cancel()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Fatal("retry loop still running after cancel")
		}
		errs := logRecords(t, logs, "register commands: permanent error; retrying")
		if len(errs) != 1 || errs[0]["level"] != "ERROR" || !strings.Contains(errs[0]["err"].(string), "missing_access") {
			t.Errorf("error records = %v, want one ERROR with missing_access", errs)
		}
		if n := len(logRecords(t, logs, "permanent error persists")); n < 1 {
			t.Errorf("%d debug records for the later failures, want at least 1", n)
		}
		if n := len(logRecords(t, logs, "register commands failed; retrying")); n != 0 {
			t.Errorf("%d transient warnings for a 403", n)
		}
	})

	t.Run("400 not retried", func(t *testing.T) {
		fake := newFakeDiscord(t)
		fake.setOverride(func(c restCall) (int, string, bool) {
			if c.Method == http.MethodPut {
				return http.StatusBadRequest, `{"message":"Invalid Form Body","code":50035}`, true
			}
			return 0, "", false
		})
		logs := &logBuffer{}
		a, err := New(Options{Token: "t", ApplicationID: "APP1", APIURL: fake.apiURL(), Logger: logs.logger(), Handler: newRecorder(nil)})
		if err != nil {
			t.Fatal(err)
		}
		a.registerBackoff, a.registerMaxBackoff = time.Millisecond, time.Millisecond
		select {
		case <-startRegister(t.Context(), a):
		case <-time.After(waitTimeout):
			t.Fatal("retry loop kept retrying a 400")
		}
		fake.next(t, http.MethodPut, "/applications/APP1/commands")
		select {
		case c := <-fake.calls:
			t.Errorf("another call after the 400: %+v", c)
		default:
		}
		errs := logRecords(t, logs, "not retried")
		if len(errs) != 1 || errs[0]["level"] != "ERROR" || errs[0]["api"] != fake.apiURL() {
			t.Errorf("error records = %v, want one ERROR naming the API", errs)
		}
	})
}

func TestJitter(t *testing.T) {
	for _, d := range []time.Duration{time.Second, 5 * time.Minute} {
		lo, hi := d, time.Duration(0)
		for range 1000 {
			j := jitter(d)
			lo, hi = min(lo, j), max(hi, j)
		}
		if lo < d*8/10 || hi > d || lo == hi {
			t.Errorf("jitter(%v) in [%v, %v], want spread within [%v, %v]", d, lo, hi, d*8/10, d)
		}
	}
	if jitter(0) != 0 {
		t.Error("jitter(0) != 0")
	}
}

func TestRealURLError(t *testing.T) {
	rt := &rewriteTransport{api: "http://user:pw@127.0.0.1:9/api/v9/", shown: redactedBase("http://user:pw@127.0.0.1:9/api/v9/")}
	inner := errors.New("connection refused")
	err := rt.realURLError(&url.Error{Op: "Put", URL: "https://discord.com/api/v9/applications/A/commands", Err: inner})
	if got := err.Error(); got != `Put "http://user:xxxxx@127.0.0.1:9/api/v9/applications/A/commands": connection refused` {
		t.Errorf("error = %q", got)
	}
	if !errors.Is(err, inner) {
		t.Error("the cause is lost")
	}
	other := errors.New("HTTP 503")
	if rt.realURLError(other) != other {
		t.Error("an error without a URL changed")
	}
}
