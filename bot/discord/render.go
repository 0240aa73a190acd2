package discord

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/spreadwatch/spreadwatch/bot"
)

// Discord's limits on a message, in characters. Lengths are counted in
// UTF-16 code units, which is never less than Discord's own count.
const (
	maxContent      = 2000
	maxTitle        = 256
	maxDescription  = 4096
	maxFields       = 25
	maxFieldName    = 256
	maxFieldValue   = 1024
	maxFooter       = 2048
	maxEmbedTotal   = 6000
	maxButtonLabel  = 80
	maxCustomID     = 100
	maxButtonsInRow = 5
	maxRows         = 5
	maxChoices      = 25
	maxChoiceLen    = 100
)

// Embed colours by severity.
const (
	colorInfo  = 0x3498DB // blue
	colorWarn  = 0xF0A30A // amber
	colorCrit  = 0xE74C3C // red
	colorOK    = 0x2ECC71 // green
	colorError = 0x95A5A6 // grey
)

// ellipsis marks text that was cut.
const ellipsis = "…"

// blank is what Discord accepts as an empty field name or value.
const blank = "\u200b"

// message is a rendered reply: the parts of a Discord message shared by
// interaction responses, follow-ups and channel messages.
type message struct {
	Content    string                       `json:"content,omitempty"`
	Embeds     []*discordgo.MessageEmbed    `json:"embeds,omitempty"`
	Components []discordgo.MessageComponent `json:"components,omitempty"`
	// Ephemeral asks for flag 64 where the platform allows it.
	Ephemeral bool `json:"ephemeral,omitempty"`
}

// noMentions is the allowed_mentions value that pings nobody, whatever
// the text echoes (@everyone, <@id>, <@&role>).
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// render turns a reply into a message: a structured reply as one embed, a
// plain one (no title, fields or tables) as content, and
// the actions as buttons, all within Discord's limits. It never fails; what
// does not fit is cut and counted.
func render(r bot.Reply) message {
	m := message{
		Content:    clipLines(strings.TrimSpace(r.PlainText()), maxContent),
		Components: renderButtons(r.Actions),
		Ephemeral:  r.Ephemeral || r.Error,
	}
	// Plain text (a one-line error, a short note) is the content alone; a
	// structured reply is the embed alone. Either way the answer shows once.
	plain := r.Title == "" && len(r.Fields) == 0 && len(r.Tables) == 0
	if e := renderEmbed(r, colorFor(r)); !emptyEmbed(e) && !plain {
		m.Embeds = []*discordgo.MessageEmbed{e}
		// The embed is the answer; content would show it twice.
		m.Content = ""
		return m
	}
	if m.Content == "" {
		m.Content = "(no answer)"
	}
	return m
}

// renderAlert renders a notification: the embed and the alert's buttons,
// no content (the embed is the message). A resolved alert is green and
// has no buttons.
func renderAlert(n bot.Notification) message {
	r := n.Reply
	color := colorFor(r)
	var buttons []discordgo.MessageComponent
	if n.Kind == bot.KindResolved {
		color = colorOK
	} else {
		if r.Severity == "" && n.Severity != "" {
			color = colorFor(bot.Reply{Severity: n.Severity})
		}
		buttons = renderButtons(alertActions(n))
	}
	return message{
		Embeds:     []*discordgo.MessageEmbed{renderEmbed(r, color)},
		Components: buttons,
	}
}

// emptyEmbed reports whether e shows nothing; Discord rejects those.
func emptyEmbed(e *discordgo.MessageEmbed) bool {
	return embedLen(e) == 0
}

// alertActions are the buttons of a firing alert: the notification's own
// actions, completed with Ack, Mute 1d and Mute 7d where it lacks them.
func alertActions(n bot.Notification) []bot.Action {
	acts := slices.Clone(n.Reply.Actions)
	has := func(id string) bool {
		return slices.ContainsFunc(acts, func(a bot.Action) bool { return a.ID == id })
	}
	if !has("ack") && n.AlertID != "" {
		acts = append(acts, bot.Action{ID: "ack", Label: "Ack", Command: "ack " + n.AlertID, Style: "primary"})
	}
	var scope []string
	if n.Rule != "" {
		scope = append(scope, "rule="+n.Rule)
	}
	if n.Ticker != "" {
		scope = append(scope, "ticker="+n.Ticker)
	}
	if len(scope) > 0 {
		for _, d := range []string{"1d", "7d"} {
			if !has("mute" + d) {
				acts = append(acts, bot.Action{ID: "mute" + d, Label: "Mute " + d, Command: "mute " + strings.Join(scope, " ") + " for " + d})
			}
		}
	}
	return acts
}

// colorFor picks the embed colour of a reply: grey for errors, else by
// severity, blue when none is set.
func colorFor(r bot.Reply) int {
	if r.Error {
		return colorError
	}
	switch r.Severity {
	case bot.SeverityWarn:
		return colorWarn
	case bot.SeverityCrit:
		return colorCrit
	case bot.SeverityOK:
		return colorOK
	case bot.SeverityError:
		return colorError
	}
	return colorInfo
}

// renderEmbed builds one rich embed from r. The title, footer and fields
// are cut to their limits; when everything together exceeds the 6,000
// characters of an embed, fields are dropped from the end (and counted in
// a last field) until the description can keep at least minDescription,
// then the description is cut.
func renderEmbed(r bot.Reply, color int) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{
		Type:  discordgo.EmbedTypeRich,
		Title: clip(oneLine(r.Title), maxTitle),
		Color: color,
	}
	if r.Footer != "" {
		e.Footer = &discordgo.MessageEmbedFooter{Text: clip(r.Footer, maxFooter)}
	}
	fields := make([]*discordgo.MessageEmbedField, 0, min(len(r.Fields), maxFields))
	for _, f := range r.Fields {
		fields = append(fields, &discordgo.MessageEmbedField{
			Name:   orBlank(clip(oneLine(f.Name), maxFieldName)),
			Value:  orBlank(clip(f.Value, maxFieldValue)),
			Inline: f.Inline,
		})
	}
	if len(fields) > maxFields {
		fields = moreField(fields, maxFields-1, len(fields))
	}

	fixed := textLen(e.Title)
	if e.Footer != nil {
		fixed += textLen(e.Footer.Text)
	}
	want := descriptionLen(r)
	// Give the description room by dropping fields from the end.
	floor := min(want, minDescription)
	for countKept(fields) > 0 && maxEmbedTotal-fixed-fieldsLen(fields) < floor {
		fields = moreField(fields, countKept(fields)-1, len(r.Fields))
	}
	budget := min(maxDescription, maxEmbedTotal-fixed-fieldsLen(fields))
	e.Description = renderDescription(r, budget)
	if len(fields) > 0 {
		e.Fields = fields
	}
	return e
}

// minDescription is the room the description keeps before fields are
// dropped to make space for it.
const minDescription = 1024

// moreField keeps the first keep fields of fields and appends one that
// says how many of total were left out.
func moreField(fields []*discordgo.MessageEmbedField, keep, total int) []*discordgo.MessageEmbedField {
	keep = max(keep, 0)
	out := append(fields[:keep:keep], &discordgo.MessageEmbedField{
		Name:  ellipsis,
		Value: fmt.Sprintf("…and %d more", total-keep),
	})
	return out
}

// countKept is the number of real fields in fields, not counting a
// trailing "…and N more" field.
func countKept(fields []*discordgo.MessageEmbedField) int {
	n := len(fields)
	if n > 0 && fields[n-1].Name == ellipsis {
		n--
	}
	return n
}

func fieldsLen(fields []*discordgo.MessageEmbedField) int {
	n := 0
	for _, f := range fields {
		n += textLen(f.Name) + textLen(f.Value)
	}
	return n
}

// embedLen is the length Discord counts against the 6,000 limit.
func embedLen(e *discordgo.MessageEmbed) int {
	n := textLen(e.Title) + textLen(e.Description) + fieldsLen(e.Fields)
	if e.Footer != nil {
		n += textLen(e.Footer.Text)
	}
	if e.Author != nil {
		n += textLen(e.Author.Name)
	}
	return n
}

// descriptionLen is the length of the description when nothing is cut.
func descriptionLen(r bot.Reply) int {
	return textLen(renderDescription(r, 1<<30))
}

// renderDescription lays out the reply's text and its tables (as
// monospace code blocks) in at most budget characters. Text is cut by
// lines; tables keep their header and as many rows as fit, then say how
// many rows were left out.
func renderDescription(r bot.Reply, budget int) string {
	if budget <= 0 {
		return ""
	}
	var parts []string
	used := 0
	sep := func() int {
		if len(parts) == 0 {
			return 0
		}
		return 2 // "\n\n"
	}
	if r.Text != "" {
		t := clipLines(r.Text, budget)
		parts = append(parts, t)
		used += textLen(t)
	}
	for i, t := range r.Tables {
		room := budget - used - sep()
		// Keep room to say how many tables are left out.
		if i < len(r.Tables)-1 {
			room -= textLen(fmt.Sprintf("\n\n…and %d more tables", len(r.Tables)-i-1))
		}
		block, ok := renderTable(t, room)
		if !ok {
			note := fmt.Sprintf("…and %d more tables", len(r.Tables)-i)
			if budget-used-sep() >= textLen(note) {
				used += sep() + textLen(note)
				parts = append(parts, note)
			}
			break
		}
		used += sep() + textLen(block)
		parts = append(parts, block)
	}
	return strings.Join(parts, "\n\n")
}

// renderTable renders t as a bold title and a code block of aligned
// columns in at most room characters. It keeps as many rows as fit and
// ends with "…and N more rows" when some were left out; ok is false when
// not even the header fits.
func renderTable(t bot.Table, room int) (block string, ok bool) {
	width := 0
	for _, r := range t.Rows {
		width = max(width, len(r))
	}
	width = max(width, len(t.Columns))
	widths := make([]int, width)
	measure := func(cells []string) {
		for i, c := range cells {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell(c)))
		}
	}
	measure(t.Columns)
	for _, r := range t.Rows {
		measure(r)
	}
	line := func(cells []string) string {
		var b strings.Builder
		for i, c := range cells {
			c = cell(c)
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(c)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
			}
		}
		return strings.TrimRight(b.String(), " ")
	}

	var head strings.Builder
	if t.Title != "" {
		head.WriteString("**" + strings.ReplaceAll(oneLine(t.Title), "*", "") + "**\n")
	}
	head.WriteString("```\n")
	if len(t.Columns) > 0 {
		head.WriteString(line(t.Columns) + "\n")
	}
	const tail = "```"
	rows := make([]string, len(t.Rows))
	for i, r := range t.Rows {
		rows[i] = line(r) + "\n"
	}
	if len(t.Rows) == 0 {
		rows = []string{"(none)\n"}
	}
	size := textLen(head.String()) + textLen(tail)
	total := size
	for _, r := range rows {
		total += textLen(r)
	}
	if total <= room {
		return head.String() + strings.Join(rows, "") + tail, true
	}
	for n := len(rows) - 1; n >= 1; n-- {
		more := fmt.Sprintf("\n…and %d more rows", len(rows)-n)
		used := size + textLen(more)
		for _, r := range rows[:n] {
			used += textLen(r)
		}
		if used <= room {
			return head.String() + strings.Join(rows[:n], "") + tail + more, true
		}
	}
	return "", false
}

// cell makes a table cell safe inside a code block: one line, no
// backticks.
func cell(s string) string {
	s = oneLine(s)
	return strings.ReplaceAll(s, "`", "'")
}

// renderButtons turns actions into rows of at most five buttons, at most
// five rows. A button's custom_id is its command (see customID).
func renderButtons(actions []bot.Action) []discordgo.MessageComponent {
	var rows []discordgo.MessageComponent
	var row []discordgo.MessageComponent
	seen := map[string]bool{}
	for _, a := range actions {
		id := customID(a.Command)
		if a.Command == "" || seen[id] {
			continue
		}
		if len(rows) == maxRows {
			break
		}
		seen[id] = true
		label := a.Label
		if label == "" {
			label = a.Command
		}
		row = append(row, discordgo.Button{
			Label:    clip(oneLine(label), maxButtonLabel),
			Style:    buttonStyle(a.Style),
			CustomID: id,
		})
		if len(row) == maxButtonsInRow {
			rows = append(rows, discordgo.ActionsRow{Components: row})
			row = nil
		}
	}
	if len(row) > 0 && len(rows) < maxRows {
		rows = append(rows, discordgo.ActionsRow{Components: row})
	}
	return rows
}

func buttonStyle(s string) discordgo.ButtonStyle {
	switch s {
	case "primary":
		return discordgo.PrimaryButton
	case "danger":
		return discordgo.DangerButton
	}
	return discordgo.SecondaryButton
}

// longIDPrefix starts the custom_id of a button whose command is longer
// than Discord's 100 characters; the adapter remembers the mapping.
const longIDPrefix = "sw#"

// customID is the custom_id of a button that runs cmd: the command itself
// when it fits (so a button keeps working across restarts), else a short
// hash the adapter maps back to it.
func customID(cmd string) string {
	if textLen(cmd) <= maxCustomID && !strings.HasPrefix(cmd, longIDPrefix) {
		return cmd
	}
	sum := sha256.Sum256([]byte(cmd))
	return longIDPrefix + hex.EncodeToString(sum[:12])
}

// textLen is the length of s in UTF-16 code units. Ranging over a string
// yields U+FFFD for invalid bytes, which is also what JSON sends.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// clip cuts s to at most n characters, ending with "…" when cut.
func clip(s string, n int) string {
	if textLen(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	used := 0
	var b strings.Builder
	for _, r := range s {
		l := utf16.RuneLen(r)
		if used+l > n-1 {
			break
		}
		used += l
		b.WriteRune(r)
	}
	return b.String() + ellipsis
}

// clipLines cuts s to at most n characters at a line boundary, ending
// with "…and N more lines". A first line too long on its own is clipped.
func clipLines(s string, n int) string {
	if textLen(s) <= n {
		return s
	}
	lines := strings.Split(s, "\n")
	for keep := len(lines) - 1; keep >= 1; keep-- {
		more := fmt.Sprintf("\n…and %d more lines", len(lines)-keep)
		head := strings.Join(lines[:keep], "\n")
		if textLen(head)+textLen(more) <= n {
			return head + more
		}
	}
	more := ""
	if len(lines) > 1 {
		more = fmt.Sprintf("\n…and %d more lines", len(lines)-1)
		if textLen(more) >= n {
			more = ""
		}
	}
	return clip(lines[0], n-textLen(more)) + more
}

// oneLine folds line breaks and tabs into single spaces.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

func orBlank(s string) string {
	if strings.TrimSpace(s) == "" {
		return blank
	}
	return s
}
