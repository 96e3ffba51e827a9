package realtime

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/crn-dev/crn/internal/presence"
	"github.com/crn-dev/crn/internal/pubsub"
)

func topicScope(id int) string  { return "topic:" + strconv.Itoa(id) }
func typingScope(id int) string { return "typing:" + strconv.Itoa(id) }

// presenceFrame tells subscribers someone joined or left a scope.
type presenceFrame struct {
	Type   string   `json:"type"` // "presence" or "typing"
	Scope  string   `json:"scope"`
	User   userInfo `json:"user"`
	Joined bool     `json:"joined"`
}

type userInfo struct {
	ID       int    `json:"id"`
	Username string `json:"username"`
}

// channelOfScope is where changes of a scope are announced.
func channelOfScope(scope string) (ch string, typ string) {
	switch {
	case scope == "online":
		return "presence", "presence"
	case len(scope) > 7 && scope[:7] == "typing:":
		return "topic:" + scope[7:], "typing"
	default:
		return scope, "presence" // topic:{id}: who is viewing it
	}
}

func (h *Hub) announce(ctx context.Context, ch presence.Change) {
	name, _ := h.users.Username(ctx, ch.UserID)
	channel, typ := channelOfScope(ch.Scope)
	data, _ := json.Marshal(presenceFrame{Type: typ, Scope: ch.Scope, User: userInfo{ch.UserID, name}, Joined: ch.Joined})
	if err := h.broker.PublishEphemeral(ctx, pubsub.Ephemeral{Channel: channel, Type: typ, Data: data}); err != nil {
		h.log.Warn("announcing presence", "err", err)
	}
}

func (h *Hub) ttlOf(scope string) time.Duration {
	if len(scope) > 7 && scope[:7] == "typing:" {
		return h.opts.TypingTTL
	}
	return h.opts.PresenceTTL
}

// join counts a local connection into a scope and tells the store (and
// everyone) when the user was not present before.
func (h *Hub) join(ctx context.Context, scope string, userID int) {
	k := presenceKey{scope, userID}
	h.mu.Lock()
	h.local[k]++
	first := h.local[k] == 1
	h.mu.Unlock()
	if !first {
		return
	}
	joined, err := h.presence.Touch(ctx, scope, userID, h.ttlOf(scope))
	if err != nil {
		h.log.Warn("presence touch", "err", err)
		return
	}
	if joined {
		h.announce(ctx, presence.Change{Scope: scope, UserID: userID, Joined: true})
	}
}

// leave is join's inverse: the last local connection lets go of the user.
func (h *Hub) leave(ctx context.Context, scope string, userID int) {
	k := presenceKey{scope, userID}
	h.mu.Lock()
	if h.local[k] == 0 {
		h.mu.Unlock()
		return
	}
	h.local[k]--
	last := h.local[k] == 0
	if last {
		delete(h.local, k)
	}
	h.mu.Unlock()
	if !last {
		return
	}
	left, err := h.presence.Leave(ctx, scope, userID)
	if err != nil {
		h.log.Warn("presence leave", "err", err)
		return
	}
	if left {
		h.announce(ctx, presence.Change{Scope: scope, UserID: userID, Joined: false})
	}
}

// presenceLoop refreshes this node's presences well within their TTL and
// sweeps expired ones (typing that stopped, nodes that died).
func (h *Hub) presenceLoop(ctx context.Context) {
	refresh := time.NewTicker(h.opts.PresenceTTL / 3)
	sweep := time.NewTicker(min(10*time.Second, h.opts.TypingTTL, h.opts.PresenceTTL/3))
	defer refresh.Stop()
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-refresh.C:
			h.mu.Lock()
			keys := make([]presenceKey, 0, len(h.local))
			for k := range h.local {
				keys = append(keys, k)
			}
			h.mu.Unlock()
			for _, k := range keys {
				if _, err := h.presence.Touch(ctx, k.scope, k.userID, h.ttlOf(k.scope)); err != nil {
					h.log.Warn("presence refresh", "err", err)
					break
				}
			}
		case <-sweep.C:
			// A sweep that fails part-way still returns the departures it
			// removed; no other node will report those, so announce them.
			changes, err := h.presence.Sweep(ctx)
			if err != nil {
				h.log.Warn("presence sweep", "err", err)
			}
			for _, ch := range changes {
				h.announce(ctx, ch)
			}
		}
	}
}

// heartbeat is a client's presence frame: it keeps the user online and
// records which topic (if any) it is viewing.
func (c *conn) heartbeat(ctx context.Context, in inbound) {
	if c.who().Guest() {
		return // guests are not shown in presence
	}
	c.mu.Lock()
	prev := c.viewing
	c.mu.Unlock()
	if in.Topic == prev {
		return
	}
	if in.Topic != 0 && !c.hub.access.CanReadTopic(ctx, c.who(), in.Topic) {
		c.fail(in.Ref, "forbidden", "no such topic")
		return
	}
	c.mu.Lock()
	c.viewing = in.Topic
	c.mu.Unlock()
	if prev != 0 {
		c.hub.leave(ctx, topicScope(prev), c.who().ID)
	}
	if in.Topic != 0 {
		c.hub.join(ctx, topicScope(in.Topic), c.who().ID)
	}
}

// typing marks the user as typing in a topic for a few seconds.
func (c *conn) typing(ctx context.Context, in inbound) {
	if _, silenced := c.hub.silenced.Load(c.who().ID); !c.who().CanPost() || silenced {
		c.fail(in.Ref, "forbidden", "sign in to post first")
		return
	}
	if in.Topic <= 0 || !c.hub.access.CanReadTopic(ctx, c.who(), in.Topic) {
		c.fail(in.Ref, "forbidden", "no such topic")
		return
	}
	scope := typingScope(in.Topic)
	joined, err := c.hub.presence.Touch(ctx, scope, c.who().ID, c.hub.opts.TypingTTL)
	if err != nil {
		c.hub.log.Warn("typing", "err", err)
		return
	}
	if joined {
		c.hub.announce(ctx, presence.Change{Scope: scope, UserID: c.who().ID, Joined: true})
	}
}
