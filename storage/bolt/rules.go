package bolt

import (
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/spreadwatch/spreadwatch/bot"
)

// Rules lists a team's rules ordered by name.
func (db *DB) Rules(team string) ([]bot.Rule, error) {
	var out []bot.Rule
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = list[bot.Rule](bucket(tx, bucketRules), teamPrefix(team))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list rules of team %q: %w", team, err)
	}
	return out, nil
}

// AllRules lists every team's rules, ordered by team, then name.
func (db *DB) AllRules() ([]bot.Rule, error) {
	var out []bot.Rule
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = list[bot.Rule](bucket(tx, bucketRules), nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	return out, nil
}

// PutRule creates or replaces r and appends a to the audit log in the same
// transaction. It fails with [ErrInvalid] for an empty team or name.
func (db *DB) PutRule(r bot.Rule, a bot.AuditEntry) error {
	if err := errors.Join(checkKey("team", r.Team), checkKey("rule name", r.Name)); err != nil {
		return fmt.Errorf("put rule: %w", err)
	}
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		if err := put(bucket(tx, bucketRules), joinKey(r.Team, r.Name), r); err != nil {
			return err
		}
		return unsafePutAudit(tx, r.Team, a)
	})
	if err != nil {
		return fmt.Errorf("put rule %q of team %q: %w", r.Name, r.Team, err)
	}
	return nil
}

// DeleteRule deletes a rule and appends a to the audit log in the same
// transaction. It fails with [bot.ErrNotFound], and writes no audit entry,
// when there is no such rule. The rule's alerts are left to the evaluator,
// which removes them in its next cycle.
func (db *DB) DeleteRule(team, name string, a bot.AuditEntry) error {
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		return unsafeDelete(tx, bucketRules, joinKey(team, name), team, a)
	})
	if err != nil {
		return fmt.Errorf("delete rule %q of team %q: %w", name, team, err)
	}
	return nil
}
