package bolt

import (
	"bytes"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/spreadwatch/spreadwatch/bot"
)

// PutSnapshot appends s to the snapshot history unless the newest stored
// snapshot has the same non-empty Fingerprint, and reports whether it
// stored s. Then, when keep > 0, it deletes the oldest snapshots until at
// most keep remain; keep <= 0 keeps all of them. Both happen in one
// transaction.
func (db *DB) PutSnapshot(s bot.StoredSnapshot, keep int) (bool, error) {
	var stored bool
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		b := bucket(tx, bucketSnapshots)
		stored = true
		if k, v := b.Cursor().Last(); k != nil && s.Fingerprint != "" {
			var last struct {
				Fingerprint string `json:"fingerprint"`
			}
			if err := decode(v, &last); err != nil {
				return fmt.Errorf("snapshot %d: %w", keySeq(k), err)
			}
			stored = last.Fingerprint != s.Fingerprint
		}
		if stored {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			if err := put(b, seqKey(nil, seq), s); err != nil {
				return err
			}
		}
		if keep > 0 {
			return unsafeTrimSnapshots(b, keep)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("put snapshot as of %s: %w", s.AsOf.Format(time.RFC3339), err)
	}
	return stored, nil
}

// unsafeTrimSnapshots deletes the oldest snapshots of b, in the caller's
// write transaction, until at most keep remain.
func unsafeTrimSnapshots(b *bbolt.Bucket, keep int) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys[:max(0, len(keys)-keep)] {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Snapshots returns the stored snapshots oldest (first stored) first.
func (db *DB) Snapshots() ([]bot.StoredSnapshot, error) {
	var out []bot.StoredSnapshot
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = list[bot.StoredSnapshot](bucket(tx, bucketSnapshots), nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	return out, nil
}
