package bolt

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/spreadwatch/spreadwatch/bot"
)

// DefaultTimeout is how long Open waits for another process to release the
// file when Options.Timeout is zero.
const DefaultTimeout = time.Second

// ErrLocked is returned by Open when another process, or another [*DB] in
// this process, holds the file open and did not release it within
// Options.Timeout. The error names the file and, when known, the owner's
// PID.
var ErrLocked = errors.New("database in use by another process")

// ErrNotDatabase is returned by Open when the file exists but is not a
// spreadwatch database: not a bbolt file at all, a damaged one, or a bbolt
// file written by another program.
var ErrNotDatabase = errors.New("not a spreadwatch database")

// ErrNewerSchema is returned by Open when the file's schema version is
// newer than this build knows: it was written by a newer spreadwatch, and
// opening it could lose data.
var ErrNewerSchema = errors.New("database written by a newer spreadwatch")

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Timeout is how long Open waits for the file lock held by another
	// process before it fails with ErrLocked; zero or negative means
	// DefaultTimeout.
	Timeout time.Duration
	// Logger receives schema migrations and other rare events; nil
	// discards them.
	Logger *slog.Logger
	// NoSync skips fsync after each commit: faster, but a machine crash
	// can lose or corrupt recent writes. For tests and benchmarks only.
	NoSync bool
}

// DB is a spreadwatch database in one bbolt file. It implements
// [bot.Store]. A DB is safe for concurrent use; each method runs in its own
// bbolt transaction.
type DB struct {
	bdb     *bbolt.DB
	path    string
	pidFile string
	logger  *slog.Logger

	closeOnce sync.Once
	closeErr  error
}

var _ bot.Store = (*DB)(nil)

// Open opens the spreadwatch database at path, creating the file if it does
// not exist, and migrates it to the current schema.
//
// Open fails with [ErrLocked] when the file stays in use by another process
// for Options.Timeout, with [ErrNotDatabase] when the file is not a
// spreadwatch database, and with [ErrNewerSchema] when a newer spreadwatch
// wrote it. Other failures, such as a directory that cannot be written,
// are returned wrapped with the path.
func Open(path string, opts Options) (*DB, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	bdb, err := openBolt(path, &bbolt.Options{
		Timeout:      opts.Timeout,
		NoSync:       opts.NoSync,
		FreelistType: bbolt.FreelistMapType,
	})
	if err != nil {
		return nil, openError(path, opts.Timeout, err)
	}
	db := &DB{bdb: bdb, path: path, pidFile: path + ".pid", logger: logger}
	if err := db.init(); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	db.writePID()
	return db, nil
}

// openBolt is bbolt.Open that turns a panic on a damaged file into an
// error. (bbolt validates meta pages, but a file with valid meta pages and
// damaged contents can still panic while the freelist is read.)
func openBolt(path string, opts *bbolt.Options) (bdb *bbolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			bdb, err = nil, fmt.Errorf("%w: %v", berrors.ErrInvalid, r)
		}
	}()
	return bbolt.Open(path, 0o600, opts)
}

// openError turns an error from bbolt.Open into one that says what to do.
func openError(path string, timeout time.Duration, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("%s: %w (%s; waited %s)", path, ErrLocked, lockOwner(path+".pid"), timeout)
	case errors.Is(err, berrors.ErrInvalid),
		errors.Is(err, berrors.ErrVersionMismatch),
		errors.Is(err, berrors.ErrChecksum):
		return fmt.Errorf("%s is %w: %w", path, ErrNotDatabase, err)
	default:
		// Drop the *PathError's repetition of the path, keep its cause.
		if pe, ok := errors.AsType[*fs.PathError](err); ok && pe.Path == path {
			err = pe.Err
		}
		return fmt.Errorf("open database %s: %w", path, err)
	}
}

// init checks the schema version, migrates the file when it is older than
// this code, and checks that every bucket exists.
func (db *DB) init() error {
	var version int
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		var err error
		version, err = schemaVersion(tx)
		return err
	})
	if err == nil && version != currentSchema {
		err = db.bdb.Update(func(tx *bbolt.Tx) error {
			return migrate(tx, db.logger)
		})
	}
	if err == nil {
		err = db.bdb.View(checkBuckets)
	}
	switch {
	case errors.Is(err, ErrNotDatabase):
		return fmt.Errorf("%s is %w", db.path, err)
	case err != nil:
		return fmt.Errorf("%s: %w", db.path, err)
	}
	return nil
}

// writePID records this process's id next to the database so that a second
// Open can name the owner in its ErrLocked error. Failing to write it only
// makes that message vaguer, so it is logged, not returned.
func (db *DB) writePID() {
	pid := strconv.Itoa(os.Getpid()) + "\n"
	if err := os.WriteFile(db.pidFile, []byte(pid), 0o644); err != nil {
		db.logger.Debug("cannot record database owner", "path", db.pidFile, "err", err)
		db.pidFile = ""
	}
}

// lockOwner describes the process named in a pid file, for ErrLocked.
func lockOwner(pidFile string) string {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return "owner unknown"
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return "owner unknown"
	}
	if pid == os.Getpid() {
		return fmt.Sprintf("pid %d, this process", pid)
	}
	return fmt.Sprintf("pid %d", pid)
}

// Path returns the file the database was opened from.
func (db *DB) Path() string { return db.path }

// Close releases the file. It waits for running transactions to finish.
// Later calls return the first call's result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		// Remove the pid file while still holding the lock, so a new
		// owner's file is never removed by mistake.
		if db.pidFile != "" {
			_ = os.Remove(db.pidFile)
		}
		if err := db.bdb.Close(); err != nil {
			db.closeErr = fmt.Errorf("close %s: %w", db.path, err)
		}
	})
	return db.closeErr
}
