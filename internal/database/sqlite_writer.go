package database

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// sqliteDriver is ent's driver for SQLite with the writers queued in the
// process. Every transaction takes SQLite's write lock at BEGIN
// (_txlock=immediate); left to SQLite, the ones that find it taken poll for
// it in the busy handler, sleeping 1, 2, 5, 10 ... up to 100 ms between
// tries, so under a stream of writes the lock often sits free while they
// sleep, and 16 writers manage a fraction of what one would. Here a
// transaction first waits its turn on a channel, which hands the turn over
// the moment the previous transaction ends; the busy handler is left for
// writers outside this process and for writes outside transactions.
//
// The wait is bounded (turnWait): a transaction that never ends, or code that
// opens a second transaction while its goroutine holds one, would otherwise
// stop every writer for good; past the bound BeginTx fails with ErrWriterBusy
// instead, as SQLite's own busy_timeout would.
type sqliteDriver struct {
	*entsql.Driver
	turn     chan struct{} // holds a token while a transaction is open
	turnWait time.Duration
}

// ErrWriterBusy is returned by BeginTx on SQLite when the writer's turn did
// not come within the bound.
var ErrWriterBusy = errors.New("database: SQLite writer busy")

// defaultTurnWait is twice SQLite's busy_timeout.
const defaultTurnWait = 10 * time.Second

func newSQLiteDriver(drv *entsql.Driver) *sqliteDriver {
	return &sqliteDriver{Driver: drv, turn: make(chan struct{}, 1), turnWait: defaultTurnWait}
}

// Tx implements dialect.Driver.
func (d *sqliteDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

// BeginTx starts a transaction once it is this one's turn.
func (d *sqliteDriver) BeginTx(ctx context.Context, opts *entsql.TxOptions) (dialect.Tx, error) {
	select {
	case d.turn <- struct{}{}:
	default:
		t := time.NewTimer(d.turnWait)
		defer t.Stop()
		select {
		case d.turn <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
			return nil, fmt.Errorf("%w: no turn within %s (a transaction left open, or one opened inside another)", ErrWriterBusy, d.turnWait)
		}
	}
	tx, err := d.Driver.BeginTx(ctx, opts)
	if err != nil {
		<-d.turn
		return nil, err
	}
	return &sqliteTx{Tx: tx.(*entsql.Tx), done: sync.OnceFunc(func() { <-d.turn })}, nil
}

// sqliteTx gives the turn back when it ends.
type sqliteTx struct {
	*entsql.Tx
	done func()
}

func (t *sqliteTx) Commit() error {
	defer t.done()
	return t.Tx.Commit()
}

func (t *sqliteTx) Rollback() error {
	defer t.done()
	return t.Tx.Rollback()
}
