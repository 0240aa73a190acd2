package slack

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestManifest checks that the app manifest in deploy/ asks for what the
// adapter uses and points at the endpoints it serves.
func TestManifest(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			SlashCommands []struct {
				Command string `yaml:"command"`
				URL     string `yaml:"url"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Events struct {
				URL       string   `yaml:"request_url"`
				BotEvents []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				Enabled bool   `yaml:"is_enabled"`
				URL     string `yaml:"request_url"`
			} `yaml:"interactivity"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"chat:write", "commands", "app_mentions:read"} {
		if !slices.Contains(m.OAuth.Scopes.Bot, s) {
			t.Errorf("bot scopes %v lack %s", m.OAuth.Scopes.Bot, s)
		}
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/spreadwatch" ||
		!strings.HasSuffix(m.Features.SlashCommands[0].URL, CommandsPath) {
		t.Errorf("slash commands = %+v, want /spreadwatch at %s", m.Features.SlashCommands, CommandsPath)
	}
	if !strings.HasSuffix(m.Settings.Events.URL, EventsPath) || !slices.Contains(m.Settings.Events.BotEvents, "app_mention") {
		t.Errorf("event subscriptions = %+v", m.Settings.Events)
	}
	if !m.Settings.Interactivity.Enabled || !strings.HasSuffix(m.Settings.Interactivity.URL, InteractionsPath) {
		t.Errorf("interactivity = %+v", m.Settings.Interactivity)
	}
}
