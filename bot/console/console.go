// Package console is spreadwatch's terminal chat adapter: it reads one
// command per line, prints each reply as plain text and prints each
// notification as one line that begins with FIRING or RESOLVED.
//
// When standard input is not a terminal (Options.Interactive false) it
// prints no prompt and, at the end of input, finishes what is due — one
// refresh with evaluation and outbox delivery — and returns nil. No reply
// line ever begins with FIRING or RESOLVED: such lines are indented, so
// scripts can grep for notifications.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/spreadwatch/spreadwatch/bot"
)

// Defaults for Options.
const (
	DefaultTeam    = "local"
	DefaultUser    = "console"
	DefaultChannel = "console"
	// Platform is the platform name of console requests and notifications.
	Platform = "console"
)

// Options configures a Console.
type Options struct {
	// In is read one command per line; nil means no input.
	In io.Reader
	// Out receives replies and notifications; nil discards them.
	Out io.Writer
	// Interactive prints a "> " prompt before each command.
	Interactive bool
	// Team, User and Channel fill in every request; empty means "local",
	// "console" and "console".
	Team    string
	User    string
	Channel string
	// Logger receives the adapter's logs; nil discards them.
	Logger *slog.Logger
}

// Console is the terminal chat adapter. It implements bot.Poster; register
// it with b.AddPoster("console", c). Writes to Out are serialized, so a
// notification never splits a reply. A Console is safe for concurrent use.
type Console struct {
	in          io.Reader
	interactive bool
	team        string
	user        string
	channel     string
	log         *slog.Logger

	mu     sync.Mutex // guards out and prompting
	out    io.Writer
	prompt bool // a prompt is showing
}

var _ bot.Poster = (*Console)(nil)

// New returns a Console.
func New(opts Options) *Console {
	c := &Console{
		in: opts.In, out: opts.Out, interactive: opts.Interactive,
		team: opts.Team, user: opts.User, channel: opts.Channel, log: opts.Logger,
	}
	if c.out == nil {
		c.out = io.Discard
	}
	if c.team == "" {
		c.team = DefaultTeam
	}
	if c.user == "" {
		c.user = DefaultUser
	}
	if c.channel == "" {
		c.channel = DefaultChannel
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("component", "console")
	return c
}

// IsTerminal reports whether f is a terminal, to set Options.Interactive.
func IsTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Run reads commands until the input ends or ctx is done. It first
// delivers what is already due, then answers each line with b. At the end
// of input it refreshes once (evaluation and delivery) and returns nil; on
// ctx done it returns ctx's error.
func (c *Console) Run(ctx context.Context, b *bot.Bot) error {
	if err := b.Flush(ctx); err != nil && ctx.Err() == nil {
		c.log.Warn("deliver pending notifications", "err", err)
	}
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		readErr <- readLines(c.in, lines, ctx.Done())
	}()
	for {
		c.showPrompt()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case line, ok := <-lines:
			if !ok {
				if err := <-readErr; err != nil {
					c.log.Error("read input", "err", err)
				}
				c.endPrompt()
				if err := b.Refresh(ctx); err != nil && ctx.Err() == nil {
					c.log.Warn("refresh at end of input failed", "err", err)
				}
				return nil
			}
			c.handle(ctx, b, line)
		}
	}
}

// handle answers one input line.
func (c *Console) handle(ctx context.Context, b *bot.Bot, line string) {
	c.mu.Lock()
	c.prompt = false
	c.mu.Unlock()
	t := strings.TrimSpace(line)
	if t == "" || strings.HasPrefix(t, "#") {
		return
	}
	rep := b.Handle(ctx, bot.Request{Platform: Platform, Team: c.team, User: c.user, UserName: c.user, Channel: c.channel, Text: line})
	c.write(Render(rep) + "\n")
}

// Render is the console text of a reply: its PlainText with every line
// that would begin with FIRING or RESOLVED indented, and a blank line
// after it.
func Render(r bot.Reply) string {
	lines := strings.Split(r.PlainText(), "\n")
	for i, l := range lines {
		if isNotificationLine(l) {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func isNotificationLine(l string) bool {
	u := strings.ToUpper(l)
	return strings.HasPrefix(u, "FIRING") || strings.HasPrefix(u, "RESOLVED")
}

// Post prints n as one line beginning with FIRING or RESOLVED. It
// implements bot.Poster; the ref is "console-ID".
func (c *Console) Post(_ context.Context, n bot.Notification) (string, error) {
	if err := c.write(bot.NotificationLine(n) + "\n"); err != nil {
		return "", &bot.SendError{Reason: "console write failed", Err: err}
	}
	return fmt.Sprintf("console-%d", n.ID), nil
}

// write prints s, moving a showing prompt below it.
func (c *Console) write(s string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prompt {
		s = "\n" + s
	}
	_, err := io.WriteString(c.out, s)
	if c.prompt {
		_, _ = io.WriteString(c.out, "> ")
	}
	return err
}

func (c *Console) showPrompt() {
	if !c.interactive {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.prompt {
		_, _ = io.WriteString(c.out, "> ")
		c.prompt = true
	}
}

func (c *Console) endPrompt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prompt {
		_, _ = io.WriteString(c.out, "\n")
		c.prompt = false
	}
}

// readLines sends each line of r (without its newline, at most
// bot.MaxCommandLen+1 bytes: longer lines are cut so the bot refuses them)
// and closes lines at the end of input.
func readLines(r io.Reader, lines chan<- string, done <-chan struct{}) error {
	defer close(lines)
	if r == nil {
		return nil
	}
	br := bufio.NewReaderSize(r, 64*1024)
	for {
		var buf []byte
		for {
			frag, err := br.ReadSlice('\n')
			if len(buf) <= bot.MaxCommandLen {
				buf = append(buf, frag...)
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err != nil {
				if len(buf) > 0 {
					select {
					case lines <- trimLine(buf):
					case <-done:
					}
				}
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			break
		}
		select {
		case lines <- trimLine(buf):
		case <-done:
			return nil
		}
	}
}

func trimLine(b []byte) string {
	s := strings.TrimRight(string(b), "\r\n")
	if len(s) > bot.MaxCommandLen+1 {
		s = s[:bot.MaxCommandLen+1]
	}
	return s
}
