// Package storage holds spreadwatch's storage backends: the implementations
// of [github.com/spreadwatch/spreadwatch/bot.Store], the interface the bot
// declares for everything it keeps (teams, watchlists, rules, alert state
// and its transitions, silences, the notification outbox, snapshot history
// and the audit log).
//
// # Backends
//
//   - [github.com/spreadwatch/spreadwatch/storage/bolt] keeps everything in
//     one local bbolt file. It is the embedded default: `go run
//     ./cmd/spreadwatch` with no configuration uses it.
//   - An etcd backend, for teams that run several replicas with one elected
//     leader, is planned. etcd is the engine bbolt was built for, so the
//     key layout carries over.
//
// # Conformance
//
// Every backend runs the shared suite in
// [github.com/spreadwatch/spreadwatch/storage/storagetest] from its own
// tests, so they all keep the same contract: the same errors
// ([github.com/spreadwatch/spreadwatch/bot.ErrNotFound]), the same ordering,
// the same atomic evaluation cycles and the same outbox semantics.
//
// This package itself has no code; it only documents the tree.
package storage
