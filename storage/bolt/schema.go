package bolt

import (
	"errors"
	"fmt"
	"strconv"

	"go.etcd.io/bbolt"
)

// currentSchema is the schema version this code reads and writes. Raise it
// together with a new step at the end of migrations.
const currentSchema = 2

// keySchemaVersion is the meta key holding the schema version as a decimal
// string.
const keySchemaVersion = "schema_version"

// schemaVersion returns the file's schema version: 0 for a new, empty
// bbolt file, currentSchema or lower for one this code can migrate. It
// fails with ErrNotDatabase for a bbolt file that another program wrote
// and with ErrNewerSchema for a version newer than currentSchema.
func schemaVersion(tx *bbolt.Tx) (int, error) {
	meta := bucket(tx, bucketMeta)
	if meta == nil {
		empty := tx.ForEach(func([]byte, *bbolt.Bucket) error {
			return errStop
		}) == nil
		if empty {
			return 0, nil
		}
		return 0, fmt.Errorf("%w: it has buckets but no %q bucket", ErrNotDatabase, bucketMeta)
	}
	raw := meta.Get([]byte(keySchemaVersion))
	if raw == nil {
		return 0, fmt.Errorf("%w: no %s.%s", ErrNotDatabase, bucketMeta, keySchemaVersion)
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 1 {
		return 0, fmt.Errorf("%w: bad %s.%s %q", ErrNotDatabase, bucketMeta, keySchemaVersion, raw)
	}
	if v > currentSchema {
		return v, fmt.Errorf("%w: schema version %d, this build reads up to %d; upgrade spreadwatch or use another file",
			ErrNewerSchema, v, currentSchema)
	}
	return v, nil
}

// setSchemaVersion records v in meta.
func setSchemaVersion(tx *bbolt.Tx, v int) error {
	return bucket(tx, bucketMeta).Put([]byte(keySchemaVersion), []byte(strconv.Itoa(v)))
}

// checkBuckets reports a missing bucket of the current schema.
func checkBuckets(tx *bbolt.Tx) error {
	for _, name := range allBuckets() {
		if bucket(tx, name) == nil {
			return fmt.Errorf("%w: bucket %q is missing", ErrNotDatabase, name)
		}
	}
	return nil
}

// errStop ends a ForEach early.
var errStop = errors.New("stop")
