package bolt

import (
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/spreadwatch/spreadwatch/bot"
)

// EnsureTeam stores t unless a team with its ID exists; an existing team
// is left as it is. It fails with [ErrInvalid] for an empty ID. Calling it
// for a known team costs a read transaction, not a write.
func (db *DB) EnsureTeam(t bot.Team) error {
	if err := checkKey("team id", t.ID); err != nil {
		return fmt.Errorf("ensure team: %w", err)
	}
	var exists bool
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		exists = bucket(tx, bucketTeams).Get([]byte(t.ID)) != nil
		return nil
	})
	if err != nil || exists {
		return err
	}
	err = db.bdb.Update(func(tx *bbolt.Tx) error {
		b := bucket(tx, bucketTeams)
		if b.Get([]byte(t.ID)) != nil {
			return nil
		}
		return put(b, []byte(t.ID), t)
	})
	if err != nil {
		return fmt.Errorf("ensure team %q: %w", t.ID, err)
	}
	return nil
}

// Teams lists every team, ordered by ID.
func (db *DB) Teams() ([]bot.Team, error) {
	var out []bot.Team
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = list[bot.Team](bucket(tx, bucketTeams), nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	return out, nil
}
