package bolt

import (
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/spreadwatch/spreadwatch/bot"
)

// Silences lists a team's silences, expired ones included, ordered by ID.
func (db *DB) Silences(team string) ([]bot.Silence, error) {
	var out []bot.Silence
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = list[bot.Silence](bucket(tx, bucketSilences), teamPrefix(team))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list silences of team %q: %w", team, err)
	}
	return out, nil
}

// PutSilence creates or replaces s and appends a to the audit log in the
// same transaction. The caller chooses s.ID; PutSilence fails with
// [ErrInvalid] for an empty team or ID.
func (db *DB) PutSilence(s bot.Silence, a bot.AuditEntry) error {
	if err := errors.Join(checkKey("team", s.Team), checkKey("silence id", s.ID)); err != nil {
		return fmt.Errorf("put silence: %w", err)
	}
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		if err := put(bucket(tx, bucketSilences), joinKey(s.Team, s.ID), s); err != nil {
			return err
		}
		return unsafePutAudit(tx, s.Team, a)
	})
	if err != nil {
		return fmt.Errorf("put silence %q of team %q: %w", s.ID, s.Team, err)
	}
	return nil
}

// DeleteSilence deletes a silence and appends a to the audit log in the
// same transaction. It fails with [bot.ErrNotFound], and writes no audit
// entry, when there is no such silence.
func (db *DB) DeleteSilence(team, id string, a bot.AuditEntry) error {
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		return unsafeDelete(tx, bucketSilences, joinKey(team, id), team, a)
	})
	if err != nil {
		return fmt.Errorf("delete silence %q of team %q: %w", id, team, err)
	}
	return nil
}
