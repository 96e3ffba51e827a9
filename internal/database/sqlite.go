package database

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	// The pure-Go SQLite driver (it also registers itself as "sqlite",
	// which migrations open); no cgo needed.
	"modernc.org/sqlite"
)

// defaultSQLiteFile is the database file's name inside Options.DataDir.
const defaultSQLiteFile = "crn.db"

// sqlitePragmas run on every new connection: the driver executes each
// _pragma parameter when it opens a connection, so a pooled connection never
// misses one (a one-off PRAGMA after sql.Open would reach only one connection).
var sqlitePragmas = []string{
	"busy_timeout(5000)",  // wait for a competing writer instead of failing with SQLITE_BUSY
	"journal_mode(WAL)",   // readers and one writer at the same time
	"foreign_keys(1)",     // off by default in SQLite, per connection
	"synchronous(NORMAL)", // durable across crashes of crn in WAL mode; fsync only at checkpoints
}

// openSQLite opens a pool on the SQLite file named by target ("" means the
// default file in opts.DataDir). It returns the pool and the DSN migrations
// open the same file with.
func openSQLite(target string, opts Options) (*sql.DB, string, error) {
	path, query, _ := strings.Cut(target, "?")
	if path == "" {
		if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
			return nil, "", fmt.Errorf("create data dir: %w", err)
		}
		path = filepath.Join(opts.DataDir, defaultSQLiteFile)
	}
	if path == ":memory:" || strings.Contains(query, "mode=memory") {
		// Every pooled connection would get its own empty database.
		return nil, "", errors.New("in-memory SQLite is not supported: use a file (tests: a file under t.TempDir())")
	}
	extra, err := url.ParseQuery(query)
	if err != nil {
		return nil, "", fmt.Errorf("parse query of %q: %w", target, err)
	}
	dsn := sqliteDSN(path, extra, true)
	pool := sql.OpenDB(stmtCacheConnector{dsn: dsn, drv: &sqlite.Driver{}})
	// WAL lets any number of readers run next to one writer, so a pool of
	// several connections serves concurrent reads. Writers still go one at a
	// time: _txlock=immediate makes every transaction take the write lock at
	// BEGIN, and busy_timeout makes the others wait for it, instead of two
	// deferred transactions both reading and then deadlocking on the upgrade
	// to writing (which SQLite reports as SQLITE_BUSY at once, timeout or not).
	// A single connection would also be correct but would queue reads behind
	// every write; a large pool buys nothing since writes serialize anyway.
	n := opts.MaxOpenConns
	if n <= 0 {
		n = max(4, runtime.NumCPU())
	}
	pool.SetMaxOpenConns(n)
	// Keep idle connections: each holds its page cache, and opening one
	// re-runs the pragmas.
	pool.SetMaxIdleConns(n)
	pool.SetConnMaxLifetime(0)
	return pool, sqliteDSN(path, extra, false), nil
}

// sqliteDSN builds the modernc DSN for path: crn's pragmas, the caller's
// extra parameters, and foreign key enforcement on or off (migrations turn it
// off; see migrate.go).
func sqliteDSN(path string, extra url.Values, foreignKeys bool) string {
	q := url.Values{}
	for _, p := range sqlitePragmas {
		if !foreignKeys && strings.HasPrefix(p, "foreign_keys") {
			p = "foreign_keys(0)"
		}
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	// Store times as "2006-01-02 15:04:05.999999999-07:00", a format SQLite's
	// own date functions understand.
	q.Set("_time_format", "sqlite")
	for k, vs := range extra {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	return path + "?" + q.Encode()
}
