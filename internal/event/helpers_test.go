package event_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/event"
)

// waitTimeout bounds every wait for delivery. It is generous because the
// race detector and a busy CI machine slow everything down; no test asserts
// how fast anything happens.
const waitTimeout = 60 * time.Second

// testLogger sends the relay's warnings and errors to the test output.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// startRelay runs r until the returned stop is called or the test ends.
// stop cancels the relay and fails the test unless Run returns promptly.
func startRelay(t *testing.T, r *event.Relay) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("relay Run returned %v after cancel, want nil", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("relay Run did not return within 10s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// recordTx records evs in a transaction of their own and commits it.
func recordTx(t *testing.T, db *database.DB, evs ...event.Event) {
	t.Helper()
	if err := record(t.Context(), db, evs...); err != nil {
		t.Fatalf("record: %v", err)
	}
}

// record is recordTx for goroutines other than the test's own.
func record(ctx context.Context, db *database.DB, evs ...event.Event) error {
	return inTx(ctx, db, func(tx *ent.Tx) error {
		return event.Record(ctx, tx, db.Dialect == database.Postgres, evs...)
	})
}

// inTx runs fn in a transaction and commits it unless fn fails.
func inTx(ctx context.Context, db *database.DB, fn func(tx *ent.Tx) error) error {
	tx, err := db.Client.Tx(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

// numbered returns n public events of type t whose PostID counts from first.
func numbered(typ event.Type, first, n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{Type: typ, PostID: first + i, Visibility: event.Public}
	}
	return evs
}

// latest returns the id of the newest committed event.
func latest(t *testing.T, db *database.DB) int64 {
	t.Helper()
	id, err := event.Latest(t.Context(), db.Client)
	if err != nil {
		t.Fatalf("latest: %v", err)
	}
	return id
}

// allIDs returns the ids of every committed event, ascending.
func allIDs(t *testing.T, db *database.DB) []int64 {
	t.Helper()
	rows, err := db.Client.Event.Query().Order(ent.Asc("id")).All(t.Context())
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// position returns consumer name's cursor.
func position(t *testing.T, db *database.DB, name string) int64 {
	t.Helper()
	pos, err := event.Position(t.Context(), db.Client, name)
	if err != nil {
		t.Fatalf("position: %v", err)
	}
	return pos
}

// waitFor polls cond until it holds, failing the test after waitTimeout.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitTimeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// eventLog is a goroutine-safe list of delivered events.
type eventLog struct {
	mu  sync.Mutex
	evs []event.Event
}

func (l *eventLog) add(evs ...event.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, evs...)
}

func (l *eventLog) events() []event.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.evs)
}

func (l *eventLog) ids() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := make([]int64, len(l.evs))
	for i, e := range l.evs {
		ids[i] = e.ID
	}
	return ids
}

func (l *eventLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.evs)
}

// last returns the id of the last event in the log, 0 when empty.
func (l *eventLog) last() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.evs) == 0 {
		return 0
	}
	return l.evs[len(l.evs)-1].ID
}

// plainConsumer records every batch handed to it. fail, when set, is asked
// before each call whether that call should fail.
type plainConsumer struct {
	name  string
	log   eventLog
	calls atomic.Int32
	fail  func(call int, evs []event.Event) error
}

func (c *plainConsumer) Name() string { return c.name }

func (c *plainConsumer) Handle(_ context.Context, evs []event.Event) error {
	call := int(c.calls.Add(1))
	if c.fail != nil {
		if err := c.fail(call, evs); err != nil {
			return err
		}
	}
	c.log.add(evs...)
	return nil
}

// txConsumer is a TxConsumer that records the batches whose transaction
// committed, so the log holds exactly the batches that took effect.
type txConsumer struct {
	name string
	log  *eventLog // shared between instances when several play one consumer
	// handle, when set, runs inside HandleTx; its error fails the batch.
	handle func(ctx context.Context, tx *ent.Tx, evs []event.Event) error
	// plainCalls counts calls of Handle, which the relay must never make.
	plainCalls atomic.Int32
}

func newTxConsumer(name string) *txConsumer { return &txConsumer{name: name, log: &eventLog{}} }

func (c *txConsumer) Name() string { return c.name }

func (c *txConsumer) Handle(context.Context, []event.Event) error {
	c.plainCalls.Add(1)
	return fmt.Errorf("%s: Handle called on a TxConsumer", c.name)
}

func (c *txConsumer) HandleTx(ctx context.Context, tx *ent.Tx, evs []event.Event) error {
	if c.handle != nil {
		if err := c.handle(ctx, tx, evs); err != nil {
			return err
		}
	}
	batch := slices.Clone(evs)
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			c.log.add(batch...)
			return nil
		})
	})
	return nil
}

// checkExactlyOnce fails t unless got is want, each once, ascending.
func checkExactlyOnce(t *testing.T, got, want []int64) {
	t.Helper()
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Errorf("delivery not strictly increasing: id %d delivered after %d (position %d)", got[i], got[i-1], i)
			break
		}
	}
	seen := make(map[int64]int, len(got))
	for _, id := range got {
		seen[id]++
	}
	var missing, dup []int64
	for _, id := range want {
		switch seen[id] {
		case 0:
			missing = append(missing, id)
		case 1:
		default:
			dup = append(dup, id)
		}
		delete(seen, id)
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d committed events never delivered: %v", len(missing), len(want), head(missing))
	}
	if len(dup) > 0 {
		t.Errorf("%d events delivered more than once: %v", len(dup), head(dup))
	}
	if len(seen) > 0 {
		t.Errorf("%d delivered ids were never committed: %v", len(seen), seen)
	}
}

func head(ids []int64) []int64 {
	if len(ids) > 20 {
		return ids[:20]
	}
	return ids
}
