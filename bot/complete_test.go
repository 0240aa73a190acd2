package bot_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spreadwatch/spreadwatch/bot/bottest"
)

func TestComplete(t *testing.T) {
	h := bottest.New(t)
	h.Must("watch create hy")
	h.Must("watch create ig")
	h.Must(`rule add hot "coupon > utility + 400bp"`)
	h.Must(`rule add slipping "slip > 60d"`)
	tests := []struct {
		kind, prefix string
		want         []string
	}{
		{"ticker", "c", []string{"CIFR", "CLSK", "CORZ", "CRWV"}},
		{"ticker", "ut", []string{"HUT"}},
		{"ticker", "", nil}, // checked by length below
		{"watchlist", "H", []string{"hy"}},
		{"rule", "", []string{"hot", "slipping"}},
		{"rule", "lip", []string{"slipping"}},
		{"nonsense", "", nil},
	}
	for _, tt := range tests {
		got := h.Bot.Complete(t.Context(), h.Team, tt.kind, tt.prefix)
		if tt.kind == "ticker" && tt.prefix == "" {
			if len(got) != 12 {
				t.Errorf("Complete(ticker, \"\") = %v, want all 12 tickers", got)
			}
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Complete(%s, %q) (-want +got):\n%s", tt.kind, tt.prefix, diff)
		}
	}
	if got := h.Bot.Complete(t.Context(), "other-team", "rule", ""); len(got) != 0 {
		t.Errorf("another team sees rules %v", got)
	}
}
