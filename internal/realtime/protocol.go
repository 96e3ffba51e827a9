// Package realtime is crn's WebSocket transport: one endpoint whose clients
// subscribe to channels (forum:{id}, topic:{id}, user:{id}, moderation,
// presence) and receive committed events live, resume after a reconnect
// with "since", and see who is online, viewing and typing. See
// docs/realtime.md for the protocol.
package realtime

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Close codes crn uses beyond the standard ones (1001 going away on
// shutdown, 1008 policy violation, 1009 message too big).
const (
	CloseUnauthorized = 4001 // the credentials stopped being valid (sign-out, suspension)
	CloseTooSlow      = 4008 // the send queue overflowed; reconnect and resume with since
	CloseRateLimited  = 4029 // too many frames from the client
)

// inbound is a frame from a client.
type inbound struct {
	Type     string           `json:"type"`
	Ref      string           `json:"ref,omitempty"`
	Channels []string         `json:"channels,omitempty"`
	Since    map[string]int64 `json:"since,omitempty"`
	Topic    int              `json:"topic,omitempty"`
}

// outbound frames.
type eventFrame struct {
	Type    string          `json:"type"` // "event"
	Channel string          `json:"channel"`
	ID      int64           `json:"id"`
	Event   string          `json:"event"`
	Data    json.RawMessage `json:"data"`
}

type errorFrame struct {
	Type    string `json:"type"` // "error"
	Code    string `json:"code"`
	Message string `json:"message"`
	Ref     string `json:"ref,omitempty"`
}

type resyncFrame struct {
	Type    string `json:"type"` // "resync"
	Channel string `json:"channel"`
	Reason  string `json:"reason"`
}

type subscribedFrame struct {
	Type     string   `json:"type"` // "subscribed" / "unsubscribed"
	Channels []string `json:"channels"`
	Ref      string   `json:"ref,omitempty"`
}

type pongFrame struct {
	Type string `json:"type"` // "pong"
	Ref  string `json:"ref,omitempty"`
}

// mustFrame encodes v as a WebSocket text frame (see textFrame).
func mustFrame(v any) []byte { return textFrame(mustJSON(v)) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("realtime: encoding %T: %v", v, err))
	}
	return b
}

// channel is a parsed channel name.
type channel struct {
	kind string // forum, topic, user, moderation, presence
	id   int
}

func (c channel) String() string {
	if c.id == 0 {
		return c.kind
	}
	return c.kind + ":" + strconv.Itoa(c.id)
}

// parseChannel accepts the channel names of the protocol.
func parseChannel(s string) (channel, bool) {
	if s == "moderation" || s == "presence" {
		return channel{kind: s}, true
	}
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return channel{}, false
	}
	switch kind {
	case "forum", "topic", "user", "group", "feedback":
	default:
		return channel{}, false
	}
	id, err := strconv.Atoi(rest)
	if err != nil || id <= 0 || strconv.Itoa(id) != rest {
		return channel{}, false
	}
	return channel{kind: kind, id: id}, true
}
