package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
)

// maxPending bounds the live events held for a channel while its backlog
// is being sent; past it the connection is too slow to follow.
const maxPending = 1000

type pending struct {
	id    int64
	frame []byte
}

// sub is one channel subscription of a connection. Until live, events
// arriving from the hub wait in pending, so that a resumed backlog and the
// live stream reach the client in order and without duplicates.
type sub struct {
	live    bool
	last    int64
	pending []pending
}

type conn struct {
	hub *Hub
	ws  *websocket.Conn
	// actor is who the connection serves; its group memberships are
	// replaced when they change (Hub.refreshGroups), so read it with who().
	actor atomic.Pointer[authz.Actor]
	ip    string
	send  chan []byte
	done  chan struct{} // closed when the connection starts closing
	// closed is closed once the close handshake has finished, writerDone
	// when the writer has stopped; Accept waits for both before it cancels
	// the connection's context, which would drop the TCP connection before
	// the close frame is out.
	closed     chan struct{}
	writerDone chan struct{}

	closeOnce sync.Once
	limiter   *rate.Limiter

	mu      sync.Mutex
	subs    map[string]*sub
	viewing int // topic id the client said it is viewing
}

// Accept upgrades the request to a WebSocket for actor and serves it until
// it closes. The caller has authenticated the request.
func (h *Hub) Accept(w http.ResponseWriter, r *http.Request, actor authz.Actor, ip string) {
	// The per-IP cap is checked before the upgrade, so a refused client
	// gets a plain 429 rather than a socket that closes at once.
	if !h.reserve(ip) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "10")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write(mustJSON(map[string]any{"error": map[string]string{
			"code": "too_many_connections", "message": "too many live connections from your address, or the server is shutting down"}}))
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: originPatterns(h.opts.AllowedOrigins)})
	if err != nil {
		h.release(ip)
		return // Accept has answered the request already
	}
	c := &conn{
		hub: h, ws: ws, ip: ip,
		send: make(chan []byte, h.opts.SendQueue), done: make(chan struct{}),
		closed: make(chan struct{}), writerDone: make(chan struct{}),
		limiter: rate.NewLimiter(rate.Limit(h.opts.InboundRate), h.opts.InboundBurst),
		subs:    map[string]*sub{},
	}
	c.actor.Store(&actor)
	h.register(c)
	defer h.unregister(c)
	ws.SetReadLimit(h.opts.MaxFrameBytes)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if !actor.Guest() {
		h.join(ctx, "online", actor.ID)
	}
	go c.writeLoop(ctx)
	c.readLoop(ctx)
	c.close(websocket.StatusNormalClosure, "")
	<-c.writerDone
	<-c.closed // ws.Close gives up on a silent peer after a few seconds
	if !actor.Guest() {
		h.leave(context.Background(), "online", actor.ID)
		c.mu.Lock()
		viewing := c.viewing
		c.mu.Unlock()
		if viewing != 0 {
			h.leave(context.Background(), topicScope(viewing), actor.ID)
		}
	}
}

// who returns the connection's current actor.
func (c *conn) who() authz.Actor { return *c.actor.Load() }

// close ends the connection once, with code and reason.
func (c *conn) close(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		close(c.done)
		if code == CloseTooSlow {
			c.hub.stats.mu.Lock()
			c.hub.stats.ClosedTooSlow++
			c.hub.stats.mu.Unlock()
		}
		go func() { // the close handshake may wait on the peer
			_ = c.ws.Close(code, reason)
			close(c.closed)
		}()
	})
}

// enqueue hands a frame to the writer without ever blocking: a full queue
// means the client cannot keep up, and it is closed to resume later.
func (c *conn) enqueue(frame []byte) {
	select {
	case <-c.done:
	case c.send <- frame:
	default:
		c.close(CloseTooSlow, "send queue overflow; reconnect and resume with since")
	}
}

// deliver is called by the hub for a committed event on ch.
func (c *conn) deliver(ch string, id int64, frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.subs[ch]
	if s == nil || id <= s.last {
		return
	}
	if !s.live {
		if len(s.pending) >= maxPending {
			c.close(CloseTooSlow, "too many events while resuming; reconnect and resume with since")
			return
		}
		s.pending = append(s.pending, pending{id, frame})
		return
	}
	s.last = id
	c.enqueue(frame)
	c.hub.stats.mu.Lock()
	c.hub.stats.Delivered++
	c.hub.stats.mu.Unlock()
}

func (c *conn) channels() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.subs))
	for ch := range c.subs {
		out = append(out, ch)
	}
	return out
}

func (c *conn) unsubscribe(ch string) {
	c.mu.Lock()
	delete(c.subs, ch)
	c.mu.Unlock()
	c.hub.removeSub(ch, c)
}

func (c *conn) writeLoop(ctx context.Context) {
	defer close(c.writerDone)
	ping := time.NewTicker(c.hub.opts.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-c.done:
			return
		case f := <-c.send:
			// Frames queued by now go out under the same deadline (a
			// context per frame cost 12% of the CPU of a large fan-out);
			// later ones get a fresh deadline, so a client that keeps
			// up with a long busy stream is never cut off by it.
			wctx, cancel := context.WithTimeout(ctx, c.hub.opts.WriteTimeout)
			err := c.ws.Write(wctx, websocket.MessageText, f)
			for n := len(c.send); err == nil && n > 0; n-- {
				err = c.ws.Write(wctx, websocket.MessageText, <-c.send)
			}
			cancel()
			if err != nil {
				c.close(websocket.StatusGoingAway, "write failed")
				return
			}
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, c.hub.opts.WriteTimeout)
			err := c.ws.Ping(pctx)
			cancel()
			if err != nil {
				c.close(websocket.StatusGoingAway, "ping timed out")
				return
			}
		}
	}
}

func (c *conn) readLoop(ctx context.Context) {
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			if errors.Is(err, websocket.ErrMessageTooBig) || websocket.CloseStatus(err) == websocket.StatusMessageTooBig {
				c.close(websocket.StatusMessageTooBig, fmt.Sprintf("frames are limited to %d bytes", c.hub.opts.MaxFrameBytes))
			}
			return
		}
		select {
		case <-c.done:
			return
		default:
		}
		if !c.limiter.Allow() {
			c.close(CloseRateLimited, "too many frames; slow down")
			return
		}
		if typ != websocket.MessageText {
			c.fail("", "invalid_frame", "frames are JSON text")
			continue
		}
		var in inbound
		if err := json.Unmarshal(data, &in); err != nil {
			c.fail("", "invalid_frame", "frames are JSON objects with a type")
			continue
		}
		c.handle(ctx, in)
	}
}

func (c *conn) fail(ref, code, msg string) {
	c.enqueue(mustJSON(errorFrame{Type: "error", Code: code, Message: msg, Ref: ref}))
}

func (c *conn) handle(ctx context.Context, in inbound) {
	switch in.Type {
	case "ping":
		c.enqueue(mustJSON(pongFrame{Type: "pong", Ref: in.Ref}))
	case "subscribe":
		c.subscribe(ctx, in)
	case "unsubscribe":
		for _, ch := range in.Channels {
			c.unsubscribe(ch)
		}
		c.enqueue(mustJSON(subscribedFrame{Type: "unsubscribed", Channels: nonNil(in.Channels), Ref: in.Ref}))
	case "presence":
		c.heartbeat(ctx, in)
	case "typing":
		c.typing(ctx, in)
	default:
		c.fail(in.Ref, "unknown_type", fmt.Sprintf("unknown frame type %q", in.Type))
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (c *conn) subscribe(ctx context.Context, in inbound) {
	c.mu.Lock()
	room := c.hub.opts.MaxSubscriptions - len(c.subs)
	c.mu.Unlock()
	if len(in.Channels) == 0 {
		c.fail(in.Ref, "invalid_frame", "subscribe needs channels")
		return
	}
	var accepted []string
	for _, name := range in.Channels {
		ch, ok := parseChannel(name)
		switch {
		case !ok:
			c.fail(in.Ref, "invalid_channel", fmt.Sprintf("unknown channel %q", name))
			continue
		case !allowed(ctx, c.hub.access, c.who(), ch):
			code := "forbidden"
			if c.who().Guest() && ch.kind != "forum" && ch.kind != "topic" {
				code = "unauthenticated"
			}
			c.fail(in.Ref, code, fmt.Sprintf("you may not subscribe to %q", name))
			continue
		}
		c.mu.Lock()
		_, dup := c.subs[name]
		if !dup {
			if room <= 0 {
				c.mu.Unlock()
				c.fail(in.Ref, "too_many_subscriptions", fmt.Sprintf("at most %d channels per connection", c.hub.opts.MaxSubscriptions))
				continue
			}
			room--
			c.subs[name] = &sub{}
		}
		c.mu.Unlock()
		if !dup {
			c.hub.addSub(name, c)
		}
		accepted = append(accepted, name)
	}
	c.enqueue(mustJSON(subscribedFrame{Type: "subscribed", Channels: nonNil(accepted), Ref: in.Ref}))
	for _, name := range accepted {
		since, resume := in.Since[name]
		c.catchUp(ctx, name, since, resume)
	}
}

// catchUp sends the backlog after since (when resuming), then the events
// that arrived meanwhile, and switches the subscription to live. It runs on
// the connection's reader goroutine and waits for room in the send queue
// (a backlog may be longer than the queue), never holding the connection's
// lock while it waits, so the hub's fan-out is never held up by it.
func (c *conn) catchUp(ctx context.Context, ch string, since int64, resume bool) {
	var backlog []pending
	if resume {
		msgs, complete, err := c.hub.broker.Since(ctx, ch, since)
		switch {
		case err != nil:
			c.hub.log.Warn("reading backlog", "channel", ch, "err", err)
			c.enqueue(mustJSON(resyncFrame{Type: "resync", Channel: ch, Reason: "backlog unavailable; refetch over REST"}))
		case !complete:
			c.enqueue(mustJSON(resyncFrame{Type: "resync", Channel: ch, Reason: "events since your last id are past the retention window; refetch over REST"}))
		}
		for _, m := range msgs {
			var meta fanoutMeta
			_ = json.Unmarshal(m.Data, &meta)
			if m.ID > since && deliverable(ch, meta, c.who()) {
				backlog = append(backlog, pending{m.ID, mustJSON(eventFrame{Type: "event", Channel: ch, ID: m.ID, Event: m.Event, Data: m.Data})})
			}
		}
	}
	last := int64(0)
	if resume {
		last = since
	}
	for {
		for _, f := range backlog {
			if f.id <= last {
				continue
			}
			if !c.enqueueWait(ctx, f.frame) {
				return
			}
			last = f.id
		}
		c.mu.Lock()
		s := c.subs[ch]
		if s == nil {
			c.mu.Unlock()
			return // unsubscribed meanwhile
		}
		if last > s.last {
			s.last = last
		}
		if len(s.pending) == 0 {
			s.live = true
			c.mu.Unlock()
			return
		}
		// Live events arrived while we sent: send them the same way, then look again.
		backlog, s.pending = s.pending, nil
		last = s.last
		c.mu.Unlock()
	}
}

// enqueueWait hands a frame to the writer, waiting for room up to the write
// timeout; a client that does not drain its queue by then is too slow.
func (c *conn) enqueueWait(ctx context.Context, frame []byte) bool {
	t := time.NewTimer(c.hub.opts.WriteTimeout)
	defer t.Stop()
	select {
	case c.send <- frame:
		return true
	case <-c.done:
	case <-ctx.Done():
	case <-t.C:
		c.close(CloseTooSlow, "could not send the backlog in time; reconnect and resume with since")
	}
	return false
}

// originPatterns turns configured origins (URLs or host patterns) into the
// host patterns the WebSocket library matches against the Origin header.
func originPatterns(origins []string) []string {
	var out []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			out = append(out, u.Host)
		} else if o != "" {
			out = append(out, o)
		}
	}
	return out
}

// Present lists who is in the presence scope of a channel the actor may
// read: "online" (everyone online), or topic:{id} (who is viewing it).
func (h *Hub) Present(ctx context.Context, a authz.Actor, channelName string) ([]int, error) {
	scope := channelName
	if channelName != "online" {
		ch, ok := parseChannel(channelName)
		if !ok || ch.kind != "topic" {
			return nil, apperr.Validation(map[string]string{"channel": "must be online or topic:{id}"})
		}
		if !allowed(ctx, h.access, a, ch) {
			return nil, apperr.NotFound("channel_not_found", "no such channel")
		}
		scope = topicScope(ch.id)
	}
	ids, err := h.presence.Members(ctx, scope)
	if err != nil {
		return nil, apperr.Unavailable("presence_unavailable", "presence is unavailable", err)
	}
	return ids, nil
}
