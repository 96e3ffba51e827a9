package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/golang-migrate/migrate/v4"
	migratedb "github.com/golang-migrate/migrate/v4/database"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/crn-dev/crn/migrations"
)

// defaultLockWait is how long MigrateUp waits for another node that holds the
// migration lock when ctx has no deadline.
const defaultLockWait = 5 * time.Minute

// Migration is one versioned migration file pair.
type Migration struct {
	Version uint   // the timestamp prefix of the file name
	Name    string // the rest of the file name, e.g. "init"
}

// MigrationStatus is where a database stands against the embedded migrations.
type MigrationStatus struct {
	Version uint        // last applied version; 0 when none was applied
	Dirty   bool        // a migration failed halfway at Version and needs a person
	Latest  uint        // newest embedded version; 0 when there is none
	Pending []Migration // embedded migrations newer than Version, oldest first
}

// MigrateUp applies every embedded migration of db.Dialect not yet applied and
// returns how many this call applied. An up-to-date database is not an error.
//
// It applies one migration at a time, each under golang-migrate's lock, and
// checks ctx in between. On PostgreSQL that lock is a session advisory lock,
// so nodes starting together take turns: each applied migration is counted
// by the one node that applied it, and the others find nothing left to do.
// A node waits for the lock until ctx's deadline, or five minutes.
func (db *DB) MigrateUp(ctx context.Context) (applied int, err error) {
	files, err := migrationFS(db.Dialect)
	if err != nil {
		return 0, fmt.Errorf("migrate up: %w", err)
	}
	return db.migrateUp(ctx, files)
}

// migrateUp is MigrateUp over the migration files in files.
func (db *DB) migrateUp(ctx context.Context, files fs.FS) (applied int, err error) {
	m, all, err := db.migrator(ctx, files)
	if err != nil {
		return 0, fmt.Errorf("migrate up: %w", err)
	}
	defer func() {
		if cerr := closeMigrator(m); cerr != nil && err == nil {
			err = fmt.Errorf("migrate up: %w", cerr)
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return applied, fmt.Errorf("migrate up: stopped after %d: %w", applied, err)
		}
		m.LockTimeout = defaultLockWait
		if deadline, ok := ctx.Deadline(); ok {
			m.LockTimeout = time.Until(deadline)
		}
		// golang-migrate takes no context; one step is the unit it cannot
		// interrupt anyway.
		err := m.Steps(1)
		if err == nil {
			applied++
			continue
		}
		if errors.Is(err, fs.ErrNotExist) {
			// Nothing after the current version, or a current version the
			// embedded files do not know: told apart below.
			break
		}
		return applied, fmt.Errorf("migrate up: after %d applied: %w", applied, err)
	}
	v, _, err := version(m)
	if err != nil {
		return applied, fmt.Errorf("migrate up: %w", err)
	}
	if v != latest(all) {
		return applied, fmt.Errorf("migrate up: database is at version %d, which this binary does not know (latest it has is %d): is a newer crn running against it?", v, latest(all))
	}
	if db.Dialect == SQLite && applied > 0 {
		if err := db.checkForeignKeys(ctx); err != nil {
			return applied, fmt.Errorf("migrate up: %w", err)
		}
	}
	return applied, nil
}

// MigrateStatus reports the applied version against the embedded migrations.
// Like golang-migrate itself, it creates the schema_migrations table if missing.
func (db *DB) MigrateStatus(ctx context.Context) (MigrationStatus, error) {
	files, err := migrationFS(db.Dialect)
	if err != nil {
		return MigrationStatus{}, fmt.Errorf("migrate status: %w", err)
	}
	m, all, err := db.migrator(ctx, files)
	if err != nil {
		return MigrationStatus{}, fmt.Errorf("migrate status: %w", err)
	}
	defer func() { _ = closeMigrator(m) }()
	var st MigrationStatus
	if st.Version, st.Dirty, err = version(m); err != nil {
		return MigrationStatus{}, fmt.Errorf("migrate status: %w", err)
	}
	st.Latest = latest(all)
	for _, mg := range all {
		if mg.Version > st.Version {
			st.Pending = append(st.Pending, mg)
		}
	}
	return st, nil
}

// migrationFS returns the embedded migrations of d, rooted at their directory.
func migrationFS(d Dialect) (fs.FS, error) {
	switch d {
	case SQLite:
		return fs.Sub(migrations.SQLite, "sqlite")
	case Postgres:
		return fs.Sub(migrations.Postgres, "postgres")
	}
	return nil, fmt.Errorf("no migrations for dialect %q", d)
}

// migrator builds a golang-migrate instance over the migration files in
// files and lists them (golang-migrate does not expose its source).
//
// It runs on a pool of its own: golang-migrate's drivers close the *sql.DB
// they are given, and the pgx one keeps a connection checked out for its
// advisory lock until then, so handing them db.SQL would take the
// application's pool down with them (or pin one of its connections).
//
// On SQLite that pool runs with foreign key enforcement off: golang-migrate
// wraps each file in a transaction, where SQLite ignores the PRAGMA
// foreign_keys lines Atlas writes, and Atlas rebuilds a table it cannot ALTER
// by copying it and dropping the old one, which with enforcement on deletes
// (ON DELETE CASCADE) or rejects the rows that reference it. MigrateUp checks
// the keys afterwards instead.
func (db *DB) migrator(ctx context.Context, files fs.FS) (*migrate.Migrate, []Migration, error) {
	all, err := listMigrations(files)
	if err != nil {
		return nil, nil, err
	}
	src, err := iofs.New(files, ".")
	if err != nil {
		return nil, nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var (
		driverName = "pgx"
		conns      = 2 // pgx: the lock connection and a spare for database/sql itself
	)
	if db.Dialect == SQLite {
		driverName, conns = "sqlite", 1
	}
	pool, err := sql.Open(driverName, db.migrateDSN)
	if err != nil {
		_ = src.Close()
		return nil, nil, fmt.Errorf("open migration pool: %w", err)
	}
	pool.SetMaxOpenConns(conns)
	if err := pool.PingContext(ctx); err != nil {
		_ = src.Close()
		_ = pool.Close()
		return nil, nil, fmt.Errorf("open migration pool: %w", err)
	}
	var drv migratedb.Driver
	switch db.Dialect {
	case SQLite:
		drv, err = migratesqlite.WithInstance(pool, &migratesqlite.Config{})
	default:
		drv, err = migratepgx.WithInstance(pool, &migratepgx.Config{})
	}
	if err != nil {
		_ = src.Close()
		_ = pool.Close()
		return nil, nil, fmt.Errorf("init migrate driver: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, string(db.Dialect), drv)
	if err != nil {
		_ = src.Close()
		_ = drv.Close()
		return nil, nil, fmt.Errorf("init migrate: %w", err)
	}
	return m, all, nil
}

// closeMigrator closes m's source and its database driver, and so its pool.
func closeMigrator(m *migrate.Migrate) error {
	srcErr, dbErr := m.Close()
	return errors.Join(srcErr, dbErr)
}

// version returns the applied version, 0 when none.
func version(m *migrate.Migrate) (uint, bool, error) {
	v, dirty, err := m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read version: %w", err)
	}
	return v, dirty, nil
}

// listMigrations lists the migrations in files in version order.
func listMigrations(files fs.FS) ([]Migration, error) {
	src, err := iofs.New(files, ".")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	defer func() { _ = src.Close() }()
	var out []Migration
	v, err := src.First()
	for ; err == nil; v, err = src.Next(v) {
		r, name, rerr := src.ReadUp(v)
		if rerr != nil {
			return nil, fmt.Errorf("read migration %d: %w", v, rerr)
		}
		_ = r.Close()
		out = append(out, Migration{Version: v, Name: strings.TrimSpace(name)})
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	return out, nil
}

// latest is the newest version in all, 0 when empty.
func latest(all []Migration) uint {
	if len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Version
}

// checkForeignKeys fails when a row references a missing parent, which
// migrations run with enforcement off could have left behind.
func (db *DB) checkForeignKeys(ctx context.Context) error {
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	defer func() { _ = conn.Close() }()
	// A connection opened before the migration keeps its cached schema until a
	// statement touches a table, and PRAGMA foreign_key_check does not: it
	// would check the old, possibly empty, schema and report nothing.
	var tables int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil {
		return fmt.Errorf("foreign key check: load schema: %w", err)
	}
	rows, err := conn.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var problems []string
	for rows.Next() {
		var (
			table, parent string
			rowid, fkid   sql.NullInt64
		)
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("foreign key check: %w", err)
		}
		problems = append(problems, fmt.Sprintf("%s rowid %d -> %s", table, rowid.Int64, parent))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("foreign key check: %d violations after migrating: %s", len(problems), strings.Join(problems, "; "))
	}
	return nil
}
