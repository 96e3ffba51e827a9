package database

import (
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// parentChild is a first migration with a cascading foreign key and a row on
// each side.
const parentChild = `CREATE TABLE parents (id integer NOT NULL PRIMARY KEY, name text NOT NULL);
CREATE TABLE children (id integer NOT NULL PRIMARY KEY, parent_id integer NOT NULL,
  CONSTRAINT children_parent FOREIGN KEY (parent_id) REFERENCES parents (id) ON DELETE CASCADE);
INSERT INTO parents (id, name) VALUES (1, 'p');
INSERT INTO children (id, parent_id) VALUES (1, 1);
`

// rebuildParent is how Atlas changes a SQLite table it cannot ALTER: copy it
// into a new table, drop the old one, rename. Its PRAGMAs are no-ops inside
// golang-migrate's transaction.
const rebuildParent = `PRAGMA foreign_keys = off;
CREATE TABLE new_parents (id integer NOT NULL PRIMARY KEY, name text NOT NULL DEFAULT 'x');
INSERT INTO new_parents (id, name) SELECT id, name FROM parents;
DROP TABLE parents;
ALTER TABLE new_parents RENAME TO parents;
PRAGMA foreign_keys = on;
`

func openTestSQLite(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), Options{URL: "sqlite://" + filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// With foreign keys enforced, dropping the old parent table would delete
// every child row through ON DELETE CASCADE. Migrations run with enforcement
// off, so the rows survive and the key still works afterwards.
func TestSQLiteTableRebuildKeepsChildRows(t *testing.T) {
	ctx := t.Context()
	db := openTestSQLite(t)
	files := fstest.MapFS{
		"1_parent_child.up.sql":   {Data: []byte(parentChild)},
		"1_parent_child.down.sql": {Data: []byte("DROP TABLE children; DROP TABLE parents;")},
		"2_rebuild.up.sql":        {Data: []byte(rebuildParent)},
		"2_rebuild.down.sql":      {Data: []byte("")},
	}
	if n, err := db.migrateUp(ctx, files); err != nil || n != 2 {
		t.Fatalf("migrateUp = %d, %v; want 2, nil", n, err)
	}
	var children int
	if err := db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM children`).Scan(&children); err != nil {
		t.Fatal(err)
	}
	if children != 1 {
		t.Fatalf("children after rebuilding parents = %d, want 1", children)
	}
	if _, err := db.SQL.ExecContext(ctx, `DELETE FROM parents`); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM children`).Scan(&children); err != nil {
		t.Fatal(err)
	}
	if children != 0 {
		t.Errorf("children after deleting the parent = %d; the cascade no longer works", children)
	}
}

// A migration that leaves a dangling reference is reported, since
// enforcement was off while it ran.
func TestSQLiteMigrationForeignKeyCheck(t *testing.T) {
	db := openTestSQLite(t)
	files := fstest.MapFS{
		"1_parent_child.up.sql": {Data: []byte(parentChild)},
		"2_orphan.up.sql":       {Data: []byte("INSERT INTO children (id, parent_id) VALUES (2, 42);")},
	}
	_, err := db.migrateUp(t.Context(), files)
	if err == nil || !strings.Contains(err.Error(), "foreign key") {
		t.Fatalf("migrateUp with an orphan row = %v; want a foreign key error", err)
	}
}
