package event_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/event"
)

// Many writers commit while the relay runs: every committed event reaches
// a TxConsumer exactly once and in increasing id order, none is skipped.
//
// The writers do their own write first, then wait, then Record: without
// PostgreSQL's outbox lock a transaction could take an event id, be
// overtaken by one that takes a later id and commits first, and be skipped
// by a relay that has already moved past the later id.
func TestRelayDeliversConcurrentCommitsInOrder(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		concurrentWriters(t, db, db.Dialect == database.Postgres)
	})
}

var errRollback = errors.New("roll back on purpose")

// concurrentWriters runs the commit-order check; postgres is what the writers
// pass to Record.
func concurrentWriters(t *testing.T, db *database.DB, postgres bool) {
	const workers, perWorker = 16, 50
	ctx := t.Context()
	// Several consumers read the outbox independently: each is one more
	// reader that could step past a late commit.
	c := newTxConsumer("ordered")
	plain := []*plainConsumer{{name: "ordered-plain-1"}, {name: "ordered-plain-2"}}
	r := event.NewRelay(db.Client, testLogger(t),
		event.RelayOptions{Batch: 7, PollInterval: time.Millisecond, MaxBackoff: 50 * time.Millisecond},
		c, plain[0], plain[1])
	startRelay(t, r)

	var (
		wg         sync.WaitGroup
		committed  atomic.Int64
		rolledBack atomic.Int64
		errs       = make(chan error, workers)
	)
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for i := range perWorker {
				abort := rng.IntN(8) == 0 // some transactions roll back after Record
				err := inTx(ctx, db, func(tx *ent.Tx) error {
					if err := tx.Tag.Create().SetName(fmt.Sprintf("w%d-%d", w, i)).Exec(ctx); err != nil {
						return fmt.Errorf("own write: %w", err)
					}
					time.Sleep(time.Duration(rng.IntN(2001)) * time.Microsecond)
					if err := event.Record(ctx, tx, postgres, event.Event{
						Type: event.TopicCreated, ActorID: w + 1, TopicID: i + 1, Visibility: event.Public,
					}); err != nil {
						return err
					}
					if abort {
						return errRollback
					}
					return nil
				})
				switch {
				case errors.Is(err, errRollback):
					rolledBack.Add(1)
					continue
				case err != nil:
					errs <- fmt.Errorf("writer %d, transaction %d: %w", w, i, err)
					return
				}
				committed.Add(1)
				r.Notify()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	want := allIDs(t, db)
	if int64(len(want)) != committed.Load() {
		t.Fatalf("outbox holds %d events, want the %d committed (%d rolled back)", len(want), committed.Load(), rolledBack.Load())
	}
	last := want[len(want)-1]
	waitFor(t, "the relay to reach the last event", func() bool {
		return position(t, db, c.name) == last && c.log.last() == last &&
			plain[0].log.last() == last && plain[1].log.last() == last
	})
	checkExactlyOnce(t, c.log.ids(), want)
	for _, p := range plain {
		// Nothing fails here, so even a plain Consumer sees each event once.
		checkExactlyOnce(t, p.log.ids(), want)
	}
	if n := c.plainCalls.Load(); n != 0 {
		t.Errorf("relay called Handle %d times on a TxConsumer", n)
	}
	t.Logf("%d events committed, %d rolled back, delivered %d", committed.Load(), rolledBack.Load(), c.log.len())
}

// A relay that stops and a new one that starts with a fresh instance of the
// same consumer resume from the durable cursor: nothing repeated, nothing lost.
func TestRelayResumesFromCursorAfterRestart(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		opts := event.RelayOptions{Batch: 3, PollInterval: 5 * time.Millisecond}
		first := newTxConsumer("restart")
		stop := startRelay(t, event.NewRelay(db.Client, testLogger(t), opts, first))
		for _, e := range numbered(event.PostCreated, 1, 5) {
			recordTx(t, db, e)
		}
		before := allIDs(t, db)
		waitFor(t, "the first relay to deliver the first events", func() bool { return first.log.len() == len(before) })
		stop()
		pos := position(t, db, "restart")
		if pos != before[len(before)-1] {
			t.Fatalf("cursor after stop = %d, want %d", pos, before[len(before)-1])
		}

		recordTx(t, db, numbered(event.PostEdited, 1, 4)...)
		for _, e := range numbered(event.PostCreated, 6, 3) {
			recordTx(t, db, e)
		}
		all := allIDs(t, db)
		after := all[len(before):]

		second := newTxConsumer("restart")
		fresh := newTxConsumer("fresh") // another consumer starts from the beginning
		startRelay(t, event.NewRelay(db.Client, testLogger(t), opts, second, fresh))
		last := all[len(all)-1]
		waitFor(t, "the new relay to catch up", func() bool {
			return second.log.last() == last && fresh.log.last() == last
		})
		checkExactlyOnce(t, second.log.ids(), after)
		checkExactlyOnce(t, fresh.log.ids(), all)
		if n := first.log.len(); n != len(before) {
			t.Errorf("stopped relay's consumer got %d events, want %d", n, len(before))
		}
	})
}

// A plain Consumer that fails is handed the same batch again until it
// succeeds; its cursor stays put meanwhile and nothing is skipped.
func TestRelayRetriesFailedBatch(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		for _, e := range numbered(event.PostCreated, 1, 10) {
			recordTx(t, db, e)
		}
		ids := allIDs(t, db)

		type call struct {
			batch []int64
			pos   int64
			err   error
		}
		var (
			mu    sync.Mutex
			calls []call
		)
		c := &plainConsumer{name: "flaky"}
		c.fail = func(n int, evs []event.Event) error {
			var cl call
			for _, e := range evs {
				cl.batch = append(cl.batch, e.ID)
			}
			cl.pos, cl.err = event.Position(context.Background(), db.Client, c.name)
			mu.Lock()
			calls = append(calls, cl)
			mu.Unlock()
			if n <= 2 {
				return fmt.Errorf("failure %d", n)
			}
			return nil
		}
		startRelay(t, event.NewRelay(db.Client, testLogger(t),
			event.RelayOptions{Batch: 3, PollInterval: 5 * time.Millisecond, MaxBackoff: 5 * time.Millisecond}, c))
		last := ids[len(ids)-1]
		waitFor(t, "every event to be delivered", func() bool {
			return c.log.len() == len(ids) && position(t, db, c.name) == last
		})

		checkExactlyOnce(t, c.log.ids(), ids)
		mu.Lock()
		defer mu.Unlock()
		if len(calls) != 2+4 {
			t.Errorf("Handle called %d times, want 2 failures + 4 batches", len(calls))
		}
		for i, cl := range calls[:min(3, len(calls))] {
			if !slices.Equal(cl.batch, ids[:3]) {
				t.Errorf("call %d got batch %v, want the first batch %v again", i+1, cl.batch, ids[:3])
			}
			if cl.err != nil || cl.pos != 0 {
				t.Errorf("call %d: cursor = %d (err %v), want 0: a failed batch must not advance it", i+1, cl.pos, cl.err)
			}
		}
	})
}

// A TxConsumer that writes and then fails leaves nothing behind: its writes
// roll back together with the cursor, and the retry applies them once.
func TestRelayRollsBackFailedTxConsumer(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		for _, e := range numbered(event.PostCreated, 1, 4) {
			recordTx(t, db, e)
		}
		ids := allIDs(t, db)

		type seen struct {
			tags int
			pos  int64
			err  error
		}
		var (
			mu       sync.Mutex
			attempts []seen // what each attempt found from outside its transaction
		)
		c := newTxConsumer("writer")
		c.handle = func(ctx context.Context, tx *ent.Tx, evs []event.Event) error {
			var s seen
			s.tags, s.err = db.Client.Tag.Query().Count(ctx)
			if s.err == nil {
				s.pos, s.err = event.Position(ctx, db.Client, "writer")
			}
			mu.Lock()
			attempts = append(attempts, s)
			n := len(attempts)
			mu.Unlock()
			for _, e := range evs {
				if err := tx.Tag.Create().SetName(fmt.Sprintf("seen-%d", e.ID)).Exec(ctx); err != nil {
					return err
				}
			}
			if n <= 2 {
				return fmt.Errorf("failure %d after writing", n)
			}
			return nil
		}
		startRelay(t, event.NewRelay(db.Client, testLogger(t),
			event.RelayOptions{PollInterval: 5 * time.Millisecond, MaxBackoff: 5 * time.Millisecond}, c))
		waitFor(t, "the batch to succeed", func() bool { return c.log.len() == len(ids) })

		mu.Lock()
		defer mu.Unlock()
		if len(attempts) != 3 {
			t.Fatalf("HandleTx called %d times, want 3", len(attempts))
		}
		for i, s := range attempts {
			if s.err != nil || s.tags != 0 || s.pos != 0 {
				t.Errorf("attempt %d found %d tags and cursor %d (err %v) left by failed attempts, want 0 and 0",
					i+1, s.tags, s.pos, s.err)
			}
		}
		tags, err := db.Client.Tag.Query().All(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tg := range tags {
			names = append(names, tg.Name)
		}
		var want []string
		for _, id := range ids {
			want = append(want, fmt.Sprintf("seen-%d", id))
		}
		slices.Sort(names)
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("tags after success = %v, want %v", names, want)
		}
		if pos := position(t, db, c.name); pos != ids[len(ids)-1] {
			t.Errorf("cursor = %d, want %d", pos, ids[len(ids)-1])
		}
	})
}

// Notify wakes idle consumers: with an hour between polls, delivery after
// Notify can only come from the wake-up.
func TestRelayNotifyWakesConsumers(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		a, b := &plainConsumer{name: "a"}, &plainConsumer{name: "b"}
		r := event.NewRelay(db.Client, testLogger(t), event.RelayOptions{PollInterval: time.Hour}, a, b)
		for range 3 {
			r.Notify() // before Run: nobody to wake, must not block
		}
		recordTx(t, db, numbered(event.PostCreated, 1, 1)...)
		startRelay(t, r)
		// Each consumer looks once when it starts, then sleeps.
		waitFor(t, "the first look", func() bool { return a.log.len() == 1 && b.log.len() == 1 })

		recordTx(t, db, numbered(event.PostCreated, 2, 2)...)
		r.Notify()
		r.Notify() // a pending wake-up is enough; a second must not block
		waitFor(t, "delivery after Notify", func() bool { return a.log.len() == 3 && b.log.len() == 3 })
	})
}

// Two relays that both run one TxConsumer (as two nodes do for a moment
// when a lock's session dies, or always when RelayOptions.SQL is left unset
// on a multi-node deployment) still apply each batch once: the cursor
// advance fails for the one that lost the race, and its transaction rolls
// back. A plain Consumer may then see events twice, but never misses one.
func TestRelayOverlappingRelaysApplyBatchesOnce(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		txLog, plainLog := &eventLog{}, &eventLog{}
		opts := event.RelayOptions{Batch: 4, PollInterval: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
		for range 2 {
			tc := &txConsumer{name: "overlap-tx", log: txLog}
			tc.handle = func(context.Context, *ent.Tx, []event.Event) error {
				time.Sleep(time.Millisecond) // let the other relay read the same cursor
				return nil
			}
			pc := &plainConsumer{name: "overlap-plain"}
			pc.fail = func(_ int, evs []event.Event) error { plainLog.add(evs...); return nil }
			startRelay(t, event.NewRelay(db.Client, testLogger(t), opts, tc, pc))
		}
		for i := range 60 {
			recordTx(t, db, numbered(event.PostCreated, i*2, 1+i%2)...)
		}
		want := allIDs(t, db)
		last := want[len(want)-1]
		waitFor(t, "both consumers to catch up", func() bool {
			return txLog.last() == last &&
				position(t, db, "overlap-tx") == last && position(t, db, "overlap-plain") == last
		})
		checkExactlyOnce(t, txLog.ids(), want)
		seen := map[int64]bool{}
		for _, id := range plainLog.ids() {
			seen[id] = true
		}
		for _, id := range want {
			if !seen[id] {
				t.Errorf("plain consumer never got event %d", id)
			}
		}
	})
}

// A plain Consumer's cursor is written when the stream pauses and when the
// relay stops, not after every batch (a write per batch was most of a busy
// consumer's cost): while events keep coming it lags by at most
// Checkpoint, which only repeats events after a crash. A TxConsumer's
// cursor moves with every batch, in the batch's transaction.
func TestRelayCheckpointsPlainConsumers(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		recordTx(t, db, numbered(event.PostCreated, 1, 3)...)
		first := allIDs(t, db)

		// No pause is ever seen (an hour between polls) and no
		// checkpoint falls due: only stopping writes the cursor.
		plain, tx := &plainConsumer{name: "lazy"}, newTxConsumer("eager")
		stop := startRelay(t, event.NewRelay(db.Client, testLogger(t),
			event.RelayOptions{Batch: 2, PollInterval: time.Hour, Checkpoint: time.Hour}, plain, tx))
		waitFor(t, "delivery", func() bool { return plain.log.len() == len(first) && tx.log.len() == len(first) })
		if pos := position(t, db, "eager"); pos != first[len(first)-1] {
			t.Errorf("TxConsumer's cursor = %d, want %d: it moves with each batch", pos, first[len(first)-1])
		}
		if pos := position(t, db, "lazy"); pos != 0 {
			t.Errorf("plain consumer's cursor = %d right after delivery, want 0 (written on a pause or at stop)", pos)
		}
		stop()
		if pos := position(t, db, "lazy"); pos != first[len(first)-1] {
			t.Fatalf("plain consumer's cursor after stop = %d, want %d", pos, first[len(first)-1])
		}

		// A new relay resumes there, and writes the cursor once events
		// stop coming for a poll interval.
		recordTx(t, db, numbered(event.PostCreated, 10, 4)...)
		all := allIDs(t, db)
		again := &plainConsumer{name: "lazy"}
		startRelay(t, event.NewRelay(db.Client, testLogger(t),
			event.RelayOptions{Batch: 2, PollInterval: 5 * time.Millisecond, Checkpoint: time.Hour}, again))
		last := all[len(all)-1]
		waitFor(t, "the cursor to be written after the pause", func() bool { return position(t, db, "lazy") == last })
		checkExactlyOnce(t, again.log.ids(), all[len(first):])
	})
}
