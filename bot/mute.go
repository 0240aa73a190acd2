package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// defaultMute is how long a silence lasts when neither for nor until is
// given.
const defaultMute = Day

// cmdMute: mute rule=R|ticker=T [for 2d|until DATE] [comment...].
func (b *Bot) cmdMute(_ context.Context, c *call) (Reply, error) {
	o := c.cmd.Opts
	if r := o["rule"]; r != "" {
		if _, err := b.rule(c.req.Team, r); err != nil {
			return Reply{}, err
		}
	}
	if t := o["ticker"]; t != "" {
		if err := b.checkTickers(c.data, []string{t}); err != nil {
			return Reply{}, err
		}
	}
	until := c.now.Add(defaultMute)
	if v, ok := o["for"]; ok {
		d, _ := ParseDuration(v) // checked by the parser
		until = c.now.Add(d)
	}
	if v, ok := o["until"]; ok {
		t, _ := parseUntil(v)
		if !t.After(c.now) {
			return Reply{}, &UserError{Msg: fmt.Sprintf("until %s is in the past", v), Usage: lookupSpec("mute").usage()}
		}
		until = t
	}
	b.cycleMu.Lock() // serializes silence ids
	defer b.cycleMu.Unlock()
	ss, err := b.store.Silences(c.req.Team)
	if err != nil {
		return Reply{}, err
	}
	n := 0
	for _, s := range ss {
		if k, err := strconv.Atoi(strings.TrimPrefix(s.ID, "S")); err == nil && k > n {
			n = k
		}
	}
	s := Silence{
		ID: "S" + strconv.Itoa(n+1), Team: c.req.Team, Rule: o["rule"], Ticker: o["ticker"],
		Until: until, Author: c.actor(), Comment: o["comment"], Created: c.now,
	}
	if err := b.store.PutSilence(s, c.audit("mute.add", s.ID, silenceScope(s)+" until "+until.UTC().Format(time.RFC3339))); err != nil {
		return Reply{}, err
	}
	return Reply{
		Title:    "Silence " + s.ID + " added",
		Text:     fmt.Sprintf("Notifications for %s are muted until %s. Alerts are still evaluated. Remove it with: mute remove %s", silenceScope(s), formatTime(until), s.ID),
		Severity: SeverityInfo,
	}, nil
}

func silenceScope(s Silence) string {
	var parts []string
	if s.Rule != "" {
		parts = append(parts, "rule "+s.Rule)
	}
	if s.Ticker != "" {
		parts = append(parts, "ticker "+s.Ticker)
	}
	return strings.Join(parts, " and ")
}

// formatTime renders a time in UTC, to the minute.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// cmdMuteList: mute list.
func (b *Bot) cmdMuteList(_ context.Context, c *call) (Reply, error) {
	ss, err := b.store.Silences(c.req.Team)
	if err != nil {
		return Reply{}, err
	}
	t := Table{Columns: []string{"ID", "Mutes", "Until", "By", "Comment"}}
	for _, s := range ss {
		if !c.now.Before(s.Until) {
			continue
		}
		t.Rows = append(t.Rows, []string{s.ID, silenceScope(s), formatTime(s.Until), s.Author, s.Comment})
	}
	if len(t.Rows) == 0 {
		return Reply{Title: "Silences", Text: "No active silences.", Severity: SeverityInfo}, nil
	}
	return Reply{Title: "Silences", Tables: []Table{t}, Severity: SeverityInfo}, nil
}

// cmdMuteRemove: mute remove ID (also unmute ID).
func (b *Bot) cmdMuteRemove(_ context.Context, c *call) (Reply, error) {
	id := c.cmd.Args[0]
	err := b.store.DeleteSilence(c.req.Team, id, c.audit("mute.remove", id, ""))
	if errors.Is(err, ErrNotFound) {
		ss, lerr := b.store.Silences(c.req.Team)
		if lerr != nil {
			return Reply{}, lerr
		}
		var ids []string
		for _, s := range ss {
			if c.now.Before(s.Until) {
				ids = append(ids, s.ID)
			}
		}
		if len(ids) == 0 {
			return Reply{}, userErrorf("unknown silence %s; there are no active silences", id)
		}
		return Reply{}, userErrorf("unknown silence %s; active: %s", id, strings.Join(ids, ", "))
	}
	if err != nil {
		return Reply{}, err
	}
	return Reply{Title: "Silence " + id + " removed", Severity: SeverityInfo}, nil
}
