package bolt

import (
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/spreadwatch/spreadwatch/bot"
)

// unsafePutAudit appends a to the audit log in the caller's write
// transaction. An entry without a team is filed under team, the team of
// the record it describes.
func unsafePutAudit(tx *bbolt.Tx, team string, a bot.AuditEntry) error {
	if a.Team == "" {
		a.Team = team
	}
	b := bucket(tx, bucketAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if err := put(b, seqKey(teamPrefix(a.Team), seq), a); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// Audit returns the newest n audit entries of team, newest first; n <= 0
// returns all of them, and team "" reads every team. Every Put and Delete
// that takes an AuditEntry writes it in the same transaction as the change,
// and only when the change is made.
func (db *DB) Audit(team string, n int) ([]bot.AuditEntry, error) {
	var out []bot.AuditEntry
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = newest[bot.AuditEntry](bucket(tx, bucketAudit), team, n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("audit of team %q: %w", team, err)
	}
	return out, nil
}
