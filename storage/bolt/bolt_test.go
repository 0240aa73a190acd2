package bolt_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	"github.com/spreadwatch/spreadwatch/bot"
	"github.com/spreadwatch/spreadwatch/storage/bolt"
	"github.com/spreadwatch/spreadwatch/storage/storagetest"
)

// testOptions returns Options for tests: a short lock timeout and a logger
// that writes to the test's output.
func testOptions(t testing.TB) bolt.Options {
	return bolt.Options{
		Timeout: 100 * time.Millisecond,
		Logger:  slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
}

// mustOpen opens a database at path and closes it when the test ends.
func mustOpen(t testing.TB, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, testOptions(t))
	if err != nil {
		t.Fatalf("Open(%q) = %v", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return db
}

// tempPath returns the path of a database file in a new temp dir.
func tempPath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "spreadwatch.db")
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) bot.Store {
		return mustOpen(t, tempPath(t))
	})
}

func TestSecondOpenIsLocked(t *testing.T) {
	path := tempPath(t)
	mustOpen(t, path)

	const timeout = 300 * time.Millisecond
	start := time.Now()
	db, err := bolt.Open(path, bolt.Options{Timeout: timeout})
	elapsed := time.Since(start)
	if err == nil {
		db.Close()
		t.Fatalf("second Open(%q) succeeded, want ErrLocked", path)
	}
	if !errors.Is(err, bolt.ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	t.Logf("second Open: %v", err)
	if elapsed < timeout/2 || elapsed > timeout+2*time.Second {
		t.Errorf("second Open returned after %s, want about %s", elapsed, timeout)
	}
	for _, want := range []string{path, "database in use by another process", fmt.Sprintf("pid %d", os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second Open error %q does not contain %q", err, want)
		}
	}
}

func TestOpenAfterCloseSucceeds(t *testing.T) {
	path := tempPath(t)
	db, err := bolt.Open(path, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
	if _, err := os.Stat(path + ".pid"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pid file after Close: stat = %v, want not exist", err)
	}
	mustOpen(t, path)
}

// holdEnv names the environment variable that turns TestHoldDatabase into
// a helper process holding the database at its value open.
const holdEnv = "SPREADWATCH_TEST_HOLD_DB"

// TestHoldDatabase is not a test: run by TestLockedByAnotherProcess with
// holdEnv set, it opens the database, prints "ready" and waits for its
// standard input to close.
func TestHoldDatabase(t *testing.T) {
	path := os.Getenv(holdEnv)
	if path == "" {
		t.Skip("helper process for TestLockedByAnotherProcess")
	}
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
}

func TestLockedByAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	path := tempPath(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldDatabase$")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = t.Output()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper process: %v", err)
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper process said %q, %v; want ready", line, err)
	}

	db, err := bolt.Open(path, bolt.Options{Timeout: 200 * time.Millisecond})
	if err == nil {
		db.Close()
		t.Fatal("Open of a database held by another process succeeded, want ErrLocked")
	}
	if !errors.Is(err, bolt.ErrLocked) {
		t.Fatalf("Open = %v, want ErrLocked", err)
	}
	t.Logf("Open: %v", err)
	if want := fmt.Sprintf("(pid %d;", cmd.Process.Pid); !strings.Contains(err.Error(), want) {
		t.Errorf("Open error %q does not name the owner %q", err, want)
	}
}

func TestNotADatabase(t *testing.T) {
	foreign := func(t *testing.T, path string) {
		withBolt(t, path, func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucket([]byte("widgets"))
			if err != nil {
				return err
			}
			return b.Put([]byte("k"), []byte("v"))
		})
	}
	noVersion := func(t *testing.T, path string) {
		withBolt(t, path, func(tx *bbolt.Tx) error {
			_, err := tx.CreateBucket([]byte("meta"))
			return err
		})
	}
	badVersion := func(t *testing.T, path string) {
		withBolt(t, path, func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucket([]byte("meta"))
			if err != nil {
				return err
			}
			return b.Put([]byte("schema_version"), []byte("two"))
		})
	}
	text := func(content []byte) func(*testing.T, string) {
		return func(t *testing.T, path string) {
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name  string
		make  func(t *testing.T, path string)
		wantS string
	}{
		{"short text file", text([]byte("hello\n")), "is not a spreadwatch database"},
		{"long text file", text(bytes.Repeat([]byte("not a database\n"), 2000)), "is not a spreadwatch database"},
		{"JSON feed", text([]byte(`{"version":1,"as_of":"2026-07-01T00:00:00Z","issuers":[]}`)), "is not a spreadwatch database"},
		{"zeros", text(make([]byte, 64<<10)), "is not a spreadwatch database"},
		{"bbolt file of another program", foreign, `no "meta" bucket`},
		{"meta without schema version", noVersion, "no meta.schema_version"},
		{"unreadable schema version", badVersion, `bad meta.schema_version "two"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tempPath(t)
			tc.make(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			db, err := bolt.Open(path, testOptions(t))
			if err == nil {
				db.Close()
				t.Fatalf("Open(%s) succeeded, want ErrNotDatabase", tc.name)
			}
			if !errors.Is(err, bolt.ErrNotDatabase) {
				t.Errorf("Open = %v, want ErrNotDatabase", err)
			}
			t.Logf("Open: %v", err)
			if !strings.Contains(err.Error(), tc.wantS) || !strings.Contains(err.Error(), path) {
				t.Errorf("Open error %q, want it to name the file and say %q", err, tc.wantS)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Errorf("failed Open changed the file")
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
	}{
		{"path is a directory", dir},
		{"parent is a file", filepath.Join(file, "spreadwatch.db")},
		{"parent does not exist", filepath.Join(dir, "missing", "spreadwatch.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := bolt.Open(tc.path, testOptions(t))
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tc.path)
			}
			t.Logf("Open: %v", err)
			if !strings.Contains(err.Error(), tc.path) {
				t.Errorf("Open error %q does not name %q", err, tc.path)
			}
			if errors.Is(err, bolt.ErrLocked) || errors.Is(err, bolt.ErrNotDatabase) {
				t.Errorf("Open error %q is ErrLocked or ErrNotDatabase, want neither", err)
			}
		})
	}
	t.Run("read-only directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root can write to read-only directories")
		}
		ro := filepath.Join(t.TempDir(), "ro")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(ro, "spreadwatch.db")
		db, err := bolt.Open(path, testOptions(t))
		if err == nil {
			db.Close()
			t.Fatalf("Open(%q) succeeded, want an error", path)
		}
		if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), path) {
			t.Errorf("Open = %v, want a permission error naming the file", err)
		}
	})
}

func TestEmptyFileIsInitialized(t *testing.T) {
	path := tempPath(t)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db := mustOpen(t, path)
	if err := db.EnsureTeam(bot.Team{ID: "local"}); err != nil {
		t.Fatalf("EnsureTeam = %v", err)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	path := tempPath(t)
	withBolt(t, path, func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return b.Put([]byte("schema_version"), []byte("99"))
	})
	db, err := bolt.Open(path, testOptions(t))
	if err == nil {
		db.Close()
		t.Fatal("Open of a schema 99 file succeeded, want ErrNewerSchema")
	}
	if !errors.Is(err, bolt.ErrNewerSchema) {
		t.Errorf("Open = %v, want ErrNewerSchema", err)
	}
	t.Logf("Open: %v", err)
	if !strings.Contains(err.Error(), "schema version 99") {
		t.Errorf("Open error %q does not name the version", err)
	}
	if got := schemaVersion(t, path); got != "99" {
		t.Errorf("schema_version after refused Open = %q, want 99", got)
	}
}

func TestUnknownRecordVersionIsAnError(t *testing.T) {
	path := tempPath(t)
	db, err := bolt.Open(path, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	withBolt(t, path, func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("rules")).Put([]byte("T1\x00future"), []byte("\x09{}"))
	})
	db = mustOpen(t, path)
	_, err = db.AllRules()
	if err == nil || !strings.Contains(err.Error(), "unsupported record version 9") {
		t.Errorf("AllRules() = %v, want an unsupported record version error", err)
	}
}

func TestAuditEntryTakesTheRecordsTeam(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	e := bot.AuditEntry{Actor: "U1", Action: "rule.add", Target: "hi"}
	if err := db.PutRule(bot.Rule{Team: "T1", Name: "hi", Expr: "coupon > 9%"}, e); err != nil {
		t.Fatal(err)
	}
	got, err := db.Audit("T1", 0)
	if err != nil {
		t.Fatal(err)
	}
	e.Team = "T1"
	if diff := cmp.Diff([]bot.AuditEntry{e}, got); diff != "" {
		t.Errorf("Audit(T1) mismatch (-want +got):\n%s", diff)
	}
}

func TestInvalidKeys(t *testing.T) {
	db := mustOpen(t, tempPath(t))
	a := bot.AuditEntry{Actor: "U1"}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"team without id", db.EnsureTeam(bot.Team{})},
		{"rule without team", db.PutRule(bot.Rule{Name: "x"}, a)},
		{"rule with NUL in name", db.PutRule(bot.Rule{Team: "T1", Name: "a\x00b"}, a)},
		{"watchlist without name", db.PutWatchlist(bot.Watchlist{Team: "T1"}, a)},
		{"silence without id", db.PutSilence(bot.Silence{Team: "T1"}, a)},
		{"alert without subject", db.PutAlert(bot.Alert{Team: "T1", Rule: "r"}, nil)},
	} {
		if !errors.Is(tc.err, bolt.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", tc.name, tc.err)
		}
	}
	if _, err := db.NextAlertID(""); !errors.Is(err, bolt.ErrInvalid) {
		t.Errorf("NextAlertID(\"\") = %v, want ErrInvalid", err)
	}
	if got, err := db.Audit("", 0); err != nil || len(got) != 0 {
		t.Errorf("Audit after invalid writes = %v, %v; want none", got, err)
	}
}

// withBolt runs fn in a write transaction on the bbolt file at path,
// bypassing this package: tests use it to build files by hand.
func withBolt(t *testing.T, path string, fn func(tx *bbolt.Tx) error) {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// schemaVersion reads meta.schema_version of the closed file at path.
func schemaVersion(t *testing.T, path string) string {
	t.Helper()
	var v string
	withBolt(t, path, func(tx *bbolt.Tx) error {
		v = string(tx.Bucket([]byte("meta")).Get([]byte("schema_version")))
		return nil
	})
	return v
}
