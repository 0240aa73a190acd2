package bolt

import (
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/spreadwatch/spreadwatch/bot"
)

// Watchlists lists a team's watchlists ordered by name.
func (db *DB) Watchlists(team string) ([]bot.Watchlist, error) {
	var out []bot.Watchlist
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = list[bot.Watchlist](bucket(tx, bucketWatchlists), teamPrefix(team))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list watchlists of team %q: %w", team, err)
	}
	return out, nil
}

// Watchlist returns one watchlist. It fails with [bot.ErrNotFound] when the
// team has no watchlist of that name.
func (db *DB) Watchlist(team, name string) (bot.Watchlist, error) {
	var w bot.Watchlist
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		var err error
		w, err = get[bot.Watchlist](bucket(tx, bucketWatchlists), joinKey(team, name))
		return err
	})
	if err != nil {
		return bot.Watchlist{}, fmt.Errorf("watchlist %q of team %q: %w", name, team, err)
	}
	return w, nil
}

// PutWatchlist creates or replaces w and appends a to the audit log in the
// same transaction. It fails with [ErrInvalid] for an empty team or name.
func (db *DB) PutWatchlist(w bot.Watchlist, a bot.AuditEntry) error {
	if err := errors.Join(checkKey("team", w.Team), checkKey("watchlist name", w.Name)); err != nil {
		return fmt.Errorf("put watchlist: %w", err)
	}
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		if err := put(bucket(tx, bucketWatchlists), joinKey(w.Team, w.Name), w); err != nil {
			return err
		}
		return unsafePutAudit(tx, w.Team, a)
	})
	if err != nil {
		return fmt.Errorf("put watchlist %q of team %q: %w", w.Name, w.Team, err)
	}
	return nil
}

// DeleteWatchlist deletes a watchlist and appends a to the audit log in the
// same transaction. It fails with [bot.ErrNotFound], and writes no audit
// entry, when there is no such watchlist.
func (db *DB) DeleteWatchlist(team, name string, a bot.AuditEntry) error {
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		return unsafeDelete(tx, bucketWatchlists, joinKey(team, name), team, a)
	})
	if err != nil {
		return fmt.Errorf("delete watchlist %q of team %q: %w", name, team, err)
	}
	return nil
}

// unsafeDelete deletes key from the named bucket and audits it with a, in
// the caller's write transaction; it returns bot.ErrNotFound when the key
// is not there.
func unsafeDelete(tx *bbolt.Tx, name string, key []byte, team string, a bot.AuditEntry) error {
	b := bucket(tx, name)
	if b.Get(key) == nil {
		return bot.ErrNotFound
	}
	if err := b.Delete(key); err != nil {
		return err
	}
	return unsafePutAudit(tx, team, a)
}
