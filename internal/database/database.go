package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
)

// Dialect names a database engine crn can run on.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Options say which database to open.
type Options struct {
	// URL selects the database. Empty means SQLite at DataDir/crn.db.
	// Accepted forms: "sqlite:///abs/path.db", "sqlite://relative.db",
	// "file:path.db", "postgres://..." and "postgresql://...".
	URL string
	// DataDir holds the default SQLite file; it is created when missing.
	DataDir string
	// MaxOpenConns caps the connection pool; 0 picks a default per dialect.
	MaxOpenConns int
}

// DB is an open database: the ent client for application code and the
// underlying pool for the few places that need plain SQL.
type DB struct {
	Client  *ent.Client
	SQL     *sql.DB
	Dialect Dialect

	// migrateDSN opens a pool of migrate's own on the same database (see
	// migrate.go for why it does not share SQL).
	migrateDSN string
}

// Open connects to the database described by opts and checks that it answers.
func Open(ctx context.Context, opts Options) (*DB, error) {
	d, target, err := parseURL(opts)
	if err != nil {
		return nil, fmt.Errorf("database open: %w", err)
	}
	var (
		pool       *sql.DB
		migrateDSN string
	)
	switch d {
	case SQLite:
		pool, migrateDSN, err = openSQLite(target, opts)
	case Postgres:
		pool, migrateDSN, err = openPostgres(target, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("database open %s: %w", d, err)
	}
	if err := pool.PingContext(ctx); err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("database open %s: ping: %w", d, err)
	}
	var drv dialect.Driver = entsql.OpenDB(d.Ent(), pool)
	if d == SQLite {
		drv = newSQLiteDriver(drv.(*entsql.Driver))
	}
	return &DB{
		Client:     ent.NewClient(ent.Driver(drv)),
		SQL:        pool,
		Dialect:    d,
		migrateDSN: migrateDSN,
	}, nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.SQL.PingContext(ctx); err != nil {
		return fmt.Errorf("database ping: %w", err)
	}
	return nil
}

// Close closes the ent client and, with it, the connection pool.
func (db *DB) Close() error {
	if err := db.Client.Close(); err != nil {
		return fmt.Errorf("database close: %w", err)
	}
	return nil
}

// parseURL tells the dialect of opts.URL and returns what follows the scheme:
// a file path with optional query for SQLite, the whole URL for PostgreSQL.
func parseURL(opts Options) (Dialect, string, error) {
	u := strings.TrimSpace(opts.URL)
	switch {
	case u == "":
		if opts.DataDir == "" {
			return "", "", errors.New("no URL and no DataDir: one of them is required")
		}
		return SQLite, "", nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return Postgres, u, nil
	case strings.HasPrefix(u, "sqlite://"):
		return SQLite, strings.TrimPrefix(u, "sqlite://"), nil
	case strings.HasPrefix(u, "file://"):
		return SQLite, strings.TrimPrefix(u, "file://"), nil
	case strings.HasPrefix(u, "file:"):
		return SQLite, strings.TrimPrefix(u, "file:"), nil
	}
	scheme, _, _ := strings.Cut(u, ":")
	return "", "", fmt.Errorf("unsupported database URL scheme %q (want sqlite, file, postgres or postgresql)", scheme)
}

// Ent is the name ent and Atlas use for d.
func (d Dialect) Ent() string {
	switch d {
	case Postgres:
		return dialect.Postgres
	default:
		return dialect.SQLite
	}
}
