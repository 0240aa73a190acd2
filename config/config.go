// Package config reads spreadwatch's YAML configuration: defaults, strict
// decoding (unknown keys are errors that name the key and its line),
// environment overrides for secrets, and validation with messages that say
// how to fix the problem.
//
// It imports no other spreadwatch package; cmd/spreadwatch maps it onto
// each component's own Options.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration. The zero value is not useful; start
// from Default or Load.
type Config struct {
	// DB is the bbolt file. Relative paths resolve against the config
	// file's directory (or the working directory without a file).
	DB      string  `yaml:"db"`
	Data    Data    `yaml:"data"`
	Notify  Notify  `yaml:"notify"`
	Roles   Roles   `yaml:"roles"`
	Console Console `yaml:"console"`
	Admin   Admin   `yaml:"admin"`
	Log     Log     `yaml:"log"`
	Slack   Slack   `yaml:"slack"`
	Discord Discord `yaml:"discord"`
}

// Data says where issuer data comes from.
type Data struct {
	// Paths are feed files (JSON) or CSV directories; all are read and
	// form a history ordered by as_of. Empty means the embedded sample.
	Paths []string `yaml:"paths"`
	// Refresh is how often the files are re-read (they are also re-read
	// when they change and on the refresh command).
	Refresh Duration `yaml:"refresh"`
	// Retention is how many snapshots are kept for history (0 = all).
	Retention int `yaml:"retention"`
}

// Notify controls which notifications are sent.
type Notify struct {
	// Resolved sends a notification when an alert resolves.
	Resolved bool `yaml:"resolved"`
}

// Roles maps platform user ids to roles.
type Roles struct {
	// Default is the role of users not listed: viewer, editor or admin.
	Default string `yaml:"default"`
	// Users maps a user id ("U024BE7LH", or "slack:U024BE7LH",
	// "discord:81234") to a role.
	Users map[string]string `yaml:"users"`
}

// Console is the terminal chat.
type Console struct {
	// Enabled is "auto" (on unless Slack or Discord is configured),
	// "true" or "false".
	Enabled string `yaml:"enabled"`
}

// Admin is the operator HTTP endpoint (/healthz, /readyz, /metrics).
type Admin struct {
	// Listen is host:port; empty turns the endpoint off.
	Listen string `yaml:"listen"`
}

// Log configures the structured log on stderr.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// Slack configures the Slack adapter. It is enabled when any token or the
// signing secret is set.
type Slack struct {
	BotToken      Secret `yaml:"bot_token"`
	AppToken      Secret `yaml:"app_token"`
	SigningSecret Secret `yaml:"signing_secret"`
	// APIURL is the Web API base URL (default Slack's).
	APIURL string `yaml:"api_url"`
	// Listen is host:port for HTTP mode (slash commands, events,
	// interactions); empty means Socket Mode only.
	Listen string `yaml:"listen"`
	// QueriesInChannel answers queries visibly in the channel; errors are
	// always ephemeral.
	QueriesInChannel *bool `yaml:"queries_in_channel"`
}

// Enabled reports whether Slack is configured.
func (s Slack) Enabled() bool {
	return s.BotToken != "" || s.AppToken != "" || s.SigningSecret != ""
}

// Discord configures the Discord adapter. It is enabled when the token or
// the public key is set.
type Discord struct {
	Token         Secret `yaml:"token"`
	ApplicationID string `yaml:"application_id"`
	// PublicKey is the application's Ed25519 public key, hex.
	PublicKey string `yaml:"public_key"`
	// GuildID registers commands in one guild (instant) instead of
	// globally.
	GuildID    string `yaml:"guild_id"`
	APIURL     string `yaml:"api_url"`
	GatewayURL string `yaml:"gateway_url"`
	// Listen is host:port for the HTTP interactions endpoint.
	Listen string `yaml:"listen"`
	// Gateway connects the gateway websocket (default true); false runs
	// on the HTTP endpoint alone.
	Gateway *bool `yaml:"gateway"`
	// Prefix starts a text command in a message, e.g. "!sw".
	Prefix string `yaml:"prefix"`
}

// Enabled reports whether Discord is configured.
func (d Discord) Enabled() bool { return d.Token != "" || d.PublicKey != "" }

// GatewayEnabled reports whether to connect the gateway.
func (d Discord) GatewayEnabled() bool { return d.Gateway == nil || *d.Gateway }

// ConsoleEnabled reports whether the terminal chat runs.
func (c *Config) ConsoleEnabled() bool {
	switch c.Console.Enabled {
	case "true":
		return true
	case "false":
		return false
	}
	return !c.Slack.Enabled() && !c.Discord.Enabled()
}

// Default returns the configuration used without a config file: console
// chat, the embedded sample, ./spreadwatch.db.
func Default() *Config {
	return &Config{
		DB:      "spreadwatch.db",
		Data:    Data{Refresh: Duration(5 * time.Minute), Retention: 1000},
		Notify:  Notify{Resolved: true},
		Roles:   Roles{Default: "editor"},
		Console: Console{Enabled: "auto"},
		Log:     Log{Level: "info", Format: "text"},
	}
}

// Env overrides for secrets: variable name → what it sets.
var envOverrides = []struct {
	name string
	set  func(c *Config, v string)
}{
	{"SPREADWATCH_SLACK_BOT_TOKEN", func(c *Config, v string) { c.Slack.BotToken = Secret(v) }},
	{"SPREADWATCH_SLACK_APP_TOKEN", func(c *Config, v string) { c.Slack.AppToken = Secret(v) }},
	{"SPREADWATCH_SLACK_SIGNING_SECRET", func(c *Config, v string) { c.Slack.SigningSecret = Secret(v) }},
	{"SPREADWATCH_DISCORD_TOKEN", func(c *Config, v string) { c.Discord.Token = Secret(v) }},
	{"SPREADWATCH_DISCORD_PUBLIC_KEY", func(c *Config, v string) { c.Discord.PublicKey = v }},
}

// EnvNames lists the environment variables Load reads.
func EnvNames() []string {
	names := make([]string, len(envOverrides))
	for i, o := range envOverrides {
		names[i] = o.name
	}
	return names
}

// maxConfigBytes bounds the config file.
const maxConfigBytes = 1 << 20

// Load reads YAML from r on top of Default, applies environment overrides
// from getenv (nil: none), resolves relative paths against dir, and
// validates. Unknown keys are errors naming the key and its line.
func Load(r io.Reader, dir string, getenv func(string) string) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("config is larger than %d bytes", maxConfigBytes)
	}
	c := Default()
	if len(bytes.TrimSpace(data)) > 0 {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config: %s", cleanYAMLError(err))
		}
	}
	c.applyEnv(getenv)
	c.resolve(dir)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadFile is Load on a file; relative paths resolve against its directory.
func LoadFile(path string, getenv func(string) string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	c, err := Load(f, filepath.Dir(path), getenv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// FromEnv returns Default with environment overrides applied and validated:
// the configuration without a file.
func FromEnv(getenv func(string) string) (*Config, error) {
	c := Default()
	c.applyEnv(getenv)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) applyEnv(getenv func(string) string) {
	if getenv == nil {
		return
	}
	for _, o := range envOverrides {
		if v := getenv(o.name); v != "" {
			o.set(c, v)
		}
	}
}

func (c *Config) resolve(dir string) {
	if dir == "" {
		return
	}
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.DB = abs(c.DB)
	for i, p := range c.Data.Paths {
		c.Data.Paths[i] = abs(p)
	}
}

// Validate checks the configuration; every problem is reported with the
// key it concerns and how to fix it.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.DB == "" {
		bad("db", "must name a database file, e.g. spreadwatch.db")
	}
	if c.Data.Refresh < Duration(time.Second) {
		bad("data.refresh", "must be at least 1s, got %s", c.Data.Refresh)
	}
	if c.Data.Retention < 0 {
		bad("data.retention", "must be 0 (keep all) or a positive count, got %d", c.Data.Retention)
	}
	for i, p := range c.Data.Paths {
		if strings.TrimSpace(p) == "" {
			bad(fmt.Sprintf("data.paths[%d]", i), "is empty")
		}
	}
	if !validRole(c.Roles.Default) {
		bad("roles.default", "want viewer, editor or admin, got %q", c.Roles.Default)
	}
	for id, role := range c.Roles.Users {
		if !validRole(role) {
			bad("roles.users."+id, "want viewer, editor or admin, got %q", role)
		}
	}
	switch c.Console.Enabled {
	case "auto", "true", "false":
	default:
		bad("console.enabled", "want auto, true or false, got %q", c.Console.Enabled)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "want debug, info, warn or error, got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "want text or json, got %q", c.Log.Format)
	}
	checkListen := func(key, v string) {
		if v == "" {
			return
		}
		if _, _, err := net.SplitHostPort(v); err != nil {
			bad(key, "want host:port such as 127.0.0.1:8080, got %q", v)
		}
	}
	checkURL := func(key, v string) {
		if v != "" && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") &&
			!strings.HasPrefix(v, "ws://") && !strings.HasPrefix(v, "wss://") {
			bad(key, "want an http(s):// or ws(s):// URL, got %q", v)
		}
	}
	checkListen("admin.listen", c.Admin.Listen)
	checkListen("slack.listen", c.Slack.Listen)
	checkListen("discord.listen", c.Discord.Listen)
	checkURL("slack.api_url", c.Slack.APIURL)
	checkURL("discord.api_url", c.Discord.APIURL)
	checkURL("discord.gateway_url", c.Discord.GatewayURL)
	if c.Slack.Enabled() {
		if c.Slack.Listen != "" && c.Slack.SigningSecret == "" {
			bad("slack.signing_secret", "is required with slack.listen (HTTP mode); set it or SPREADWATCH_SLACK_SIGNING_SECRET")
		}
		if c.Slack.Listen == "" && c.Slack.AppToken == "" {
			bad("slack", "set slack.listen (HTTP mode, with signing_secret) or slack.app_token (Socket Mode)")
		}
		if c.Slack.AppToken != "" && !strings.HasPrefix(string(c.Slack.AppToken), "xapp-") {
			bad("slack.app_token", "an app-level token starts with xapp-")
		}
	}
	if c.Discord.Enabled() {
		if c.Discord.PublicKey != "" {
			if k, err := hexLen(c.Discord.PublicKey); err != nil || k != 32 {
				bad("discord.public_key", "want the application's 64-hex-digit Ed25519 public key")
			}
		}
		if c.Discord.Listen != "" && c.Discord.PublicKey == "" {
			bad("discord.public_key", "is required with discord.listen (HTTP interactions); set it or SPREADWATCH_DISCORD_PUBLIC_KEY")
		}
		if c.Discord.GatewayEnabled() && c.Discord.Token == "" {
			bad("discord.token", "is required for the gateway; set it, SPREADWATCH_DISCORD_TOKEN, or discord.gateway: false")
		}
		if !c.Discord.GatewayEnabled() && c.Discord.Listen == "" {
			bad("discord.listen", "is required when discord.gateway is false")
		}
		if c.Discord.ApplicationID != "" {
			if _, err := strconv.ParseUint(c.Discord.ApplicationID, 10, 64); err != nil {
				bad("discord.application_id", "want a numeric id, got %q", c.Discord.ApplicationID)
			}
		}
	}
	return errors.Join(errs...)
}

func validRole(r string) bool { return r == "viewer" || r == "editor" || r == "admin" }

func hexLen(s string) (int, error) {
	if len(s)%2 != 0 {
		return 0, errors.New("odd length")
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return 0, errors.New("not hex")
		}
	}
	return len(s) / 2, nil
}

// cleanYAMLError turns yaml.v3's messages into one line per problem, e.g.
// "line 3: field slak not found in type config.Config" becomes
// "line 3: unknown key \"slak\"".
func cleanYAMLError(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		out := make([]string, len(te.Errors))
		for i, e := range te.Errors {
			out[i] = cleanLine(e)
		}
		return strings.Join(out, "; ")
	}
	return cleanLine(err.Error())
}

func cleanLine(s string) string {
	s = strings.TrimPrefix(s, "yaml: ")
	// "line 3: cannot unmarshal !!seq into config.Secret" names a Go type;
	// say what YAML was given instead.
	if i := strings.Index(s, "cannot unmarshal !!"); i >= 0 {
		kind := s[i+len("cannot unmarshal !!"):]
		if sp := strings.IndexByte(kind, ' '); sp >= 0 {
			kind = kind[:sp]
		}
		names := map[string]string{"seq": "a list", "map": "a mapping", "str": "a string", "int": "a number",
			"float": "a number", "bool": "true or false", "null": "nothing"}
		if n, ok := names[kind]; ok {
			kind = n
		}
		return s[:i] + "wrong type: got " + kind
	}
	if i := strings.Index(s, "field "); i >= 0 && strings.Contains(s, " not found in type ") {
		rest := s[i+len("field "):]
		name := rest[:strings.Index(rest, " not found")]
		return s[:i] + fmt.Sprintf("unknown key %q", name)
	}
	return s
}
