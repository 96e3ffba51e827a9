// Package pubsub carries committed domain events from the node that relays
// the outbox to every crn node, and keeps a short backlog per channel so a
// client that reconnects can resume where it left off. The in-process Broker
// serves a single node; the Redis Broker any number of nodes.
package pubsub

import (
	"context"
	"encoding/json"
	"time"
)

// Message is one event on one channel. ID is the outbox event id: it
// increases per channel (with gaps), and publishing the same ID twice on a
// channel delivers it once.
type Message struct {
	Channel string          `json:"channel"`
	ID      int64           `json:"id"`
	Event   string          `json:"event"`
	Data    json.RawMessage `json:"data"`
	At      time.Time       `json:"at"`
}

// Ephemeral is a frame fanned out to every node but never kept: typing
// indicators and presence changes.
type Ephemeral struct {
	Channel string          `json:"channel"`
	Type    string          `json:"type"`
	Data    json.RawMessage `json:"data"`
}

// Retention bounds each channel's backlog: the last MaxLen messages, none
// older than MaxAge.
type Retention struct {
	MaxLen int
	MaxAge time.Duration
}

// DefaultRetention keeps the last 1,000 events or 24 hours per channel.
var DefaultRetention = Retention{MaxLen: 1000, MaxAge: 24 * time.Hour}

// Broker fans messages out to every node and keeps per-channel backlogs.
type Broker interface {
	// Publish appends each message to its channel's backlog and fans it out
	// to every listener on every node. A message whose ID is not above the
	// last ID published on its channel is dropped, so republishing after a
	// crash delivers nothing twice.
	Publish(ctx context.Context, msgs ...Message) error
	// PublishEphemeral fans a frame out to every listener without keeping it.
	PublishEphemeral(ctx context.Context, e Ephemeral) error
	// Listen calls onMessage for every message published on any node after
	// Listen started (in ID order per channel) and onEphemeral for every
	// ephemeral frame, until ctx ends or the broker closes. The callbacks run
	// on one goroutine and must not block.
	Listen(ctx context.Context, onMessage func(Message), onEphemeral func(Ephemeral)) error
	// Since returns the messages of channel with ID above afterID, oldest
	// first. complete is false when messages after afterID may have been
	// dropped by retention: the client must then refetch over REST.
	Since(ctx context.Context, channel string, afterID int64) (msgs []Message, complete bool, err error)
	// Close releases the broker.
	Close() error
}
