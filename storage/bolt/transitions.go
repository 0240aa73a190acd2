package bolt

import (
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/spreadwatch/spreadwatch/bot"
)

// unsafeAppendTransition stores t with the next sequence number as its Seq,
// in the caller's write transaction.
func unsafeAppendTransition(tx *bbolt.Tx, t bot.Transition) error {
	if err := checkKey("team", t.Team); err != nil {
		return fmt.Errorf("transition of %s/%s: %w", t.Rule, t.Subject, err)
	}
	b := bucket(tx, bucketTransitions)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("transition: %w", err)
	}
	t.Seq = seq
	if err := put(b, seqKey(teamPrefix(t.Team), seq), t); err != nil {
		return fmt.Errorf("transition %d: %w", seq, err)
	}
	return nil
}

// Transitions returns the newest n transitions of a team, newest first
// (highest Seq first); n <= 0 returns all of them, and team "" reads every
// team.
func (db *DB) Transitions(team string, n int) ([]bot.Transition, error) {
	var out []bot.Transition
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = newest[bot.Transition](bucket(tx, bucketTransitions), team, n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("transitions of team %q: %w", team, err)
	}
	return out, nil
}
