package bolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/spreadwatch/spreadwatch/bot"
)

// alertKey is the alerts key of an instance: team \0 rule \0 subject.
func alertKey(a bot.Alert) []byte { return joinKey(a.Team, a.Rule, a.Subject) }

// checkAlert reports an ErrInvalid error unless a has a team, rule and
// subject, and an ID without NUL bytes.
func checkAlert(a bot.Alert) error {
	err := errors.Join(checkKey("team", a.Team), checkKey("rule", a.Rule), checkKey("subject", a.Subject))
	if err == nil && a.ID != "" {
		err = checkKey("alert id", a.ID)
	}
	return err
}

// Alerts lists the stored alert instances of team, or of every team when
// team is "", ordered by team, rule, then subject.
func (db *DB) Alerts(team string) ([]bot.Alert, error) {
	var prefix []byte
	if team != "" {
		prefix = teamPrefix(team)
	}
	var out []bot.Alert
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = list[bot.Alert](bucket(tx, bucketAlerts), prefix)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list alerts of team %q: %w", team, err)
	}
	return out, nil
}

// AlertByID returns the team's alert with short id id ("A12"). It fails
// with [bot.ErrNotFound] when no stored alert of the team has that id.
func (db *DB) AlertByID(team, id string) (bot.Alert, error) {
	var a bot.Alert
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		k := bucket(tx, bucketAlertIDs).Get(joinKey(team, id))
		if k == nil {
			return bot.ErrNotFound
		}
		var err error
		a, err = get[bot.Alert](bucket(tx, bucketAlerts), k)
		return err
	})
	if err != nil {
		return bot.Alert{}, fmt.Errorf("alert %q of team %q: %w", id, team, err)
	}
	return a, nil
}

// PutAlert replaces a stored alert instance (found by team, rule and
// subject) outside an evaluation cycle, e.g. to record an ack or the
// platform's message ref, and appends audit to the audit log in the same
// transaction when it is not nil. It fails with [bot.ErrNotFound] when the
// instance is not stored (it was resolved and removed meanwhile): PutAlert
// never brings an alert back.
func (db *DB) PutAlert(a bot.Alert, audit *bot.AuditEntry) error {
	if err := checkAlert(a); err != nil {
		return fmt.Errorf("put alert: %w", err)
	}
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		if bucket(tx, bucketAlerts).Get(alertKey(a)) == nil {
			return bot.ErrNotFound
		}
		if err := unsafePutAlert(tx, a); err != nil {
			return err
		}
		if audit != nil {
			return unsafePutAudit(tx, a.Team, *audit)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put alert %s of team %q: %w", a.Key(), a.Team, err)
	}
	return nil
}

// NextAlertID returns a fresh short alert id for the team: "A1", "A2", …
// Ids are never handed out twice, across restarts too.
func (db *DB) NextAlertID(team string) (string, error) {
	if err := checkKey("team", team); err != nil {
		return "", fmt.Errorf("next alert id: %w", err)
	}
	var n uint64
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		b := bucket(tx, bucketAlertSeq)
		if v := b.Get([]byte(team)); len(v) == 8 {
			n = binary.BigEndian.Uint64(v)
		}
		n++
		return b.Put([]byte(team), binary.BigEndian.AppendUint64(nil, n))
	})
	if err != nil {
		return "", fmt.Errorf("next alert id of team %q: %w", team, err)
	}
	return "A" + strconv.FormatUint(n, 10), nil
}

// alertNumber returns n for a short id "An".
func alertNumber(id string) (uint64, bool) {
	rest, ok := strings.CutPrefix(id, "A")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	return n, err == nil
}

// unsafePutAlert stores a, keeping the short-id index in step, in the
// caller's write transaction. If another instance of the team claimed the
// same short id, the index now points at a.
func unsafePutAlert(tx *bbolt.Tx, a bot.Alert) error {
	alerts := bucket(tx, bucketAlerts)
	ids := bucket(tx, bucketAlertIDs)
	k := alertKey(a)
	var idKey []byte
	if a.ID != "" {
		idKey = joinKey(a.Team, a.ID)
	}
	// Fast path: the index already maps a.ID to this instance, so its
	// stored id is unchanged. Otherwise drop the index entry of the id
	// the instance had before.
	if idKey == nil || !bytes.Equal(ids.Get(idKey), k) {
		if err := unsafeUnindexAlert(tx, k); err != nil {
			return err
		}
		if idKey != nil {
			if err := ids.Put(idKey, k); err != nil {
				return err
			}
		}
	}
	return put(alerts, k, a)
}

// unsafeUnindexAlert removes the short-id index entry of the instance
// stored under k, if any, in the caller's write transaction.
func unsafeUnindexAlert(tx *bbolt.Tx, k []byte) error {
	raw := bucket(tx, bucketAlerts).Get(k)
	if raw == nil {
		return nil
	}
	var old struct {
		ID   string `json:"id"`
		Team string `json:"team"`
	}
	if err := decode(raw, &old); err != nil {
		return fmt.Errorf("alert %q: %w", k, err)
	}
	if old.ID == "" {
		return nil
	}
	ids := bucket(tx, bucketAlertIDs)
	idKey := joinKey(old.Team, old.ID)
	if !bytes.Equal(ids.Get(idKey), k) {
		return nil // the id was claimed by another instance since
	}
	return ids.Delete(idKey)
}

// unsafeDeleteAlert deletes the instance a names (by team, rule and
// subject) and its index entry, in the caller's write transaction. A
// missing instance is not an error.
func unsafeDeleteAlert(tx *bbolt.Tx, a bot.Alert) error {
	k := alertKey(a)
	if err := unsafeUnindexAlert(tx, k); err != nil {
		return err
	}
	return bucket(tx, bucketAlerts).Delete(k)
}

// SaveCycle commits one evaluation cycle in one transaction: it upserts
// c.Alerts, then deletes c.Removed (by team, rule and subject; missing ones
// are ignored), appends c.Transitions with fresh Seq numbers, and appends
// c.Outbox as pending outbox items with fresh ids, which it returns in
// order. On any error nothing is stored. The caller's slices are not
// modified.
//
// It fails with [ErrInvalid] when an alert lacks a team, rule or subject or
// a transition lacks a team.
func (db *DB) SaveCycle(c bot.Cycle) ([]uint64, error) {
	var ids []uint64
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		ids = make([]uint64, 0, len(c.Outbox))
		for _, a := range c.Alerts {
			if err := checkAlert(a); err != nil {
				return fmt.Errorf("alert %s: %w", a.Key(), err)
			}
			if err := unsafePutAlert(tx, a); err != nil {
				return fmt.Errorf("alert %s of team %q: %w", a.Key(), a.Team, err)
			}
		}
		for _, a := range c.Removed {
			if err := checkAlert(a); err != nil {
				return fmt.Errorf("removed alert %s: %w", a.Key(), err)
			}
			if err := unsafeDeleteAlert(tx, a); err != nil {
				return fmt.Errorf("remove alert %s of team %q: %w", a.Key(), a.Team, err)
			}
		}
		for _, t := range c.Transitions {
			if err := unsafeAppendTransition(tx, t); err != nil {
				return err
			}
		}
		for _, n := range c.Outbox {
			id, err := unsafeEnqueue(tx, n)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("save cycle: %w", err)
	}
	return ids, nil
}
