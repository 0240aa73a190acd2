// Package bolt is spreadwatch's embedded storage backend: it implements
// [bot.Store] on a single bbolt file.
//
// Open a file with [Open]; the returned [*DB] is safe for concurrent use by
// several goroutines. Only one process (and only one [*DB] within a process)
// may have a file open at a time: a second [Open] fails with [ErrLocked]
// after [Options.Timeout].
//
// # Locking
//
// bbolt takes an flock on the file. While it holds the file, Open writes
// its process id to a sidecar file, path + ".pid", and Close removes it,
// so that the ErrLocked error of a second Open can name the owner.
//
// # Values
//
// Every value is a record-version byte followed by the record's JSON, so a
// record type can change shape later without a schema migration: readers
// switch on the first byte. All records are at version 1.
//
// # Layout
//
// All bucket names are in buckets.go. Keys that belong to a team start with
// the team id and a NUL byte, so listing a team is a prefix scan and team
// "t1" never sees team "t10". Team ids, names and ids of records may
// therefore not contain NUL bytes.
//
//	meta          "schema_version" → decimal schema version (see schema.go)
//	teams         team                        → Team
//	watchlists    team \0 name                → Watchlist
//	rules         team \0 name                → Rule
//	alerts        team \0 rule \0 subject     → Alert
//	alert_ids     team \0 short id ("A12")    → key of the alert in alerts
//	alert_seq     team                        → 8-byte big-endian last alert number
//	transitions   team \0 8-byte big-endian seq → Transition
//	silences      team \0 id                  → Silence
//	outbox        8-byte big-endian id        → OutboxItem
//	outbox_due    8-byte big-endian id        → 8-byte big-endian next attempt (Unix ns)
//	snapshots     8-byte big-endian seq       → StoredSnapshot
//	audit         team \0 8-byte big-endian seq → AuditEntry
//
// Sequences (transition Seq, outbox ids, snapshot and audit keys) come from
// the bucket's NextSequence, so they grow across teams and restarts, and a
// scan of one team's keys returns them in order. outbox_due holds only the
// items that are still to be delivered (pending or retrying), so
// [DB.Due] stays cheap however many sent items the outbox keeps.
//
// # Schema and migrations
//
// meta.schema_version counts layout changes. [Open] applies the forward
// migrations in migrate.go, in order and in one transaction, and refuses a
// file whose version is newer than this code knows ([ErrNewerSchema]).
package bolt
