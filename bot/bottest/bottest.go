// Package bottest is a test harness for code built on the bot: a real
// *bot.Bot on a real bbolt file in t.TempDir(), with the sample data (or
// given feeds), a recording Poster, and helpers to run commands and read
// replies. Chat adapters test against it; so does the bot itself.
//
//	h := bottest.New(t)
//	h.Must("watch create hy")
//	rep := h.Do("spread CIFR")
package bottest

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot"
	"github.com/spreadwatch/spreadwatch/storage/bolt"
)

// Platform is the platform name of the harness's requests and of its
// recording Poster, unless WithPlatform changes it.
const Platform = "test"

// Option configures New.
type Option func(*config)

type config struct {
	source   bot.Source
	now      func() time.Time
	roles    bot.Roles
	dbPath   string
	platform string
	noPoster bool
	opts     func(*bot.Options)
}

// WithFeeds makes the bot read these feed files or CSV directories
// instead of the sample.
func WithFeeds(paths ...string) Option {
	return func(c *config) { c.source = bot.FileSource(paths...) }
}

// WithSource sets the bot's data source.
func WithSource(s bot.Source) Option { return func(c *config) { c.source = s } }

// WithNow sets the bot's clock.
func WithNow(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithRoles sets the bot's roles.
func WithRoles(r bot.Roles) Option { return func(c *config) { c.roles = r } }

// WithDB opens the database at path instead of a new file in t.TempDir(),
// e.g. to restart a bot on the same state.
func WithDB(path string) Option { return func(c *config) { c.dbPath = path } }

// WithPlatform sets the platform of requests and of the recording Poster
// (default "test").
func WithPlatform(p string) Option { return func(c *config) { c.platform = p } }

// WithoutPoster registers no recording Poster, for tests that add their
// own with h.Bot.AddPoster.
func WithoutPoster() Option { return func(c *config) { c.noPoster = true } }

// WithOptions edits the bot.Options just before bot.New.
func WithOptions(f func(*bot.Options)) Option { return func(c *config) { c.opts = f } }

// Harness is a started bot on a real database. Its fields are set by New.
type Harness struct {
	T testing.TB
	// Bot is started (Start has returned).
	Bot *bot.Bot
	// DB is the open database; the harness closes it at cleanup.
	DB *bolt.DB
	// Path is the database file.
	Path string
	// Poster records the notifications of Platform; nil with WithoutPoster.
	Poster *RecordingPoster
	// Team, Platform, User and Channel fill in requests made by Do.
	Team, Platform, User, Channel string
}

// New opens a database, builds and starts a bot on the sample data (or
// the options' source) and registers a RecordingPoster. Everything is
// closed when the test ends.
func New(t testing.TB, opts ...Option) *Harness {
	t.Helper()
	c := config{platform: Platform}
	for _, o := range opts {
		o(&c)
	}
	if c.dbPath == "" {
		c.dbPath = filepath.Join(t.TempDir(), "spreadwatch.db")
	}
	db, err := bolt.Open(c.dbPath, bolt.Options{Timeout: 2 * time.Second, NoSync: true})
	if err != nil {
		t.Fatalf("bottest: open %s: %v", c.dbPath, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	src := c.source
	if src == nil {
		src = bot.SampleSource()
	}
	bo := bot.Options{Store: db, Source: src, Roles: c.roles, Now: c.now, NotifyResolved: true, RefreshInterval: time.Hour}
	if c.opts != nil {
		c.opts(&bo)
	}
	b, err := bot.New(bo)
	if err != nil {
		t.Fatalf("bottest: new bot: %v", err)
	}
	h := &Harness{T: t, Bot: b, DB: db, Path: c.dbPath, Team: "T1", Platform: c.platform, User: "U1", Channel: "C1"}
	if !c.noPoster {
		h.Poster = &RecordingPoster{}
		b.AddPoster(c.platform, h.Poster)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatalf("bottest: start: %v", err)
	}
	return h
}

// Close closes the database early, e.g. before reopening it with WithDB.
func (h *Harness) Close() {
	if err := h.DB.Close(); err != nil {
		h.T.Errorf("bottest: close: %v", err)
	}
}

// Request returns a request from the harness's user for text.
func (h *Harness) Request(text string) bot.Request {
	return bot.Request{Platform: h.Platform, Team: h.Team, User: h.User, UserName: "tester", Channel: h.Channel, Text: text}
}

// Do runs text as the harness's user and returns the reply.
func (h *Harness) Do(text string) bot.Reply {
	h.T.Helper()
	return h.Bot.Handle(context.Background(), h.Request(text))
}

// Text runs text and returns the reply's PlainText.
func (h *Harness) Text(text string) string {
	h.T.Helper()
	return h.Do(text).PlainText()
}

// Must runs text and fails the test when the reply is an error.
func (h *Harness) Must(text string) bot.Reply {
	h.T.Helper()
	r := h.Do(text)
	if r.Error {
		h.T.Fatalf("%s: %s", text, r.PlainText())
	}
	return r
}

// Refresh runs one refresh (evaluation and delivery) and fails the test on
// error.
func (h *Harness) Refresh() {
	h.T.Helper()
	if err := h.Bot.Refresh(context.Background()); err != nil {
		h.T.Fatalf("refresh: %v", err)
	}
}

// RecordingPoster is a bot.Poster that records what it is asked to post
// and accepts it, or fails with Err when set. It is safe for concurrent
// use.
type RecordingPoster struct {
	mu    sync.Mutex
	posts []bot.Notification
	// Err, when set, is returned by Post instead of accepting.
	Err error
}

// Post implements bot.Poster; the ref is "ref-ID".
func (p *RecordingPoster) Post(_ context.Context, n bot.Notification) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Err != nil {
		return "", p.Err
	}
	p.posts = append(p.posts, n)
	return "ref-" + itoa(n.ID), nil
}

// SetErr sets the error Post returns; nil accepts again.
func (p *RecordingPoster) SetErr(err error) {
	p.mu.Lock()
	p.Err = err
	p.mu.Unlock()
}

// Posts returns a copy of the notifications posted so far.
func (p *RecordingPoster) Posts() []bot.Notification {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.posts)
}

// Lines returns the posted notifications as bot.NotificationLine.
func (p *RecordingPoster) Lines() []string {
	var out []string
	for _, n := range p.Posts() {
		out = append(out, bot.NotificationLine(n))
	}
	return out
}

// Reset forgets the posts so far.
func (p *RecordingPoster) Reset() {
	p.mu.Lock()
	p.posts = nil
	p.mu.Unlock()
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
