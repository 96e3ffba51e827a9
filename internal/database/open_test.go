package database_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/crn-dev/crn/internal/database"
)

func TestOpenDefaultCreatesDataDir(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "nested", "data")
	db, err := database.Open(t.Context(), database.Options{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if db.Dialect != database.SQLite {
		t.Errorf("dialect = %q, want sqlite", db.Dialect)
	}
	st, err := os.Stat(dataDir)
	if err != nil || !st.IsDir() {
		t.Fatalf("data dir not created: %v", err)
	}
	if perm := st.Mode().Perm(); perm&0o007 != 0 {
		t.Errorf("data dir mode %v is open to others", perm)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "crn.db")); err != nil {
		t.Errorf("crn.db not created: %v", err)
	}
}

// Pragmas are per connection, so look at several connections held at once:
// a pragma set only on the first connection would show up here.
func TestSQLitePragmasOnEveryConnection(t *testing.T) {
	ctx := t.Context()
	db, err := database.Open(ctx, database.Options{DataDir: t.TempDir(), MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	for i := range 4 {
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close() }()
		for pragma, want := range map[string]string{
			"journal_mode": "wal",
			"foreign_keys": "1",
			"busy_timeout": "5000",
			"synchronous":  "1", // NORMAL
		} {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("connection %d: PRAGMA %s: %v", i, pragma, err)
			}
			if strings.ToLower(got) != want {
				t.Errorf("connection %d: PRAGMA %s = %q, want %q", i, pragma, got, want)
			}
		}
	}
}

// Transactions that read before they write are the classic SQLite deadlock:
// two deferred transactions both hold read locks and neither can upgrade.
// With _txlock=immediate they queue on busy_timeout instead.
func TestSQLiteConcurrentReadThenWriteTransactions(t *testing.T) {
	ctx := t.Context()
	db, err := database.Open(ctx, database.Options{DataDir: t.TempDir(), MaxOpenConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE counter (n integer NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.ExecContext(ctx, `INSERT INTO counter (n) VALUES (0)`); err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 8, 20
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				if err := increment(ctx, db); err != nil {
					t.Errorf("increment: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	var n int
	if err := db.SQL.QueryRowContext(ctx, `SELECT n FROM counter`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != workers*rounds {
		t.Errorf("counter = %d, want %d (lost updates)", n, workers*rounds)
	}
}

func increment(ctx context.Context, db *database.DB) error {
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT n FROM counter`).Scan(&n); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE counter SET n = ?`, n+1); err != nil {
		return err
	}
	return tx.Commit()
}

func TestOpenURLForms(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tc := range []struct {
		url, file string
	}{
		{"sqlite://" + filepath.Join(dir, "abs.db"), filepath.Join(dir, "abs.db")},
		{"sqlite://relative.db", filepath.Join(dir, "relative.db")},
		{"file:" + filepath.Join(dir, "file.db"), filepath.Join(dir, "file.db")},
		{"sqlite://query.db?_pragma=cache_size(-4000)", filepath.Join(dir, "query.db")},
	} {
		db, err := database.Open(t.Context(), database.Options{URL: tc.url})
		if err != nil {
			t.Errorf("Open(%q): %v", tc.url, err)
			continue
		}
		if _, err := os.Stat(tc.file); err != nil {
			t.Errorf("Open(%q) did not create %s: %v", tc.url, tc.file, err)
		}
		_ = db.Close()
	}
	for _, bad := range []string{"mysql://x", "sqlite://:memory:", "nonsense"} {
		if db, err := database.Open(t.Context(), database.Options{URL: bad}); err == nil {
			_ = db.Close()
			t.Errorf("Open(%q) succeeded, want an error", bad)
		}
	}
	if _, err := database.Open(t.Context(), database.Options{}); err == nil {
		t.Error("Open with neither URL nor DataDir succeeded")
	}
}
