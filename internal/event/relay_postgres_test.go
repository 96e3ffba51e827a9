package event_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/event"
)

// sharedConsumer is what several nodes' instances of one consumer have in
// common: the log of committed batches and who is handling a batch now.
type sharedConsumer struct {
	name     string
	log      eventLog
	inFlight atomic.Int32
	peak     atomic.Int32

	mu     sync.Mutex
	byNode map[string]int // events handled per node (committed or not)
	last   string         // the node that handled the latest batch
}

func newShared(name string) *sharedConsumer {
	return &sharedConsumer{name: name, byNode: map[string]int{}}
}

// instance returns node's TxConsumer for s.
func (s *sharedConsumer) instance(node string) *txConsumer {
	c := &txConsumer{name: s.name, log: &s.log}
	c.handle = func(ctx context.Context, tx *ent.Tx, evs []event.Event) error {
		n := s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
		}
		s.mu.Lock()
		s.byNode[node] += len(evs)
		s.last = node
		s.mu.Unlock()
		time.Sleep(time.Millisecond) // widen the window in which a second node could overlap
		return nil
	}
	return c
}

func (s *sharedConsumer) lastNode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func (s *sharedConsumer) handledBy(node string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byNode[node]
}

// Two nodes run the same consumers against one PostgreSQL database: each
// consumer runs on one node at a time, every event is handled exactly once,
// and when the leading node stops the other takes over.
func TestRelayNodesRunEachConsumerOnce(t *testing.T) {
	db := dbtest.Open(t, database.Postgres)
	shared := []*sharedConsumer{newShared("alpha"), newShared("beta")}
	opts := event.RelayOptions{Batch: 5, PollInterval: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, SQL: db.SQL}
	node := func(name string) (*event.Relay, func()) {
		var cs []event.Consumer
		for _, s := range shared {
			cs = append(cs, s.instance(name))
		}
		r := event.NewRelay(db.Client, testLogger(t), opts, cs...)
		return r, startRelay(t, r)
	}
	nodes := map[string]func(){}
	_, nodes["A"] = node("A")
	_, nodes["B"] = node("B")

	write := func(phase int) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for w := range 4 {
			wg.Go(func() {
				for i := range 25 {
					evs := numbered(event.PostCreated, phase*10000+w*100+i*3, 1+i%3)
					if err := record(t.Context(), db, evs...); err != nil {
						errs <- fmt.Errorf("writer %d: %w", w, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	caughtUp := func() {
		t.Helper()
		last := latest(t, db)
		for _, s := range shared {
			waitFor(t, s.name+" to catch up", func() bool { return s.log.last() == last })
		}
	}

	write(1)
	caughtUp()
	// Stop the node leading alpha; the other must take over.
	leader := shared[0].lastNode()
	other := map[string]string{"A": "B", "B": "A"}[leader]
	before := shared[0].handledBy(other)
	nodes[leader]()
	write(2)
	caughtUp()

	all := allIDs(t, db)
	for _, s := range shared {
		checkExactlyOnce(t, s.log.ids(), all)
		if p := s.peak.Load(); p != 1 {
			t.Errorf("%s: up to %d nodes handled a batch at once, want 1", s.name, p)
		}
		if pos := position(t, db, s.name); pos != all[len(all)-1] {
			t.Errorf("%s: cursor = %d, want %d", s.name, pos, all[len(all)-1])
		}
	}
	if shared[0].handledBy(other) == before {
		t.Errorf("alpha: node %s did not take over after node %s stopped", other, leader)
	}
}

// A node whose lock session dies (a restarted pooler, an idle-session
// timeout, a network cut) must stop running the consumer: once the nodes
// have noticed, one at a time runs it again. Even while two nodes overlap,
// a TxConsumer's batches take effect exactly once.
func TestRelayNodeLosingItsLockStepsDown(t *testing.T) {
	db := dbtest.Open(t, database.Postgres)
	s := newShared("fenced")
	opts := event.RelayOptions{Batch: 5, PollInterval: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, SQL: db.SQL}
	startRelay(t, event.NewRelay(db.Client, testLogger(t), opts, s.instance("A")))
	recordTx(t, db, numbered(event.PostCreated, 1, 10)...)
	caughtUp := func() {
		t.Helper()
		last := latest(t, db)
		waitFor(t, "the consumer to catch up", func() bool { return s.log.last() == last })
	}
	caughtUp()
	startRelay(t, event.NewRelay(db.Client, testLogger(t), opts, s.instance("B")))

	// Node A holds the only advisory lock in this database; end its session.
	holders := lockHolders(t, db)
	if len(holders) != 1 {
		t.Fatalf("found %d sessions holding an advisory lock, want node A's alone", len(holders))
	}
	if _, err := db.SQL.ExecContext(t.Context(), "SELECT pg_terminate_backend($1)", holders[0]); err != nil {
		t.Fatal(err)
	}
	write := func(phase int) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for w := range 4 {
			wg.Go(func() {
				for i := range 25 {
					if err := record(t.Context(), db, numbered(event.PostCreated, phase*10000+w*100+i*2, 1+i%2)...); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	write(1) // the nodes may overlap while they notice
	caughtUp()

	waitFor(t, "a node to hold the consumer lock again", func() bool {
		h := lockHolders(t, db)
		return len(h) == 1 && h[0] != holders[0]
	})
	time.Sleep(10 * opts.PollInterval) // every node has looked at its lock since
	s.peak.Store(0)
	write(2)
	caughtUp()
	if p := s.peak.Load(); p != 1 {
		t.Errorf("after the lock moved, up to %d nodes handled a batch at once, want 1", p)
	}
	checkExactlyOnce(t, s.log.ids(), allIDs(t, db))
}

// lockHolders returns the backends holding an advisory lock in db.
func lockHolders(t *testing.T, db *database.DB) []int {
	t.Helper()
	rows, err := db.SQL.QueryContext(t.Context(), `SELECT pid FROM pg_locks
		WHERE locktype = 'advisory' AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return pids
}

// A transaction that took an event id and stays open holds the relay at
// the gap: the event committed after it (with the next id) is delivered
// only once the first has committed, after it, and neither is lost. A
// rolled-back id is stepped over.
func TestRelayWaitsAtGapOfOpenTransaction(t *testing.T) {
	db := dbtest.Open(t, database.Postgres)
	ctx := t.Context()
	c := newTxConsumer("gaps")
	r := event.NewRelay(db.Client, testLogger(t), event.RelayOptions{PollInterval: 5 * time.Millisecond}, c)
	startRelay(t, r)

	open, err := db.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Rollback() //nolint:errcheck // a no-op after Commit
	if err := event.Record(ctx, open, true, event.Event{Type: event.TopicCreated, TopicID: 1, Visibility: event.Public}); err != nil {
		t.Fatal(err)
	}
	aborted, err := db.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := event.Record(ctx, aborted, true, event.Event{Type: event.TopicCreated, TopicID: 2, Visibility: event.Public}); err != nil {
		t.Fatal(err)
	}
	recordTx(t, db, event.Event{Type: event.TopicCreated, TopicID: 3, Visibility: event.Public})
	for range 20 { // let the relay look while the first transaction is open
		r.Notify()
		time.Sleep(5 * time.Millisecond)
	}
	if got := c.log.len(); got != 0 {
		t.Fatalf("relay delivered %d events past an open transaction's id", got)
	}
	if err := aborted.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := open.Commit(); err != nil {
		t.Fatal(err)
	}
	r.Notify()
	want := allIDs(t, db)
	if len(want) != 2 {
		t.Fatalf("outbox holds %v, want the 2 committed events", want)
	}
	waitFor(t, "the relay to deliver both events", func() bool { return c.log.last() == want[1] })
	checkExactlyOnce(t, c.log.ids(), want)
}
