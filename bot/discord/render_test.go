package discord

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/google/go-cmp/cmp"

	"github.com/spreadwatch/spreadwatch/bot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func spreadReply() bot.Reply {
	return bot.Reply{
		Title: "CIFR — Cipher Mining",
		Text:  "2 bonds; spread over utility (5.10%)",
		Fields: []bot.Field{
			{Name: "Widest", Value: "+480 bp", Inline: true},
			{Name: "Rating", Value: "B", Inline: true},
		},
		Tables: []bot.Table{{
			Title:   "Bonds",
			Columns: []string{"BOND", "COUPON", "YIELD", "SPREAD"},
			Rows: [][]string{
				{"CIFR-7.125-2030", "7.125%", "9.90%", "+480 bp"},
				{"CIFR-6.5-2029", "6.50%", "—", "+140 bp"},
			},
		}},
		Footer:   "as of 2026-07-01 · sample",
		Severity: bot.SeverityInfo,
	}
}

func alertNotification(kind bot.NotificationKind) bot.Notification {
	r := bot.Reply{
		Title:    "FIRING hot — CIFR-7.125-2030",
		Text:     "coupon > utility + 400bp holds: coupon 7.125%, utility 5.10% (+203 bp)",
		Fields:   []bot.Field{{Name: "Rule", Value: "hot", Inline: true}, {Name: "Alert", Value: "A12", Inline: true}},
		Footer:   "as of 2026-07-01 · sample",
		Severity: bot.SeverityWarn,
		Actions: []bot.Action{
			{ID: "ack", Label: "Ack", Command: "ack A12", Style: "primary"},
			{ID: "mute1d", Label: "Mute 1d", Command: "mute rule=hot ticker=CIFR for 1d"},
			{ID: "mute7d", Label: "Mute 7d", Command: "mute rule=hot ticker=CIFR for 7d", Style: "danger"},
		},
	}
	if kind == bot.KindResolved {
		r.Title = "RESOLVED hot — CIFR-7.125-2030"
		r.Severity = bot.SeverityOK
		r.Actions = nil
	}
	return bot.Notification{ID: 7, Platform: "discord", Team: "G1", Channel: "C1", Kind: kind, AlertID: "A12",
		Rule: "hot", Subject: "CIFR-7.125-2030", Ticker: "CIFR", Severity: bot.SeverityWarn, Reply: r}
}

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name string
		msg  message
	}{
		{"spread", render(spreadReply())},
		{"error", render(bot.Reply{Text: `unknown ticker "ZZZZ"; did you mean: spread TICKER`, Error: true, Ephemeral: true, Severity: bot.SeverityError})},
		{"crit_with_mentions", render(bot.Reply{Title: "@everyone <@123>", Text: "text with `ticks` and <@&9>", Severity: bot.SeverityCrit})},
		{"alert_firing", renderAlert(alertNotification(bot.KindFiring))},
		{"alert_resolved", renderAlert(alertNotification(bot.KindResolved))},
		{"empty", render(bot.Reply{})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(tt.msg); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			path := filepath.Join("testdata", "render", tt.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(want, got) {
				t.Errorf("render %s differs from %s (-want +got):\n%s", tt.name, path, cmp.Diff(string(want), string(got)))
			}
		})
	}
}

// checkLimits fails when m breaks one of Discord's limits.
func checkLimits(t *testing.T, m message) {
	t.Helper()
	if n := textLen(m.Content); n > maxContent {
		t.Errorf("content of %d characters", n)
	}
	total := 0
	for _, e := range m.Embeds {
		total += embedLen(e)
		if n := textLen(e.Title); n > maxTitle {
			t.Errorf("title of %d", n)
		}
		if n := textLen(e.Description); n > maxDescription {
			t.Errorf("description of %d", n)
		}
		if len(e.Fields) > maxFields {
			t.Errorf("%d fields", len(e.Fields))
		}
		for _, f := range e.Fields {
			if textLen(f.Name) > maxFieldName || textLen(f.Value) > maxFieldValue || f.Name == "" || f.Value == "" {
				t.Errorf("field %q/%q out of bounds", f.Name, f.Value)
			}
		}
		if e.Footer != nil && textLen(e.Footer.Text) > maxFooter {
			t.Errorf("footer of %d", textLen(e.Footer.Text))
		}
	}
	if total > maxEmbedTotal {
		t.Errorf("embeds total %d characters", total)
	}
	if len(m.Components) > maxRows {
		t.Errorf("%d rows", len(m.Components))
	}
	for _, row := range m.Components {
		r := row.(discordgo.ActionsRow)
		if len(r.Components) > maxButtonsInRow {
			t.Errorf("%d buttons in a row", len(r.Components))
		}
		for _, c := range r.Components {
			b := c.(discordgo.Button)
			if textLen(b.CustomID) > maxCustomID || textLen(b.Label) > maxButtonLabel {
				t.Errorf("button %q/%q out of bounds", b.Label, b.CustomID)
			}
		}
	}
}

func TestContentBoundary(t *testing.T) {
	exact := strings.Repeat("x", maxContent)
	if got := render(bot.Reply{Text: exact}).Content; got != exact {
		t.Errorf("2000 characters were changed (%d)", textLen(got))
	}
	lines := strings.Repeat(strings.Repeat("y", 99)+"\n", 20) + "z" // 2001
	got := render(bot.Reply{Text: lines}).Content
	if textLen(got) > maxContent || !strings.HasSuffix(got, "…and 2 more lines") {
		t.Errorf("2001 characters: %d, ends %q", textLen(got), got[max(0, len(got)-30):])
	}
	one := strings.Repeat("w", maxContent+1)
	got = render(bot.Reply{Text: one}).Content
	if textLen(got) != maxContent || !strings.HasSuffix(got, "…") {
		t.Errorf("one long line: %d characters", textLen(got))
	}
}

func TestFieldsBoundary(t *testing.T) {
	fields := func(n int) []bot.Field {
		var fs []bot.Field
		for i := range n {
			fs = append(fs, bot.Field{Name: fmt.Sprintf("F%d", i), Value: "v"})
		}
		return fs
	}
	m := render(bot.Reply{Fields: fields(25)})
	if got := m.Embeds[0].Fields; len(got) != 25 || got[24].Name != "F24" {
		t.Errorf("25 fields: got %d, last %q", len(got), got[len(got)-1].Name)
	}
	m = render(bot.Reply{Fields: fields(26)})
	got := m.Embeds[0].Fields
	if len(got) != 25 || got[23].Name != "F23" || got[24].Value != "…and 2 more" {
		t.Errorf("26 fields: got %d, last %q=%q", len(got), got[24].Name, got[24].Value)
	}
	checkLimits(t, m)
}

func TestEmbedTotalBoundary(t *testing.T) {
	long := strings.Repeat("v", maxFieldValue)
	var fs []bot.Field
	for i := range 10 {
		fs = append(fs, bot.Field{Name: fmt.Sprintf("F%d", i), Value: long})
	}
	r := bot.Reply{Title: strings.Repeat("t", 300), Text: strings.Repeat("d\n", 3000), Fields: fs, Footer: strings.Repeat("f", 3000)}
	m := render(r)
	checkLimits(t, m)
	e := m.Embeds[0]
	if n := embedLen(e); n > maxEmbedTotal || n < maxEmbedTotal-200 {
		t.Errorf("total %d, want just under %d", n, maxEmbedTotal)
	}
	if !strings.HasSuffix(e.Title, "…") || textLen(e.Title) != maxTitle {
		t.Errorf("title %d characters", textLen(e.Title))
	}
	if last := e.Fields[len(e.Fields)-1]; !strings.HasPrefix(last.Value, "…and ") {
		t.Errorf("dropped fields not counted: last field %q", last.Value)
	}
	if !strings.Contains(e.Description, "more lines") {
		t.Errorf("cut description not counted")
	}

	// Exactly 6000 is kept whole.
	exact := bot.Reply{Title: strings.Repeat("t", 256), Text: strings.Repeat("d", 4096), Footer: strings.Repeat("f", 6000-256-4096)}
	e = render(exact).Embeds[0]
	if embedLen(e) != maxEmbedTotal || strings.Contains(e.Description, "…") {
		t.Errorf("6000 exactly: total %d", embedLen(e))
	}
	// One more is cut.
	exact.Footer += "f"
	e = render(exact).Embeds[0]
	if embedLen(e) > maxEmbedTotal {
		t.Errorf("6001: total %d", embedLen(e))
	}
}

func TestTableTruncation(t *testing.T) {
	var rows [][]string
	for i := range 400 {
		rows = append(rows, []string{fmt.Sprintf("BOND-%03d", i), "9.25%", "+415 bp"})
	}
	m := render(bot.Reply{Title: "spreads", Tables: []bot.Table{{Columns: []string{"BOND", "COUPON", "SPREAD"}, Rows: rows}, {Title: "second", Rows: rows}}})
	checkLimits(t, m)
	d := m.Embeds[0].Description
	if !strings.HasPrefix(d, "```\nBOND      COUPON  SPREAD\nBOND-000  9.25%   +415 bp\n") {
		t.Errorf("table start:\n%s", d[:80])
	}
	if !strings.Contains(d, "more rows") || !strings.Contains(d, "…and 1 more tables") {
		t.Errorf("truncation not counted:\n%s", d[len(d)-120:])
	}
	if strings.Count(d, "```")%2 != 0 {
		t.Errorf("unbalanced code fences")
	}
}

func TestButtons(t *testing.T) {
	var actions []bot.Action
	for i := range 30 {
		actions = append(actions, bot.Action{Label: fmt.Sprintf("B%d", i), Command: fmt.Sprintf("ack A%d", i)})
	}
	actions = append(actions, bot.Action{Label: "dup", Command: "ack A0"}, bot.Action{Label: "none"})
	comps := renderButtons(actions)
	if len(comps) != maxRows {
		t.Fatalf("%d rows, want %d", len(comps), maxRows)
	}
	for _, row := range comps {
		if n := len(row.(discordgo.ActionsRow).Components); n != maxButtonsInRow {
			t.Errorf("row of %d buttons", n)
		}
	}
	long := strings.Repeat("c", 150)
	b := renderButtons([]bot.Action{{Label: strings.Repeat("l", 100), Command: long}})[0].(discordgo.ActionsRow).Components[0].(discordgo.Button)
	if textLen(b.Label) != maxButtonLabel || b.CustomID != customID(long) || len(b.CustomID) > maxCustomID {
		t.Errorf("long button = %+v", b)
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"😀😀", 4, "😀😀"},
		{"😀😀", 3, "😀…"},
		{"😀😀", 2, "…"},
		{"😀😀x", 4, "😀…"},
		{"", 0, ""},
	}
	for _, tt := range tests {
		if got := clip(tt.s, tt.n); got != tt.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestRenderNeverBreaksLimits(t *testing.T) {
	huge := strings.Repeat("ž😀", 5000)
	var fs []bot.Field
	for range 40 {
		fs = append(fs, bot.Field{Name: huge, Value: huge})
	}
	r := bot.Reply{Title: huge, Text: huge, Fields: fs, Footer: huge,
		Tables:  []bot.Table{{Title: huge, Columns: []string{huge}, Rows: [][]string{{huge}, {huge, huge}}}},
		Actions: []bot.Action{{Label: huge, Command: huge}}}
	checkLimits(t, render(r))
	n := bot.Notification{Kind: bot.KindFiring, Reply: r}
	checkLimits(t, renderAlert(n))
}
