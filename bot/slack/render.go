package slack

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackutilsx"

	"github.com/spreadwatch/spreadwatch/bot"
)

// Slack's Block Kit and message limits, in characters.
const (
	maxBlocks           = 50
	maxHeaderChars      = 150
	maxSectionChars     = 3000
	maxFieldsPerSection = 10
	maxFieldChars       = 2000
	maxContextChars     = 2000
	maxButtons          = 25
	maxButtonText       = 75
	maxButtonValue      = 2000
	maxActionID         = 255
	// maxTextChars bounds the plain-text fallback: msg_too_long is seen
	// above about 4,000 characters.
	maxTextChars = 4000
	// maxTotalChars bounds the text of all blocks together:
	// msg_blocks_too_long is seen at about 12–13k characters.
	maxTotalChars = 12000
)

// noticeReserve is the budget kept for the "…and N more" notice.
const noticeReserve = 100

// message is a rendered Slack message: Block Kit plus the plain-text
// fallback shown in notifications and by clients without blocks.
type message struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks"`
}

// renderOptions tune render.
type renderOptions struct {
	// actions adds the reply's Actions as buttons.
	actions bool
	// maxChars is the cumulative text budget of the blocks; maxTotalChars
	// when zero.
	maxChars int
}

// render turns r into Block Kit and a plain-text fallback within Slack's
// limits, truncating with "…and N more" rather than failing. Every text
// that may echo user input is escaped.
func render(r bot.Reply, o renderOptions) message {
	if o.maxChars <= 0 {
		o.maxChars = maxTotalChars
	}

	// The footer and the buttons go last but are kept whatever the body's
	// size: reserve room for them, and for the truncation notice.
	var tail []slack.Block
	tailChars := 0
	if f := strings.TrimSpace(r.Footer); f != "" {
		txt := cut(escape(f), maxContextChars)
		tail = append(tail, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, txt, false, false)))
		tailChars += runes(txt)
	}
	if o.actions {
		if blk, n := actionsBlock(r.Actions); blk != nil {
			tail = append(tail, blk)
			tailChars += n
		}
	}

	b := &builder{
		maxBlocks: maxBlocks - len(tail) - 1,
		maxChars:  max(o.maxChars-tailChars-noticeReserve, 0),
	}
	if t := strings.TrimSpace(r.Title); t != "" {
		if e := severityEmoji(r); e != "" {
			t = e + " " + t
		}
		t = cut(t, maxHeaderChars)
		b.add(slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, t, true, false)), runes(t))
	}
	b.addText(r.Text)
	b.addFields(r.Fields)
	for _, t := range r.Tables {
		b.addTable(t)
	}
	if notice := b.notice(); notice != "" {
		b.blocks = append(b.blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, notice, false, false)))
	}
	blocks := append(b.blocks, tail...)

	text := plainText(r)
	if text == "" {
		text = " "
	}
	return message{Text: text, Blocks: blocks}
}

// builder accumulates blocks within a block and character budget. Once
// something does not fit, everything after it is counted as omitted.
type builder struct {
	blocks    []slack.Block
	chars     int
	maxBlocks int
	maxChars  int

	full    bool
	omitted []omission
}

type omission struct {
	n    int
	unit string // plural: "lines", "fields", "rows"
}

func (b *builder) fits(blocks, chars int) bool {
	return !b.full && len(b.blocks)+blocks <= b.maxBlocks && b.chars+chars <= b.maxChars
}

func (b *builder) add(blk slack.Block, chars int) {
	b.blocks = append(b.blocks, blk)
	b.chars += chars
}

// omit records n left-out units and closes the budget.
func (b *builder) omit(n int, unit string) {
	b.full = true
	if n <= 0 {
		return
	}
	for i := range b.omitted {
		if b.omitted[i].unit == unit {
			b.omitted[i].n += n
			return
		}
	}
	b.omitted = append(b.omitted, omission{n, unit})
}

// notice says what was left out, e.g. "…and 37 more rows".
func (b *builder) notice() string {
	if len(b.omitted) == 0 {
		return ""
	}
	parts := make([]string, len(b.omitted))
	for i, o := range b.omitted {
		unit := o.unit
		if o.n == 1 {
			unit = strings.TrimSuffix(unit, "s")
		}
		parts[i] = fmt.Sprintf("%d more %s", o.n, unit)
	}
	return "_…and " + strings.Join(parts, ", ") + "_"
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

// maxLineChars bounds one line of a section, so that a line, a table
// title and the code fences always fit in one section.
const maxLineChars = maxSectionChars - maxHeaderChars - 50

// addText adds s as mrkdwn sections, split at line ends.
func (b *builder) addText(s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	var lines []string
	for l := range strings.SplitSeq(escape(s), "\n") {
		lines = append(lines, split(l, maxSectionChars)...)
	}
	if added := b.addLines("", lines, false); added < len(lines) {
		b.omit(len(lines)-added, "lines")
	}
}

// addLines packs escaped lines into sections of at most maxSectionChars
// and returns how many fit the budget. The first section starts with head
// (a table title); fenced lines are wrapped in a code block in every
// section.
func (b *builder) addLines(head string, lines []string, fenced bool) int {
	const fence = "```"
	text := func(ls []string, first bool) string {
		var sb strings.Builder
		if first && head != "" {
			sb.WriteString(head + "\n")
		}
		if fenced {
			sb.WriteString(fence + "\n")
		}
		sb.WriteString(strings.Join(ls, "\n"))
		if fenced {
			sb.WriteString("\n" + fence)
		}
		return sb.String()
	}
	fixed := func(first bool) int {
		n := 0
		if first && head != "" {
			n += runes(head) + 1
		}
		if fenced {
			n += 2 * (len(fence) + 1)
		}
		return n
	}

	var cur []string
	curChars := 0 // runes of cur joined by newlines
	first := true
	for i, l := range lines {
		add := runes(l)
		if len(cur) > 0 {
			add++
		}
		if len(cur) > 0 && fixed(first)+curChars+add > maxSectionChars {
			txt := text(cur, first)
			b.add(section(txt), runes(txt))
			first, cur, curChars, add = false, nil, 0, runes(l)
		}
		if !b.fits(1, fixed(first)+curChars+add) {
			if len(cur) > 0 {
				txt := text(cur, first)
				b.add(section(txt), runes(txt))
			}
			return i
		}
		cur = append(cur, l)
		curChars += add
	}
	if len(cur) > 0 {
		txt := text(cur, first)
		b.add(section(txt), runes(txt))
	}
	return len(lines)
}

// addFields adds fields as two-column field sections, at most
// maxFieldsPerSection each.
func (b *builder) addFields(fs []bot.Field) {
	var texts []string
	for _, f := range fs {
		name, value := strings.TrimSpace(f.Name), strings.TrimSpace(f.Value)
		var t string
		switch {
		case name == "" && value == "":
			continue
		case name == "":
			t = escape(value)
		case value == "":
			t = "*" + escape(name) + "*\n—"
		default:
			t = "*" + escape(name) + "*\n" + escape(value)
		}
		texts = append(texts, cut(t, maxFieldChars))
	}
	for start := 0; start < len(texts); start += maxFieldsPerSection {
		group := texts[start:min(start+maxFieldsPerSection, len(texts))]
		var objs []*slack.TextBlockObject
		chars := 0
		for i, t := range group {
			if !b.fits(1, chars+runes(t)) {
				if len(objs) > 0 {
					b.add(slack.NewSectionBlock(nil, objs, nil), chars)
				}
				b.omit(len(texts)-start-i, "fields")
				return
			}
			objs = append(objs, slack.NewTextBlockObject(slack.MarkdownType, t, false, false))
			chars += runes(t)
		}
		b.add(slack.NewSectionBlock(nil, objs, nil), chars)
	}
}

// addTable adds t as a monospace code block, split across sections.
func (b *builder) addTable(t bot.Table) {
	head, rows := tableLines(t)
	if len(head) == 0 && len(rows) == 0 {
		return
	}
	if b.full {
		b.omit(len(rows), "rows")
		return
	}
	lines := make([]string, 0, len(head)+len(rows)+1)
	for _, l := range append(head, rows...) {
		lines = append(lines, cut(escape(l), maxLineChars))
	}
	if len(rows) == 0 {
		lines = append(lines, "(none)")
	}
	title := ""
	if s := strings.TrimSpace(t.Title); s != "" {
		title = "*" + cut(escape(s), maxHeaderChars) + "*"
	}
	if added := b.addLines(title, lines, true); added < len(lines) {
		b.omit(min(len(rows), len(lines)-added), "rows")
	}
}

// tableLines formats t as aligned text lines: the header (column names
// and a rule) and one line per row. Columns whose cells all look numeric
// are right-aligned.
func tableLines(t bot.Table) (head, rows []string) {
	ncol := len(t.Columns)
	for _, r := range t.Rows {
		ncol = max(ncol, len(r))
	}
	if ncol == 0 {
		return nil, nil
	}
	cell := func(row []string, i int) string {
		if i >= len(row) {
			return ""
		}
		return tableCell(row[i])
	}
	width := make([]int, ncol)
	numeric := make([]bool, ncol)
	for i := range ncol {
		width[i] = runes(cell(t.Columns, i))
		numeric[i] = true
		seen := false
		for _, r := range t.Rows {
			c := cell(r, i)
			width[i] = max(width[i], runes(c))
			if c != "" {
				seen = true
				numeric[i] = numeric[i] && looksNumeric(c)
			}
		}
		numeric[i] = numeric[i] && seen
	}
	line := func(row []string) string {
		var sb strings.Builder
		for i := range ncol {
			if i > 0 {
				sb.WriteString("  ")
			}
			c := cell(row, i)
			pad := strings.Repeat(" ", width[i]-runes(c))
			if numeric[i] {
				sb.WriteString(pad + c)
			} else {
				sb.WriteString(c + pad)
			}
		}
		return strings.TrimRight(sb.String(), " ")
	}
	if len(t.Columns) > 0 {
		rule := make([]string, ncol)
		for i := range ncol {
			rule[i] = strings.Repeat("-", max(width[i], 1))
		}
		head = []string{line(t.Columns), strings.Join(rule, "  ")}
	}
	for _, r := range t.Rows {
		rows = append(rows, line(r))
	}
	return head, rows
}

// maxCellChars bounds one table cell.
const maxCellChars = 60

// tableCell makes s fit on one line of a code block: no newlines, no
// backticks (which could close the block), at most maxCellChars.
func tableCell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "`", "'")
	return cut(s, maxCellChars)
}

// looksNumeric reports whether s reads as a number, rate, spread or
// amount: "+415 bp", "9.25%", "$1.2bn", "1,250 MW", "-".
func looksNumeric(s string) bool {
	if s == "-" || s == "—" || s == "n/a" {
		return true
	}
	s = strings.TrimLeft(s, "+-−$(")
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsDigit(r)
}

// actionsBlock renders actions as buttons: value is the command, action_id
// the action's id. It also returns the characters of the labels.
func actionsBlock(as []bot.Action) (slack.Block, int) {
	var els []slack.BlockElement
	chars := 0
	seen := map[string]bool{}
	for i, a := range as {
		if len(els) == maxButtons {
			break
		}
		cmd := strings.TrimSpace(a.Command)
		if cmd == "" || runes(cmd) > maxButtonValue {
			continue
		}
		label := strings.TrimSpace(a.Label)
		if label == "" {
			label = cmd
		}
		label = cut(label, maxButtonText)
		id := strings.TrimSpace(a.ID)
		if id == "" {
			id = fmt.Sprintf("action_%d", i)
		}
		if runes(id) > maxActionID-8 {
			id = string([]rune(id)[:maxActionID-8])
		}
		if seen[id] {
			id = fmt.Sprintf("%s_%d", id, i)
		}
		seen[id] = true
		btn := slack.NewButtonBlockElement(id, cmd, slack.NewTextBlockObject(slack.PlainTextType, label, true, false))
		switch a.Style {
		case "primary":
			btn.Style = slack.StylePrimary
		case "danger":
			btn.Style = slack.StyleDanger
		}
		els = append(els, btn)
		chars += runes(label)
	}
	if len(els) == 0 {
		return nil, 0
	}
	return slack.NewActionBlock("", els...), chars
}

// severityEmoji marks the header of a reply or alert.
func severityEmoji(r bot.Reply) string {
	switch {
	case r.Severity == bot.SeverityCrit:
		return ":rotating_light:"
	case r.Severity == bot.SeverityWarn:
		return ":warning:"
	case r.Severity == bot.SeverityOK:
		return ":white_check_mark:"
	case r.Severity == bot.SeverityError, r.Error:
		return ":x:"
	}
	return ""
}

// plainText is the fallback text of r: its canonical plain rendering,
// escaped, at most maxTextChars, cut at a line end with "…and N more
// lines".
func plainText(r bot.Reply) string {
	return limitLines(escape(r.PlainText()), maxTextChars)
}

// limitLines cuts s at a line end so that it has at most n characters,
// saying how many lines were left out.
func limitLines(s string, n int) string {
	if runes(s) <= n {
		return s
	}
	lines := strings.Split(s, "\n")
	used := 0
	for i, l := range lines {
		notice := fmt.Sprintf("\n…and %d more lines", len(lines)-i)
		if used+runes(l)+1+runes(notice) > n {
			if i == 0 {
				return cut(l, n)
			}
			return strings.Join(lines[:i], "\n") + notice
		}
		used += runes(l) + 1
	}
	return s
}

// escape makes user text inert in mrkdwn: & < > become entities, so that
// `<!channel>` or `<@U123>` cannot be injected.
func escape(s string) string { return slackutilsx.EscapeMessage(s) }

// runes counts the characters of s as Slack does.
func runes(s string) int { return utf8.RuneCountInString(s) }

// cut shortens s to at most n characters, ending with "…" when cut and
// never inside an entity made by escape.
func cut(s string, n int) string {
	if runes(s) <= n {
		return s
	}
	return trimEntity(string([]rune(s)[:max(n-1, 0)])) + "…"
}

// split breaks s into pieces of at most n characters, never inside an
// entity made by escape.
func split(s string, n int) []string {
	var out []string
	for runes(s) > n {
		piece := trimEntity(string([]rune(s)[:n]))
		if piece == "" {
			piece = string([]rune(s)[:n])
		}
		out = append(out, piece)
		s = s[len(piece):]
	}
	return append(out, s)
}

// trimEntity drops a partial "&amp;", "&lt;" or "&gt;" from the end of s.
func trimEntity(s string) string {
	i := strings.LastIndexByte(s, '&')
	if i >= 0 && len(s)-i < len("&amp;") && !strings.Contains(s[i:], ";") {
		return s[:i]
	}
	return s
}
