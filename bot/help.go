package bot

import (
	"context"
	"fmt"
	"strings"
)

// cmdHelp lists every command, or details the commands starting with
// the given words.
func (b *Bot) cmdHelp(_ context.Context, c *call) (Reply, error) {
	if len(c.cmd.Args) == 0 {
		var lines []string
		for _, s := range commandTable {
			if s.alias != "" {
				continue
			}
			lines = append(lines, fmt.Sprintf("%s — %s (e.g. %s)", s.usage(), s.summary, s.example))
		}
		return Reply{
			Title:    "spreadwatch commands",
			Text:     strings.Join(lines, "\n"),
			Footer:   "help COMMAND for details, e.g. help rule",
			Severity: SeverityInfo,
		}, nil
	}
	want := strings.Join(c.cmd.Args, " ")
	var found []*spec
	for _, s := range commandTable {
		if s.name == want || strings.HasPrefix(s.name, want+" ") {
			found = append(found, s)
		}
	}
	if len(found) == 0 {
		n := nearestTo(want)
		return Reply{}, &UserError{Msg: fmt.Sprintf("no command %q", want), Usage: n.usage(), DidYouMean: true}
	}
	var lines []string
	for i, s := range found {
		if i > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, s.usage(), "  "+s.summary+".")
		if s.detail != "" {
			lines = append(lines, "  "+s.detail)
		}
		lines = append(lines, "  Example: "+s.example)
		if s.role == RoleEditor || s.role == RoleAdmin {
			lines = append(lines, fmt.Sprintf("  Needs the %s role.", s.role))
		}
	}
	return Reply{Title: "help " + want, Text: strings.Join(lines, "\n"), Severity: SeverityInfo}, nil
}
