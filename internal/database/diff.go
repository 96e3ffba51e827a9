package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/sqltool"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"

	entmigrate "github.com/crn-dev/crn/ent/migrate"
)

// schemaMu serializes Diff calls: ent's planner writes into the shared
// entmigrate.Tables (symbols, index back-references) while it diffs.
var schemaMu sync.Mutex

// Diff compares the ent schema with the migration directory dir of dialect d
// and, when they differ, writes a new migration pair named name into dir and
// updates its atlas.sum. It reports whether it wrote anything.
//
// dev must be an empty database of dialect d that Diff may use freely: the
// directory is replayed on it to learn the state it describes, and its tables
// are dropped again afterwards. Diff fails when dir's atlas.sum does not match
// its files.
func Diff(ctx context.Context, d Dialect, dev *sql.DB, dir, name string) (changed bool, err error) {
	// Atlas's plain LocalDir would replay every *.sql file, down files
	// included; the golang-migrate flavour replays only the *.up.sql ones while
	// its checksum still covers both.
	gmDir, err := sqltool.NewGolangMigrateDir(dir)
	if err != nil {
		return false, fmt.Errorf("migration diff %s: open %s: %w", d, dir, err)
	}
	if err := atlasmigrate.Validate(gmDir); err != nil {
		return false, fmt.Errorf("migration diff %s: %s/atlas.sum does not match the files (edited or added by hand?): %w", d, dir, err)
	}
	m, err := schema.NewMigrate(
		entsql.OpenDB(d.Ent(), dev),
		schema.WithDir(gmDir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(d.Ent()),
		schema.WithFormatter(sqltool.GolangMigrateFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
		schema.WithErrNoPlan(true),
	)
	if err != nil {
		return false, fmt.Errorf("migration diff %s: %w", d, err)
	}
	schemaMu.Lock()
	defer schemaMu.Unlock()
	err = m.NamedDiff(ctx, name, entmigrate.Tables...)
	switch {
	case errors.Is(err, atlasmigrate.ErrNoPlan):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("migration diff %s: %w", d, err)
	}
	return true, nil
}
