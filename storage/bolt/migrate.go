package bolt

import (
	"encoding/binary"
	"fmt"
	"log/slog"

	"go.etcd.io/bbolt"

	"github.com/spreadwatch/spreadwatch/bot"
)

// migration is one forward step of the schema: apply turns a file at
// version to-1 into one at version to.
type migration struct {
	to    int
	name  string
	apply func(tx *bbolt.Tx) error
}

// migrations lists every schema step in order. A new file runs them all.
// Steps are never edited once released; a change adds a step.
func migrations() []migration {
	return []migration{
		{1, "create buckets", migrateV1},
		{2, "index alerts by short id, count alert ids per team, index undelivered outbox items", migrateV2},
	}
}

// migrate brings the file to currentSchema in the caller's write
// transaction, so a failed step leaves the file as it was.
func migrate(tx *bbolt.Tx, logger *slog.Logger) error {
	from, err := schemaVersion(tx)
	if err != nil {
		return err
	}
	for _, m := range migrations() {
		if m.to <= from {
			continue
		}
		if err := m.apply(tx); err != nil {
			return fmt.Errorf("migrate schema to version %d (%s): %w", m.to, m.name, err)
		}
		if err := setSchemaVersion(tx, m.to); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", m.to, err)
		}
		logger.Info("migrated database schema", "from", from, "to", m.to, "step", m.name)
	}
	return nil
}

// migrateV1 creates the buckets of the first release: one per concern.
func migrateV1(tx *bbolt.Tx) error {
	for _, name := range []string{
		bucketMeta, bucketTeams, bucketWatchlists, bucketRules, bucketAlerts,
		bucketTransitions, bucketSilences, bucketOutbox, bucketSnapshots, bucketAudit,
	} {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %q: %w", name, err)
		}
	}
	return nil
}

// migrateV2 adds the index buckets and fills them from the stored records:
// alert_ids from the alerts' short ids, alert_seq from the highest alert
// number any alert or transition of the team used (so no short id is handed
// out twice), and outbox_due from the undelivered outbox items.
func migrateV2(tx *bbolt.Tx) error {
	for _, name := range []string{bucketAlertIDs, bucketAlertSeq, bucketOutboxDue} {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %q: %w", name, err)
		}
	}

	highest := map[string]uint64{}
	note := func(team, id string) {
		if n, ok := alertNumber(id); ok && n > highest[team] {
			highest[team] = n
		}
	}
	ids := bucket(tx, bucketAlertIDs)
	err := bucket(tx, bucketAlerts).ForEach(func(k, v []byte) error {
		var a bot.Alert
		if err := decode(v, &a); err != nil {
			return fmt.Errorf("alert %q: %w", k, err)
		}
		if a.ID == "" {
			return nil
		}
		note(a.Team, a.ID)
		return ids.Put(joinKey(a.Team, a.ID), k)
	})
	if err != nil {
		return err
	}
	err = bucket(tx, bucketTransitions).ForEach(func(k, v []byte) error {
		var t bot.Transition
		if err := decode(v, &t); err != nil {
			return fmt.Errorf("transition %q: %w", k, err)
		}
		note(t.Team, t.AlertID)
		return nil
	})
	if err != nil {
		return err
	}
	seq := bucket(tx, bucketAlertSeq)
	for team, n := range highest {
		if err := seq.Put([]byte(team), binary.BigEndian.AppendUint64(nil, n)); err != nil {
			return err
		}
	}

	due := bucket(tx, bucketOutboxDue)
	return bucket(tx, bucketOutbox).ForEach(func(k, v []byte) error {
		var it bot.OutboxItem
		if err := decode(v, &it); err != nil {
			return fmt.Errorf("outbox item %d: %w", keySeq(k), err)
		}
		if !undelivered(it.Status) {
			return nil
		}
		return due.Put(k, dueValue(it))
	})
}
