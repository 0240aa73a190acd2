package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// cmdWatchCreate: watch create NAME [#channel].
func (b *Bot) cmdWatchCreate(_ context.Context, c *call) (Reply, error) {
	name := c.cmd.Args[0]
	ch := c.req.Channel
	if len(c.cmd.Args) == 2 {
		ch = c.cmd.Args[1]
	}
	if _, err := b.store.Watchlist(c.req.Team, name); err == nil {
		return Reply{}, userErrorf("watchlist %q already exists", name)
	} else if !errors.Is(err, ErrNotFound) {
		return Reply{}, err
	}
	w := Watchlist{Team: c.req.Team, Name: name, Channel: ch, Author: c.actor(), Created: c.now, Updated: c.now}
	if err := b.store.PutWatchlist(w, c.audit("watch.create", name, "channel "+ch)); err != nil {
		return Reply{}, err
	}
	return Reply{
		Title:    "Watchlist " + name + " created",
		Text:     fmt.Sprintf("Alerts of rules with watchlist=%s go to %s. Add tickers with: watch add %s TICKER...", name, channelLabel(ch), name),
		Severity: SeverityInfo,
	}, nil
}

// channelLabel renders a channel id for text.
func channelLabel(ch string) string {
	if ch == "" {
		return "this channel"
	}
	return "#" + ch
}

// watchlist loads a team watchlist or explains which exist.
func (b *Bot) watchlist(team, name string) (Watchlist, error) {
	w, err := b.store.Watchlist(team, name)
	if errors.Is(err, ErrNotFound) {
		ws, lerr := b.store.Watchlists(team)
		if lerr != nil {
			return w, lerr
		}
		if len(ws) == 0 {
			return w, &UserError{Msg: fmt.Sprintf("unknown watchlist %q; there are no watchlists yet", name), Usage: "watch create NAME [#channel]"}
		}
		names := make([]string, len(ws))
		for i, x := range ws {
			names[i] = x.Name
		}
		return w, userErrorf("unknown watchlist %q; watchlists: %s", name, strings.Join(names, ", "))
	}
	return w, err
}

// checkTickers rejects tickers that are not in the current snapshot, with
// close matches.
func (b *Bot) checkTickers(d *dataState, tickers []string) error {
	if d == nil {
		return userErrorf("no data loaded yet")
	}
	for _, t := range tickers {
		if !slices.Contains(d.tickers, t) {
			return unknownTicker(d, t)
		}
	}
	return nil
}

// unknownTicker explains an unknown ticker with the closest known ones.
func unknownTicker(d *dataState, t string) error {
	type cand struct {
		t string
		d int
	}
	var cs []cand
	for _, k := range d.tickers {
		dist := levenshtein(t, k)
		if dist <= max(1, len(t)/2) || strings.HasPrefix(k, t) || strings.HasPrefix(t, k) {
			cs = append(cs, cand{k, dist})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	if len(cs) == 0 {
		return userErrorf("unknown ticker %s; known: %s", t, strings.Join(d.tickers, ", "))
	}
	names := make([]string, 0, 3)
	for _, c := range cs[:min(3, len(cs))] {
		names = append(names, c.t)
	}
	return userErrorf("unknown ticker %s; did you mean %s?", t, strings.Join(names, " or "))
}

// cmdWatchAdd: watch add NAME TICKER...
func (b *Bot) cmdWatchAdd(_ context.Context, c *call) (Reply, error) {
	return b.watchEdit(c, true)
}

// cmdWatchRemove: watch remove NAME TICKER...
func (b *Bot) cmdWatchRemove(_ context.Context, c *call) (Reply, error) {
	return b.watchEdit(c, false)
}

func (b *Bot) watchEdit(c *call, add bool) (Reply, error) {
	w, err := b.watchlist(c.req.Team, c.cmd.Args[0])
	if err != nil {
		return Reply{}, err
	}
	tickers := c.cmd.Args[1:]
	var changed []string
	if add {
		if err := b.checkTickers(c.data, tickers); err != nil {
			return Reply{}, err
		}
		for _, t := range tickers {
			if !slices.Contains(w.Tickers, t) {
				w.Tickers = append(w.Tickers, t)
				changed = append(changed, t)
			}
		}
	} else {
		for _, t := range tickers {
			if !slices.Contains(w.Tickers, t) {
				return Reply{}, userErrorf("%s is not in watchlist %s (it has: %s)", t, w.Name, tickerList(w.Tickers))
			}
		}
		w.Tickers = slices.DeleteFunc(w.Tickers, func(t string) bool {
			if slices.Contains(tickers, t) {
				changed = append(changed, t)
				return true
			}
			return false
		})
	}
	verb, action := "Added", "watch.add"
	if !add {
		verb, action = "Removed", "watch.remove"
	}
	if len(changed) > 0 {
		w.Updated = c.now
		if err := b.store.PutWatchlist(w, c.audit(action, w.Name, strings.Join(changed, " "))); err != nil {
			return Reply{}, err
		}
	}
	text := fmt.Sprintf("%s %s.", verb, tickerList(changed))
	if len(changed) == 0 {
		text = "Nothing changed."
	}
	return Reply{
		Title:    "Watchlist " + w.Name,
		Text:     text,
		Fields:   []Field{{Name: "Tickers", Value: tickerList(w.Tickers)}},
		Severity: SeverityInfo,
	}, nil
}

func tickerList(ts []string) string {
	if len(ts) == 0 {
		return "none"
	}
	return strings.Join(ts, ", ")
}

// cmdWatchShow: watch show NAME.
func (b *Bot) cmdWatchShow(_ context.Context, c *call) (Reply, error) {
	w, err := b.watchlist(c.req.Team, c.cmd.Args[0])
	if err != nil {
		return Reply{}, err
	}
	var users []string
	for _, r := range b.rulesOf(c.req.Team) {
		if r.Watchlist == w.Name {
			users = append(users, r.Name)
		}
	}
	return Reply{
		Title: "Watchlist " + w.Name,
		Fields: []Field{
			{Name: "Tickers", Value: tickerList(w.Tickers)},
			{Name: "Channel", Value: channelLabel(w.Channel)},
			{Name: "Rules", Value: tickerList(users)},
			{Name: "Created", Value: w.Created.UTC().Format("2006-01-02") + " by " + w.Author},
		},
		Severity: SeverityInfo,
	}, nil
}

// cmdWatchList: watch list.
func (b *Bot) cmdWatchList(_ context.Context, c *call) (Reply, error) {
	ws, err := b.store.Watchlists(c.req.Team)
	if err != nil {
		return Reply{}, err
	}
	if len(ws) == 0 {
		return Reply{Title: "Watchlists", Text: "No watchlists yet. Create one with: watch create NAME [#channel]", Severity: SeverityInfo}, nil
	}
	t := Table{Columns: []string{"Name", "Tickers", "Channel"}}
	for _, w := range ws {
		t.Rows = append(t.Rows, []string{w.Name, tickerList(w.Tickers), channelLabel(w.Channel)})
	}
	return Reply{Title: "Watchlists", Tables: []Table{t}, Severity: SeverityInfo}, nil
}

// cmdWatchDelete: watch delete NAME.
func (b *Bot) cmdWatchDelete(_ context.Context, c *call) (Reply, error) {
	name := c.cmd.Args[0]
	if _, err := b.watchlist(c.req.Team, name); err != nil {
		return Reply{}, err
	}
	var users []string
	for _, r := range b.rulesOf(c.req.Team) {
		if r.Watchlist == name {
			users = append(users, r.Name)
		}
	}
	if len(users) > 0 {
		return Reply{}, userErrorf("watchlist %s is used by rule %s; delete or change those rules first", name, strings.Join(users, ", "))
	}
	if err := b.store.DeleteWatchlist(c.req.Team, name, c.audit("watch.delete", name, "")); err != nil {
		if errors.Is(err, ErrNotFound) {
			return Reply{}, userErrorf("unknown watchlist %q", name)
		}
		return Reply{}, err
	}
	return Reply{Title: "Watchlist " + name + " deleted", Severity: SeverityInfo}, nil
}
