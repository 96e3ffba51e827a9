package database

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// stmtCacheOf reaches the cache behind one pinned connection.
func stmtCacheOf(t *testing.T, conn *sql.Conn) (n int) {
	t.Helper()
	if err := conn.Raw(func(dc any) error {
		n = len(dc.(*stmtCacheConn).stmts)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func ints(t *testing.T, rows *sql.Rows) []int {
	t.Helper()
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Kept statements answer exactly what fresh ones would, in every case the
// cache has a path for: reuse, the same text run again while its first
// rows are open, scripts, errors, eviction and a schema change under a kept
// statement.
func TestSQLiteStatementCache(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A script runs uncached, every statement of it.
	if _, err := conn.ExecContext(ctx, "CREATE TABLE nums (n INTEGER); CREATE TABLE other (m INTEGER);"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 10; i++ {
		if _, err := conn.ExecContext(ctx, "INSERT INTO nums (n) VALUES (?)", i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO other (m) VALUES (1)"); err != nil {
		t.Fatalf("second table of the script: %v", err)
	}
	const q = "SELECT n FROM nums WHERE n > ? ORDER BY n"
	before := stmtCacheOf(t, conn)
	rows, err := conn.QueryContext(ctx, q, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ints(t, rows)); got != "[8 9 10]" {
		t.Fatalf("first run: %s", got)
	}
	if stmtCacheOf(t, conn) != before+1 {
		t.Fatal("the query's statement was not kept")
	}
	// The same text with other arguments, while rows of it are open.
	outer, err := conn.QueryContext(ctx, q, 8)
	if err != nil {
		t.Fatal(err)
	}
	if !outer.Next() {
		t.Fatal("no first row")
	}
	inner, err := conn.QueryContext(ctx, q, 5)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ints(t, inner)); got != "[6 7 8 9 10]" {
		t.Fatalf("inner run: %s", got)
	}
	var first int
	if err := outer.Scan(&first); err != nil {
		t.Fatal(err)
	}
	if rest := ints(t, outer); first != 9 || fmt.Sprint(rest) != "[10]" {
		t.Fatalf("outer run: %d then %v", first, rest)
	}
	// Reused after both closed, with fresh bindings.
	rows, err = conn.QueryContext(ctx, q, 9)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ints(t, rows)); got != "[10]" {
		t.Fatalf("after reuse: %s", got)
	}
	// An error leaves the connection and its statements usable.
	if _, err := conn.QueryContext(ctx, "SELECT nope FROM nums"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("bad column: %v", err)
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO nums (n) VALUES (?)", "x"); err != nil {
		t.Fatal(err) // SQLite stores it: a type affinity, not an error
	}
	if _, err := conn.ExecContext(ctx, "DELETE FROM nums WHERE n = ?", "x"); err != nil {
		t.Fatal(err)
	}
	// A schema change under a kept statement: SQLite prepares it again.
	if _, err := conn.ExecContext(ctx, "ALTER TABLE nums ADD COLUMN sq INTEGER"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "UPDATE nums SET sq = n * n"); err != nil {
		t.Fatal(err)
	}
	rows, err = conn.QueryContext(ctx, q, 8)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ints(t, rows)); got != "[9 10]" {
		t.Fatalf("after the schema change: %s", got)
	}
	// More texts than the cache holds: it evicts and stays bounded.
	for i := range stmtCacheSize + 20 {
		rows, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT sq FROM nums WHERE n = ? AND %d = %d", i, i), 3)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(ints(t, rows)); got != "[9]" {
			t.Fatalf("query %d: %s", i, got)
		}
	}
	if n := stmtCacheOf(t, conn); n > stmtCacheSize {
		t.Fatalf("%d statements kept, bound %d", n, stmtCacheSize)
	}
	// Transactions run through the same cache.
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO nums (n) VALUES (?)", 11); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	rows, err = conn.QueryContext(ctx, q, 9)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ints(t, rows)); got != "[10]" {
		t.Fatalf("a rolled-back insert is visible: %s", got)
	}
}
