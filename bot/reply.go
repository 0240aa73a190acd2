package bot

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// UserError is a failed command explained to the user: a one-line message
// and, when it helps, the usage of the nearest real command. Its Error text
// is what the user sees.
type UserError struct {
	// Msg is a one-line sentence without final punctuation.
	Msg string
	// Usage is the nearest command's usage, e.g. "spread TICKER", or "".
	Usage string
	// DidYouMean is set when Usage names a guessed command rather than
	// the one typed; the message then reads "did you mean: …".
	DidYouMean bool
}

// Error returns the message, then "; usage: …" or "; did you mean: …".
func (e *UserError) Error() string {
	switch {
	case e.Usage == "":
		return e.Msg
	case e.DidYouMean:
		return e.Msg + "; did you mean: " + e.Usage
	default:
		return e.Msg + "; usage: " + e.Usage
	}
}

// userErrorf returns a *UserError without usage.
func userErrorf(format string, args ...any) *UserError {
	return &UserError{Msg: fmt.Sprintf(format, args...)}
}

// errorReply renders a user error as an ephemeral, one-line error reply.
func errorReply(err error) Reply {
	return Reply{
		Text:      oneLine(err.Error()),
		Severity:  SeverityError,
		Error:     true,
		Ephemeral: true,
	}
}

// internalReply is the reply for an unexpected failure; the detail is
// logged under ref, never shown.
func internalReply(ref string) Reply {
	return Reply{
		Text:      fmt.Sprintf("Something went wrong (ref %s).", ref),
		Severity:  SeverityError,
		Error:     true,
		Ephemeral: true,
	}
}

// newRef returns a short random reference for correlating a user-visible
// internal error with its log line.
func newRef() string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// oneLine folds newlines and runs of spaces so that a message stays on
// one line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// PlainText is the canonical plain rendering of a reply: the title, the
// text, each field as "Name: Value", each table as aligned columns, and
// the footer, one block after another. The console prints it; Slack and
// Discord use it as their fallback text.
func (r Reply) PlainText() string {
	var b strings.Builder
	line := func(s string) {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	if r.Title != "" {
		line(r.Title)
	}
	if r.Text != "" {
		line(r.Text)
	}
	for _, f := range r.Fields {
		line(f.Name + ": " + f.Value)
	}
	for _, t := range r.Tables {
		if b.Len() > 0 {
			line("")
		}
		writeTable(&b, t)
	}
	if r.Footer != "" {
		line(r.Footer)
	}
	return strings.TrimRight(b.String(), "\n")
}

// writeTable writes t as left-aligned columns separated by two spaces.
func writeTable(b *strings.Builder, t Table) {
	if t.Title != "" {
		b.WriteString(t.Title)
		b.WriteByte('\n')
	}
	n := len(t.Columns)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	width := make([]int, n)
	measure := func(cells []string) {
		for i, c := range cells {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	measure(t.Columns)
	for _, r := range t.Rows {
		measure(r)
	}
	write := func(cells []string) {
		var l strings.Builder
		for i, c := range cells {
			if i > 0 {
				l.WriteString("  ")
			}
			l.WriteString(c)
			if i < len(cells)-1 {
				l.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)))
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	if len(t.Columns) > 0 {
		write(t.Columns)
	}
	for _, r := range t.Rows {
		write(r)
	}
	if len(t.Rows) == 0 {
		b.WriteString("(none)\n")
	}
}
