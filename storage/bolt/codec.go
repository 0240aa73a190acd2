package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/spreadwatch/spreadwatch/bot"
)

// ErrInvalid is returned when a record cannot be stored because a field
// that forms its key (team, name, id, rule, subject) is empty or contains a
// NUL byte.
var ErrInvalid = errors.New("invalid record")

// recordV1 is the version byte in front of every value written today.
const recordV1 byte = 1

// encode returns v as a stored value: the record version byte, then JSON.
func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	out := make([]byte, 1+len(b))
	out[0] = recordV1
	copy(out[1:], b)
	return out, nil
}

// decode reads a value written by encode into v.
func decode(b []byte, v any) error {
	if len(b) == 0 {
		return errors.New("decode: empty value")
	}
	switch b[0] {
	case recordV1:
		if err := json.Unmarshal(b[1:], v); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		return nil
	default:
		return fmt.Errorf("decode: unsupported record version %d", b[0])
	}
}

// checkKey reports an ErrInvalid error when a key part is empty or holds
// a NUL byte. what names the field for the message, e.g. "team".
func checkKey(what, s string) error {
	if s == "" {
		return fmt.Errorf("empty %s: %w", what, ErrInvalid)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%s %q contains a NUL byte: %w", what, s, ErrInvalid)
	}
	return nil
}

// teamPrefix is the key prefix of every record of team: the id and a NUL.
func teamPrefix(team string) []byte {
	p := make([]byte, 0, len(team)+1)
	p = append(p, team...)
	return append(p, 0)
}

// joinKey joins parts with NUL bytes: team \0 name, team \0 rule \0 subject.
func joinKey(parts ...string) []byte {
	n := len(parts) - 1
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			k = append(k, 0)
		}
		k = append(k, p...)
	}
	return k
}

// seqKey returns prefix followed by n as 8 big-endian bytes, so keys sort
// in sequence order.
func seqKey(prefix []byte, n uint64) []byte {
	k := make([]byte, len(prefix), len(prefix)+8)
	copy(k, prefix)
	return binary.BigEndian.AppendUint64(k, n)
}

// keySeq returns the sequence number at the end of a seqKey.
func keySeq(k []byte) uint64 {
	if len(k) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k[len(k)-8:])
}

// get decodes the value stored under key in b. It returns an error
// wrapping bot.ErrNotFound when there is none.
func get[T any](b *bbolt.Bucket, key []byte) (T, error) {
	var v T
	raw := b.Get(key)
	if raw == nil {
		return v, bot.ErrNotFound
	}
	if err := decode(raw, &v); err != nil {
		return v, fmt.Errorf("key %q: %w", key, err)
	}
	return v, nil
}

// put encodes v and stores it under key in b.
func put(b *bbolt.Bucket, key []byte, v any) error {
	raw, err := encode(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// list decodes every value whose key starts with prefix, in key order. A
// nil prefix lists the whole bucket.
func list[T any](b *bbolt.Bucket, prefix []byte) ([]T, error) {
	var out []T
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var x T
		if err := decode(v, &x); err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		out = append(out, x)
	}
	return out, nil
}

// newest decodes the n values with the highest sequence numbers among keys
// "team \0 seq" of team, newest first; n <= 0 means all of them. An empty
// team reads every team's keys and orders them by sequence.
func newest[T any](b *bbolt.Bucket, team string, n int) ([]T, error) {
	if team == "" {
		return newestAllTeams[T](b, n)
	}
	var out []T
	prefix := teamPrefix(team)
	upper := teamPrefix(team)
	upper[len(upper)-1] = 1 // first key after every "team \0 …"
	c := b.Cursor()
	var k, v []byte
	if k, _ = c.Seek(upper); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
		var x T
		if err := decode(v, &x); err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		out = append(out, x)
		if n > 0 && len(out) == n {
			break
		}
	}
	return out, nil
}

// newestAllTeams is newest across every team: it sorts all keys by their
// trailing sequence number and decodes only the n it returns.
func newestAllTeams[T any](b *bbolt.Bucket, n int) ([]T, error) {
	type entry struct {
		seq uint64
		v   []byte
	}
	var all []entry
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		all = append(all, entry{keySeq(k), v})
	}
	slices.SortFunc(all, func(a, b entry) int {
		switch {
		case a.seq > b.seq:
			return -1
		case a.seq < b.seq:
			return 1
		}
		return 0
	})
	if n > 0 && len(all) > n {
		all = all[:n]
	}
	out := make([]T, 0, len(all))
	for _, e := range all {
		var x T
		if err := decode(e.v, &x); err != nil {
			return nil, fmt.Errorf("seq %d: %w", e.seq, err)
		}
		out = append(out, x)
	}
	return out, nil
}
