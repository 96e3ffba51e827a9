// Package migrations embeds crn's versioned SQL migrations, one directory per
// dialect, in golang-migrate's file format with Atlas's atlas.sum beside them.
// The files are generated from ent/schema by internal/database/migrategen and
// are never edited by hand once committed.
package migrations

import "embed"

// SQLite holds the directory "sqlite" of migrations for SQLite.
//
//go:embed sqlite
var SQLite embed.FS

// Postgres holds the directory "postgres" of migrations for PostgreSQL.
//
//go:embed postgres
var Postgres embed.FS
