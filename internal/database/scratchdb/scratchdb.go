// Package scratchdb makes throwaway databases: empty PostgreSQL databases on
// an admin server for tests and for the migration generator, and the
// disposable "dev" databases that database.Diff replays migrations on.
package scratchdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	// pgx's database/sql adapter, "pgx"; and pure-Go SQLite, "sqlite".
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/crn-dev/crn/internal/database"
)

// DefaultPostgresURL is the local admin server used when none is configured.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Postgres is an empty database created on an admin server.
type Postgres struct {
	Name     string // database name, prefix plus random hex
	URL      string // the admin URL pointing at this database
	adminURL string
}

// NewPostgres creates a database named prefix followed by 16 random hex digits
// on the server adminURL (a postgres:// URL whose user may CREATE DATABASE).
func NewPostgres(ctx context.Context, adminURL, prefix string) (*Postgres, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("scratch postgres: random name: %w", err)
	}
	name := prefix + hex.EncodeToString(b[:])
	u, err := url.Parse(adminURL)
	if err != nil {
		return nil, fmt.Errorf("scratch postgres: parse admin URL: %w", err)
	}
	u.Path = "/" + name
	if err := adminExec(ctx, adminURL, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("scratch postgres: create %s: %w", name, err)
	}
	return &Postgres{Name: name, URL: u.String(), adminURL: adminURL}, nil
}

// Drop drops the database, disconnecting any session still on it.
func (p *Postgres) Drop(ctx context.Context) error {
	if err := adminExec(ctx, p.adminURL, "DROP DATABASE IF EXISTS "+pgx.Identifier{p.Name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("scratch postgres: drop %s: %w", p.Name, err)
	}
	return nil
}

// adminExec runs one statement on the admin database. CREATE and DROP
// DATABASE cannot run inside a transaction, which a plain Exec does not open.
func adminExec(ctx context.Context, adminURL, stmt string) error {
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return err
	}
	defer func() { _ = admin.Close() }()
	_, err = admin.ExecContext(ctx, stmt)
	return err
}

// DevDB opens an empty database of dialect d for database.Diff. SQLite is in
// memory; PostgreSQL is a new database on adminURL. release closes it and, for
// PostgreSQL, drops it.
func DevDB(ctx context.Context, d database.Dialect, adminURL string) (dev *sql.DB, release func(context.Context) error, err error) {
	switch d {
	case database.SQLite:
		// One connection: each new connection to ":memory:" is its own empty
		// database. ent refuses SQLite without foreign keys enabled.
		dev, err := sql.Open("sqlite", ":memory:?_pragma=foreign_keys(1)")
		if err != nil {
			return nil, nil, fmt.Errorf("dev database sqlite: %w", err)
		}
		dev.SetMaxOpenConns(1)
		dev.SetConnMaxLifetime(0)
		dev.SetConnMaxIdleTime(0)
		return dev, func(context.Context) error { return dev.Close() }, nil
	case database.Postgres:
		p, err := NewPostgres(ctx, adminURL, "crn_migrategen_")
		if err != nil {
			return nil, nil, fmt.Errorf("dev database postgres: %w", err)
		}
		dev, err := sql.Open("pgx", p.URL)
		if err != nil {
			return nil, nil, errors.Join(fmt.Errorf("dev database postgres: %w", err), p.Drop(ctx))
		}
		return dev, func(ctx context.Context) error {
			return errors.Join(dev.Close(), p.Drop(ctx))
		}, nil
	}
	return nil, nil, fmt.Errorf("dev database: unknown dialect %q", d)
}
