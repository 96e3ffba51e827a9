package pubsub

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestMemory(t *testing.T, r Retention) (*Memory, *fakeClock) {
	clock := newFakeClock()
	m := NewMemory(r)
	m.Now = clock.Now
	t.Cleanup(func() { m.Close() })
	return m, clock
}

func TestMemoryContract(t *testing.T) {
	runContract(t, func(t *testing.T, r Retention) backend {
		m, clock := newTestMemory(t, r)
		return backend{node: func() Broker { return m }, advance: clock.Advance}
	})
}

func TestMemorySlowListenerHoldsBackThePublisherWithoutLoss(t *testing.T) {
	m, _ := newTestMemory(t, DefaultRetention)
	m.queueLen = 4
	rec := listen(t, m, 200*time.Microsecond)
	var msgs []Message
	for id := int64(1); id <= 300; id++ {
		msgs = append(msgs, msg("c", id))
	}
	mustPublish(t, m, msgs...)
	checkPerChannelOrder(t, rec.waitMessages(t, len(msgs)), msgs)
	if s := m.Stats(); s.Lagged != 0 || s.Published < 300 {
		t.Errorf("stats %+v; want nothing lagged, 300 published", s)
	}
}

func TestMemoryCutsOffAListenerThatStaysFull(t *testing.T) {
	m, _ := newTestMemory(t, DefaultRetention)
	m.queueLen = 2
	release := make(chan struct{})
	var once sync.Once
	entered := make(chan struct{})
	done := make(chan error, 1)
	var got []int64
	go func() {
		done <- m.Listen(context.Background(), func(msg Message) {
			got = append(got, msg.ID)
			once.Do(func() { close(entered) })
			<-release
		}, nil)
	}()
	// Wait for the listener to be registered and stuck in its callback.
	for id := int64(1); ; id++ {
		mustPublish(t, m, msg("c", id))
		select {
		case <-entered:
		case <-time.After(10 * time.Millisecond):
			continue
		}
		break
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var err error
	for id := int64(100); err == nil; id++ {
		err = m.Publish(ctx, msg("c", id))
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish = %v, want a deadline error", err)
	}
	close(release)
	if err := <-done; !errors.Is(err, ErrLagged) {
		t.Fatalf("Listen = %v, want ErrLagged", err)
	}
	if m.Stats().Lagged != 1 {
		t.Errorf("stats %+v, want one lagged", m.Stats())
	}
	// Everything queued before the cut was still delivered, in order.
	if !slices.IsSorted(got) || len(got) < 3 {
		t.Errorf("delivered %v before the cut", got)
	}
	// The message Publish gave up on is in the backlog: a retry drops it as
	// a duplicate, clients get it through Since.
	backlog, _ := since(t, m, "c", 99)
	if len(backlog) == 0 {
		t.Errorf("nothing after 99 in the backlog")
	}
}

func TestMemoryForgetsIdleChannels(t *testing.T) {
	m, clock := newTestMemory(t, Retention{MaxLen: 10, MaxAge: time.Minute})
	mustPublish(t, m, msg("idle", 1), msg("idle", 2))
	clock.Advance(2 * time.Minute)
	mustPublish(t, m, msg("busy", 3)) // sweeps
	m.mu.Lock()
	_, kept := m.channels["idle"]
	m.mu.Unlock()
	if kept {
		t.Fatalf("the idle channel is still held")
	}
	for _, tc := range []struct {
		after    int64
		complete bool
	}{{0, false}, {1, false}, {2, true}, {5, true}} {
		if got, complete := since(t, m, "idle", tc.after); len(got) != 0 || complete != tc.complete {
			t.Errorf("Since(%d) = %v, %v; want none, %v", tc.after, idsOf(got), complete, tc.complete)
		}
	}
	// Its last ID still drops duplicates, and a later message revives it.
	mustPublish(t, m, msg("idle", 2), msg("idle", 7))
	got, complete := since(t, m, "idle", 0)
	if !slices.Equal(idsOf(got), []int64{7}) || complete {
		t.Errorf("Since(0) = %v, %v; want [7], false", idsOf(got), complete)
	}
	if got, complete := since(t, m, "idle", 2); !slices.Equal(idsOf(got), []int64{7}) || !complete {
		t.Errorf("Since(2) = %v, %v; want [7], true", idsOf(got), complete)
	}
}

func TestMemoryUnknownChannels(t *testing.T) {
	m, clock := newTestMemory(t, Retention{MaxLen: 10, MaxAge: time.Minute})
	if _, complete := since(t, m, "never", 42); !complete {
		t.Errorf("a channel never published on is incomplete")
	}
	m.tombs = newTombstones(1)
	mustPublish(t, m, msg("a", 1))
	clock.Advance(2 * time.Minute)
	mustPublish(t, m, msg("b", 2)) // forgets a
	clock.Advance(2 * time.Minute)
	mustPublish(t, m, msg("x", 3)) // forgets b, whose tombstone evicts a's
	if _, complete := since(t, m, "a", 0); !complete {
		t.Errorf("Since(a, 0): an unknown channel is incomplete for 0")
	}
	// Once a tombstone was evicted, the broker cannot tell a channel never
	// published on from a forgotten one: it answers on the safe side.
	for _, channel := range []string{"a", "never"} {
		if _, complete := since(t, m, channel, 1); complete {
			t.Errorf("Since(%s, 1) is complete after an eviction", channel)
		}
	}
	if _, complete := since(t, m, "b", 2); !complete {
		t.Errorf("Since(b, 2) is incomplete though b's tombstone is kept")
	}
	// A channel created after an eviction does not know what came before.
	mustPublish(t, m, msg("a", 10))
	for _, tc := range []struct {
		after    int64
		complete bool
	}{{0, true}, {5, false}, {10, true}} {
		if _, complete := since(t, m, "a", tc.after); complete != tc.complete {
			t.Errorf("Since(a, %d) complete = %v, want %v", tc.after, complete, tc.complete)
		}
	}
}

func TestMemoryRejectsInvalidMessages(t *testing.T) {
	m, _ := newTestMemory(t, DefaultRetention)
	for _, bad := range []Message{{Channel: "", ID: 1}, {Channel: "c", ID: 0}, {Channel: "c", ID: -3}, {Channel: "c", ID: MaxID + 1}} {
		if err := m.Publish(context.Background(), msg("c", 100), bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Publish(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
	if got, _ := since(t, m, "c", 0); len(got) != 0 {
		t.Errorf("an invalid batch published %v", idsOf(got))
	}
}
