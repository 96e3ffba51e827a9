package pubsub

import (
	"errors"
	"fmt"
)

// Errors a Broker returns besides the wrapped errors of its backend.
var (
	// ErrClosed is returned by Publish, PublishEphemeral and Since once the
	// broker is closed.
	ErrClosed = errors.New("pubsub: broker closed")
	// ErrLagged ends a Listen whose queue stayed full until a publisher gave
	// up waiting: that listener missed messages, so it is cut off instead of
	// skipping them silently. Its owner should resynchronise its clients
	// (they recover with Since) and Listen again.
	ErrLagged = errors.New("pubsub: listener lagged and was cut off")
	// ErrInvalid is returned for a message without a channel or with an ID
	// outside 1..MaxID.
	ErrInvalid = errors.New("pubsub: invalid message")
)

// MaxID is the largest message ID a Broker accepts: the Redis broker compares
// IDs in Lua, whose numbers are doubles, exact up to 2^53.
const MaxID = 1<<53 - 1

// validate checks every message before any is published, so a bad batch
// publishes nothing.
func validate(msgs []Message) error {
	for i, m := range msgs {
		if m.Channel == "" {
			return fmt.Errorf("%w: message %d has no channel", ErrInvalid, i)
		}
		if m.ID <= 0 || m.ID > MaxID {
			return fmt.Errorf("%w: message %d on %q has id %d", ErrInvalid, i, m.Channel, m.ID)
		}
	}
	return nil
}

// withDefaults fills the zero fields of r from DefaultRetention: a zero
// bound would otherwise mean an unbounded backlog.
func withDefaults(r Retention) Retention {
	if r.MaxLen <= 0 {
		r.MaxLen = DefaultRetention.MaxLen
	}
	if r.MaxAge <= 0 {
		r.MaxAge = DefaultRetention.MaxAge
	}
	return r
}
