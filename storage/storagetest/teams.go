package storagetest

import (
	"testing"
	"time"

	"github.com/spreadwatch/spreadwatch/bot"
)

// testTeams covers EnsureTeam and Teams.
func testTeams(t *testing.T, open opener) {
	t.Run("new store has no teams", func(t *testing.T) {
		s := parallel(t, open)
		got, err := s.Teams()
		fatalIf(t, err, "Teams")
		if len(got) != 0 {
			t.Errorf("Teams() = %v, want none", got)
		}
	})
	t.Run("listed by id", func(t *testing.T) {
		s := parallel(t, open)
		want := []bot.Team{
			{ID: "T01", Platform: "slack", Created: at(0)},
			{ID: "T02", Platform: "discord", Created: at(time.Hour)},
			{ID: "local", Platform: "console", Created: at(2 * time.Hour)},
		}
		for _, i := range []int{2, 0, 1} {
			fatalIf(t, s.EnsureTeam(want[i]), "EnsureTeam")
		}
		got, err := s.Teams()
		fatalIf(t, err, "Teams")
		if d := diff(want, got); d != "" {
			t.Errorf("Teams() mismatch (-want +got):\n%s", d)
		}
	})
	t.Run("ensure twice keeps the first", func(t *testing.T) {
		s := parallel(t, open)
		first := bot.Team{ID: "T01", Platform: "slack", Created: at(0)}
		fatalIf(t, s.EnsureTeam(first), "EnsureTeam")
		fatalIf(t, s.EnsureTeam(bot.Team{ID: "T01", Platform: "discord", Created: at(time.Hour)}), "EnsureTeam again")
		got, err := s.Teams()
		fatalIf(t, err, "Teams")
		if d := diff([]bot.Team{first}, got); d != "" {
			t.Errorf("Teams() mismatch (-want +got):\n%s", d)
		}
	})
}
