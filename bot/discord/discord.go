package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/spreadwatch/spreadwatch/bot"
)

// DefaultAPIURL is Discord's REST API base URL.
const DefaultAPIURL = "https://discord.com/api/v9/"

// Intents the gateway identifies with: guild events (interactions need
// nothing more) and guild messages for the mention/prefix fallback.
// Message content is privileged and requested only with
// Options.MessageContent; see the package doc.
const Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages

// Permissions is the permission integer the bot needs in a channel: View
// Channel, Send Messages, Embed Links and Read Message History (84992).
const Permissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
	discordgo.PermissionEmbedLinks | discordgo.PermissionReadMessageHistory

// InviteURL is the OAuth2 URL that adds the application to a server with
// the bot and applications.commands scopes and [Permissions].
func InviteURL(applicationID string) string {
	return "https://discord.com/oauth2/authorize?client_id=" + url.QueryEscape(applicationID) +
		"&scope=bot%20applications.commands&permissions=" + strconv.FormatInt(Permissions, 10)
}

const (
	platform = "discord"

	// deferAfter is how long a command may run before its interaction is
	// answered with a deferral (type 5) and the answer follows up.
	// Discord gives up after 3 s.
	deferAfter = 2 * time.Second
	// jobTimeout bounds a command and its follow-up; an interaction token
	// is valid for 15 minutes.
	jobTimeout = 14 * time.Minute
	// callTimeout bounds one REST call, including discordgo's own waits
	// for rate-limit buckets.
	callTimeout = 30 * time.Second
	// completeTimeout bounds an autocomplete lookup; autocomplete cannot
	// be deferred.
	completeTimeout = 2 * time.Second
	// maxBody bounds the body of an HTTP interaction.
	maxBody = 1 << 20
	// signatureWindow is how far an interaction's signed timestamp may be
	// from our clock.
	signatureWindow = 5 * time.Minute
	// shutdownGrace bounds how long Run waits for in-flight work.
	shutdownGrace = 10 * time.Second
	// maxRestRetries bounds discordgo's retries of 502 responses.
	maxRestRetries = 2
	// openTimeout bounds opening the gateway: dial, HELLO and READY.
	openTimeout = 30 * time.Second
	// maxRateLimitWait is the longest 429 Post waits out by itself; a
	// longer one is returned as SendError.RetryAfter for the outbox.
	maxRateLimitWait = 2 * time.Second
)

// Completer is an optional capability of the Handler: when it has one,
// the adapter uses it to answer autocomplete for tickers, watchlists and
// rules. kind is "ticker", "watchlist" or "rule"; team is the guild id (or
// "dm:" + user id); prefix is what the user has typed so far.
type Completer interface {
	Complete(ctx context.Context, team, kind, prefix string) []string
}

// Options configure an [Adapter].
type Options struct {
	// Token is the bot token, without the "Bot " prefix (one is accepted).
	// The gateway and every REST call (registration, alerts, follow-ups)
	// use it. Required when Gateway is true.
	Token string
	// ApplicationID is the application's id, used to register commands
	// and to send follow-ups. In gateway mode it defaults to the
	// application named in READY.
	ApplicationID string
	// PublicKey is the application's Ed25519 public key, hex-encoded; it
	// verifies HTTP interactions. Required when Listen is set.
	PublicKey string
	// GuildID, when set, registers the commands in that guild only
	// (instant, for development); otherwise they are global.
	GuildID string
	// APIURL is the REST base URL, DefaultAPIURL when empty. discordgo's
	// endpoint variables are left alone: requests are rewritten to this
	// base by the HTTP client's transport.
	APIURL string
	// GatewayURL is the websocket URL; when empty it is asked of the API
	// (GET gateway/bot).
	GatewayURL string
	// Listen is the "host:port" Run serves POST /discord/interactions on;
	// empty disables it (HTTPHandler can still be mounted elsewhere).
	Listen string
	// Gateway connects the websocket gateway. When false the adapter runs
	// on the HTTP endpoint alone and the token is used only for REST.
	Gateway bool
	// Prefix starts a text command in a channel, e.g. "!sw" (gateway
	// only). Discord hides the content of other messages unless the
	// privileged Message Content intent is granted: see MessageContent.
	// Mentions of the bot work without it.
	Prefix string
	// MessageContent requests the privileged Message Content intent, so
	// that prefix commands are seen. It must be enabled in the developer
	// portal first, or Discord closes the gateway with 4014.
	MessageContent bool
	// HTTPClient makes REST calls; its transport is wrapped, never
	// changed. When nil, a client with a 30 s timeout is used.
	HTTPClient *http.Client
	// Logger receives the adapter's logs (the caller adds any component
	// attribute); nil discards them.
	Logger *slog.Logger
	// Handler answers every command, mention and button press. Required.
	Handler bot.Handler
}

// Adapter connects a [bot.Handler] to Discord and posts notifications. It
// is safe for concurrent use.
type Adapter struct {
	handler   bot.Handler
	completer Completer
	log       *slog.Logger
	s         *discordgo.Session
	transport *rewriteTransport
	appID     string
	guildID   string
	publicKey ed25519.PublicKey
	listen    string
	gateway   bool
	prefix    string
	hasToken  bool

	mu sync.Mutex
	// botID is the bot's user id, from READY.
	botID string
	// appIDKnown is closed once appID is set (configured, or from READY).
	appIDKnown     chan struct{}
	appIDKnownOnce sync.Once
	// longIDs maps the custom_id of a button whose command is too long
	// for Discord to the command.
	longIDs map[string]string
	// replies caches the HTTP answers to interactions by id, so that a
	// replayed request is answered again without running twice.
	replies *replyCache
	// opening is the gateway connection being opened, until Open returns.
	opening *guardedConn

	jobs jobs

	// Test hooks, set only by tests in this package.
	deferAfter time.Duration
	// registerBackoff and registerMaxBackoff bound the waits between
	// registration attempts.
	registerBackoff    time.Duration
	registerMaxBackoff time.Duration
	// onRegistered is called when the commands have been registered.
	onRegistered func()
	onListen     func(net.Addr)
	now          func() time.Time
}

var _ bot.Poster = (*Adapter)(nil)

// New checks opts and returns an adapter. It makes no network calls.
func New(opts Options) (*Adapter, error) {
	if opts.Handler == nil {
		return nil, errors.New("discord: a Handler is required")
	}
	token := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(opts.Token), "Bot "))
	if opts.Gateway && token == "" {
		return nil, errors.New("discord: the gateway needs the bot token (or set gateway: false for the HTTP endpoint alone)")
	}
	var key ed25519.PublicKey
	if opts.PublicKey != "" {
		k, err := hex.DecodeString(strings.TrimSpace(opts.PublicKey))
		if err != nil || len(k) != ed25519.PublicKeySize {
			return nil, errors.New("discord: the public key must be 64 hex digits (the application's Ed25519 public key)")
		}
		key = k
	}
	if opts.Listen != "" && key == nil {
		return nil, errors.New("discord: the HTTP interactions endpoint (listen) needs the public key")
	}
	if !opts.Gateway && opts.Listen == "" {
		// Still useful: HTTPHandler mounted elsewhere, Post.
		if key == nil && token == "" {
			return nil, errors.New("discord: with the gateway off, set the public key for interactions or the token for alerts")
		}
	}
	apiURL := opts.APIURL
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	base, err := url.Parse(apiURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("discord: API URL %q must be an http:// or https:// URL", apiURL)
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	if opts.GatewayURL != "" {
		g, err := url.Parse(opts.GatewayURL)
		if err != nil || (g.Scheme != "ws" && g.Scheme != "wss") || g.Host == "" {
			return nil, fmt.Errorf("discord: gateway URL %q must be a ws:// or wss:// URL", opts.GatewayURL)
		}
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	client := &http.Client{Timeout: callTimeout}
	if opts.HTTPClient != nil {
		c := *opts.HTTPClient
		client = &c
	}
	rt := &rewriteTransport{base: client.Transport, api: apiURL, shown: redactedBase(apiURL), gateway: opts.GatewayURL}
	if rt.base == nil {
		rt.base = http.DefaultTransport
	}
	client.Transport = rt

	s, err := discordgo.New("Bot " + token)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	if token == "" {
		s.Token, s.Identify.Token = "", ""
	}
	s.Client = client
	s.LogLevel = -1 // discordgo logs through the standard logger; events are logged here instead
	s.ShouldReconnectOnError = false
	s.ShouldReconnectVoiceOnSessionError = false
	s.ShouldRetryOnRateLimit = true
	s.MaxRestRetries = maxRestRetries
	s.Identify.Intents = Intents
	if opts.MessageContent {
		s.Identify.Intents |= discordgo.IntentMessageContent
	}
	s.StateEnabled = true

	a := &Adapter{
		handler:    opts.Handler,
		log:        logger,
		s:          s,
		transport:  rt,
		appID:      opts.ApplicationID,
		guildID:    opts.GuildID,
		publicKey:  key,
		listen:     opts.Listen,
		gateway:    opts.Gateway,
		prefix:     strings.TrimSpace(opts.Prefix),
		hasToken:   token != "",
		longIDs:    map[string]string{},
		replies:    newReplyCache(1024),
		appIDKnown: make(chan struct{}),
		deferAfter: deferAfter,
		now:        time.Now,

		registerBackoff:    registerMinBackoff,
		registerMaxBackoff: registerMaxBackoff,
	}
	if a.appID != "" {
		a.setAppIDKnown()
	}
	s.Dialer = &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 15 * time.Second,
		NetDialContext:   a.dial,
	}
	if c, ok := opts.Handler.(Completer); ok {
		a.completer = c
	}
	return a, nil
}

// Run registers the application commands (in the background, retried
// with backoff until it succeeds or ctx is done; see registerCommands),
// connects the gateway when enabled and serves the HTTP endpoint when
// Listen is set, until ctx is done. It then closes the gateway without
// reconnecting, shuts the server down and waits (a bounded time) for
// commands in flight. It returns nil after ctx is done, or the error that
// stopped it: the listener failing, or the gateway refusing the bot for
// good (bad token, disallowed intents) when there is no HTTP endpoint to
// keep serving. Run is called at most once.
func (a *Adapter) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var ln net.Listener
	if a.listen != "" {
		var err error
		ln, err = net.Listen("tcp", a.listen)
		if err != nil {
			return fmt.Errorf("discord: listen %s: %w", a.listen, err)
		}
		if a.onListen != nil {
			a.onListen(ln.Addr())
		}
	}

	errc := make(chan error, 2)
	var wg sync.WaitGroup
	// In the background, retried until it succeeds or ctx ends, so that a
	// slow or unreachable API does not hold up the HTTP endpoint or the
	// gateway.
	wg.Go(func() { a.registerCommands(ctx) })
	var srv *http.Server
	if ln != nil {
		srv = &http.Server{
			Handler:           a.HTTPHandler(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		}
		wg.Go(func() {
			a.log.Info("serving interactions", "addr", ln.Addr().String(), "path", InteractionsPath)
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("discord: serve: %w", err)
			}
		})
	}
	if a.gateway {
		wg.Go(func() {
			err := a.runGateway(ctx)
			switch {
			case err == nil:
			case srv != nil:
				// The HTTP endpoint keeps serving interactions.
				a.log.Error("gateway stopped; serving the HTTP endpoint only", "err", err)
			default:
				errc <- err
			}
		})
	}

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	cancel()

	if srv != nil {
		sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		if e := srv.Shutdown(sctx); e != nil {
			a.log.Warn("http shutdown", "err", e)
		}
		scancel()
	}
	wg.Wait()
	if !a.jobs.wait(shutdownGrace) {
		a.log.Warn("shutdown: commands still running were abandoned")
	}
	return err
}

// call runs one REST call bounded by ctx and callTimeout. discordgo may
// wait for a rate-limit bucket without looking at the context; the call
// then returns when the context ends and the wait finishes in the
// background.
func (a *Adapter) call(ctx context.Context, fn func(opts ...discordgo.RequestOption) error, opts ...discordgo.RequestOption) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- fn(append(opts, discordgo.WithContext(ctx))...)
	}()
	select {
	case err := <-done:
		return a.transport.realURLError(err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// rewriteTransport sends requests for discordgo's fixed endpoints to the
// configured API base, and answers discordgo's gateway lookup with the
// configured or discovered gateway URL.
type rewriteTransport struct {
	base http.RoundTripper
	api  string
	// shown is api with any password redacted, for logs and errors.
	shown string

	mu      sync.Mutex
	gateway string
}

func (t *rewriteTransport) setGateway(u string) {
	t.mu.Lock()
	t.gateway = u
	t.mu.Unlock()
}

func (t *rewriteTransport) gatewayURL() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gateway
}

// RoundTrip implements http.RoundTripper.
func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL.String()
	rest, ok := strings.CutPrefix(u, discordgo.EndpointAPI)
	if !ok {
		return t.base.RoundTrip(req)
	}
	if g := t.gatewayURL(); g != "" && req.Method == http.MethodGet && rest == "gateway" {
		body, _ := json.Marshal(map[string]string{"url": g})
		return &http.Response{
			StatusCode:    http.StatusOK,
			Status:        "200 OK",
			Proto:         "HTTP/1.1",
			ProtoMajor:    1,
			ProtoMinor:    1,
			Header:        http.Header{"Content-Type": []string{"application/json"}},
			Body:          io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)),
			Request:       req,
		}, nil
	}
	if t.api == discordgo.EndpointAPI {
		return t.base.RoundTrip(req)
	}
	nu, err := url.Parse(t.api + rest)
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.URL = nu
	r.Host = nu.Host
	return t.base.RoundTrip(r)
}

// realURL returns the URL a request for discordgo's endpoint u actually
// went to (password redacted); other URLs are returned as they are.
func (t *rewriteTransport) realURL(u string) string {
	if rest, ok := strings.CutPrefix(u, discordgo.EndpointAPI); ok {
		return t.shown + rest
	}
	return u
}

// realURLError names the URL a failed request actually went to: the
// *url.Error that http.Client returns carries the URL discordgo built
// (https://discord.com/api/v9/...), not the configured API base the
// transport sent it to.
func (t *rewriteTransport) realURLError(err error) error {
	ue, ok := err.(*url.Error)
	if !ok {
		return err
	}
	named := *ue
	named.URL = t.realURL(ue.URL)
	return &named
}

// redactedBase returns the API base URL with any password hidden.
func redactedBase(api string) string {
	u, err := url.Parse(api)
	if err != nil {
		return api
	}
	return u.Redacted()
}

// jobs tracks work that outlives the request that started it, so that
// shutdown can wait for it.
type jobs struct {
	mu     sync.Mutex
	wg     sync.WaitGroup
	closed bool
}

// start registers one job; it reports false after shutdown began.
func (j *jobs) start() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return false
	}
	j.wg.Add(1)
	return true
}

func (j *jobs) done() { j.wg.Done() }

// wait stops new jobs and waits up to d for the running ones; it reports
// whether they all finished.
func (j *jobs) wait(d time.Duration) bool {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		j.wg.Wait()
		close(finished)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-finished:
		return true
	case <-t.C:
		return false
	}
}

// dial connects the gateway's TCP connection. Until Open returns, the
// connection carries a deadline (discordgo reads HELLO and READY without
// one), and cancelling Run closes it.
func (a *Adapter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	g := &guardedConn{Conn: c, until: time.Now().Add(openTimeout)}
	if err := c.SetDeadline(g.until); err != nil {
		_ = c.Close()
		return nil, err
	}
	a.mu.Lock()
	a.opening = g
	a.mu.Unlock()
	return g, nil
}

// opened ends the guard of the connection being opened: when ok, its
// deadline is lifted.
func (a *Adapter) opened(ok bool) {
	a.mu.Lock()
	g := a.opening
	a.opening = nil
	a.mu.Unlock()
	if g != nil && ok {
		g.release()
	}
}

// abortOpen closes the connection being opened, so that Open returns.
func (a *Adapter) abortOpen() {
	a.mu.Lock()
	g := a.opening
	a.mu.Unlock()
	if g != nil {
		_ = g.Close()
	}
}

// guardedConn keeps an opening deadline: the websocket dialer clears
// deadlines after its handshake, which would leave discordgo's first reads
// unbounded.
type guardedConn struct {
	net.Conn
	mu    sync.Mutex
	until time.Time
}

// SetDeadline implements net.Conn; a zero deadline means the opening
// deadline until release.
func (c *guardedConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	if t.IsZero() {
		t = c.until
	}
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

func (c *guardedConn) release() {
	c.mu.Lock()
	c.until = time.Time{}
	c.mu.Unlock()
	_ = c.Conn.SetDeadline(time.Time{})
}
