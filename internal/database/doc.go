// Package database opens crn's database (SQLite by default, PostgreSQL for
// scale-out) as an ent client, applies the versioned SQL migrations embedded
// in the binary, generates new ones from the ent schema, and maps the
// dialect-specific errors the rest of crn needs to tell apart.
package database
