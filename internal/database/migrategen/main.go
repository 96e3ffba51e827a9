// Command migrategen writes a new versioned migration for each dialect whose
// migration directory no longer matches ent/schema. Run it from the module
// root after changing a schema and running `go generate ./ent`:
//
//	go run ./internal/database/migrategen -name add_widgets
//
// It replays the existing directory on a scratch database (SQLite in memory;
// a throwaway database on the -pg server for PostgreSQL), diffs the result
// against the ent schema, and writes <version>_<name>.up.sql and .down.sql
// plus an updated atlas.sum only when there is a difference.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"time"

	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/scratchdb"
)

// validName keeps migration names safe for file names and golang-migrate's
// parser, which splits on the first underscore after the version.
var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "migrategen:", err)
		os.Exit(1)
	}
}

func run() error {
	defaultPG := os.Getenv("CRN_TEST_POSTGRES_URL")
	if defaultPG == "" {
		defaultPG = scratchdb.DefaultPostgresURL
	}
	var (
		name    = flag.String("name", "", "name of the new migration, e.g. add_widgets (required)")
		dialect = flag.String("dialect", "all", "sqlite, postgres or all")
		pgURL   = flag.String("pg", defaultPG, "admin PostgreSQL URL for the scratch database (default: $CRN_TEST_POSTGRES_URL or the local server)")
		root    = flag.String("dir", "migrations", "directory holding the sqlite/ and postgres/ migration directories")
	)
	flag.Parse()
	if !validName.MatchString(*name) {
		return fmt.Errorf("-name %q: want lower case letters, digits and underscores", *name)
	}
	var dialects []database.Dialect
	switch *dialect {
	case "all":
		dialects = []database.Dialect{database.SQLite, database.Postgres}
	case string(database.SQLite), string(database.Postgres):
		dialects = []database.Dialect{database.Dialect(*dialect)}
	default:
		return fmt.Errorf("-dialect %q: want sqlite, postgres or all", *dialect)
	}
	if st, err := os.Stat(*root); err != nil || !st.IsDir() {
		return fmt.Errorf("-dir %q is not a directory (run from the module root)", *root)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for _, d := range dialects {
		if err := generate(ctx, d, filepath.Join(*root, string(d)), *name, *pgURL); err != nil {
			return err
		}
	}
	return nil
}

// generate diffs one dialect's directory and says what it did.
func generate(ctx context.Context, d database.Dialect, dir, name, pgURL string) (err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("%s: %w", d, err)
	}
	dev, release, err := scratchdb.DevDB(ctx, d, pgURL)
	if err != nil {
		return err
	}
	defer func() {
		// Drop the scratch database even when ctx was cancelled.
		cleanupCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		err = errors.Join(err, release(cleanupCtx))
	}()
	changed, err := database.Diff(ctx, d, dev, dir, name)
	if err != nil {
		return err
	}
	if changed {
		fmt.Printf("%s: wrote a new migration %q in %s\n", d, name, dir)
	} else {
		fmt.Printf("%s: %s is up to date with ent/schema, nothing written\n", d, dir)
	}
	return nil
}
