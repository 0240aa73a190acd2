package bot

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Command
	}{
		{"help", "help", Command{Name: "help"}},
		{"help with topic, any case", "HELP Rule", Command{Name: "help", Args: []string{"rule"}}},
		{"help two words", "help rule add", Command{Name: "help", Args: []string{"rule", "add"}}},
		{"spread with lowercase ticker and spaces", "  spread cifr \n", Command{Name: "spread", Args: []string{"CIFR"}}},
		{"spread upper command", "SPREAD CIFR", Command{Name: "spread", Args: []string{"CIFR"}}},
		{"spreads all", "spreads", Command{Name: "spreads"}},
		{"spreads watchlist", "spreads HY", Command{Name: "spreads", Args: []string{"hy"}}},
		{"issuer", "issuer corz", Command{Name: "issuer", Args: []string{"CORZ"}}},
		{"watch create", "watch create hy", Command{Name: "watch create", Args: []string{"hy"}}},
		{"watch create slack channel", "watch create hy <#C123|credit>", Command{Name: "watch create", Args: []string{"hy", "C123"}}},
		{"watch create discord channel", "watch create hy <#987654>", Command{Name: "watch create", Args: []string{"hy", "987654"}}},
		{"watch create plain channel", "watch create hy #credit", Command{Name: "watch create", Args: []string{"hy", "credit"}}},
		{"watch add", "watch add hy cifr WULF", Command{Name: "watch add", Args: []string{"hy", "CIFR", "WULF"}}},
		{"watch remove", "Watch Remove hy wulf", Command{Name: "watch remove", Args: []string{"hy", "WULF"}}},
		{"watch show", "watch show hy", Command{Name: "watch show", Args: []string{"hy"}}},
		{"watch list", "watch list", Command{Name: "watch list"}},
		{"watch delete", "watch delete hy", Command{Name: "watch delete", Args: []string{"hy"}}},
		{"rule add minimal", `rule add hot "coupon > utility + 400bp"`, Command{Name: "rule add", Args: []string{"hot", "coupon > utility + 400bp"}}},
		{"rule add single quotes", `rule add hot 'coupon > 9%'`, Command{Name: "rule add", Args: []string{"hot", "coupon > 9%"}}},
		{"rule add all options", `rule add Hot "coupon > 9%" for=2h clear="coupon < 8%" repeat=24h watchlist=HY severity=CRIT max_age=7d`,
			Command{Name: "rule add", Args: []string{"hot", "coupon > 9%"}, Opts: map[string]string{
				"for": "2h", "clear": "coupon < 8%", "repeat": "24h", "watchlist": "hy", "severity": "crit", "max_age": "7d"}}},
		{"rule add option before expr", `rule add hot for=1d "coupon > 9%"`, Command{Name: "rule add", Args: []string{"hot", "coupon > 9%"}, Opts: map[string]string{"for": "1d"}}},
		{"rule add expression with ==", `rule add k "kind == 'miner_hpc'"`, Command{Name: "rule add", Args: []string{"k", "kind == 'miner_hpc'"}}},
		{"rule list", "rule list", Command{Name: "rule list"}},
		{"rule show", "rule show hot", Command{Name: "rule show", Args: []string{"hot"}}},
		{"rule delete", "rule delete hot", Command{Name: "rule delete", Args: []string{"hot"}}},
		{"rule test name", "rule test hot", Command{Name: "rule test", Args: []string{"hot"}}},
		{"rule test expr", `rule test "slip_days > 60"`, Command{Name: "rule test", Args: []string{"slip_days > 60"}}},
		{"rule explain", "rule explain hot", Command{Name: "rule explain", Args: []string{"hot"}}},
		{"rule explain subject keeps case", "rule explain hot CORZ-CRWV-Program", Command{Name: "rule explain", Args: []string{"hot", "CORZ-CRWV-Program"}}},
		{"alerts", "alerts", Command{Name: "alerts"}},
		{"alerts history", "alerts history", Command{Name: "alerts history"}},
		{"alerts history n", "alerts history 50", Command{Name: "alerts history", Args: []string{"50"}}},
		{"mute rule", "mute rule=hot", Command{Name: "mute", Opts: map[string]string{"rule": "hot"}}},
		{"mute ticker for comment", "mute ticker=wulf for 2d earnings week", Command{Name: "mute", Opts: map[string]string{"ticker": "WULF", "for": "2d", "comment": "earnings week"}}},
		{"mute both until", "mute rule=hot ticker=CIFR until 2026-12-01", Command{Name: "mute", Opts: map[string]string{"rule": "hot", "ticker": "CIFR", "until": "2026-12-01"}}},
		{"mute comment only", "mute rule=hot quiet please", Command{Name: "mute", Opts: map[string]string{"rule": "hot", "comment": "quiet please"}}},
		{"mute list", "mute list", Command{Name: "mute list"}},
		{"mute remove", "mute remove s1", Command{Name: "mute remove", Args: []string{"S1"}}},
		{"unmute alias", "unmute S2", Command{Name: "mute remove", Args: []string{"S2"}}},
		{"ack", "ack a1", Command{Name: "ack", Args: []string{"A1"}}},
		{"ack with note", "ack A1 looking into it", Command{Name: "ack", Args: []string{"A1", "looking", "into", "it"}}},
		{"status", "status", Command{Name: "status"}},
		{"refresh", "Refresh", Command{Name: "refresh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCommand(tt.text)
			if err != nil {
				t.Fatalf("ParseCommand(%q) error: %v", tt.text, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParseCommand(%q) (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestParseCommandErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string
	}{
		{"empty", "   ", "empty command; usage: help [COMMAND]"},
		{"unknown command", "sprad CIFR", `unknown command "sprad"; did you mean: spread TICKER`},
		{"unknown command near rule", "rul add x", `unknown command "rul"; did you mean: rule add NAME "EXPR" [for=2h] [clear="EXPR"] [repeat=24h] [watchlist=W] [severity=info|warn|crit] [max_age=7d]`},
		{"unknown command near status", "stauts", `unknown command "stauts"; did you mean: status`},
		{"unbalanced quote", `rule add hot "coupon > 9%`, `cannot read the command: unbalanced quote; did you mean: rule add NAME "EXPR" [for=2h] [clear="EXPR"] [repeat=24h] [watchlist=W] [severity=info|warn|crit] [max_age=7d]`},
		{"spread missing ticker", "spread", "spread needs TICKER; usage: spread TICKER"},
		{"spread too many", "spread CIFR WULF", "too many arguments for spread; usage: spread TICKER"},
		{"spread bad ticker", "spread $$$", `bad ticker "$$$"; usage: spread TICKER`},
		{"issuer missing", "issuer", "issuer needs TICKER; usage: issuer TICKER"},
		{"watch alone", "watch", "watch needs one of: create, add, remove, show, list, delete; usage: watch create NAME [#channel]"},
		{"watch unknown sub", "watch ad hy CIFR", `unknown watch command "ad"; did you mean: watch add NAME TICKER...`},
		{"watch add no tickers", "watch add hy", "watch add needs TICKER...; usage: watch add NAME TICKER..."},
		{"watch create bad name", "watch create h/y", `bad watchlist name "h/y": use letters, digits, '-', '_' or '.', at most 64; usage: watch create NAME [#channel]`},
		{"watch list extra", "watch list x", "watch list takes no arguments; usage: watch list"},
		{"rule unknown sub", "rule ad hot x", `unknown rule command "ad"; did you mean: rule add NAME "EXPR" [for=2h] [clear="EXPR"] [repeat=24h] [watchlist=W] [severity=info|warn|crit] [max_age=7d]`},
		{"rule add unquoted", "rule add hot coupon > 9%", `too many words for rule add: put the expression in quotes; usage: rule add NAME "EXPR" [for=2h] [clear="EXPR"] [repeat=24h] [watchlist=W] [severity=info|warn|crit] [max_age=7d]`},
		{"rule add missing expr", "rule add hot", `rule add needs "EXPR"; usage: rule add NAME "EXPR" [for=2h] [clear="EXPR"] [repeat=24h] [watchlist=W] [severity=info|warn|crit] [max_age=7d]`},
		{"rule add bad for", `rule add hot "coupon > 9%" for=2x`, `bad for=2x: want a duration like 2h, 30m, 7d or 2w; usage: rule add NAME "EXPR" [for=2h] [clear="EXPR"] [repeat=24h] [watchlist=W] [severity=info|warn|crit] [max_age=7d]`},
		{"rule add bad repeat", `rule add hot "coupon > 9%" repeat=soon`, `bad repeat=soon: want a duration like 2h, 30m, 7d or 2w; usage: rule add NAME "EXPR" [for=2h] [clear="EXPR"] [repeat=24h] [watchlist=W] [severity=info|warn|crit] [max_age=7d]`},
		{"rule add bad severity", `rule add hot "coupon > 9%" severity=loud`, `bad severity=loud: want info, warn or crit; usage: rule add NAME "EXPR" [for=2h] [clear="EXPR"] [repeat=24h] [watchlist=W] [severity=info|warn|crit] [max_age=7d]`},
		{"rule add unknown option", `rule add hot "coupon > 9%" every=2h`, `unknown option "every" for rule add (options: for, clear, repeat, watchlist, severity, max_age); usage: rule add NAME "EXPR" [for=2h] [clear="EXPR"] [repeat=24h] [watchlist=W] [severity=info|warn|crit] [max_age=7d]`},
		{"rule add duplicate option", `rule add hot "coupon > 9%" for=1h for=2h`, `option for= given twice; usage: rule add NAME "EXPR" [for=2h] [clear="EXPR"] [repeat=24h] [watchlist=W] [severity=info|warn|crit] [max_age=7d]`},
		{"rule add empty expr", `rule add hot ""`, `empty expression; usage: rule add NAME "EXPR" [for=2h] [clear="EXPR"] [repeat=24h] [watchlist=W] [severity=info|warn|crit] [max_age=7d]`},
		{"rule show missing", "rule show", "rule show needs NAME; usage: rule show NAME"},
		{"rule test missing", "rule test", `rule test needs NAME|"EXPR"; usage: rule test NAME|"EXPR"`},
		{"alerts extra word", "alerts histroy", `unknown alerts command "histroy"; did you mean: alerts history [N]`},
		{"alerts number", "alerts 5", "alerts takes no arguments; usage: alerts"},
		{"alerts history bad n", "alerts history lots", `bad count "lots": want a number from 1 to 500; usage: alerts history [N]`},
		{"alerts history zero", "alerts history 0", `bad count "0": want a number from 1 to 500; usage: alerts history [N]`},
		{"mute alone", "mute", "mute needs rule=NAME, ticker=TICKER or both; usage: mute rule=R|ticker=T [for 2d|until 2026-12-01] [comment...]"},
		{"mute typo sub", "mute lst", `unknown mute command "lst"; did you mean: mute list`},
		{"mute bad duration", "mute rule=hot for 2x", `bad duration "2x": want a duration like 2h, 2d or 1w; usage: mute rule=R|ticker=T [for 2d|until 2026-12-01] [comment...]`},
		{"mute for missing", "mute rule=hot for", "for needs a duration like 2d; usage: mute rule=R|ticker=T [for 2d|until 2026-12-01] [comment...]"},
		{"mute bad date", "mute rule=hot until tomorrow", `bad date "tomorrow": want YYYY-MM-DD; usage: mute rule=R|ticker=T [for 2d|until 2026-12-01] [comment...]`},
		{"mute unknown option", "mute channel=x", `unknown option "channel" for mute (options: rule, ticker); usage: mute rule=R|ticker=T [for 2d|until 2026-12-01] [comment...]`},
		{"mute remove missing", "mute remove", "mute remove needs ID; usage: mute remove ID"},
		{"ack missing", "ack", "ack needs ALERT; usage: ack ALERT [note...]"},
		{"status extra", "status now", "status takes no arguments; usage: status"},
		{"refresh extra", "refresh all", "refresh takes no arguments; usage: refresh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCommand(tt.text)
			var ue *UserError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseCommand(%q) error = %v, want a *UserError", tt.text, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("ParseCommand(%q) error:\n got %s\nwant %s", tt.text, got, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("ParseCommand(%q) error has more than one line", tt.text)
			}
		})
	}
}

func TestParseCommandTooLong(t *testing.T) {
	_, err := ParseCommand("spread " + strings.Repeat("x", MaxCommandLen))
	if err == nil || !strings.HasPrefix(err.Error(), "command too long") {
		t.Errorf("ParseCommand(long) error = %v, want command too long", err)
	}
}

// TestCommandTableComplete checks that every command has a handler, a
// summary and an example that parses to that command.
func TestCommandTableComplete(t *testing.T) {
	b := &Bot{}
	hs := b.handlerTable()
	for _, s := range commandTable {
		name := s.name
		if s.alias != "" {
			name = s.alias
		}
		if hs[name] == nil {
			t.Errorf("command %q has no handler", s.name)
		}
		if s.summary == "" || s.example == "" {
			t.Errorf("command %q lacks a summary or an example", s.name)
		}
		cmd, err := ParseCommand(s.example)
		if err != nil {
			t.Errorf("example %q of %q: %v", s.example, s.name, err)
			continue
		}
		if cmd.Name != name {
			t.Errorf("example %q parses as %q, want %q", s.example, cmd.Name, name)
		}
	}
	if len(Commands()) != len(commandTable) {
		t.Errorf("Commands() has %d entries, want %d", len(Commands()), len(commandTable))
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"0", 0}, {"2h", 2 * time.Hour}, {"30m", 30 * time.Minute}, {"7d", 7 * Day}, {"2w", 14 * Day},
		{"1mo", 30 * Day}, {"1y", 365 * Day}, {"1d12h", 36 * time.Hour}, {"1.5h", 90 * time.Minute}, {"90s", 90 * time.Second}, {"2H", 2 * time.Hour},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "2x", "h", "-2h", "2", "1000000y", "2h-", "..h"} {
		if d, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", bad, d)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0", 2 * time.Hour: "2h", 7 * Day: "1w", 36 * time.Hour: "1d12h", 45 * time.Minute: "45m"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestChannelID(t *testing.T) {
	for in, want := range map[string]string{
		"<#C123|credit>": "C123", "<#987>": "987", "#credit": "credit", "C555": "C555", "": "", "<#>": "", "a b": "",
	} {
		if got := ChannelID(in); got != want {
			t.Errorf("ChannelID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRoles(t *testing.T) {
	rs := Roles{Users: map[string]Role{"U1": RoleViewer, "slack:U2": RoleAdmin, "U2": RoleViewer}}
	tests := []struct {
		platform, user string
		want           Role
	}{
		{"slack", "U1", RoleViewer},
		{"slack", "U2", RoleAdmin},
		{"discord", "U2", RoleViewer},
		{"slack", "U3", RoleEditor},
		{"console", "U1", RoleAdmin},
	}
	for _, tt := range tests {
		if got := rs.For(tt.platform, tt.user); got != tt.want {
			t.Errorf("For(%q, %q) = %q, want %q", tt.platform, tt.user, got, tt.want)
		}
	}
	if got := (Roles{Default: RoleViewer}).For("slack", "x"); got != RoleViewer {
		t.Errorf("default viewer: got %q", got)
	}
	if !RoleAdmin.AtLeast(RoleEditor) || RoleViewer.AtLeast(RoleEditor) || !RoleEditor.AtLeast(RoleViewer) {
		t.Error("role order wrong")
	}
	if _, err := ParseRole("boss"); err == nil {
		t.Error("ParseRole(boss) succeeded")
	}
}

func TestLevenshtein(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"sprad", "spread", 1}, {"kitten", "sitting", 3}, {"abc", "", 3}} {
		if got := levenshtein(tt.a, tt.b); got != tt.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range commandTable {
		f.Add(s.example)
		f.Add(s.usage())
	}
	for _, s := range []string{"", `"`, `'`, `\`, "rule add x \"a\" for=", "mute rule= for", "watch create a <#|>", "alerts history 99999999999999999999", "\x00", "ack \u00e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := ParseCommand(text)
		if err != nil {
			var ue *UserError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseCommand(%q) returned a %T, want *UserError", text, err)
			}
			if strings.ContainsAny(ue.Msg, "\n") && len(text) < 100 && !strings.ContainsAny(text, "\n") {
				t.Fatalf("multi-line error for %q: %q", text, ue.Msg)
			}
			return
		}
		if lookupSpec(cmd.Name) == nil {
			t.Fatalf("ParseCommand(%q) = unknown command %q", text, cmd.Name)
		}
	})
}
