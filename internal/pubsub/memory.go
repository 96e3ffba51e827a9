package pubsub

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// memQueueLen is the capacity of each listener's queue in Memory.
const memQueueLen = 1024

// Memory is the in-process Broker of a single node.
//
// Each channel keeps its backlog in a slice trimmed from the front by
// Retention, its last ID (for dropping duplicates) and the highest ID it has
// dropped (so Since reports complete=false exactly when a message after
// afterID is gone). A channel with nothing younger than MaxAge is forgotten
// on a later Publish, leaving a tombstone with its last ID; tombstones are an
// LRU of 100,000 entries. Once one has been evicted, Since answers
// complete=false for any afterID above zero on a channel it knows nothing
// about, because that channel may have had messages once.
//
// Each Listen owns a queue of 1,024 entries drained by the Listen goroutine.
// A message is never skipped for a full queue: Publish waits for room, which
// is short because listener callbacks must not block. If the publisher's ctx
// ends first, Publish returns its error and the listener is cut off: its
// Listen returns ErrLagged after delivering what was queued. Ephemeral frames
// are best effort: one that finds a queue full is dropped for that listener
// and counted in Stats.EphemeralDropped.
type Memory struct {
	// Now is the clock retention by age reads. Tests replace it before the
	// broker is first used; it defaults to time.Now.
	Now func() time.Time

	r        Retention
	queueLen int
	done     chan struct{}
	stats    counters

	pubMu sync.Mutex // held for a whole Publish: every listener sees one order

	mu        sync.Mutex
	closed    bool
	channels  map[string]*memChannel
	tombs     *tombstones
	listeners []*memListener // copy on write: Publish delivers to a snapshot
	lastSweep time.Time
}

type memChannel struct {
	backlog []memEntry // oldest first
	lastID  int64
	// droppedID is the highest ID dropped by retention.
	droppedID int64
	// unknownBefore, when set, is the first ID of a channel created after
	// tombstones were evicted: its history before that ID is unknown.
	unknownBefore int64
}

type memEntry struct {
	msg Message
	at  time.Time // when the broker accepted msg, for MaxAge
}

type memListener struct {
	queue   chan memItem
	gone    chan struct{} // closed when Listen returns
	lagged  chan struct{} // closed when cut off
	cutOnce sync.Once
}

// memItem is a message or an ephemeral frame, shared by all listeners.
type memItem struct {
	msg *Message
	eph *Ephemeral
}

// NewMemory returns an in-process broker keeping r per channel (zero fields
// take DefaultRetention's).
func NewMemory(r Retention) *Memory {
	return &Memory{
		Now:      time.Now,
		r:        withDefaults(r),
		queueLen: memQueueLen,
		done:     make(chan struct{}),
		channels: make(map[string]*memChannel),
		tombs:    newTombstones(maxTombstones),
	}
}

// Publish implements Broker.
func (m *Memory) Publish(ctx context.Context, msgs ...Message) error {
	if err := validate(msgs); err != nil {
		return fmt.Errorf("pubsub: publish: %w", err)
	}
	m.pubMu.Lock()
	defer m.pubMu.Unlock()
	for i := range msgs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("pubsub: publish: %w", err)
		}
		msg, listeners, err := m.append(msgs[i])
		if err != nil {
			return fmt.Errorf("pubsub: publish: %w", err)
		}
		if msg == nil {
			continue
		}
		if err := m.deliver(ctx, listeners, memItem{msg: msg}); err != nil {
			return fmt.Errorf("pubsub: publish: %w", err)
		}
	}
	return nil
}

// append adds msg to its channel's backlog. It returns the stored message and
// the listeners to deliver it to, or a nil message for a duplicate.
func (m *Memory) append(msg Message) (*Message, []*memListener, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, nil, ErrClosed
	}
	now := m.Now()
	m.sweep(now)
	c := m.channels[msg.Channel]
	if c == nil {
		c = m.newChannel(msg.Channel, msg.ID)
	}
	if msg.ID <= c.lastID {
		m.stats.duplicates.Add(1)
		return nil, nil, nil
	}
	if msg.At.IsZero() {
		msg.At = now
	}
	msg.Data = bytes.Clone(msg.Data) // the caller may reuse its buffer
	c.backlog = append(c.backlog, memEntry{msg: msg, at: now})
	c.lastID = msg.ID
	m.trim(c, now)
	m.stats.published.Add(1)
	return &msg, m.listeners, nil
}

// newChannel creates the channel, restoring what its tombstone remembers.
func (m *Memory) newChannel(name string, firstID int64) *memChannel {
	c := &memChannel{}
	if last, ok := m.tombs.take(name); ok {
		c.lastID, c.droppedID = last, last
	} else if m.tombs.evicted > 0 {
		c.unknownBefore = firstID
	}
	m.channels[name] = c
	return c
}

// trim drops the oldest messages of c beyond MaxLen or older than MaxAge.
func (m *Memory) trim(c *memChannel, now time.Time) {
	cutoff := now.Add(-m.r.MaxAge)
	n := 0
	for n < len(c.backlog) && (len(c.backlog)-n > m.r.MaxLen || c.backlog[n].at.Before(cutoff)) {
		c.droppedID = c.backlog[n].msg.ID
		c.backlog[n] = memEntry{} // let the data be collected
		n++
	}
	c.backlog = c.backlog[n:]
}

// sweep forgets, at most every MaxAge/2, the channels whose backlog has
// aged out, so idle channels do not hold memory.
func (m *Memory) sweep(now time.Time) {
	if now.Sub(m.lastSweep) < m.r.MaxAge/2 {
		return
	}
	m.lastSweep = now
	for name, c := range m.channels {
		m.trim(c, now)
		if len(c.backlog) == 0 {
			m.tombs.put(name, c.lastID)
			delete(m.channels, name)
		}
	}
}

// deliver queues it for every listener, waiting for room rather than skipping
// one. When ctx ends, the listeners still full are cut off and ctx's error is
// returned.
func (m *Memory) deliver(ctx context.Context, listeners []*memListener, it memItem) error {
	var ctxErr error
	for _, l := range listeners {
		select {
		case l.queue <- it:
			continue
		default:
		}
		if ctxErr == nil {
			select {
			case l.queue <- it:
				continue
			case <-l.gone:
				continue
			case <-m.done:
				return ErrClosed
			case <-ctx.Done():
				ctxErr = ctx.Err()
			}
		}
		l.cutOff()
		m.stats.lagged.Add(1)
	}
	return ctxErr
}

// PublishEphemeral implements Broker. A listener whose queue is full misses
// the frame; Stats.EphemeralDropped counts it.
func (m *Memory) PublishEphemeral(ctx context.Context, e Ephemeral) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pubsub: publish ephemeral: %w", err)
	}
	m.mu.Lock()
	closed, listeners := m.closed, m.listeners
	m.mu.Unlock()
	if closed {
		return fmt.Errorf("pubsub: publish ephemeral: %w", ErrClosed)
	}
	it := memItem{eph: &e}
	for _, l := range listeners {
		select {
		case l.queue <- it:
		default:
			m.stats.ephemeralDropped.Add(1)
		}
	}
	return nil
}

// Listen implements Broker. It returns nil when ctx ends or the broker
// closes, and ErrLagged when the listener was cut off (see Memory).
func (m *Memory) Listen(ctx context.Context, onMessage func(Message), onEphemeral func(Ephemeral)) error {
	l := &memListener{
		queue:  make(chan memItem, m.queueLen),
		gone:   make(chan struct{}),
		lagged: make(chan struct{}),
	}
	if !m.addListener(l) {
		return nil
	}
	defer m.removeListener(l)
	for {
		select {
		case it := <-l.queue:
			it.dispatch(onMessage, onEphemeral)
		case <-l.lagged:
			for {
				select {
				case it := <-l.queue:
					it.dispatch(onMessage, onEphemeral)
				default:
					return ErrLagged
				}
			}
		case <-ctx.Done():
			return nil
		case <-m.done:
			return nil
		}
	}
}

func (it memItem) dispatch(onMessage func(Message), onEphemeral func(Ephemeral)) {
	switch {
	case it.msg != nil && onMessage != nil:
		onMessage(*it.msg)
	case it.eph != nil && onEphemeral != nil:
		onEphemeral(*it.eph)
	}
}

func (l *memListener) cutOff() { l.cutOnce.Do(func() { close(l.lagged) }) }

func (m *Memory) addListener(l *memListener) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	m.listeners = append(m.listeners[:len(m.listeners):len(m.listeners)], l)
	return true
}

func (m *Memory) removeListener(l *memListener) {
	m.mu.Lock()
	kept := make([]*memListener, 0, len(m.listeners))
	for _, o := range m.listeners {
		if o != l {
			kept = append(kept, o)
		}
	}
	m.listeners = kept
	m.mu.Unlock()
	close(l.gone) // a Publish waiting on l's queue moves on
}

// Since implements Broker.
func (m *Memory) Since(ctx context.Context, channel string, afterID int64) ([]Message, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("pubsub: since: %w", err)
	}
	afterID = max(afterID, 0)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, false, fmt.Errorf("pubsub: since: %w", ErrClosed)
	}
	c := m.channels[channel]
	if c == nil {
		if last, ok := m.tombs.get(channel); ok {
			return nil, afterID >= last, nil
		}
		// Never published, or forgotten with its tombstone evicted.
		return nil, afterID == 0 || m.tombs.evicted == 0, nil
	}
	m.trim(c, m.Now())
	i := sort.Search(len(c.backlog), func(i int) bool { return c.backlog[i].msg.ID > afterID })
	var msgs []Message
	if i < len(c.backlog) {
		msgs = make([]Message, 0, len(c.backlog)-i)
		for _, e := range c.backlog[i:] {
			msgs = append(msgs, e.msg)
		}
	}
	complete := afterID >= c.droppedID &&
		(c.unknownBefore == 0 || afterID == 0 || afterID >= c.unknownBefore)
	return msgs, complete, nil
}

// Stats returns the broker's counters.
func (m *Memory) Stats() Stats { return m.stats.snapshot() }

// Close implements Broker: listeners return, later calls fail with ErrClosed.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		close(m.done)
	}
	return nil
}
