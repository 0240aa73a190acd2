package slack

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/spreadwatch/spreadwatch/bot"
)

// Defaults for [Options].
const (
	// DefaultAPIURL is Slack's Web API base URL.
	DefaultAPIURL = slack.APIURL
	// DefaultMaxBodyBytes bounds the body of an incoming HTTP request.
	DefaultMaxBodyBytes = 64 << 10
	// DefaultPerChannelInterval is the least time between two messages
	// posted to the same channel (Slack allows about one a second).
	DefaultPerChannelInterval = time.Second
)

const (
	platform = "slack"

	// ackWait is how long a slash command may take before it is answered
	// with "Working on it…" and the real answer goes to its response_url.
	// Slack gives up after 3 s.
	ackWait = 2 * time.Second
	// jobTimeout bounds the work done after an acknowledgement: running the
	// handler and delivering its answer.
	jobTimeout = 60 * time.Second
	// dedupeTTL is how long an Events API event_id is remembered. Slack
	// retries a delivery immediately, after about 1 and 5 minutes.
	dedupeTTL = 15 * time.Minute
	// shutdownGrace bounds how long Run waits for in-flight requests and
	// deliveries after its context is done.
	shutdownGrace = 10 * time.Second
	// pingInterval is how long Socket Mode waits for a ping from Slack
	// before it reconnects.
	pingInterval = 30 * time.Second
)

// Options configure an [Adapter].
type Options struct {
	// BotToken (xoxb-…) authenticates Web API calls: alerts, threaded
	// answers to mentions. Without it the adapter still answers slash
	// commands and buttons, but Post fails permanently.
	BotToken string
	// AppToken (xapp-…, scope connections:write) enables Socket Mode.
	AppToken string
	// SigningSecret verifies HTTP requests from Slack. Required when
	// Listen is set; without it HTTPHandler rejects every request.
	SigningSecret string
	// APIURL is the Web API base URL, DefaultAPIURL when empty. A missing
	// trailing "/" is added.
	APIURL string
	// Listen is the "host:port" Run serves HTTP mode on; empty disables
	// it (HTTPHandler can still be mounted elsewhere).
	Listen string
	// QueriesInChannel makes command answers visible to the whole channel
	// (response_type in_channel); otherwise they are ephemeral. Errors and
	// replies marked Ephemeral are always ephemeral.
	QueriesInChannel bool
	// HTTPClient makes Web API and response_url requests. When nil, a
	// client with a 30 s timeout is used.
	HTTPClient *http.Client
	// Logger receives the adapter's logs; nil discards them.
	Logger *slog.Logger
	// Handler answers every command, mention and button press. Required.
	Handler bot.Handler
	// MaxBodyBytes bounds incoming HTTP request bodies (413 beyond);
	// DefaultMaxBodyBytes when zero.
	MaxBodyBytes int64
	// PerChannelInterval is the least time between two messages posted to
	// one channel; DefaultPerChannelInterval when zero, no limit when
	// negative.
	PerChannelInterval time.Duration
}

// Adapter connects a [bot.Handler] to Slack and posts notifications. It is
// safe for concurrent use.
type Adapter struct {
	handler          bot.Handler
	log              *slog.Logger
	api              *slack.Client
	httpClient       *http.Client
	botToken         string
	appToken         string
	signingSecret    string
	listen           string
	queriesInChannel bool
	maxBody          int64

	limiter *limiter
	events  *dedupe
	// replays remembers the signatures of HTTP commands and interactions
	// already run (see once).
	replays *replayCache
	// replayWarned is when (Unix ns) a full replay cache was last logged.
	replayWarned atomic.Int64

	// jobs tracks work that outlives the request that started it.
	jobs sync.WaitGroup

	// Test hooks, set only by tests in this package.
	ackWait      time.Duration
	pingInterval time.Duration
	onListen     func(net.Addr)
}

var _ bot.Poster = (*Adapter)(nil)

// New checks opts and returns an adapter. It makes no network calls.
func New(opts Options) (*Adapter, error) {
	if opts.Handler == nil {
		return nil, errors.New("a Handler is required")
	}
	if opts.Listen != "" && opts.SigningSecret == "" {
		return nil, errors.New("HTTP mode (listen) needs the signing secret")
	}
	if opts.AppToken != "" && !strings.HasPrefix(opts.AppToken, "xapp-") {
		return nil, errors.New("the app token must be an app-level token starting with xapp-")
	}
	if opts.MaxBodyBytes < 0 {
		return nil, errors.New("MaxBodyBytes must not be negative")
	}
	apiURL := opts.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if !strings.HasPrefix(apiURL, "http://") && !strings.HasPrefix(apiURL, "https://") {
		return nil, fmt.Errorf("API URL %q must start with http:// or https://", apiURL)
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("platform", platform)
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	maxBody := opts.MaxBodyBytes
	if maxBody == 0 {
		maxBody = DefaultMaxBodyBytes
	}
	interval := opts.PerChannelInterval
	switch {
	case interval == 0:
		interval = DefaultPerChannelInterval
	case interval < 0:
		interval = 0
	}

	// slack-go logs only in debug mode, which stays off; route it to slog
	// anyway so that nothing reaches stderr behind our back. No retry
	// option: the outbox retries with backoff, and an in-call sleep would
	// hold up other channels.
	sdkLog := slogLogger(logger, slog.LevelDebug)
	clientOpts := []slack.Option{
		slack.OptionAPIURL(apiURL),
		slack.OptionHTTPClient(hc),
		slack.OptionLog(sdkLog),
	}
	if opts.AppToken != "" {
		clientOpts = append(clientOpts, slack.OptionAppLevelToken(opts.AppToken))
	}
	if opts.BotToken == "" {
		logger.Warn("slack bot token not set: alerts and mention answers cannot be posted")
	}

	return &Adapter{
		handler:          opts.Handler,
		log:              logger,
		api:              slack.New(opts.BotToken, clientOpts...),
		httpClient:       hc,
		botToken:         opts.BotToken,
		appToken:         opts.AppToken,
		signingSecret:    opts.SigningSecret,
		listen:           opts.Listen,
		queriesInChannel: opts.QueriesInChannel,
		maxBody:          maxBody,
		limiter:          newLimiter(interval),
		events:           newDedupe(dedupeTTL),
		replays:          newReplayCache(replayMaxEntries, replayMaxBytes),
		ackWait:          ackWait,
		pingInterval:     pingInterval,
	}, nil
}

// Run serves HTTP mode when Listen is set and Socket Mode when AppToken is
// set, both if both are. It returns nil when ctx is done, after in-flight
// requests and deliveries have finished (for at most a few seconds). It
// returns an error when the listener cannot be opened or Slack refuses the
// app token; the other mode is then stopped too.
func (a *Adapter) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	errc := make(chan error, 2)
	var parts sync.WaitGroup

	if a.listen != "" {
		ln, err := net.Listen("tcp", a.listen)
		if err != nil {
			return fmt.Errorf("slack: listen on %s: %w", a.listen, err)
		}
		a.log.Info("slack http mode listening", "addr", ln.Addr().String())
		if a.onListen != nil {
			a.onListen(ln.Addr())
		}
		parts.Go(func() {
			if err := a.serveHTTP(ctx, ln); err != nil {
				errc <- err
				cancel()
			}
		})
	}
	if a.appToken != "" {
		parts.Go(func() {
			if err := a.runSocketMode(ctx); err != nil {
				errc <- err
				cancel()
			}
		})
	}
	if a.listen == "" && a.appToken == "" {
		a.log.Info("slack has no listen address and no app token: posting alerts only")
	}

	<-ctx.Done()
	parts.Wait()
	a.waitJobs(shutdownGrace)

	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// serveHTTP serves HTTPHandler on ln until ctx is done, then shuts down.
func (a *Adapter) serveHTTP(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.HTTPHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slogLogger(a.log, slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("slack: serve http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		a.log.Warn("slack http shutdown", "err", err)
		_ = srv.Close()
	}
	<-served
	a.log.Info("slack http mode stopped")
	return nil
}

// waitJobs waits for background deliveries, at most d.
func (a *Adapter) waitJobs(d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		a.jobs.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		a.log.Warn("slack gave up waiting for in-flight deliveries")
		return false
	}
}

// slogLogger adapts l for APIs that want a *log.Logger.
func slogLogger(l *slog.Logger, level slog.Level) *log.Logger {
	return slog.NewLogLogger(l.Handler(), level)
}

// newSocketClient returns a Socket Mode client on the adapter's API client.
func (a *Adapter) newSocketClient() *socketmode.Client {
	return socketmode.New(a.api,
		socketmode.OptionPingInterval(a.pingInterval),
		socketmode.OptionLog(slogLogger(a.log, slog.LevelDebug)),
	)
}
