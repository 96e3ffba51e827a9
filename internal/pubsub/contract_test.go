package pubsub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// backend is one fresh instance of a broker implementation under test.
type backend struct {
	// node returns a broker on the backend: for Redis a new node, with its
	// own client and the same keys; for Memory the one in-process broker.
	node func() Broker
	// advance moves time forward for retention by age: a fake clock for
	// Memory, a real sleep for Redis.
	advance func(d time.Duration)
}

// runContract runs the behaviour every Broker must have. newBackend returns a
// fresh, isolated backend and cleans it up when t ends.
func runContract(t *testing.T, newBackend func(t *testing.T, r Retention) backend) {
	ctx := context.Background()
	roomy := Retention{MaxLen: 1000, MaxAge: time.Hour}

	t.Run("DeliversToEveryListenerOnEveryNode", func(t *testing.T) {
		be := newBackend(t, roomy)
		a, b := be.node(), be.node()
		recs := []*recorder{listen(t, a, 0), listen(t, a, 0), listen(t, b, 0)}
		at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		want := []Message{
			{Channel: "topic:1", ID: 5, Event: "post.created", Data: []byte(`{"n":1}`), At: at},
			{Channel: "topic:2", ID: 6, Event: "post.created", Data: []byte(`{"n":2}`), At: at},
			{Channel: "topic:1", ID: 9, Event: "post.edited", Data: []byte(`{"n":3}`), At: at},
		}
		mustPublish(t, a, want...)
		for i, rec := range recs {
			got := rec.waitMessages(t, len(want))
			if err := sameMessages(got, want); err != nil {
				t.Errorf("listener %d: %v", i, err)
			}
		}
	})

	t.Run("KeepsOrderPerChannel", func(t *testing.T) {
		be := newBackend(t, roomy)
		a, b := be.node(), be.node()
		rec := listen(t, b, 0)
		var msgs []Message
		for id := int64(1); id <= 90; id++ {
			msgs = append(msgs, msg(fmt.Sprintf("c%d", id%3), id))
		}
		for _, m := range msgs {
			mustPublish(t, a, m)
		}
		checkPerChannelOrder(t, rec.waitMessages(t, len(msgs)), msgs)
	})

	t.Run("DropsDuplicateAndLowerIDs", func(t *testing.T) {
		be := newBackend(t, roomy)
		a, b := be.node(), be.node()
		rec := listen(t, b, 0)
		mustPublish(t, a, msg("c", 1), msg("c", 2), msg("c", 3))
		// A republish after a crash, a lower ID, a duplicate in one batch,
		// and another node republishing.
		mustPublish(t, a, msg("c", 2), msg("c", 3))
		mustPublish(t, a, msg("c", 1))
		mustPublish(t, a, msg("c", 5), msg("c", 5), msg("c", 4))
		mustPublish(t, b, msg("c", 3), msg("c", 5))
		mustPublish(t, a, msg("c", 6)) // the sentinel: everything before it was delivered
		rec.waitMessages(t, 5)
		time.Sleep(50 * time.Millisecond) // anything extra would show now
		if got := idsOf(rec.messages()); !slices.Equal(got, []int64{1, 2, 3, 5, 6}) {
			t.Errorf("delivered %v, want [1 2 3 5 6]", got)
		}
		backlog, complete := since(t, a, "c", 0)
		if got := idsOf(backlog); !slices.Equal(got, []int64{1, 2, 3, 5, 6}) || !complete {
			t.Errorf("Since(0) = %v, %v; want [1 2 3 5 6], true", got, complete)
		}
	})

	t.Run("SinceReturnsTheLaterMessagesInOrder", func(t *testing.T) {
		be := newBackend(t, roomy)
		a, b := be.node(), be.node()
		at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		want := []Message{
			{Channel: "c", ID: 10, Event: "e10", Data: []byte(`{"id":10}`), At: at},
			{Channel: "c", ID: 20, Event: "e20", Data: []byte(`"twenty"`), At: at.Add(time.Second)},
			{Channel: "c", ID: 30, Event: "e30", Data: []byte(`[30]`), At: at.Add(2 * time.Second)},
			{Channel: "c", ID: 40, Event: "e40", Data: []byte(`null`), At: at.Add(3 * time.Second)},
		}
		mustPublish(t, a, want...)
		mustPublish(t, a, msg("other", 25))
		for _, tc := range []struct {
			after int64
			want  []Message
		}{
			{0, want}, {10, want[1:]}, {20, want[2:]}, {25, want[2:]}, {40, nil}, {99, nil},
		} {
			got, complete := since(t, b, "c", tc.after)
			if err := sameMessages(got, tc.want); err != nil || !complete {
				t.Errorf("Since(%d): complete=%v, %v", tc.after, complete, err)
			}
		}
	})

	t.Run("NeverPublishedChannelIsComplete", func(t *testing.T) {
		be := newBackend(t, roomy)
		got, complete := since(t, be.node(), "nothing-here", 0)
		if len(got) != 0 || !complete {
			t.Errorf("Since(0) = %v, %v; want none, true", idsOf(got), complete)
		}
	})

	t.Run("RetentionByLength", func(t *testing.T) {
		be := newBackend(t, Retention{MaxLen: 5, MaxAge: time.Hour})
		a, b := be.node(), be.node()
		for id := int64(1); id <= 12; id++ {
			mustPublish(t, a, msg("c", id))
		}
		for _, tc := range []struct {
			after    int64
			want     []int64
			complete bool
		}{
			{0, []int64{8, 9, 10, 11, 12}, false},
			{6, []int64{8, 9, 10, 11, 12}, false},
			{7, []int64{8, 9, 10, 11, 12}, true},
			{10, []int64{11, 12}, true},
			{12, nil, true},
		} {
			got, complete := since(t, b, "c", tc.after)
			if !slices.Equal(idsOf(got), tc.want) || complete != tc.complete {
				t.Errorf("Since(%d) = %v, %v; want %v, %v", tc.after, idsOf(got), complete, tc.want, tc.complete)
			}
		}
	})

	t.Run("RetentionByAge", func(t *testing.T) {
		be := newBackend(t, Retention{MaxLen: 1000, MaxAge: 300 * time.Millisecond})
		a, b := be.node(), be.node()
		mustPublish(t, a, msg("busy", 1), msg("busy", 2), msg("idle", 1), msg("idle", 2))
		be.advance(400 * time.Millisecond)
		mustPublish(t, a, msg("busy", 3))
		// A duplicate of an aged-out message stays a duplicate.
		mustPublish(t, a, msg("idle", 2))
		for _, tc := range []struct {
			channel  string
			after    int64
			want     []int64
			complete bool
		}{
			{"busy", 0, []int64{3}, false},
			{"busy", 1, []int64{3}, false},
			{"busy", 2, []int64{3}, true},
			{"idle", 0, nil, false},
			{"idle", 1, nil, false},
			{"idle", 2, nil, true},
		} {
			got, complete := since(t, b, tc.channel, tc.after)
			if !slices.Equal(idsOf(got), tc.want) || complete != tc.complete {
				t.Errorf("Since(%s, %d) = %v, %v; want %v, %v", tc.channel, tc.after, idsOf(got), complete, tc.want, tc.complete)
			}
		}
	})

	t.Run("EphemeralReachesOtherNodesAndIsNotKept", func(t *testing.T) {
		be := newBackend(t, roomy)
		a, b := be.node(), be.node()
		rec := listen(t, b, 0)
		want := Ephemeral{Channel: "topic:1", Type: "typing", Data: []byte(`{"user":7}`)}
		if err := a.PublishEphemeral(ctx, want); err != nil {
			t.Fatalf("PublishEphemeral: %v", err)
		}
		bare := Ephemeral{Channel: "topic:1", Type: "presence"}
		if err := a.PublishEphemeral(ctx, bare); err != nil {
			t.Fatalf("PublishEphemeral: %v", err)
		}
		got := rec.waitEphemerals(t, 2)
		for i, w := range []Ephemeral{want, bare} {
			g := got[i]
			if g.Channel != w.Channel || g.Type != w.Type || !bytes.Equal(g.Data, w.Data) || (g.Data == nil) != (w.Data == nil) {
				t.Errorf("frame %d: got %+v, want %+v", i, g, w)
			}
		}
		if backlog, complete := since(t, a, "topic:1", 0); len(backlog) != 0 || !complete {
			t.Errorf("Since = %v, %v; want none, true", idsOf(backlog), complete)
		}
		if n := len(rec.messages()); n != 0 {
			t.Errorf("an ephemeral frame arrived as %d messages", n)
		}
	})

	t.Run("ListenReturnsWhenCtxEnds", func(t *testing.T) {
		be := newBackend(t, roomy)
		rec := listen(t, be.node(), 0)
		rec.cancel()
		if err := rec.wait(t); err != nil {
			t.Errorf("Listen returned %v, want nil", err)
		}
	})

	t.Run("ListenReturnsWhenBrokerCloses", func(t *testing.T) {
		be := newBackend(t, roomy)
		b := be.node()
		rec := listen(t, b, 0)
		if err := b.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := rec.wait(t); err != nil {
			t.Errorf("Listen returned %v, want nil", err)
		}
		if err := b.Publish(ctx, msg("c", 1)); !errors.Is(err, ErrClosed) {
			t.Errorf("Publish after Close = %v, want ErrClosed", err)
		}
	})

	t.Run("DeliversEverythingToASlowListener", func(t *testing.T) {
		be := newBackend(t, roomy)
		a, b := be.node(), be.node()
		slow := listen(t, b, 50*time.Microsecond)
		fast := listen(t, a, 0)
		var msgs []Message
		for id := int64(1); id <= 1000; id++ {
			msgs = append(msgs, msg(fmt.Sprintf("load:%d", id%50), id))
		}
		for batch := range slices.Chunk(msgs, 20) {
			mustPublish(t, a, batch...)
		}
		checkPerChannelOrder(t, slow.waitMessages(t, len(msgs)), msgs)
		checkPerChannelOrder(t, fast.waitMessages(t, len(msgs)), msgs)
	})
}

// recorder collects what one Listen delivers.
type recorder struct {
	cancel context.CancelFunc
	result chan error

	mu      sync.Mutex
	msgs    []Message
	ephs    []Ephemeral
	changed chan struct{}
}

// listen starts a Listen on b and returns once it is delivering: it publishes
// on a channel of its own until one of those messages comes back. Those
// channels start with "_", and recorders skip them. Every callback sleeps
// delay, to play a slow listener.
func listen(t *testing.T, b Broker, delay time.Duration) *recorder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{cancel: cancel, result: make(chan error, 1), changed: make(chan struct{}, 1)}
	ready := make(chan struct{})
	var readyOnce sync.Once
	readyChannel := fmt.Sprintf("_ready:%p", rec)
	go func() {
		rec.result <- b.Listen(ctx, func(m Message) {
			if strings.HasPrefix(m.Channel, "_") {
				if m.Channel == readyChannel {
					readyOnce.Do(func() { close(ready) })
				}
				return
			}
			time.Sleep(delay)
			rec.mu.Lock()
			rec.msgs = append(rec.msgs, m)
			rec.mu.Unlock()
			rec.poke()
		}, func(e Ephemeral) {
			rec.mu.Lock()
			rec.ephs = append(rec.ephs, e)
			rec.mu.Unlock()
			rec.poke()
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-rec.result
	})
	deadline := time.After(10 * time.Second)
	for id := int64(1); ; id++ {
		if err := b.Publish(ctx, Message{Channel: readyChannel, ID: id, Event: "ready"}); err != nil {
			t.Fatalf("listen: publish ready: %v", err)
		}
		select {
		case <-ready:
			return rec
		case err := <-rec.result:
			t.Fatalf("listen: Listen returned %v before it was ready", err)
		case <-deadline:
			t.Fatalf("listen: not delivering after 10s")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (r *recorder) poke() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

func (r *recorder) ephemerals() []Ephemeral {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ephs)
}

// waitMessages waits until n messages arrived, and returns them.
func (r *recorder) waitMessages(t *testing.T, n int) []Message {
	t.Helper()
	r.waitUntil(t, func() bool { return len(r.messages()) >= n }, fmt.Sprintf("%d messages", n))
	return r.messages()
}

// waitEphemerals waits until n ephemeral frames arrived, and returns them.
func (r *recorder) waitEphemerals(t *testing.T, n int) []Ephemeral {
	t.Helper()
	r.waitUntil(t, func() bool { return len(r.ephemerals()) >= n }, fmt.Sprintf("%d ephemeral frames", n))
	return r.ephemerals()
}

func (r *recorder) waitUntil(t *testing.T, done func() bool, what string) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for !done() {
		select {
		case <-r.changed:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("waited 15s for %s; have %d messages, %d ephemeral frames", what, len(r.messages()), len(r.ephemerals()))
		}
	}
}

// wait waits for Listen to return, and returns its error.
func (r *recorder) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.result:
		r.result <- err // for the cleanup
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("Listen did not return within 5s")
		return nil
	}
}

func msg(channel string, id int64) Message {
	return Message{Channel: channel, ID: id, Event: "test", Data: []byte(fmt.Sprintf(`{"id":%d}`, id))}
}

func mustPublish(t *testing.T, b Broker, msgs ...Message) {
	t.Helper()
	if err := b.Publish(context.Background(), msgs...); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

func since(t *testing.T, b Broker, channel string, afterID int64) ([]Message, bool) {
	t.Helper()
	msgs, complete, err := b.Since(context.Background(), channel, afterID)
	if err != nil {
		t.Fatalf("Since(%q, %d): %v", channel, afterID, err)
	}
	return msgs, complete
}

func idsOf(msgs []Message) []int64 {
	var ids []int64
	for _, m := range msgs {
		ids = append(ids, m.ID)
	}
	return ids
}

// sameMessages reports how got differs from want, field by field.
func sameMessages(got, want []Message) error {
	if len(got) != len(want) {
		return fmt.Errorf("got ids %v, want %v", idsOf(got), idsOf(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Channel != w.Channel || g.ID != w.ID || g.Event != w.Event || !bytes.Equal(g.Data, w.Data) || !g.At.Equal(w.At) {
			return fmt.Errorf("message %d: got %+v (data %s), want %+v (data %s)", i, g, g.Data, w, w.Data)
		}
	}
	return nil
}

// checkPerChannelOrder checks that got holds exactly the messages of want,
// each once, in want's order within every channel.
func checkPerChannelOrder(t *testing.T, got, want []Message) {
	t.Helper()
	byChannel := func(msgs []Message) map[string][]int64 {
		m := make(map[string][]int64)
		for _, msg := range msgs {
			m[msg.Channel] = append(m[msg.Channel], msg.ID)
		}
		return m
	}
	g, w := byChannel(got), byChannel(want)
	if len(g) != len(w) {
		t.Errorf("messages on %d channels, want %d", len(g), len(w))
	}
	for ch, ids := range w {
		if !slices.Equal(g[ch], ids) {
			t.Errorf("channel %s: got %v, want %v", ch, g[ch], ids)
		}
	}
}
