package discord

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"
	"github.com/google/shlex"

	"github.com/spreadwatch/spreadwatch/bot"
)

// shape is the part of the registration payload the tests pin down.
type shape struct {
	Name     string
	Type     discordgo.ApplicationCommandOptionType
	Required bool
	Auto     bool
	Choices  []string
	Options  []shape
}

func shapeOf(opts []*discordgo.ApplicationCommandOption) []shape {
	var out []shape
	for _, o := range opts {
		s := shape{Name: o.Name, Type: o.Type, Required: o.Required, Auto: o.Autocomplete, Options: shapeOf(o.Options)}
		for _, c := range o.Choices {
			s.Choices = append(s.Choices, c.Value.(string))
		}
		out = append(out, s)
	}
	return out
}

const (
	tSub  = discordgo.ApplicationCommandOptionSubCommand
	tStr  = discordgo.ApplicationCommandOptionString
	tInt  = discordgo.ApplicationCommandOptionInteger
	tBool = discordgo.ApplicationCommandOptionBoolean
	tChan = discordgo.ApplicationCommandOptionChannel
)

func TestApplicationCommandsShape(t *testing.T) {
	str := func(name string, req, auto bool) shape {
		return shape{Name: name, Type: tStr, Required: req, Auto: auto}
	}
	want := map[string][]shape{
		"spread":  {str("ticker", true, true)},
		"spreads": {str("watchlist", false, true)},
		"issuer":  {str("ticker", true, true)},
		"watch": {
			{Name: "create", Type: tSub, Options: []shape{str("name", true, false), {Name: "channel", Type: tChan}}},
			{Name: "add", Type: tSub, Options: []shape{str("name", true, true), str("tickers", true, true)}},
			{Name: "remove", Type: tSub, Options: []shape{str("name", true, true), str("tickers", true, true)}},
			{Name: "show", Type: tSub, Options: []shape{str("name", true, true)}},
			{Name: "list", Type: tSub},
			{Name: "delete", Type: tSub, Options: []shape{str("name", true, true)}},
		},
		"rule": {
			{Name: "add", Type: tSub, Options: []shape{
				str("name", true, true), str("expr", true, false), str("for", false, false), str("clear", false, false),
				str("repeat", false, false), str("watchlist", false, true),
				{Name: "severity", Type: tStr, Choices: []string{"info", "warn", "crit"}}, str("max_age", false, false),
			}},
			{Name: "list", Type: tSub},
			{Name: "show", Type: tSub, Options: []shape{str("name", true, true)}},
			{Name: "delete", Type: tSub, Options: []shape{str("name", true, true)}},
			{Name: "test", Type: tSub, Options: []shape{str("rule_or_expr", true, true)}},
			{Name: "explain", Type: tSub, Options: []shape{str("name", true, true), str("subject", false, false)}},
		},
		"alerts": {{Name: "history", Type: tBool}, {Name: "n", Type: tInt}},
		"mute": {
			{Name: "add", Type: tSub, Options: []shape{
				str("rule", false, true), str("ticker", false, true), str("for", false, false), str("until", false, false), str("comment", false, false),
			}},
			{Name: "list", Type: tSub},
			{Name: "remove", Type: tSub, Options: []shape{str("id", true, false)}},
		},
		"ack":     {str("alert", true, false), str("note", false, false)},
		"status":  nil,
		"refresh": nil,
		"help":    {str("command", false, true)},
	}
	got := map[string][]shape{}
	for _, c := range applicationCommands() {
		got[c.Name] = shapeOf(c.Options)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("registered commands (-want +got):\n%s", diff)
	}
}

// TestApplicationCommandsValid checks Discord's rules on every command:
// names, description lengths, option counts, required options first.
func TestApplicationCommandsValid(t *testing.T) {
	nameRe := regexp.MustCompile(`^[-_a-z0-9]{1,32}$`)
	var check func(path string, opts []*discordgo.ApplicationCommandOption)
	check = func(path string, opts []*discordgo.ApplicationCommandOption) {
		if len(opts) > 25 {
			t.Errorf("%s: %d options, at most 25", path, len(opts))
		}
		optional := false
		for _, o := range opts {
			p := path + " " + o.Name
			if !nameRe.MatchString(o.Name) {
				t.Errorf("%s: bad name", p)
			}
			if n := len([]rune(o.Description)); n < 1 || n > 100 {
				t.Errorf("%s: description of %d characters", p, n)
			}
			if o.Required && optional {
				t.Errorf("%s: required after an optional option", p)
			}
			optional = optional || !o.Required
			if o.Autocomplete && len(o.Choices) > 0 {
				t.Errorf("%s: both autocomplete and choices", p)
			}
			check(p, o.Options)
		}
	}
	cmds := applicationCommands()
	for _, c := range cmds {
		if !nameRe.MatchString(c.Name) {
			t.Errorf("/%s: bad name", c.Name)
		}
		if n := len([]rune(c.Description)); n < 1 || n > 100 {
			t.Errorf("/%s: description of %d characters", c.Name, n)
		}
		check("/"+c.Name, c.Options)
	}
	// Every command word of the bot has its slash command.
	have := map[string]bool{}
	for _, c := range cmds {
		have[c.Name] = true
	}
	for _, info := range bot.Commands() {
		if w := strings.Fields(info.Name)[0]; !have[w] && w != "unmute" {
			t.Errorf("bot command %q has no slash command", info.Name)
		}
	}
}

// opt builds an interaction option.
func opt(name string, v any) *discordgo.ApplicationCommandInteractionDataOption {
	typ := discordgo.ApplicationCommandOptionString
	switch v.(type) {
	case float64:
		typ = discordgo.ApplicationCommandOptionInteger
	case bool:
		typ = discordgo.ApplicationCommandOptionBoolean
	}
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: typ, Value: v}
}

func sub(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}
}

func cmdData(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) discordgo.ApplicationCommandInteractionData {
	return discordgo.ApplicationCommandInteractionData{Name: name, Options: opts}
}

func TestCommandText(t *testing.T) {
	tests := []struct {
		name string
		data discordgo.ApplicationCommandInteractionData
		want string
		// parsed is what the bot's parser makes of it.
		parsed bot.Command
	}{
		{"spread", cmdData("spread", opt("ticker", "cifr")), "spread cifr",
			bot.Command{Name: "spread", Args: []string{"CIFR"}}},
		{"spreads all", cmdData("spreads"), "spreads", bot.Command{Name: "spreads"}},
		{"spreads watchlist", cmdData("spreads", opt("watchlist", "hy")), "spreads hy",
			bot.Command{Name: "spreads", Args: []string{"hy"}}},
		{"watch create with channel", cmdData("watch", sub("create", opt("name", "hy"), &discordgo.ApplicationCommandInteractionDataOption{Name: "channel", Type: tChan, Value: "123456"})),
			`watch create hy "<#123456>"`, bot.Command{Name: "watch create", Args: []string{"hy", "123456"}}},
		{"watch add tickers", cmdData("watch", sub("add", opt("tickers", "CIFR, WULF  IREN"), opt("name", "hy"))),
			"watch add hy CIFR WULF IREN", bot.Command{Name: "watch add", Args: []string{"hy", "CIFR", "WULF", "IREN"}}},
		{"watch list", cmdData("watch", sub("list")), "watch list", bot.Command{Name: "watch list"}},
		{"rule add full", cmdData("rule", sub("add",
			opt("name", "hot"), opt("expr", "coupon > utility + 400bp"), opt("for", "2h"), opt("clear", `coupon < utility + 350bp`),
			opt("repeat", "24h"), opt("watchlist", "hy"), opt("severity", "crit"), opt("max_age", "7d"))),
			`rule add hot "coupon > utility + 400bp" for=2h clear="coupon < utility + 350bp" repeat=24h watchlist=hy severity=crit max_age=7d`,
			bot.Command{Name: "rule add", Args: []string{"hot", "coupon > utility + 400bp"}, Opts: map[string]string{
				"for": "2h", "clear": "coupon < utility + 350bp", "repeat": "24h", "watchlist": "hy", "severity": "crit", "max_age": "7d"}}},
		{"rule add string literal", cmdData("rule", sub("add", opt("name", "n"), opt("expr", `name == "Cipher" && kind != 'x'`))),
			`rule add n "name == \"Cipher\" && kind != 'x'"`,
			bot.Command{Name: "rule add", Args: []string{"n", `name == "Cipher" && kind != 'x'`}}},
		{"rule add newline folded", cmdData("rule", sub("add", opt("name", "n"), opt("expr", "a >\n1"))),
			`rule add n "a > 1"`, bot.Command{Name: "rule add", Args: []string{"n", "a > 1"}}},
		{"rule test expr", cmdData("rule", sub("test", opt("rule_or_expr", "slip_days > 60"))),
			`rule test "slip_days > 60"`, bot.Command{Name: "rule test", Args: []string{"slip_days > 60"}}},
		{"rule explain", cmdData("rule", sub("explain", opt("name", "hot"), opt("subject", "CRWV-9.25-2030"))),
			"rule explain hot CRWV-9.25-2030", bot.Command{Name: "rule explain", Args: []string{"hot", "CRWV-9.25-2030"}}},
		{"alerts", cmdData("alerts"), "alerts", bot.Command{Name: "alerts"}},
		{"alerts history", cmdData("alerts", opt("history", true)), "alerts history", bot.Command{Name: "alerts history"}},
		{"alerts history false", cmdData("alerts", opt("history", false)), "alerts", bot.Command{Name: "alerts"}},
		{"alerts n implies history", cmdData("alerts", opt("n", float64(50))), "alerts history 50",
			bot.Command{Name: "alerts history", Args: []string{"50"}}},
		{"mute add", cmdData("mute", sub("add", opt("ticker", "WULF"), opt("for", "2d"), opt("comment", "earnings week"))),
			`mute ticker=WULF for 2d "earnings week"`,
			bot.Command{Name: "mute", Opts: map[string]string{"ticker": "WULF", "for": "2d", "comment": "earnings week"}}},
		{"mute add until", cmdData("mute", sub("add", opt("rule", "hot"), opt("until", "2026-12-01"))),
			`mute rule=hot until 2026-12-01`,
			bot.Command{Name: "mute", Opts: map[string]string{"rule": "hot", "until": "2026-12-01"}}},
		{"mute list", cmdData("mute", sub("list")), "mute list", bot.Command{Name: "mute list"}},
		{"mute remove", cmdData("mute", sub("remove", opt("id", "s1"))), "mute remove s1",
			bot.Command{Name: "mute remove", Args: []string{"S1"}}},
		{"ack with note", cmdData("ack", opt("alert", "A12"), opt("note", "looking into it")), `ack A12 "looking into it"`,
			bot.Command{Name: "ack", Args: []string{"A12", "looking into it"}}},
		{"status", cmdData("status"), "status", bot.Command{Name: "status"}},
		{"refresh", cmdData("refresh"), "refresh", bot.Command{Name: "refresh"}},
		{"help rule add", cmdData("help", opt("command", "rule add")), "help rule add",
			bot.Command{Name: "help", Args: []string{"rule", "add"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := commandText(tt.data)
			if err != nil {
				t.Fatalf("commandText: %v", err)
			}
			if got != tt.want {
				t.Errorf("commandText = %s, want %s", got, tt.want)
			}
			parsed, err := bot.ParseCommand(got)
			if err != nil {
				t.Fatalf("bot.ParseCommand(%s): %v", got, err)
			}
			if diff := cmp.Diff(tt.parsed, parsed); diff != "" {
				t.Errorf("parsed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCommandTextErrors(t *testing.T) {
	tests := []struct {
		name string
		data discordgo.ApplicationCommandInteractionData
		want string
	}{
		{"unknown command", cmdData("launch"), "unknown command /launch; usage: help"},
		{"unknown option", cmdData("spread", opt("ticker", "CIFR"), opt("pair", "x")), `unknown option "pair" for /spread; usage: spread`},
		{"missing option", cmdData("issuer"), "/issuer needs ticker; usage: issuer"},
		{"empty option", cmdData("issuer", opt("ticker", "  ")), "/issuer needs ticker; usage: issuer"},
		{"no subcommand", cmdData("watch"), "/watch needs a subcommand; usage: watch"},
		{"unknown subcommand", cmdData("rule", sub("zap")), "unknown subcommand /rule zap; usage: rule"},
		{"option on parent", cmdData("rule", opt("name", "x")), "/rule needs a subcommand; usage: rule"},
		{"wrong type", cmdData("alerts", opt("n", "ten")), "n: want a whole number; usage: alerts"},
		{"fraction", cmdData("alerts", opt("n", 2.5)), "n: want a whole number; usage: alerts"},
		{"bad channel", cmdData("watch", sub("create", opt("name", "hy"), &discordgo.ApplicationCommandInteractionDataOption{Name: "channel", Type: tChan, Value: "<#1>"})),
			"channel: want a channel; usage: watch create"},
		{"for and until", cmdData("mute", sub("add", opt("rule", "x"), opt("for", "1d"), opt("until", "2026-01-01"))), "give for or until, not both; usage: mute"},
		{"twice", cmdData("spread", opt("ticker", "A"), opt("ticker", "B")), "option ticker given twice; usage: spread"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := commandText(tt.data)
			if err == nil {
				t.Fatalf("commandText = %q, want error %q", got, tt.want)
			}
			if _, ok := err.(*bot.UserError); !ok {
				t.Errorf("error %T, want *bot.UserError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q, want %q", err.Error(), tt.want)
			}
		})
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{
		"CIFR", "coupon > utility + 400bp", `a "b" c`, `it's`, `it's "quoted"`, `$HOME`, "back`tick`", `x\y`,
		"#general", "a=b", "", "ümlaut ok", "trailing\\", `'"$\`,
	} {
		q := quote(s)
		got, err := shlex.Split(q)
		if err != nil {
			t.Errorf("shlex.Split(%s): %v", q, err)
			continue
		}
		if diff := cmp.Diff([]string{s}, got); diff != "" {
			t.Errorf("quote(%q) = %s splits to (-want +got):\n%s", s, q, diff)
		}
	}
}

func TestMessageCommand(t *testing.T) {
	tests := []struct {
		content, prefix, bot string
		want                 string
		ok                   bool
	}{
		{"!sw spread CIFR", "!sw", "B1", "spread CIFR", true},
		{"!sw", "!sw", "B1", "help", true},
		{"!swat spread", "!sw", "B1", "", false},
		{"<@B1> spread CIFR", "", "B1", "spread CIFR", true},
		{"<@!B1>   status", "!sw", "B1", "status", true},
		{"hey <@B1> spread WULF", "", "B1", "hey spread WULF", true},
		{"spread CIFR", "!sw", "B1", "", false},
		{"<@B2> spread", "", "B1", "", false},
		{"<@B1>", "", "", "", false},
	}
	for _, tt := range tests {
		got, ok := messageCommand(tt.content, tt.prefix, tt.bot)
		if got != tt.want || ok != tt.ok {
			t.Errorf("messageCommand(%q, %q, %q) = %q, %v; want %q, %v", tt.content, tt.prefix, tt.bot, got, ok, tt.want, tt.ok)
		}
	}
}

// TestRegistrationPayloadJSON pins the wire form of one command.
func TestRegistrationPayloadJSON(t *testing.T) {
	var spread *discordgo.ApplicationCommand
	for _, c := range applicationCommands() {
		if c.Name == "spread" {
			spread = c
		}
	}
	b, err := json.Marshal(spread)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	_ = json.Unmarshal(b, &got)
	opts := got["options"].([]any)
	o := opts[0].(map[string]any)
	if got["type"] != float64(1) || o["name"] != "ticker" || o["type"] != float64(3) || o["required"] != true || o["autocomplete"] != true {
		t.Errorf("spread payload = %s", b)
	}
}

func TestInviteURLAndPermissions(t *testing.T) {
	if Permissions != 84992 {
		t.Errorf("Permissions = %d, want 84992 (View Channel, Send Messages, Embed Links, Read Message History)", Permissions)
	}
	want := "https://discord.com/oauth2/authorize?client_id=123&scope=bot%20applications.commands&permissions=84992"
	if got := InviteURL("123"); got != want {
		t.Errorf("InviteURL = %s, want %s", got, want)
	}
	readme, err := os.ReadFile("../../docs/discord.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), strings.Replace(want, "123", "APP_ID", 1)) {
		t.Errorf("docs/discord.md lacks the invite URL template")
	}
}

func TestNewOptions(t *testing.T) {
	key := strings.Repeat("ab", 32)
	h := newRecorder(nil)
	bad := []struct {
		name string
		opts Options
	}{
		{"no handler", Options{Token: "t", Gateway: true}},
		{"gateway without token", Options{Gateway: true, Handler: h}},
		{"listen without key", Options{Token: "t", Listen: ":0", Handler: h}},
		{"short key", Options{Token: "t", PublicKey: "abcd", Handler: h}},
		{"nothing to do", Options{Handler: h}},
		{"bad api url", Options{Token: "t", APIURL: "discord.com", Handler: h}},
		{"bad gateway url", Options{Token: "t", GatewayURL: "http://x", Handler: h}},
	}
	for _, tt := range bad {
		if _, err := New(tt.opts); err == nil {
			t.Errorf("%s: New succeeded", tt.name)
		}
	}
	a, err := New(Options{Token: "Bot t", PublicKey: key, Gateway: true, MessageContent: true, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	if a.s.Token != "Bot t" || a.s.Identify.Intents != Intents|discordgo.IntentMessageContent || a.s.ShouldReconnectOnError {
		t.Errorf("session: token %q intents %d reconnect %v", a.s.Token, a.s.Identify.Intents, a.s.ShouldReconnectOnError)
	}
}
