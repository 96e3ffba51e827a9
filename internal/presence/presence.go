// Package presence tracks who is online, who is viewing a topic and who is
// typing, across every crn node. A member stays present while its node keeps
// touching it; a node that dies stops touching, and its members expire.
package presence

import (
	"context"
	"time"
)

// Change is a user joining or leaving a scope as a whole (not one of
// their connections or nodes).
type Change struct {
	Scope  string `json:"scope"`
	UserID int    `json:"user_id"`
	Joined bool   `json:"joined"` // false: left
}

// Store records presence. A scope is a string such as "online",
// "group:7", "topic:42" (viewing) or "typing:42". A user may be present in
// a scope from several nodes at once; they leave the scope when the last
// node lets go of them or expires.
type Store interface {
	// Touch marks userID present in scope from this node until ttl passes
	// without another Touch. joined is true when the user was not present in
	// the scope at all before.
	Touch(ctx context.Context, scope string, userID int, ttl time.Duration) (joined bool, err error)
	// Leave removes this node's presence of userID in scope. left is true
	// when this call ended the user's presence in the scope (no other node
	// holds them); it is false if they were not present or a Sweep already
	// reported their departure, so a departure is announced once. A "joined"
	// may follow an expiry without a "left" in between: clients treat
	// joins as idempotent.
	Leave(ctx context.Context, scope string, userID int) (left bool, err error)
	// Members lists the users present in scope, each once, ascending.
	Members(ctx context.Context, scope string) ([]int, error)
	// Sweep removes expired presences in every scope and returns the users
	// who thereby left a scope entirely. Several nodes may sweep at once;
	// each departure is reported by exactly one of them.
	Sweep(ctx context.Context) ([]Change, error)
	// Close releases the store.
	Close() error
}
