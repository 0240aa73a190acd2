package bot

import (
	"context"
	"slices"
	"strings"
)

// maxCompletions is the most suggestions Complete returns (Discord's
// autocomplete limit).
const maxCompletions = 25

// Complete suggests values for a command option as the user types it: kind
// is "ticker", "watchlist" or "rule"; prefix is what has been typed so far
// (case-insensitive). Matches that start with the prefix come first, then
// those that contain it; at most 25. It never fails: unknown kinds and store
// errors give no suggestions.
func (b *Bot) Complete(_ context.Context, team, kind, prefix string) []string {
	var all []string
	switch kind {
	case "ticker":
		if d := b.data.Load(); d != nil {
			all = d.tickers
		}
	case "watchlist":
		ws, err := b.store.Watchlists(team)
		if err != nil {
			b.log.Warn("complete watchlists", "team", team, "err", err)
			return nil
		}
		for _, w := range ws {
			all = append(all, w.Name)
		}
	case "rule":
		b.mu.RLock()
		for _, r := range b.rules[team] {
			all = append(all, r.Name)
		}
		b.mu.RUnlock()
	default:
		return nil
	}
	p := strings.ToLower(strings.TrimSpace(prefix))
	var starts, contains []string
	for _, v := range all {
		lv := strings.ToLower(v)
		switch {
		case strings.HasPrefix(lv, p):
			starts = append(starts, v)
		case strings.Contains(lv, p):
			contains = append(contains, v)
		}
	}
	slices.Sort(starts)
	slices.Sort(contains)
	out := append(starts, contains...)
	if len(out) > maxCompletions {
		out = out[:maxCompletions]
	}
	return out
}
