package database

import (
	"context"
	"errors"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// A transaction opened while another holds the writer's turn waits for it
// and gets it when the first ends; one that would wait past the bound (a
// transaction left open, or opened inside another on the same goroutine)
// fails with ErrWriterBusy instead of blocking every writer for good.
func TestSQLiteWriterTurn(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	d := newSQLiteDriver(entsql.OpenDB(dialect.SQLite, db.SQL))
	d.turnWait = 200 * time.Millisecond

	first, err := d.Tx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Nested: the turn is held and nobody will give it back in time.
	if _, err := d.Tx(context.Background()); !errors.Is(err, ErrWriterBusy) {
		t.Fatalf("second transaction while the first is open: %v, want ErrWriterBusy", err)
	}
	// A cancelled caller stops waiting with its context's error.
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Tx(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	// A waiter gets the turn as soon as the holder ends.
	got := make(chan error, 1)
	go func() {
		tx, err := d.Tx(context.Background())
		if err == nil {
			err = tx.Commit()
		}
		got <- err
	}()
	if err := first.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter after the holder ended: %v", err)
	}
	// And the turn is free again afterwards.
	tx, err := d.Tx(context.Background())
	if err != nil {
		t.Fatalf("after both ended: %v", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
}
