package discord

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/bwmarrin/discordgo"

	"github.com/spreadwatch/spreadwatch/bot"
)

// optionKind is the Discord type of a command option.
type optionKind int

const (
	kindString optionKind = iota
	kindInt
	kindBool
	kindChannel
)

// form says how an option's value is written into the command text.
type form int

const (
	// formArg writes the value as one word, quoted when needed: `spread CIFR`.
	formArg form = iota
	// formWords splits the value on spaces and commas into several
	// words: `watch add hy CIFR WULF`.
	formWords
	// formOpt writes key=value: `rule add … for=2h`.
	formOpt
	// formPair writes the key, then the value: `mute … for 2d`.
	formPair
	// formFlag writes the key when the boolean is true: `alerts history`.
	formFlag
)

// Autocomplete kinds. The first three are asked of the handler's
// [Completer]; commands are completed from the bot's command table.
const (
	completeTicker    = "ticker"
	completeWatchlist = "watchlist"
	completeRule      = "rule"
	completeCommand   = "command"
)

// optionSpec is one option of a slash command.
type optionSpec struct {
	name     string
	desc     string
	kind     optionKind
	form     form
	required bool
	// complete names the autocomplete kind, or "".
	complete string
	choices  []string
	// key is the word written for formOpt, formPair and formFlag; the
	// option's name when empty.
	key string
	// implies names a flag option this one turns on (alerts n → history).
	implies  string
	min, max float64 // bounds of an integer option, when max > 0
}

func (o *optionSpec) word() string {
	if o.key != "" {
		return o.key
	}
	return o.name
}

// commandSpec is one slash command or subcommand: one row of the table that
// drives both registration and translation.
type commandSpec struct {
	name string
	// text is the command words written for it; name when empty, none
	// when "-".
	text string
	// desc is used when the bot's command table has no summary for it.
	desc    string
	options []optionSpec
	subs    []commandSpec
	// exclusive lists options of which at most one may be given.
	exclusive []string
}

func (c *commandSpec) words() string {
	switch c.text {
	case "":
		return c.name
	case "-":
		return ""
	}
	return c.text
}

func tickerOpt(desc string) optionSpec {
	return optionSpec{name: "ticker", desc: desc, required: true, complete: completeTicker}
}

func nameOpt(what, complete string) optionSpec {
	return optionSpec{name: "name", desc: "the " + what + "'s name", required: true, complete: complete}
}

// commandTable is every slash command: one per command word of the bot.
var commandTable = []commandSpec{
	{name: "spread", desc: "one issuer's bonds: coupon, yield and spread over utility",
		options: []optionSpec{tickerOpt("issuer ticker, e.g. CIFR")}},
	{name: "spreads", desc: "every bond of a watchlist (or of all issuers), widest spread first",
		options: []optionSpec{{name: "watchlist", desc: "a watchlist (default: all issuers)", complete: completeWatchlist}}},
	{name: "issuer", desc: "an issuer's capacity, debt, projects and offtakes",
		options: []optionSpec{tickerOpt("issuer ticker, e.g. CORZ")}},
	{name: "watch", desc: "team watchlists: create, add, remove, show, list, delete", subs: []commandSpec{
		{name: "create", desc: "create a watchlist whose alerts go to a channel", options: []optionSpec{
			{name: "name", desc: "the new watchlist's name", required: true},
			{name: "channel", desc: "where its alerts go (default: this channel)", kind: kindChannel},
		}},
		{name: "add", desc: "add tickers to a watchlist", options: []optionSpec{
			nameOpt("watchlist", completeWatchlist),
			{name: "tickers", desc: "tickers separated by spaces, e.g. CIFR WULF", form: formWords, required: true, complete: completeTicker},
		}},
		{name: "remove", desc: "remove tickers from a watchlist", options: []optionSpec{
			nameOpt("watchlist", completeWatchlist),
			{name: "tickers", desc: "tickers separated by spaces", form: formWords, required: true, complete: completeTicker},
		}},
		{name: "show", desc: "show a watchlist's tickers and channel", options: []optionSpec{nameOpt("watchlist", completeWatchlist)}},
		{name: "list", desc: "list the team's watchlists"},
		{name: "delete", desc: "delete a watchlist", options: []optionSpec{nameOpt("watchlist", completeWatchlist)}},
	}},
	{name: "rule", desc: "alert rules: add, list, show, delete, test, explain", subs: []commandSpec{
		{name: "add", desc: "save an alert rule and preview what it matches now", options: []optionSpec{
			{name: "name", desc: "the rule's name", required: true, complete: completeRule},
			{name: "expr", desc: "the expression, e.g. coupon > utility + 400bp", required: true},
			{name: "for", desc: "how long it must hold before it fires, e.g. 2h", form: formOpt},
			{name: "clear", desc: "a firing alert resolves only when this expression holds", form: formOpt},
			{name: "repeat", desc: "re-notify while firing, e.g. 24h", form: formOpt},
			{name: "watchlist", desc: "only this watchlist's tickers, alerts to its channel", form: formOpt, complete: completeWatchlist},
			{name: "severity", desc: "info, warn or crit (default warn)", form: formOpt, choices: []string{"info", "warn", "crit"}},
			{name: "max_age", desc: "data older than this makes the alert stale, e.g. 7d", form: formOpt},
		}},
		{name: "list", desc: "list the team's rules"},
		{name: "show", desc: "show a rule and its alert counts", options: []optionSpec{nameOpt("rule", completeRule)}},
		{name: "delete", desc: "delete a rule and its alerts", options: []optionSpec{nameOpt("rule", completeRule)}},
		{name: "test", desc: "evaluate a rule or an expression now", options: []optionSpec{
			{name: "rule_or_expr", desc: "a rule name or an expression", required: true, complete: completeRule},
		}},
		{name: "explain", desc: "show each clause's values for one subject", options: []optionSpec{
			nameOpt("rule", completeRule),
			{name: "subject", desc: "a bond, project or ticker (default: the first match)"},
		}},
	}},
	{name: "alerts", desc: "firing alerts, or the recent transitions", options: []optionSpec{
		{name: "history", desc: "show the newest transitions instead", kind: kindBool, form: formFlag},
		{name: "n", desc: "how many transitions (default 20)", kind: kindInt, implies: "history", min: 1, max: 500},
	}},
	{name: "mute", desc: "silence notifications of a rule, a ticker or both", subs: []commandSpec{
		{name: "add", text: "-", desc: "silence a rule, a ticker or both (default for 1d)", exclusive: []string{"for", "until"}, options: []optionSpec{
			{name: "rule", desc: "the rule to silence", form: formOpt, complete: completeRule},
			{name: "ticker", desc: "the ticker to silence", form: formOpt, complete: completeTicker},
			{name: "for", desc: "how long, e.g. 2d (default 1d)", form: formPair},
			{name: "until", desc: "until a date, e.g. 2026-12-01", form: formPair},
			{name: "comment", desc: "why"},
		}},
		{name: "list", desc: "list active silences"},
		{name: "remove", desc: "remove a silence", options: []optionSpec{{name: "id", desc: "the silence id, e.g. S1", required: true}}},
	}},
	{name: "ack", desc: "acknowledge a firing alert: no repeats until it resolves", options: []optionSpec{
		{name: "alert", desc: "the alert id, e.g. A12", required: true},
		{name: "note", desc: "a note for the team"},
	}},
	{name: "status", desc: "data age, last refresh, rules, alerts, outbox and connections"},
	{name: "refresh", desc: "re-read the data, evaluate every rule and send alerts now"},
	{name: "help", desc: "list the commands, or explain one", options: []optionSpec{
		{name: "command", desc: "a command, e.g. rule add", form: formWords, complete: completeCommand},
	}},
}

// lookupCommand finds a top-level command of the table.
func lookupCommand(name string) *commandSpec {
	for i := range commandTable {
		if commandTable[i].name == name {
			return &commandTable[i]
		}
	}
	return nil
}

func (c *commandSpec) sub(name string) *commandSpec {
	for i := range c.subs {
		if c.subs[i].name == name {
			return &c.subs[i]
		}
	}
	return nil
}

func (c *commandSpec) option(name string) *optionSpec {
	for i := range c.options {
		if c.options[i].name == name {
			return &c.options[i]
		}
	}
	return nil
}

// summaries maps the bot's command names ("watch add") to their one-line
// summaries, so that slash commands read like `help`.
func summaries() map[string]string {
	m := map[string]string{}
	for _, c := range bot.Commands() {
		m[c.Name] = c.Summary
	}
	return m
}

// applicationCommands builds the registration payload from the table.
func applicationCommands() []*discordgo.ApplicationCommand {
	sum := summaries()
	desc := func(full string, c *commandSpec) string {
		d := sum[full]
		if d == "" || len(c.subs) > 0 {
			d = c.desc
		}
		return clip(d, 100)
	}
	out := make([]*discordgo.ApplicationCommand, 0, len(commandTable))
	for i := range commandTable {
		c := &commandTable[i]
		ac := &discordgo.ApplicationCommand{
			Type:        discordgo.ChatApplicationCommand,
			Name:        c.name,
			Description: desc(c.name, c),
			Options:     []*discordgo.ApplicationCommandOption{},
		}
		for j := range c.subs {
			s := &c.subs[j]
			full := strings.TrimSpace(c.name + " " + s.words())
			ac.Options = append(ac.Options, &discordgo.ApplicationCommandOption{
				Type:        discordgo.ApplicationCommandOptionSubCommand,
				Name:        s.name,
				Description: desc(full, s),
				Options:     commandOptions(s.options),
			})
		}
		if len(c.subs) == 0 {
			ac.Options = commandOptions(c.options)
		}
		out = append(out, ac)
	}
	return out
}

func commandOptions(opts []optionSpec) []*discordgo.ApplicationCommandOption {
	out := make([]*discordgo.ApplicationCommandOption, 0, len(opts))
	for i := range opts {
		o := &opts[i]
		ao := &discordgo.ApplicationCommandOption{
			Name:         o.name,
			Description:  clip(o.desc, 100),
			Required:     o.required,
			Autocomplete: o.complete != "",
		}
		switch o.kind {
		case kindString:
			ao.Type = discordgo.ApplicationCommandOptionString
		case kindInt:
			ao.Type = discordgo.ApplicationCommandOptionInteger
			if o.max > 0 {
				lo := o.min
				ao.MinValue, ao.MaxValue = &lo, o.max
			}
		case kindBool:
			ao.Type = discordgo.ApplicationCommandOptionBoolean
		case kindChannel:
			ao.Type = discordgo.ApplicationCommandOptionChannel
			ao.ChannelTypes = []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews}
		}
		for _, ch := range o.choices {
			ao.Choices = append(ao.Choices, &discordgo.ApplicationCommandOptionChoice{Name: ch, Value: ch})
		}
		out = append(out, ao)
	}
	return out
}

// commandText translates an application command into the command line the
// bot parses, e.g. /rule add name:hot expr:coupon > utility + 400bp
// for:2h → `rule add hot "coupon > utility + 400bp" for=2h`. An unknown
// command or option, a missing required option or a value of the wrong
// type is a *bot.UserError.
func commandText(d discordgo.ApplicationCommandInteractionData) (string, error) {
	c := lookupCommand(d.Name)
	if c == nil {
		return "", &bot.UserError{Msg: fmt.Sprintf("unknown command /%s", clip(oneLine(d.Name), 32)), Usage: "help"}
	}
	words := []string{c.words()}
	opts := d.Options
	if len(c.subs) > 0 {
		if len(opts) != 1 || opts[0] == nil || opts[0].Type != discordgo.ApplicationCommandOptionSubCommand {
			return "", &bot.UserError{Msg: fmt.Sprintf("/%s needs a subcommand", c.name), Usage: c.name}
		}
		s := c.sub(opts[0].Name)
		if s == nil {
			return "", &bot.UserError{Msg: fmt.Sprintf("unknown subcommand /%s %s", c.name, clip(oneLine(opts[0].Name), 32)), Usage: c.name}
		}
		if w := s.words(); w != "" {
			words = append(words, w)
		}
		c, opts = s, opts[0].Options
	}
	usage := strings.Join(words, " ")
	bad := func(format string, args ...any) error {
		return &bot.UserError{Msg: fmt.Sprintf(format, args...), Usage: usage}
	}

	given := map[string]string{}
	flags := map[string]bool{}
	for _, o := range opts {
		if o == nil {
			continue
		}
		spec := c.option(o.Name)
		if spec == nil {
			return "", bad("unknown option %q for /%s", clip(oneLine(o.Name), 32), usage)
		}
		if _, dup := given[o.Name]; dup {
			return "", bad("option %s given twice", o.Name)
		}
		v, err := optionValue(spec, o.Value)
		if err != nil {
			return "", bad("%s: %v", o.Name, err)
		}
		given[o.Name] = v
		if spec.kind == kindBool && v == "true" {
			flags[o.Name] = true
		}
		if spec.implies != "" {
			flags[spec.implies] = true
		}
	}
	var both []string
	for _, name := range c.exclusive {
		if _, ok := given[name]; ok {
			both = append(both, name)
		}
	}
	if len(both) > 1 {
		return "", bad("give %s, not both", strings.Join(both, " or "))
	}
	for i := range c.options {
		spec := &c.options[i]
		v, ok := given[spec.name]
		if spec.form == formFlag {
			if flags[spec.name] {
				words = append(words, spec.word())
			}
			continue
		}
		if !ok || v == "" {
			if spec.required {
				return "", bad("/%s needs %s", usage, spec.name)
			}
			continue
		}
		switch spec.form {
		case formArg:
			words = append(words, quote(v))
		case formWords:
			for _, w := range splitWords(v) {
				words = append(words, quote(w))
			}
		case formOpt:
			words = append(words, spec.word()+"="+quote(v))
		case formPair:
			words = append(words, spec.word(), quote(v))
		}
	}
	return strings.TrimSpace(strings.Join(slices.DeleteFunc(words, func(w string) bool { return w == "" }), " ")), nil
}

// optionValue reads an option's JSON value as text.
func optionValue(spec *optionSpec, v any) (string, error) {
	switch spec.kind {
	case kindInt:
		f, ok := v.(float64)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return "", fmt.Errorf("want a whole number")
		}
		return strconv.FormatInt(int64(f), 10), nil
	case kindBool:
		b, ok := v.(bool)
		if !ok {
			return "", fmt.Errorf("want true or false")
		}
		return strconv.FormatBool(b), nil
	case kindChannel:
		s, ok := v.(string)
		if !ok || s == "" || len(s) > 32 || strings.Trim(s, "0123456789") != "" {
			return "", fmt.Errorf("want a channel")
		}
		return "<#" + s + ">", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("want text")
	}
	return cleanValue(s), nil
}

// cleanValue folds control characters (line breaks, tabs) into spaces and
// trims the value.
func cleanValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// splitWords splits a list typed in one option, e.g. "CIFR, WULF IREN".
func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// quote writes s as one shell-style word: bare when it is plain, else in
// double quotes (single quotes when it holds double quotes), escaping only
// when it must hold both kinds.
func quote(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsFunc(s, needsQuote) {
		return s
	}
	if !strings.ContainsAny(s, "\"\\$`") {
		return `"` + s + `"`
	}
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if strings.ContainsRune("\"\\$`", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// needsQuote reports whether r cannot appear in a bare word.
func needsQuote(r rune) bool {
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return false
	}
	return !strings.ContainsRune("-_.,:/@%+=^~", r)
}

// focused finds the option being typed in an autocomplete interaction:
// its spec and the text typed so far.
func focused(d discordgo.ApplicationCommandInteractionData) (*optionSpec, string) {
	c := lookupCommand(d.Name)
	if c == nil {
		return nil, ""
	}
	opts := d.Options
	if len(c.subs) > 0 {
		if len(opts) != 1 || opts[0] == nil {
			return nil, ""
		}
		if c = c.sub(opts[0].Name); c == nil {
			return nil, ""
		}
		opts = opts[0].Options
	}
	for _, o := range opts {
		if o == nil || !o.Focused {
			continue
		}
		spec := c.option(o.Name)
		if spec == nil || spec.complete == "" {
			return nil, ""
		}
		s, _ := o.Value.(string)
		return spec, s
	}
	return nil, ""
}

// commandNames lists the bot's command names for `help` completion.
func commandNames() []string {
	var names []string
	for _, c := range bot.Commands() {
		names = append(names, c.Name)
	}
	return names
}
