package bot

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/shlex"
)

// MaxCommandLen is the longest command text the bot reads, in bytes;
// longer text is refused with a one-line error so a flood cannot stall it.
const MaxCommandLen = 4096

// hashMark stands in for '#' while splitting (a private-use rune).
const hashMark = "\uE000"

// maxTokens bounds the number of words in one command.
const maxTokens = 256

// Command is a parsed command line.
type Command struct {
	// Name is the canonical command name, e.g. "spread" or "rule add".
	Name string
	// Args are the positional arguments in order, e.g. the ticker.
	Args []string
	// Opts are key=value options with lowercase keys (for mute also
	// "for", "until" and "comment").
	Opts map[string]string
}

// CommandInfo describes one command of the table that drives parsing,
// help and usage. Adapters may use it, e.g. to register Discord slash
// commands.
type CommandInfo struct {
	// Name is the command words, e.g. "rule add".
	Name string
	// Usage is the name followed by its arguments, e.g.
	// "spread TICKER".
	Usage string
	// Summary is a one-line description.
	Summary string
	// Example is a complete command line.
	Example string
	// Detail is a longer explanation shown by `help NAME`, or "".
	Detail string
	// Role is the least role needed to run the command.
	Role Role
}

// spec is one row of the declarative command table.
type spec struct {
	name    string // command words, e.g. "rule add"
	args    string // usage after the name
	summary string
	example string
	detail  string
	min     int // positional arguments, at least
	max     int // at most; -1 means unlimited
	opts    []string
	// optFirst means the command takes an option as its first word
	// (mute rule=R), so a plain first word is a mistyped subcommand.
	optFirst bool
	role     Role
	// alias names the command this one runs, e.g. unmute → mute remove.
	alias string
}

func (s *spec) usage() string {
	if s.args == "" {
		return s.name
	}
	return s.name + " " + s.args
}

// commandTable is the one table of commands; see spec.
var commandTable = []*spec{
	{name: "help", args: "[COMMAND]", summary: "list the commands, or explain one in detail", example: "help rule", max: 2,
		detail: "help alone lists every command with an example; help WORD shows the details of the commands that start with WORD."},
	{name: "spread", args: "TICKER", summary: "one issuer's bonds: coupon, yield and spread over utility", example: "spread CIFR", min: 1, max: 1,
		detail: "The spread is yield − utility when the bond's yield is known, else coupon − utility, in basis points (+415 bp)."},
	{name: "spreads", args: "[WATCHLIST]", summary: "every bond of a watchlist (or of all issuers), widest spread first", example: "spreads hy", max: 1},
	{name: "issuer", args: "TICKER", summary: "an issuer's capacity, debt, projects with slippage, and offtakes", example: "issuer CORZ", min: 1, max: 1},
	{name: "watch create", args: "NAME [#channel]", summary: "create a team watchlist whose alerts go to a channel (default: this one)", example: "watch create hy #credit", min: 1, max: 2, role: RoleEditor},
	{name: "watch add", args: "NAME TICKER...", summary: "add tickers to a watchlist", example: "watch add hy CIFR WULF", min: 2, max: -1, role: RoleEditor},
	{name: "watch remove", args: "NAME TICKER...", summary: "remove tickers from a watchlist", example: "watch remove hy WULF", min: 2, max: -1, role: RoleEditor},
	{name: "watch show", args: "NAME", summary: "show a watchlist's tickers and channel", example: "watch show hy", min: 1, max: 1},
	{name: "watch list", summary: "list the team's watchlists", example: "watch list"},
	{name: "watch delete", args: "NAME", summary: "delete a watchlist", example: "watch delete hy", min: 1, max: 1, role: RoleEditor},
	{name: "rule add", args: `NAME "EXPR" [for=2h] [clear="EXPR"] [repeat=24h] [watchlist=W] [severity=info|warn|crit] [max_age=7d]`,
		summary: "save an alert rule (checked at once) and preview what it matches now", example: `rule add hot "coupon > utility + 400bp" watchlist=hy`,
		min: 2, max: 2, opts: []string{"for", "clear", "repeat", "watchlist", "severity", "max_age"}, role: RoleEditor,
		detail: "EXPR is a quoted expression over issuer, bond and project fields with unit literals (400bp, 4.5%, 90d, 200MW, $500m), " +
			"e.g. \"coupon > utility + 400bp\" or \"slip_days > 60\". A rule that reads bond fields alerts per bond, project fields per project, else per issuer. " +
			"for=DUR: how long it must hold before it fires (default 0). clear=\"EXPR\": a firing alert resolves only when this holds. " +
			"repeat=DUR: re-notify while firing and not acked. watchlist=W: only W's tickers, alerts to W's channel (default: all issuers, this channel). " +
			"severity=info|warn|crit (default warn). max_age=DUR: data older than this makes the alert stale. Adding a rule with an existing name replaces it."},
	{name: "rule list", summary: "list the team's rules", example: "rule list"},
	{name: "rule show", args: "NAME", summary: "show a rule and its alert counts", example: "rule show hot", min: 1, max: 1},
	{name: "rule delete", args: "NAME", summary: "delete a rule and its alerts", example: "rule delete hot", min: 1, max: 1, role: RoleEditor},
	{name: "rule test", args: `NAME|"EXPR"`, summary: "evaluate a rule or an expression now and show the outcome per subject", example: `rule test "slip_days > 60"`, min: 1, max: 1},
	{name: "rule explain", args: "NAME [SUBJECT]", summary: "show each clause's values for one subject (default: the first match)", example: "rule explain hot CRWV-9.25-2030", min: 1, max: 2},
	{name: "alerts", summary: "list firing alerts and count pending, lacking-data and errored ones", example: "alerts"},
	{name: "alerts history", args: "[N]", summary: "the newest N alert transitions (default 20)", example: "alerts history 50", max: 1},
	{name: "mute", args: "rule=R|ticker=T [for 2d|until 2026-12-01] [comment...]", summary: "silence notifications of a rule, a ticker or both (default for 1d)",
		example: "mute ticker=WULF for 2d earnings week", max: -1, opts: []string{"rule", "ticker"}, optFirst: true, role: RoleEditor,
		detail: "A silence stops notifications, not evaluation: alerts still change state and show in alerts. Give rule=, ticker= or both; for DUR or until DATE (default for 1d); the rest is a comment."},
	{name: "mute list", summary: "list active silences", example: "mute list"},
	{name: "mute remove", args: "ID", summary: "remove a silence (unmute)", example: "mute remove S1", min: 1, max: 1, role: RoleEditor},
	{name: "unmute", args: "ID", summary: "remove a silence (same as mute remove)", example: "unmute S1", min: 1, max: 1, role: RoleEditor, alias: "mute remove"},
	{name: "ack", args: "ALERT [note...]", summary: "acknowledge a firing alert: no repeats until it resolves", example: "ack A1 looking into it", min: 1, max: -1, role: RoleEditor},
	{name: "status", summary: "data source and age, last refresh, rules, alerts, outbox and chat connections", example: "status"},
	{name: "refresh", summary: "re-read the data, evaluate every rule and send the resulting alerts now", example: "refresh"},
}

// Commands returns the command table: every command with its usage,
// summary, example and required role, in help order.
func Commands() []CommandInfo {
	out := make([]CommandInfo, 0, len(commandTable))
	for _, s := range commandTable {
		r := s.role
		if r == "" {
			r = RoleViewer
		}
		out = append(out, CommandInfo{Name: s.name, Usage: s.usage(), Summary: s.summary, Example: s.example, Detail: s.detail, Role: r})
	}
	return out
}

// lookupSpec returns the spec named name.
func lookupSpec(name string) *spec {
	for _, s := range commandTable {
		if s.name == name {
			return s
		}
	}
	return nil
}

var (
	identRe  = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	nameRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	tickerRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9._-]{0,15}$`)
)

// ParseCommand splits text shell-style and matches it against the
// command table. Command words are case-insensitive; names of rules and
// watchlists are lowercased and tickers uppercased. Every error is a
// *UserError with a one-line message and the nearest command's usage.
func ParseCommand(text string) (Command, error) {
	if len(text) > MaxCommandLen {
		return Command{}, &UserError{Msg: fmt.Sprintf("command too long: at most %d bytes", MaxCommandLen)}
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return Command{}, &UserError{Msg: "empty command", Usage: "help [COMMAND]"}
	}
	// shlex treats a word starting with '#' as a comment; channels are
	// written #name, so hide '#' from it.
	toks, err := shlex.Split(strings.ReplaceAll(text, "#", hashMark))
	if err != nil {
		f := strings.Fields(text)
		return Command{}, &UserError{Msg: "cannot read the command: " + unquoteMsg(err), Usage: nearestTo(strings.Join(f[:min(len(f), 2)], " ")).usage(), DidYouMean: true}
	}
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(t, hashMark, "#")
	}
	if len(toks) == 0 {
		return Command{}, &UserError{Msg: "empty command", Usage: "help [COMMAND]"}
	}
	if len(toks) > maxTokens {
		return Command{}, &UserError{Msg: fmt.Sprintf("too many words (%d, at most %d)", len(toks), maxTokens)}
	}
	s, rest, err := matchSpec(toks)
	if err != nil {
		return Command{}, err
	}
	cmd, err := s.parseArgs(rest)
	if err != nil {
		return Command{}, err
	}
	if s.alias != "" {
		cmd.Name = s.alias
	}
	return cmd, nil
}

// unquoteMsg turns shlex's error into a short phrase.
func unquoteMsg(err error) string {
	m := err.Error()
	switch {
	case strings.Contains(m, "closing quote"):
		return "unbalanced quote"
	case strings.Contains(m, "escape"):
		return "backslash at the end"
	}
	return m
}

// matchSpec finds the command the tokens name and returns the remaining
// tokens.
func matchSpec(toks []string) (*spec, []string, error) {
	w0 := strings.ToLower(toks[0])
	var single *spec
	var subs []*spec
	for _, s := range commandTable {
		words := strings.Fields(s.name)
		if words[0] != w0 {
			continue
		}
		if len(words) == 1 {
			single = s
		} else {
			subs = append(subs, s)
		}
	}
	if single == nil && subs == nil {
		n := nearestTo(strings.Join(toks[:min(len(toks), 2)], " "))
		return nil, nil, &UserError{Msg: fmt.Sprintf("unknown command %q", toks[0]), Usage: n.usage(), DidYouMean: true}
	}
	if len(toks) > 1 {
		w1 := strings.ToLower(toks[1])
		for _, s := range subs {
			if strings.Fields(s.name)[1] == w1 {
				return s, toks[2:], nil
			}
		}
	}
	if single != nil {
		extra := len(toks) > 1
		if subs != nil && extra && (single.max == 0 && !looksNumber(toks[1]) && single.opts == nil ||
			single.optFirst && !strings.Contains(toks[1], "=")) {
			return nil, nil, unknownSub(w0, toks[1], subs, single)
		}
		return single, toks[1:], nil
	}
	if len(toks) == 1 {
		names := make([]string, len(subs))
		for i, s := range subs {
			names[i] = strings.Fields(s.name)[1]
		}
		return nil, nil, &UserError{Msg: fmt.Sprintf("%s needs one of: %s", w0, strings.Join(names, ", ")), Usage: subs[0].usage()}
	}
	return nil, nil, unknownSub(w0, toks[1], subs, nil)
}

func looksNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// unknownSub reports a mistyped subcommand with the nearest one.
func unknownSub(family, word string, subs []*spec, single *spec) error {
	cands := slices.Clone(subs)
	if single != nil {
		cands = append(cands, single)
	}
	best, bestD := cands[0], -1
	for _, s := range cands {
		w := strings.Fields(s.name)
		d := levenshtein(strings.ToLower(word), w[len(w)-1])
		if bestD < 0 || d < bestD {
			best, bestD = s, d
		}
	}
	return &UserError{Msg: fmt.Sprintf("unknown %s command %q", family, word), Usage: best.usage(), DidYouMean: true}
}

// nearestTo returns the command whose name is closest to typed.
func nearestTo(typed string) *spec {
	typed = strings.ToLower(typed)
	first := typed
	if i := strings.IndexByte(typed, ' '); i >= 0 {
		first = typed[:i]
	}
	var best *spec
	bestD := -1
	for _, s := range commandTable {
		if s.alias != "" {
			continue
		}
		w := strings.Fields(s.name)
		d := levenshtein(first, w[0]) * 4
		if len(w) > 1 {
			d = levenshtein(typed, s.name)*4 + 1
		}
		if bestD < 0 || d < bestD {
			best, bestD = s, d
		}
	}
	return best
}

// levenshtein is the edit distance between a and b, by runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 {
		ra = ra[:64]
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// parseArgs splits the remaining tokens into options and positional
// arguments and checks them against the spec.
func (s *spec) parseArgs(toks []string) (Command, error) {
	cmd := Command{Name: s.name}
	bad := func(format string, args ...any) error {
		return &UserError{Msg: fmt.Sprintf(format, args...), Usage: s.usage()}
	}
	for _, t := range toks {
		if len(s.opts) > 0 {
			if k, v, ok := strings.Cut(t, "="); ok {
				key := strings.ToLower(k)
				if identRe.MatchString(key) {
					if !slices.Contains(s.opts, key) {
						return cmd, bad("unknown option %q for %s (options: %s)", key, s.name, strings.Join(s.opts, ", "))
					}
					if cmd.Opts == nil {
						cmd.Opts = map[string]string{}
					}
					if _, dup := cmd.Opts[key]; dup {
						return cmd, bad("option %s= given twice", key)
					}
					cmd.Opts[key] = v
					continue
				}
			}
		}
		cmd.Args = append(cmd.Args, t)
	}
	if s.name == "mute" {
		return s.parseMute(cmd)
	}
	if len(cmd.Args) < s.min {
		return cmd, bad("%s needs %s", s.name, missingArg(s, len(cmd.Args)))
	}
	if s.max >= 0 && len(cmd.Args) > s.max {
		if s.name == "rule add" {
			return cmd, bad(`too many words for rule add: put the expression in quotes`)
		}
		if s.max == 0 {
			return cmd, bad("%s takes no arguments", s.name)
		}
		return cmd, bad("too many arguments for %s", s.name)
	}
	if err := s.checkArgs(&cmd); err != nil {
		return cmd, err
	}
	return cmd, nil
}

// missingArg names the first missing positional argument from the usage.
func missingArg(s *spec, have int) string {
	words := strings.Fields(s.args)
	if have < len(words) {
		return strings.Trim(words[have], "[]")
	}
	return "more arguments"
}

// checkArgs normalizes and validates arguments and option values.
func (s *spec) checkArgs(cmd *Command) error {
	bad := func(format string, args ...any) error {
		return &UserError{Msg: fmt.Sprintf(format, args...), Usage: s.usage()}
	}
	name := func(i int, what string) error {
		n := strings.ToLower(cmd.Args[i])
		if !nameRe.MatchString(n) {
			return bad("bad %s name %q: use letters, digits, '-', '_' or '.', at most 64", what, cmd.Args[i])
		}
		cmd.Args[i] = n
		return nil
	}
	ticker := func(i int) error {
		t := strings.ToUpper(cmd.Args[i])
		if !tickerRe.MatchString(t) {
			return bad("bad ticker %q", cmd.Args[i])
		}
		cmd.Args[i] = t
		return nil
	}
	switch s.name {
	case "spread", "issuer":
		return ticker(0)
	case "spreads":
		if len(cmd.Args) == 1 {
			return name(0, "watchlist")
		}
	case "watch create":
		if err := name(0, "watchlist"); err != nil {
			return err
		}
		if len(cmd.Args) == 2 {
			ch := ChannelID(cmd.Args[1])
			if ch == "" {
				return bad("bad channel %q", cmd.Args[1])
			}
			cmd.Args[1] = ch
		}
	case "watch add", "watch remove":
		if err := name(0, "watchlist"); err != nil {
			return err
		}
		for i := 1; i < len(cmd.Args); i++ {
			if err := ticker(i); err != nil {
				return err
			}
		}
	case "watch show", "watch delete", "rule show", "rule delete":
		what := "watchlist"
		if strings.HasPrefix(s.name, "rule") {
			what = "rule"
		}
		return name(0, what)
	case "rule explain":
		return name(0, "rule")
	case "rule add":
		if err := name(0, "rule"); err != nil {
			return err
		}
		if strings.TrimSpace(cmd.Args[1]) == "" {
			return bad("empty expression")
		}
		for _, k := range []string{"for", "repeat", "max_age"} {
			if v, ok := cmd.Opts[k]; ok {
				if _, err := ParseDuration(v); err != nil {
					return bad("bad %s=%s: want a duration like 2h, 30m, 7d or 2w", k, v)
				}
			}
		}
		if v, ok := cmd.Opts["severity"]; ok {
			sv := strings.ToLower(v)
			if sv != string(SeverityInfo) && sv != string(SeverityWarn) && sv != string(SeverityCrit) {
				return bad("bad severity=%s: want info, warn or crit", v)
			}
			cmd.Opts["severity"] = sv
		}
		if v, ok := cmd.Opts["watchlist"]; ok {
			w := strings.ToLower(v)
			if !nameRe.MatchString(w) {
				return bad("bad watchlist=%s", v)
			}
			cmd.Opts["watchlist"] = w
		}
		if v, ok := cmd.Opts["clear"]; ok && strings.TrimSpace(v) == "" {
			return bad("empty clear= expression")
		}
	case "rule test":
		// A rule name or an expression; decided by the handler.
	case "alerts history":
		if len(cmd.Args) == 1 {
			n, err := strconv.Atoi(cmd.Args[0])
			if err != nil || n < 1 || n > 500 {
				return bad("bad count %q: want a number from 1 to 500", cmd.Args[0])
			}
		}
	case "mute remove", "unmute":
		cmd.Args[0] = strings.ToUpper(cmd.Args[0])
	case "ack":
		cmd.Args[0] = strings.ToUpper(cmd.Args[0])
	case "help":
		for i := range cmd.Args {
			cmd.Args[i] = strings.ToLower(cmd.Args[i])
		}
	}
	return nil
}

// parseMute reads `mute rule=R|ticker=T [for 2d|until DATE] [comment...]`
// into Opts: rule, ticker, for or until, comment.
func (s *spec) parseMute(cmd Command) (Command, error) {
	bad := func(format string, args ...any) error {
		return &UserError{Msg: fmt.Sprintf(format, args...), Usage: s.usage()}
	}
	if cmd.Opts["rule"] == "" && cmd.Opts["ticker"] == "" {
		return cmd, bad("mute needs rule=NAME, ticker=TICKER or both")
	}
	if r, ok := cmd.Opts["rule"]; ok {
		r = strings.ToLower(r)
		if !nameRe.MatchString(r) {
			return cmd, bad("bad rule name %q", r)
		}
		cmd.Opts["rule"] = r
	}
	if t, ok := cmd.Opts["ticker"]; ok {
		t = strings.ToUpper(t)
		if !tickerRe.MatchString(t) {
			return cmd, bad("bad ticker %q", t)
		}
		cmd.Opts["ticker"] = t
	}
	args := cmd.Args
	if len(args) > 0 {
		switch strings.ToLower(args[0]) {
		case "for":
			if len(args) < 2 {
				return cmd, bad("for needs a duration like 2d")
			}
			d, err := ParseDuration(args[1])
			if err != nil || d <= 0 {
				return cmd, bad("bad duration %q: want a duration like 2h, 2d or 1w", args[1])
			}
			cmd.Opts["for"] = args[1]
			args = args[2:]
		case "until":
			if len(args) < 2 {
				return cmd, bad("until needs a date like 2026-12-01")
			}
			if _, err := parseUntil(args[1]); err != nil {
				return cmd, bad("bad date %q: want YYYY-MM-DD", args[1])
			}
			cmd.Opts["until"] = args[1]
			args = args[2:]
		}
	}
	if len(args) > 0 {
		c := strings.Join(args, " ")
		if len(c) > 500 {
			c = c[:500]
		}
		cmd.Opts["comment"] = c
	}
	cmd.Args = nil
	return cmd, nil
}

// parseUntil reads a silence end date: YYYY-MM-DD (end of that day is
// not implied: the silence lasts until 00:00 UTC of the date) or RFC 3339.
func parseUntil(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// ChannelID strips chat mention syntax from a channel argument: Slack's
// "<#C123|name>" and Discord's "<#123>" give the id, "#name" gives
// "name". It returns "" for an empty or malformed channel.
func ChannelID(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<#") && strings.HasSuffix(s, ">") {
		s = s[2 : len(s)-1]
		if i := strings.IndexByte(s, '|'); i >= 0 {
			s = s[:i]
		}
	} else {
		s = strings.TrimPrefix(s, "#")
	}
	if s == "" || len(s) > 80 || strings.ContainsAny(s, " <>|#") {
		return ""
	}
	return s
}
