// Package dbtest gives tests real, fully migrated databases of every dialect
// crn supports: a temp SQLite file always, and a fresh PostgreSQL database
// when CRN_TEST_POSTGRES_URL names an admin server.
//
// Locally an unset CRN_TEST_POSTGRES_URL skips the PostgreSQL subtests; with
// CI=true it fails them, because under CI a missing service is a broken setup,
// not a reason to test less.
package dbtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/scratchdb"
	"github.com/crn-dev/crn/internal/testenv"
)

// PostgresEnv names the variable holding the admin PostgreSQL URL.
const PostgresEnv = "CRN_TEST_POSTGRES_URL"

// setupTimeout bounds creating and migrating one test database.
const setupTimeout = 2 * time.Minute

// Dialects returns the dialects tests must run against: SQLite always, and
// PostgreSQL when CRN_TEST_POSTGRES_URL is set or CI=true (where Open then
// fails for want of the variable).
func Dialects() []database.Dialect {
	ds := []database.Dialect{database.SQLite}
	if os.Getenv(PostgresEnv) != "" || testenv.InCI() {
		ds = append(ds, database.Postgres)
	}
	return ds
}

// ForEach runs fn as the subtests "sqlite" and "postgres", each with its own
// fresh, migrated database. The PostgreSQL subtest is skipped (or, under CI,
// failed) when CRN_TEST_POSTGRES_URL is unset.
func ForEach(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	for _, d := range []database.Dialect{database.SQLite, database.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh database of dialect d migrated with the real embedded
// migrations. It is closed, and a PostgreSQL one dropped, when t ends.
func Open(t testing.TB, d database.Dialect) *database.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	var opts database.Options
	switch d {
	case database.SQLite:
		opts.URL = "sqlite://" + filepath.Join(t.TempDir(), "crn.db")
	case database.Postgres:
		opts.URL = NewPostgres(t).URL
	default:
		t.Fatalf("dbtest: unknown dialect %q", d)
	}
	db, err := database.Open(ctx, opts)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	// Registered after NewPostgres's drop, so it runs first: close, then drop.
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("dbtest: %v", err)
		}
	})
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	return db
}

// NewPostgres creates an empty database crn_test_<random hex> on the admin
// server and drops it when t ends. Most tests want Open instead.
func NewPostgres(t testing.TB) *scratchdb.Postgres {
	t.Helper()
	admin := PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	p, err := scratchdb.NewPostgres(ctx, admin, "crn_test_")
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := p.Drop(ctx); err != nil {
			t.Errorf("dbtest: %v", err)
		}
	})
	return p
}

// PostgresURL returns the admin PostgreSQL URL from CRN_TEST_POSTGRES_URL.
// When it is unset it skips t, or fails it under CI=true.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(PostgresEnv)
	if u != "" {
		return u
	}
	if testenv.InCI() {
		t.Fatalf("dbtest: %s is not set but CI=true: the PostgreSQL tests must run under CI (e.g. %s=%s)",
			PostgresEnv, PostgresEnv, scratchdb.DefaultPostgresURL)
	}
	t.Skipf("dbtest: PostgreSQL tests skipped (under CI=true they fail instead): set %s to an admin URL, e.g. %s", PostgresEnv, scratchdb.DefaultPostgresURL)
	return ""
}
