package realtime_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/presence"
	"github.com/crn-dev/crn/internal/pubsub"
	"github.com/crn-dev/crn/internal/realtime"
)

// nodeOn serves a second hub on an existing broker, like another node.
func nodeOn(t *testing.T, b pubsub.Broker) *rig {
	t.Helper()
	acc := &access{}
	h := realtime.NewHub(b, presence.NewMemory("node2", nil), acc, names{}, slog.New(slog.DiscardHandler), realtime.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a authz.Actor
		a.ID, _ = strconv.Atoi(r.URL.Query().Get("user"))
		a.Role, a.Status = "member", "active"
		h.Accept(w, r, a, "127.0.0.1")
	}))
	t.Cleanup(func() {
		h.Shutdown()
		srv.Close()
		cancel()
		<-done
	})
	return &rig{t: t, broker: b, hub: h, srv: srv, access: acc}
}

// A suspension published through the outbox closes the user's sockets on
// every node, whatever they subscribed to, and nobody else's.
func TestSuspensionClosesSocketsOnEveryNode(t *testing.T) {
	a := newRig(t, realtime.Options{})
	b := nodeOn(t, a.broker)
	onA, onB, other := a.dial(7), b.dial(7), b.dial(8)
	for _, c := range []*client{onA, onB, other} {
		c.subscribe([]string{"forum:1"}, nil)
	}
	err := realtime.Publisher{Broker: a.broker}.Handle(context.Background(), []event.Event{{
		ID: 1, Type: event.UserSuspended, ActorID: 1, UserID: 7, Visibility: event.Staff,
		Payload: map[string]any{"reason": "spam"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{onA, onB} {
		if code := closeCode(t, c); code != realtime.CloseUnauthorized {
			t.Fatalf("close code %d, want %d", code, realtime.CloseUnauthorized)
		}
	}
	other.send(map[string]any{"type": "ping", "ref": "x"})
	if f := other.expect("pong"); f.Type != "pong" {
		t.Fatal("another user's socket was closed")
	}
}

// A user silenced while connected can no longer type on that connection.
func TestSilenceStopsTypingOnOpenSockets(t *testing.T) {
	r := newRig(t, realtime.Options{})
	c := r.dial(7)
	c.subscribe([]string{"topic:1"}, nil)
	err := realtime.Publisher{Broker: r.broker}.Handle(context.Background(), []event.Event{{
		ID: 1, Type: event.UserSilenced, ActorID: 1, UserID: 7, Visibility: event.Staff,
	}})
	if err != nil {
		t.Fatal(err)
	}
	// The silence reaches the hub asynchronously: ping until it is seen.
	for i := 0; ; i++ {
		c.send(map[string]any{"type": "typing", "topic": 1, "ref": "t"})
		f := c.expectAny("error", "typing")
		if f.Type == "error" && f.Code == "forbidden" {
			return
		}
		if i > 50 {
			t.Fatal("a silenced user still types")
		}
		c.send(map[string]any{"type": "ping", "ref": "p"})
		c.expect("pong")
	}
}

// expectAny reads frames until one of the given types arrives.
func (c *client) expectAny(types ...string) frame {
	c.t.Helper()
	for {
		f, err := c.next(5 * time.Second)
		if err != nil {
			c.t.Fatalf("waiting for %v: %v", types, err)
		}
		for _, typ := range types {
			if f.Type == typ {
				return f
			}
		}
	}
}
