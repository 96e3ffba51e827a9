package database

import (
	"database/sql"
	"fmt"
	"time"

	// pgx's database/sql adapter registers itself as "pgx".
	_ "github.com/jackc/pgx/v5/stdlib"
)

// defaultPostgresConns is the pool size when Options.MaxOpenConns is 0:
// enough for 16 concurrent writers besides the relay, which keeps one
// connection per consumer it leads (5) and uses more while it delivers;
// under PostgreSQL's default max_connections of 100 for two nodes and tooling.
const defaultPostgresConns = 32

// openPostgres opens a pgx pool on dsn. It returns the pool and the DSN
// migrations open the same database with.
func openPostgres(dsn string, opts Options) (*sql.DB, string, error) {
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, "", fmt.Errorf("sql open: %w", err)
	}
	n := opts.MaxOpenConns
	if n <= 0 {
		n = defaultPostgresConns
	}
	pool.SetMaxOpenConns(n)
	// Keep them all between bursts, so that a burst does not open (and
	// PostgreSQL fork) a backend per connection each time; the idle time
	// below gives them back once the node is quiet.
	pool.SetMaxIdleConns(n)
	// Recycle idle connections so a quiet node gives its server slots back.
	pool.SetConnMaxIdleTime(5 * time.Minute)
	return pool, dsn, nil
}
