package database

import (
	"context"
	"errors"

	"github.com/golang-migrate/migrate/v4"
)

// MigrateTo applies this dialect's migrations up to and including version
// (tests of a migration that moves data start from the version before it).
func (db *DB) MigrateTo(ctx context.Context, version uint) error {
	files, err := migrationFS(db.Dialect)
	if err != nil {
		return err
	}
	m, _, err := db.migrator(ctx, files)
	if err != nil {
		return err
	}
	defer func() { _ = closeMigrator(m) }()
	if err := m.Migrate(version); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return err
	}
	return nil
}
