package database_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
)

// openEmpty opens a database of dialect d that has never been migrated.
func openEmpty(t *testing.T, d database.Dialect) *database.DB {
	t.Helper()
	var url string
	switch d {
	case database.SQLite:
		url = "sqlite://" + filepath.Join(t.TempDir(), "empty.db")
	case database.Postgres:
		url = dbtest.NewPostgres(t).URL
	}
	db, err := database.Open(t.Context(), database.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// tableExists asks the engine's catalogue, not ent.
func tableExists(t *testing.T, db *database.DB, table string) bool {
	t.Helper()
	q := `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	if db.Dialect == database.SQLite {
		q = `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	}
	var n int
	if err := db.SQL.QueryRowContext(t.Context(), q, table).Scan(&n); err != nil {
		t.Fatalf("look for table %s: %v", table, err)
	}
	return n == 1
}

func TestMigrateUpFromEmpty(t *testing.T) {
	for _, d := range allDialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := t.Context()
			db := openEmpty(t, d)

			before, err := db.MigrateStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if before.Version != 0 || before.Dirty || before.Latest == 0 || len(before.Pending) == 0 {
				t.Fatalf("status of an empty database = %+v; want version 0, clean, something pending", before)
			}
			if got := before.Pending[len(before.Pending)-1].Version; got != before.Latest {
				t.Errorf("last pending version %d != latest %d", got, before.Latest)
			}
			if before.Pending[0].Name != "init" {
				t.Errorf("first migration is named %q, want init", before.Pending[0].Name)
			}
			for _, table := range []string{"users", "auth_tokens"} {
				if tableExists(t, db, table) {
					t.Fatalf("table %s exists before migrating", table)
				}
			}

			applied, err := db.MigrateUp(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if applied != len(before.Pending) {
				t.Errorf("MigrateUp applied %d, want %d", applied, len(before.Pending))
			}
			for _, table := range []string{"users", "auth_tokens"} {
				if !tableExists(t, db, table) {
					t.Errorf("table %s missing after MigrateUp", table)
				}
			}
			after, err := db.MigrateStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if after.Dirty || len(after.Pending) != 0 || after.Version != after.Latest {
				t.Errorf("status after MigrateUp = %+v; want clean, nothing pending, at latest", after)
			}

			again, err := db.MigrateUp(ctx)
			if err != nil || again != 0 {
				t.Errorf("second MigrateUp = %d, %v; want 0, nil", again, err)
			}
			// Migrations run on a pool of their own; the application's is intact.
			if err := db.Ping(ctx); err != nil {
				t.Errorf("app pool after migrating: %v", err)
			}
			if _, err := db.Client.User.Query().Count(ctx); err != nil {
				t.Errorf("ent after migrating: %v", err)
			}
		})
	}
}

// Several nodes starting at once against one PostgreSQL database: the
// advisory lock lets one migrate while the others wait and find nothing to do.
func TestMigrateUpConcurrentNodes(t *testing.T) {
	url := dbtest.NewPostgres(t).URL
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	const nodes = 4
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		total   int
		latest  uint
		pending int
	)
	for range nodes {
		db, err := database.Open(ctx, database.Options{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		if latest == 0 {
			st, err := db.MigrateStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			latest, pending = st.Latest, len(st.Pending)
		}
		wg.Go(func() {
			n, err := db.MigrateUp(ctx)
			if err != nil {
				t.Errorf("node MigrateUp: %v", err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	wg.Wait()
	if total != pending {
		t.Errorf("nodes applied %d migrations in all, want %d (each exactly once)", total, pending)
	}
}

func TestForEachGivesMigratedDatabases(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		st, err := db.MigrateStatus(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.Version == 0 || st.Version != st.Latest || st.Dirty {
			t.Fatalf("dbtest database status = %+v; want fully migrated", st)
		}
	})
}
