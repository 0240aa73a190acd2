package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadGood(t *testing.T) {
	c, err := LoadFile("testdata/conf.good.yaml", nil)
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	f := false
	want := &Config{
		DB: filepath.Join("testdata", "state/bot.db"),
		Data: Data{
			Paths:     []string{filepath.Join("testdata", "feeds/issuers.json"), filepath.Join("testdata", "feeds/csv")},
			Refresh:   Duration(10 * time.Minute),
			Retention: 200,
		},
		Notify:  Notify{Resolved: true},
		Roles:   Roles{Default: "viewer", Users: map[string]string{"U024BE7LH": "admin", "discord:81234": "editor"}},
		Console: Console{Enabled: "auto"},
		Admin:   Admin{Listen: "127.0.0.1:9090"},
		Log:     Log{Level: "info", Format: "text"},
		Slack: Slack{BotToken: "xoxb-test-token", SigningSecret: "shh",
			APIURL: "http://127.0.0.1:9999/api/", Listen: "127.0.0.1:3000"},
		Discord: Discord{Token: "Bot-secret", ApplicationID: "1234567890",
			PublicKey: "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29",
			Listen:    "127.0.0.1:3001", Gateway: &f},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("LoadFile (-want +got):\n%s", diff)
	}
	if c.ConsoleEnabled() {
		t.Error("ConsoleEnabled() = true with Slack and Discord configured, want false")
	}
	if !c.Slack.Enabled() || !c.Discord.Enabled() || c.Discord.GatewayEnabled() {
		t.Errorf("Enabled flags: slack %v discord %v gateway %v", c.Slack.Enabled(), c.Discord.Enabled(), c.Discord.GatewayEnabled())
	}
}

func TestDefault(t *testing.T) {
	c, err := FromEnv(nil)
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	if c.DB != "spreadwatch.db" || len(c.Data.Paths) != 0 || !c.ConsoleEnabled() || c.Admin.Listen != "" {
		t.Errorf("Default = %+v, want console on the sample with ./spreadwatch.db", c)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"conf.unknown-key.yaml", []string{`line 2: unknown key "slak"`}},
		{"conf.bad-duration.yaml", []string{`line 2: want a duration such as 5m, 2h or 7d, got "5x"`}},
		{"conf.bad-values.yaml", []string{
			"data.refresh: must be at least 1s",
			`roles.default: want viewer, editor or admin, got "boss"`,
			`log.level: want debug, info, warn or error, got "loud"`,
			`slack.listen: want host:port such as 127.0.0.1:8080, got "not-a-host"`,
			"slack.signing_secret: is required with slack.listen",
			"discord.public_key: want the application's 64-hex-digit Ed25519 public key",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := LoadFile(filepath.Join("testdata", tt.file), nil)
			if err == nil {
				t.Fatal("LoadFile succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestEnvOverrides(t *testing.T) {
	c, err := Load(strings.NewReader("slack:\n  app_token: xapp-from-file\n"), "", env(map[string]string{
		"SPREADWATCH_SLACK_BOT_TOKEN":      "xoxb-env",
		"SPREADWATCH_SLACK_APP_TOKEN":      "xapp-env",
		"SPREADWATCH_SLACK_SIGNING_SECRET": "sig-env",
		"SPREADWATCH_DISCORD_TOKEN":        "disc-env",
		"SPREADWATCH_DISCORD_PUBLIC_KEY":   strings.Repeat("ab", 32),
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := []string{string(c.Slack.BotToken), string(c.Slack.AppToken), string(c.Slack.SigningSecret), string(c.Discord.Token), c.Discord.PublicKey}
	want := []string{"xoxb-env", "xapp-env", "sig-env", "disc-env", strings.Repeat("ab", 32)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("overrides (-want +got):\n%s", diff)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	s := Secret("xoxb-very-secret")
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("cfg", "token", s)
	js, _ := json.Marshal(struct{ T Secret }{s})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s), logs.String(), string(js)} {
		if strings.Contains(out, "very-secret") {
			t.Errorf("secret leaked: %q", out)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := map[string]time.Duration{"90s": 90 * time.Second, "5m": 5 * time.Minute, "2h": 2 * time.Hour,
		"7d": 7 * 24 * time.Hour, "1.5d": 36 * time.Hour, "2w": 14 * 24 * time.Hour}
	for in, want := range tests {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2x", "-1h", "d", "1e9d"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) succeeded, want an error", in)
		}
	}
}

func FuzzLoadConfig(f *testing.F) {
	for _, name := range []string{"conf.good.yaml", "conf.unknown-key.yaml", "conf.bad-values.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Load(bytes.NewReader(data), "", nil)
		if err == nil && c.Validate() != nil {
			t.Errorf("Load accepted a config that does not validate")
		}
	})
}

func TestWrongTypeMessage(t *testing.T) {
	_, err := Load(strings.NewReader("slack:\n  bot_token: [a, b]\n"), "", nil)
	if err == nil || !strings.Contains(err.Error(), "line 2: wrong type: got a list") || strings.Contains(err.Error(), "config.Secret") {
		t.Errorf("Load = %v, want a one-line wrong-type error without Go type names", err)
	}
}
