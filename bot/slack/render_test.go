package slack

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/spreadwatch/spreadwatch/bot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func alertActions() []bot.Action {
	return []bot.Action{
		{ID: "ack", Label: "Ack", Command: "ack A12", Style: "primary"},
		{ID: "mute1d", Label: "Mute 1d", Command: "mute rule hi-coupon ticker CIFR 1d"},
		{ID: "mute7d", Label: "Mute 7d", Command: "mute rule hi-coupon ticker CIFR 7d", Style: "danger"},
	}
}

func bigTable(n int) bot.Table {
	t := bot.Table{Title: "Spreads", Columns: []string{"Ticker", "Bond", "Coupon", "Spread"}}
	for i := range n {
		t.Rows = append(t.Rows, []string{fmt.Sprintf("T%03d", i), fmt.Sprintf("T%03d 9.125%% 2030", i), "9.125%", fmt.Sprintf("+%d bp", 300+i)})
	}
	return t
}

func TestRenderGolden(t *testing.T) {
	tests := []struct {
		name  string
		reply bot.Reply
		opts  renderOptions
	}{
		{"spread", spreadReply("NRTH — North Compute Corp"), renderOptions{}},
		{"error", bot.Reply{Text: `unknown command "sprad"; did you mean: spread TICKER`, Severity: bot.SeverityError, Error: true, Ephemeral: true}, renderOptions{}},
		{"alert_firing", bot.Reply{
			Title:    "hi-coupon firing: CIFR 7.125% 2030",
			Text:     "coupon 7.125% > utility + 400bp (5.10% + 4.00%)",
			Fields:   []bot.Field{{Name: "Rule", Value: "hi-coupon", Inline: true}, {Name: "Alert", Value: "A12", Inline: true}, {Name: "Spread", Value: "+415 bp", Inline: true}},
			Footer:   "as of 2026-07-01 · source: sample",
			Severity: bot.SeverityCrit,
			Actions:  alertActions(),
		}, renderOptions{actions: true}},
		{"alert_resolved", bot.Reply{
			Title:    "hi-coupon resolved: CIFR 7.125% 2030",
			Text:     "no longer holds",
			Footer:   "as of 2026-07-02 · source: sample",
			Severity: bot.SeverityOK,
			Actions:  alertActions(),
		}, renderOptions{}},
		{"injection", bot.Reply{
			Title:  "<!channel> & <@U123>",
			Text:   "rule `x` says <!here> & <https://evil.example|click>",
			Fields: []bot.Field{{Name: "<!everyone>", Value: "a < b > c"}},
			Tables: []bot.Table{{Columns: []string{"Name", "Expr"}, Rows: [][]string{{"hi", "coupon > 9% && `yield` < 12%"}}}},
			Footer: "by <@U999>",
		}, renderOptions{}},
		{"big_table", bot.Reply{Title: "Spreads", Tables: []bot.Table{bigTable(400)}, Footer: "as of 2026-07-01 · source: sample"}, renderOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := render(tt.reply, tt.opts)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // readable goldens; Slack decodes either form
			enc.SetIndent("", "  ")
			if err := enc.Encode(m); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			checkLimits(t, m)
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
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("render(%s) (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

// checkLimits fails the test if m breaks one of Slack's limits.
func checkLimits(t *testing.T, m message) {
	t.Helper()
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.Blocks); n > maxBlocks {
		t.Errorf("%d blocks, want at most %d", n, maxBlocks)
	}
	if n := utf8.RuneCountInString(m.Text); n > maxTextChars || n == 0 {
		t.Errorf("text has %d characters, want 1..%d", n, maxTextChars)
	}
	total := 0
	for _, s := range blockTexts(t, raw) {
		total += utf8.RuneCountInString(s)
		if n := utf8.RuneCountInString(s); n > maxSectionChars {
			t.Errorf("a text object has %d characters, want at most %d", n, maxSectionChars)
		}
	}
	if total > maxTotalChars {
		t.Errorf("blocks hold %d characters, want at most %d", total, maxTotalChars)
	}
	var bs []struct {
		Type   string            `json:"type"`
		Text   *json.RawMessage  `json:"text"`
		Fields []json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(raw, &bs); err != nil {
		t.Fatal(err)
	}
	for i, b := range bs {
		if len(b.Fields) > maxFieldsPerSection {
			t.Errorf("block %d has %d fields, want at most %d", i, len(b.Fields), maxFieldsPerSection)
		}
	}
	// plain_text (header, buttons) is never parsed for mentions; mrkdwn and
	// the fallback text are.
	for _, s := range append(mrkdwnTexts(t, raw), m.Text) {
		for _, bad := range []string{"<!", "<@", "<http"} {
			if strings.Contains(s, bad) {
				t.Errorf("text %q contains unescaped %q", s, bad)
			}
		}
	}
}

// sections returns the mrkdwn text of each section block.
func sections(t *testing.T, m message) []string {
	t.Helper()
	raw, _ := json.Marshal(m.Blocks)
	var bs []struct {
		Type string `json:"type"`
		Text *struct {
			Text string `json:"text"`
		} `json:"text"`
		Fields []struct {
			Text string `json:"text"`
		} `json:"fields"`
	}
	if err := json.Unmarshal(raw, &bs); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range bs {
		if b.Type == "section" && b.Text != nil {
			out = append(out, b.Text.Text)
		}
	}
	return out
}

func fieldCounts(t *testing.T, m message) []int {
	t.Helper()
	raw, _ := json.Marshal(m.Blocks)
	var bs []struct {
		Type   string            `json:"type"`
		Fields []json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(raw, &bs); err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, b := range bs {
		if len(b.Fields) > 0 {
			out = append(out, len(b.Fields))
		}
	}
	return out
}

func TestRenderTextBoundary(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []int // characters of each section
	}{
		{"3000 in one section", strings.Repeat("a", 3000), []int{3000}},
		{"3001 split", strings.Repeat("a", 3001), []int{3000, 1}},
		{"lines packed up to 3000", strings.Repeat(strings.Repeat("b", 99)+"\n", 30) + "c", []int{2999, 1}},
		{"escaping counts", strings.Repeat("&", 600), []int{3000}},
		{"escaping splits", strings.Repeat("&", 601), []int{3000, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := render(bot.Reply{Text: tt.text}, renderOptions{})
			checkLimits(t, m)
			var got []int
			for _, s := range sections(t, m) {
				got = append(got, utf8.RuneCountInString(s))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("section sizes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderFields(t *testing.T) {
	fields := func(n int) []bot.Field {
		var fs []bot.Field
		for i := range n {
			fs = append(fs, bot.Field{Name: fmt.Sprintf("F%d", i), Value: "v", Inline: true})
		}
		return fs
	}
	for _, tt := range []struct {
		n    int
		want []int
	}{{10, []int{10}}, {11, []int{10, 1}}, {25, []int{10, 10, 5}}} {
		m := render(bot.Reply{Fields: fields(tt.n)}, renderOptions{})
		checkLimits(t, m)
		if diff := cmp.Diff(tt.want, fieldCounts(t, m)); diff != "" {
			t.Errorf("%d fields: per-section counts (-want +got):\n%s", tt.n, diff)
		}
	}

	// A field's text is at most 2000 characters: "*N*\n" plus the value.
	for _, tt := range []struct {
		value    string
		wantLen  int
		wantTail string
	}{
		{strings.Repeat("x", 1996), 2000, "x"},
		{strings.Repeat("x", 1997), 2000, "…"},
	} {
		m := render(bot.Reply{Fields: []bot.Field{{Name: "N", Value: tt.value}}}, renderOptions{})
		raw, _ := json.Marshal(m.Blocks)
		texts := blockTexts(t, raw)
		if len(texts) != 1 || utf8.RuneCountInString(texts[0]) != tt.wantLen || !strings.HasSuffix(texts[0], tt.wantTail) {
			t.Errorf("value of %d: field text has %d characters ending %q, want %d ending %q",
				len(tt.value), utf8.RuneCountInString(texts[0]), texts[0][len(texts[0])-3:], tt.wantLen, tt.wantTail)
		}
	}
}

func TestRenderTruncates(t *testing.T) {
	t.Run("50 blocks", func(t *testing.T) {
		var fs []bot.Field
		for i := range 600 {
			fs = append(fs, bot.Field{Name: "F", Value: fmt.Sprint(i)})
		}
		m := render(bot.Reply{Title: "Many", Fields: fs, Footer: "as of today", Actions: alertActions()}, renderOptions{actions: true})
		checkLimits(t, m)
		if len(m.Blocks) != maxBlocks {
			t.Errorf("%d blocks, want exactly %d", len(m.Blocks), maxBlocks)
		}
		shown := 0
		for _, n := range fieldCounts(t, m) {
			shown += n
		}
		raw, _ := json.Marshal(m.Blocks)
		notice := fmt.Sprintf("_…and %d more fields_", 600-shown)
		if !strings.Contains(string(raw), notice) {
			t.Errorf("blocks lack the notice %q", notice)
		}
		if got := blockTypes(t, raw); got[len(got)-2] != "context" || got[len(got)-1] != "actions" {
			t.Errorf("last blocks are %v, want the footer and the buttons kept", got[len(got)-3:])
		}
	})
	t.Run("cumulative characters", func(t *testing.T) {
		lines := make([]string, 400)
		for i := range lines {
			lines[i] = fmt.Sprintf("%03d %s", i, strings.Repeat("z", 76))
		}
		m := render(bot.Reply{Text: strings.Join(lines, "\n")}, renderOptions{})
		checkLimits(t, m)
		secs := sections(t, m)
		shown := 0
		for _, s := range secs {
			shown += strings.Count(s, "\n") + 1
		}
		raw, _ := json.Marshal(m.Blocks)
		notice := fmt.Sprintf("_…and %d more lines_", 400-shown)
		if !strings.Contains(string(raw), notice) {
			t.Errorf("blocks lack the notice %q", notice)
		}
		if !strings.Contains(m.Text, "more lines") {
			t.Errorf("text fallback (%d chars) was not cut with a notice", utf8.RuneCountInString(m.Text))
		}
	})
	t.Run("table rows", func(t *testing.T) {
		m := render(bot.Reply{Tables: []bot.Table{bigTable(400)}}, renderOptions{})
		checkLimits(t, m)
		rows := 0
		for _, s := range sections(t, m) {
			rows += strings.Count(s, "+") // one spread per row
		}
		raw, _ := json.Marshal(m.Blocks)
		notice := fmt.Sprintf("_…and %d more rows_", 400-rows)
		if rows == 0 || rows == 400 || !strings.Contains(string(raw), notice) {
			t.Errorf("%d rows shown; blocks lack the notice %q", rows, notice)
		}
		for _, s := range sections(t, m) {
			if !strings.Contains(s, "```\n") || !strings.HasSuffix(s, "\n```") {
				t.Errorf("table section is not one code block: %.60q…", s)
			}
		}
	})
	t.Run("smaller budget", func(t *testing.T) {
		m := render(bot.Reply{Tables: []bot.Table{bigTable(400)}}, renderOptions{maxChars: 3000})
		raw, _ := json.Marshal(m.Blocks)
		total := 0
		for _, s := range blockTexts(t, raw) {
			total += utf8.RuneCountInString(s)
		}
		if total > 3000 {
			t.Errorf("blocks hold %d characters, want at most 3000", total)
		}
	})
}

func TestRenderHeaderAndButtons(t *testing.T) {
	var acts []bot.Action
	for i := range 30 {
		acts = append(acts, bot.Action{ID: "same", Label: strings.Repeat("L", 80), Command: fmt.Sprintf("ack A%d", i)})
	}
	acts = append(acts[:2], append([]bot.Action{{ID: "nocmd", Label: "Nothing"}}, acts[2:]...)...)
	m := render(bot.Reply{Title: strings.Repeat("T", 200), Severity: bot.SeverityWarn, Actions: acts}, renderOptions{actions: true})
	checkLimits(t, m)
	raw, _ := json.Marshal(m.Blocks)
	texts := blockTexts(t, raw)
	if n := utf8.RuneCountInString(texts[0]); n != maxHeaderChars || !strings.HasPrefix(texts[0], ":warning: TTT") || !strings.HasSuffix(texts[0], "…") {
		t.Errorf("header %q has %d characters, want %d with the severity and an ellipsis", texts[0], n, maxHeaderChars)
	}
	bs := buttons(t, raw)
	if len(bs) != maxButtons {
		t.Fatalf("%d buttons, want %d", len(bs), maxButtons)
	}
	ids := map[string]bool{}
	for _, b := range bs {
		id, value, _ := strings.Cut(b, "=")
		if ids[id] {
			t.Errorf("duplicate action_id %q", id)
		}
		ids[id] = true
		if !strings.HasPrefix(value, "ack A") {
			t.Errorf("button value %q is not the command", value)
		}
	}
	for _, s := range texts[1:] {
		if n := utf8.RuneCountInString(s); n > maxButtonText {
			t.Errorf("button text has %d characters, want at most %d", n, maxButtonText)
		}
	}
	if bytes.Contains(raw, []byte("Nothing")) {
		t.Error("an action without a command became a button")
	}
}

func TestRenderEmptyReply(t *testing.T) {
	m := render(bot.Reply{}, renderOptions{actions: true})
	if m.Text == "" {
		t.Error("empty reply has empty text; Slack rejects a message without text or blocks")
	}
	if len(m.Blocks) != 0 {
		t.Errorf("empty reply has blocks %v", m.Blocks)
	}
}

// mrkdwnTexts returns the text of every mrkdwn object in a blocks JSON.
func mrkdwnTexts(t *testing.T, blocks json.RawMessage) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(blocks, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok && v["type"] == "mrkdwn" {
				out = append(out, s)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return out
}
