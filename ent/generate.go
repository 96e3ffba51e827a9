// Package ent holds the data model generated from the hand-written schemas in ./schema.
// Generated files are committed and never edited by hand: change a schema, then run `go generate ./ent`.
package ent

//go:generate go run -mod=mod entgo.io/ent/cmd/ent generate --feature sql/versioned-migration,sql/upsert,sql/execquery,sql/modifier,sql/lock ./schema
