package event

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/crn-dev/crn/ent"
	entevent "github.com/crn-dev/crn/ent/event"
	"github.com/crn-dev/crn/ent/eventcursor"
)

// Consumer handles events after they are committed. Handle receives events
// in commit order, in batches; returning an error retries the same batch
// later, so Handle must be idempotent (delivery is at least once).
type Consumer interface {
	Name() string
	Handle(ctx context.Context, evs []Event) error
}

// TxConsumer is a Consumer whose effects live in the database: the relay
// runs HandleTx in the transaction that advances its cursor, so each batch
// takes effect exactly once.
type TxConsumer interface {
	Consumer
	HandleTx(ctx context.Context, tx *ent.Tx, evs []Event) error
}

// Lingerer is an optional part of a Consumer: after being woken, the relay
// waits Linger before reading, so that a steady stream of events reaches it
// in fewer, larger batches. A consumer whose per-batch cost is high (a
// search index writes a segment per batch) trades that much latency for it.
type Lingerer interface {
	Linger() time.Duration
}

// RelayOptions tune the Relay.
type RelayOptions struct {
	Batch        int           // events per Handle call; default 200
	PollInterval time.Duration // how often to look for events written by other nodes; default 500ms
	MaxBackoff   time.Duration // longest wait between retries of a failing batch; default 30s
	// Checkpoint is how often, at most, the relay writes the cursor of a
	// plain Consumer (not a TxConsumer) while events keep coming; it
	// writes it at once when the stream pauses and when the relay stops.
	// Such a consumer is at-least-once anyway, so a crash repeats at most
	// this much to it. Default 1s.
	Checkpoint time.Duration
	// SQL, when set on PostgreSQL, is used to take a session advisory lock
	// per consumer so that among several nodes one runs each consumer.
	SQL *sql.DB
}

// Relay delivers committed outbox events to consumers.
type Relay struct {
	db        *ent.Client
	log       *slog.Logger
	opts      RelayOptions
	consumers []Consumer

	mu    sync.Mutex
	wakes []chan struct{}

	cache *eventCache // rows read lately, shared by the consumers

	// postgres is found out when Run starts: there the relay must wait
	// out gaps in the ids (see gaps).
	postgres bool
}

// NewRelay returns a relay for consumers; Run starts it.
func NewRelay(db *ent.Client, log *slog.Logger, opts RelayOptions, consumers ...Consumer) *Relay {
	if opts.Batch <= 0 {
		opts.Batch = 200
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 500 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.Checkpoint <= 0 {
		opts.Checkpoint = time.Second
	}
	return &Relay{db: db, log: log, opts: opts, consumers: consumers, cache: newEventCache(max(4*opts.Batch, 1024))}
}

// Notify wakes the consumers after a local commit so they need not wait
// for the next poll. It never blocks.
func (r *Relay) Notify() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.wakes {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// Run delivers events until ctx is done.
func (r *Relay) Run(ctx context.Context) error {
	r.postgres = isPostgres(ctx, r.db)
	var wg sync.WaitGroup
	for _, c := range r.consumers {
		wake := make(chan struct{}, 1)
		r.mu.Lock()
		r.wakes = append(r.wakes, wake)
		r.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.runConsumer(ctx, c, wake)
		}()
	}
	wg.Wait()
	return nil
}

func (r *Relay) runConsumer(ctx context.Context, c Consumer, wake chan struct{}) {
	log := r.log.With("consumer", c.Name())
	for ctx.Err() == nil {
		l, err := r.lead(ctx, c.Name())
		if err != nil {
			if ctx.Err() == nil {
				if errors.Is(err, errNotLeader) {
					log.Debug("not leading consumer", "err", err)
				} else {
					log.Warn("cannot take the consumer lock", "err", err)
				}
				sleep(ctx, r.opts.PollInterval*4)
			}
			continue
		}
		r.deliverLoop(ctx, c, wake, l, log, &gaps{})
		l.release()
	}
}

// errNotLeader is lead's answer when another node runs the consumer.
var errNotLeader = errors.New("another node runs it")

// lease is a node's right to run one consumer: on PostgreSQL a session
// advisory lock held on conn; on a single node (conn nil) it always holds.
type lease struct {
	conn *sql.Conn
	key  int64
}

// held reports whether the lease still holds. The lock lives as long as
// its session, so a dead connection means another node may run the
// consumer now.
func (l lease) held(ctx context.Context) error {
	if l.conn == nil {
		return nil
	}
	return l.conn.PingContext(ctx)
}

func (l lease) release() {
	if l.conn == nil {
		return
	}
	_, _ = l.conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", l.key)
	l.conn.Close()
}

// lead takes the per-consumer advisory lock on PostgreSQL; elsewhere there
// is one node and it always leads.
func (r *Relay) lead(ctx context.Context, name string) (lease, error) {
	if r.opts.SQL == nil {
		return lease{}, nil
	}
	conn, err := r.opts.SQL.Conn(ctx)
	if err != nil {
		return lease{}, err
	}
	h := fnv.New64a()
	h.Write([]byte("crn consumer " + name))
	key := int64(h.Sum64() >> 1)
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil || !ok {
		conn.Close()
		if err == nil {
			err = errNotLeader
		}
		return lease{}, err
	}
	return lease{conn: conn, key: key}, nil
}

func (r *Relay) deliverLoop(ctx context.Context, c Consumer, wake chan struct{}, l lease, log *slog.Logger, g *gaps) {
	cur := &cursor{}
	defer r.checkpointOnStop(c, cur, log)
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		// The lease is checked at most once per poll interval, not per
		// batch (a round trip per batch, hundreds a second for a busy
		// consumer without linger): a node that lost it stops within
		// that time, and a TxConsumer's batch meanwhile is refused by
		// the cursor's compare-and-set (advance).
		if time.Since(cur.leaseAt) >= r.opts.PollInterval {
			if err := l.held(ctx); err != nil {
				if ctx.Err() == nil {
					log.Warn("lost the consumer lock; stepping down", "err", err)
				}
				cur.known = false // another node may run it now: write nothing more
				return
			}
			cur.leaseAt = time.Now()
		}
		n, more, err := r.deliverBatch(ctx, c, g, cur)
		switch {
		case err != nil && ctx.Err() == nil:
			backoff = min(max(backoff*2, 100*time.Millisecond), r.opts.MaxBackoff)
			log.Error("delivering events failed; will retry", "err", err, "retry_in", backoff.String())
			sleep(ctx, backoff)
		case n == r.opts.Batch || more:
			backoff = 0 // more may be waiting
		case g.wait != nil:
			// Held back at a gap: its transactions end within
			// milliseconds as a rule, so look again soon.
			backoff = 0
			select {
			case <-ctx.Done():
			case <-wake:
			case <-time.After(min(r.opts.PollInterval, gapRecheck)):
			}
		default:
			backoff = 0
			idle := false
			select {
			case <-ctx.Done():
			case <-wake:
			case <-time.After(r.opts.PollInterval):
				idle = true
			}
			if idle && cur.dirty() {
				// The stream paused: write the cursor now.
				if err := r.checkpoint(ctx, c, cur); err != nil && ctx.Err() == nil {
					log.Error("writing the cursor failed; will retry", "err", err)
				}
			}
			if lg, ok := c.(Lingerer); ok {
				sleep(ctx, lg.Linger())
			}
		}
	}
}

// cursor is what a consumer's relay loop knows of its position: read once
// from the database, then kept in memory, since this node alone runs the
// consumer while it holds the lease (advance checks that on every write).
type cursor struct {
	known   bool
	pos     int64     // delivered up to here
	saved   int64     // the position stored in the database
	savedAt time.Time // when saved was written
	leaseAt time.Time // when the lease was last found held
}

func (c *cursor) dirty() bool { return c.known && c.pos != c.saved }

// checkpoint writes a plain consumer's position.
func (r *Relay) checkpoint(ctx context.Context, c Consumer, cur *cursor) error {
	if err := advance(ctx, r.db, c.Name(), cur.saved, cur.pos); err != nil {
		cur.known = false // read it again before going on
		return err
	}
	cur.saved, cur.savedAt = cur.pos, time.Now()
	return nil
}

// checkpointOnStop writes what a stopping relay delivered but has not
// stored, so a restart repeats nothing.
func (r *Relay) checkpointOnStop(c Consumer, cur *cursor, log *slog.Logger) {
	if !cur.dirty() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.checkpoint(ctx, c, cur); err != nil {
		log.Warn("could not write the cursor on stop; the next run repeats some events", "err", err)
	}
}

// deliverBatch hands the next batch after the consumer's cursor to it and
// advances the cursor: in the batch's own transaction for a TxConsumer; in
// memory for a plain Consumer, written at most every Checkpoint. It
// returns how many events it delivered, and more when the batch came from
// the cache: the cache may end before the outbox does (an event committed
// after another consumer read), and the wake for that event may have been
// spent on this batch, so the loop must look in the database before it
// waits.
func (r *Relay) deliverBatch(ctx context.Context, c Consumer, g *gaps, cur *cursor) (n int, more bool, err error) {
	if !cur.known {
		pos, err := Position(ctx, r.db, c.Name())
		if err != nil {
			return 0, false, err
		}
		*cur = cursor{known: true, pos: pos, saved: pos, savedAt: time.Now(), leaseAt: cur.leaseAt}
	}
	rows, cached, err := r.readAfter(ctx, cur.pos, g)
	if err != nil {
		return 0, false, err
	}
	if len(rows) == 0 {
		return 0, false, nil
	}
	evs := make([]Event, len(rows))
	for i, row := range rows {
		evs[i] = fromEnt(row)
	}
	last := evs[len(evs)-1].ID
	if tc, ok := c.(TxConsumer); ok {
		tx, err := r.db.Tx(ctx)
		if err != nil {
			return 0, false, err
		}
		if err := tc.HandleTx(ctx, tx, evs); err != nil {
			_ = tx.Rollback()
			// Read the cursor again before the retry: the failure may be
			// another node's delivery of this batch (a unique key taken).
			cur.known = false
			return 0, false, err
		}
		if err := advance(ctx, tx.Client(), c.Name(), cur.saved, last); err != nil {
			_ = tx.Rollback()
			cur.known = false // read it again before the retry
			return 0, false, err
		}
		if err := tx.Commit(); err != nil {
			cur.known = false // the commit may or may not have happened
			return 0, false, err
		}
		cur.pos, cur.saved, cur.savedAt = last, last, time.Now()
		return len(evs), cached, nil
	}
	if err := c.Handle(ctx, evs); err != nil {
		return 0, false, err
	}
	cur.pos = last
	if time.Since(cur.savedAt) >= r.opts.Checkpoint {
		return len(evs), cached, r.checkpoint(ctx, c, cur)
	}
	return len(evs), cached, nil
}

// Position returns how far consumer name has got (0 before its first event).
func Position(ctx context.Context, db *ent.Client, name string) (int64, error) {
	cur, err := db.EventCursor.Query().Where(eventcursor.Name(name)).Only(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read cursor %s: %w", name, err)
	}
	return cur.Position, nil
}

// advance moves consumer name's cursor from one position to another, and
// fails if it is no longer at from: then another relay delivered the batch
// meanwhile (two nodes overlap briefly when a lock's session dies), and a
// TxConsumer's transaction must roll back rather than apply it twice or
// move the cursor backwards.
func advance(ctx context.Context, db *ent.Client, name string, from, to int64) error {
	n, err := db.EventCursor.Update().
		Where(eventcursor.Name(name), eventcursor.Position(from)).SetPosition(to).Save(ctx)
	if err != nil {
		return fmt.Errorf("advance cursor %s: %w", name, err)
	}
	if n == 1 {
		return nil
	}
	if from == 0 { // the consumer's first batch: no cursor row yet
		err := db.EventCursor.Create().SetName(name).SetPosition(to).Exec(ctx)
		if err == nil {
			return nil
		}
		if !ent.IsConstraintError(err) {
			return fmt.Errorf("advance cursor %s: %w", name, err)
		}
	}
	return fmt.Errorf("advance cursor %s: no longer at %d: another relay delivered this batch", name, from)
}

// Latest returns the id of the newest committed event (0 when none).
func Latest(ctx context.Context, db *ent.Client) (int64, error) {
	e, err := db.Event.Query().Order(ent.Desc(entevent.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return e.ID, nil
}

// gapRecheck is how soon a relay held back at a gap looks again.
const gapRecheck = 20 * time.Millisecond

// gaps is what a consumer's relay loop knows about holes in the outbox ids
// on PostgreSQL. Ids come from a sequence in the order transactions insert,
// not the order they commit, so the relay may read id 11 while the
// transaction that took 10 is still open. It then delivers up to 10 and
// holds back: it notes the transactions in progress (listed after the
// read: the sessions of this database with a transaction id, from
// pg_stat_activity) and waits for all of them to end. Any transaction that
// took an id below the highest it read had its transaction id before the
// read (Record makes sure of one before it inserts), so it is among those
// noted or had ended already; once they have all ended, a re-read shows
// every such event that committed, and the ids still missing up to that
// highest one were rolled back and never will be: final.
type gaps struct {
	final int64     // every id up to here that is missing is missing for good
	wait  *gapCheck // the check under way, if any
}

type gapCheck struct {
	upTo int64  // the highest id read when the snapshot was taken
	xids string // the transactions then in progress, comma-separated
}

// readAfter reads the next batch after pos: on SQLite all of it; on
// PostgreSQL only as far as no gap may still fill in.
func (r *Relay) readAfter(ctx context.Context, pos int64, g *gaps) (rows []*ent.Event, cached bool, err error) {
	// Another consumer read these already: an unbroken run of committed
	// ids right after pos is what the database would answer first.
	if rows := r.cache.after(pos, r.opts.Batch); len(rows) > 0 {
		if g.wait != nil && g.wait.upTo <= rows[len(rows)-1].ID {
			g.wait = nil // the gap filled in
		}
		return rows, true, nil
	}
	rows, err = r.readOutbox(ctx, pos, g)
	return rows, false, err
}

// readOutbox is readAfter from the database.
func (r *Relay) readOutbox(ctx context.Context, pos int64, g *gaps) ([]*ent.Event, error) {
	for range 2 { // a re-read once a gap check has just completed
		rows, err := r.db.Event.Query().Where(entevent.IDGT(pos)).Order(ent.Asc(entevent.FieldID)).Limit(r.opts.Batch).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		r.cache.add(rows)
		if !r.postgres {
			return rows, nil
		}
		n, prev := 0, pos
		for n < len(rows) && (rows[n].ID == prev+1 || rows[n].ID-1 <= g.final) {
			prev = rows[n].ID
			n++
		}
		if n == len(rows) {
			if g.wait != nil && g.wait.upTo <= prev {
				g.wait = nil // the gap filled in
			}
			return rows, nil
		}
		if g.wait == nil {
			xids, err := r.inProgress(ctx)
			if err != nil {
				return nil, err
			}
			g.wait = &gapCheck{upTo: rows[len(rows)-1].ID, xids: xids}
			return rows[:n], nil
		}
		open, err := r.stillOpen(ctx, g.wait.xids)
		if err != nil {
			return nil, err
		}
		if open {
			return rows[:n], nil
		}
		g.final, g.wait = max(g.final, g.wait.upTo), nil
	}
	return nil, nil // re-read next time round
}

// inProgress lists the transactions in progress now in this database
// (the sessions of crn's role; a snapshot's list would also hold other
// databases' transactions, and a long one there would stall the relay).
func (r *Relay) inProgress(ctx context.Context) (string, error) {
	rows, err := r.db.QueryContext(ctx, "SELECT coalesce(string_agg(backend_xid::text, ','), '') FROM pg_stat_activity "+
		"WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()")
	if err != nil {
		return "", fmt.Errorf("read outbox: snapshot: %w", err)
	}
	defer rows.Close()
	var xids string
	if rows.Next() {
		if err := rows.Scan(&xids); err != nil {
			return "", fmt.Errorf("read outbox: snapshot: %w", err)
		}
	}
	return xids, rows.Err()
}

// stillOpen reports whether any of the transactions xids is in progress:
// a session shows its transaction's id until the transaction has ended
// and its changes are visible.
func (r *Relay) stillOpen(ctx context.Context, xids string) (bool, error) {
	if xids == "" {
		return false, nil
	}
	rows, err := r.db.QueryContext(ctx, "SELECT count(*) FROM pg_stat_activity "+
		"WHERE datname = current_database() AND backend_xid::text = ANY(string_to_array($1, ','))", xids)
	if err != nil {
		return false, fmt.Errorf("read outbox: transaction status: %w", err)
	}
	defer rows.Close()
	var n int
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return false, fmt.Errorf("read outbox: transaction status: %w", err)
		}
	}
	return n > 0, rows.Err()
}

// isPostgres reports whether db is PostgreSQL (SQLite has no version()).
func isPostgres(ctx context.Context, db *ent.Client) bool {
	rows, err := db.QueryContext(ctx, "SELECT version()")
	if err != nil {
		return false
	}
	defer rows.Close()
	var v string
	return rows.Next() && rows.Scan(&v) == nil && strings.HasPrefix(v, "PostgreSQL")
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
