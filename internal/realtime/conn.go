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
	gone    bool // unsubscribed: the hub may still hold it for a moment
	live    bool
	last    int64
	pending []pending
}

type conn struct {
	hub  *Hub
	ws   *websocket.Conn
	sock *sock // under ws: crn writes its frames here itself
	// actor is who the connection serves; its group memberships are
	// replaced when they change (Hub.refreshGroups), so read it with who().
	actor atomic.Pointer[authz.Actor]
	ip    string
	done  chan struct{} // closed when the connection starts closing
	// closing is set just before done is closed: the writer reads it after
	// every wake-up instead of selecting on done.
	closing atomic.Bool

	out outQueue

	// writing is when the write in progress began (hub clock, see
	// Hub.now), 0 between writes: the hub's watchdog closes a connection
	// whose write has been stuck for longer than the write timeout.
	writing atomic.Int64
	pinging atomic.Bool // a keep-alive ping is waiting for its pong
	// nextPing is when the watchdog pings next (hub clock); guarded by Hub.mu.
	nextPing int64
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
	hw := &hijackTo{ResponseWriter: w}
	ws, err := websocket.Accept(hw, r, &websocket.AcceptOptions{OriginPatterns: originPatterns(h.opts.AllowedOrigins)})
	if err != nil {
		h.release(ip)
		return // Accept has answered the request already
	}
	c := &conn{
		hub: h, ws: ws, sock: hw.sock, ip: ip,
		done:   make(chan struct{}),
		closed: make(chan struct{}), writerDone: make(chan struct{}),
		out:     outQueue{wake: make(chan struct{}, 1)},
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
	go c.writeLoop()
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
		c.stopWriter()
		if code == CloseTooSlow {
			c.hub.stats.closedTooSlow.Add(1)
		}
		go func() { // the close handshake may wait on the peer
			_ = c.ws.Close(code, reason)
			close(c.closed)
		}()
	})
}

// abort drops the connection without a close handshake: its writer is
// stuck, so a close frame could not go out anyway.
func (c *conn) abort() {
	c.closeOnce.Do(func() {
		c.stopWriter()
		c.hub.stats.closedStuck.Add(1)
		go func() {
			_ = c.ws.CloseNow() // unblocks the stuck write
			close(c.closed)
		}()
	})
}

// stopWriter tells the writer to stop; called once, by close or abort.
func (c *conn) stopWriter() {
	c.closing.Store(true)
	close(c.done)
	c.out.signal()
}

// enqueue sends a frame (see textFrame) without ever blocking: written at
// once when the connection has nothing queued and its socket has room,
// otherwise queued for the writer. A full queue means the client cannot
// keep up, and it is closed to resume later. It reports whether the frame
// was written or queued.
func (c *conn) enqueue(frame []byte) bool {
	switch c.out.push(frame, c.hub.opts.SendQueue, &c.closing, true) {
	case pushDirect:
		c.out.directDone(frame, c.sock.tryWrite(frame, &c.closing))
		return true
	case pushed:
		return true
	case pushFull:
		c.close(CloseTooSlow, "send queue overflow; reconnect and resume with since")
	}
	return false
}

// deliver is called by the hub for a committed event on ch; it reports
// whether the frame was queued for the client.
// The hub passes the subscription it holds, so no map is looked up per frame.
// The frame is sent after the connection's lock is released: events of one
// channel reach deliver one at a time, so they still go out in order.
func (c *conn) deliver(s *sub, id int64, frame []byte) bool {
	c.mu.Lock()
	if s.gone || id <= s.last {
		c.mu.Unlock()
		return false
	}
	if !s.live {
		full := len(s.pending) >= maxPending
		if !full {
			s.pending = append(s.pending, pending{id, frame})
		}
		c.mu.Unlock()
		if full {
			c.close(CloseTooSlow, "too many events while resuming; reconnect and resume with since")
		}
		return false
	}
	s.last = id
	c.mu.Unlock()
	return c.enqueue(frame)
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
	if s := c.subs[ch]; s != nil {
		s.gone = true
		delete(c.subs, ch)
	}
	c.mu.Unlock()
	c.hub.removeSub(ch, c)
}

// writeLoop writes the frames handed to it until the connection closes:
// those queued while the socket was busy or full (see outQueue). It waits
// on one channel only and takes every frame queued by the time it wakes in
// one batch. Its writes block while the socket is full and carry no
// context of their own (a context with a deadline per write cost a timer
// and a goroutine hand-off per frame): the hub's watchdog bounds them
// instead, and pings go out from the watchdog too.
func (c *conn) writeLoop() {
	defer close(c.writerDone)
	var batch [][]byte
	for {
		var flush bool
		batch, flush = c.out.take(batch)
		if len(batch) == 0 && !flush {
			if c.closing.Load() {
				return
			}
			<-c.out.wake
			continue
		}
		if flush && !c.write(nil) { // the tail of a frame tryWrite began
			return
		}
		for i, f := range batch {
			if !c.write(f) {
				return
			}
			batch[i] = nil
		}
	}
}

// write writes one frame (nil: only a pending tail) for the writer; false
// when the connection is closing or now closed.
func (c *conn) write(f []byte) bool {
	if c.closing.Load() {
		return false
	}
	c.writing.Store(c.hub.now())
	err := c.sock.writeFrame(f, &c.closing)
	c.writing.Store(0)
	if err != nil {
		if !errors.Is(err, errCloseSent) {
			c.close(websocket.StatusGoingAway, "write failed")
		}
		return false
	}
	return true
}

// ping sends a keep-alive ping and waits for its pong; the watchdog starts
// it every PingInterval on its own goroutine, so frames never wait for a
// round trip.
func (c *conn) ping() {
	defer c.pinging.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), c.hub.opts.WriteTimeout)
	defer cancel()
	if err := c.ws.Ping(ctx); err != nil {
		c.close(websocket.StatusGoingAway, "ping timed out")
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
	c.enqueue(mustFrame(errorFrame{Type: "error", Code: code, Message: msg, Ref: ref}))
}

func (c *conn) handle(ctx context.Context, in inbound) {
	switch in.Type {
	case "ping":
		c.enqueue(mustFrame(pongFrame{Type: "pong", Ref: in.Ref}))
	case "subscribe":
		c.subscribe(ctx, in)
	case "unsubscribe":
		for _, ch := range in.Channels {
			c.unsubscribe(ch)
		}
		c.enqueue(mustFrame(subscribedFrame{Type: "unsubscribed", Channels: nonNil(in.Channels), Ref: in.Ref}))
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
		s, dup := c.subs[name]
		if !dup {
			if room <= 0 {
				c.mu.Unlock()
				c.fail(in.Ref, "too_many_subscriptions", fmt.Sprintf("at most %d channels per connection", c.hub.opts.MaxSubscriptions))
				continue
			}
			room--
			s = &sub{}
			c.subs[name] = s
		}
		c.mu.Unlock()
		if !dup {
			c.hub.addSub(name, c, s)
		}
		accepted = append(accepted, name)
	}
	c.enqueue(mustFrame(subscribedFrame{Type: "subscribed", Channels: nonNil(accepted), Ref: in.Ref}))
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
			c.enqueue(mustFrame(resyncFrame{Type: "resync", Channel: ch, Reason: "backlog unavailable; refetch over REST"}))
		case !complete:
			c.enqueue(mustFrame(resyncFrame{Type: "resync", Channel: ch, Reason: "events since your last id are past the retention window; refetch over REST"}))
		}
		for _, m := range msgs {
			var meta fanoutMeta
			_ = json.Unmarshal(m.Data, &meta)
			if m.ID > since && deliverable(ch, meta, c.who()) {
				backlog = append(backlog, pending{m.ID, mustFrame(eventFrame{Type: "event", Channel: ch, ID: m.ID, Event: m.Event, Data: m.Data})})
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
	var t *time.Timer
	for {
		room, res := c.out.pushOrWait(frame, c.hub.opts.SendQueue, &c.closing)
		switch res {
		case pushed:
			return true
		case pushClosed:
			return false
		}
		if t == nil {
			t = time.NewTimer(c.hub.opts.WriteTimeout)
			defer t.Stop()
		}
		select {
		case <-room:
		case <-c.done:
			return false
		case <-ctx.Done():
			return false
		case <-t.C:
			c.close(CloseTooSlow, "could not send the backlog in time; reconnect and resume with since")
			return false
		}
	}
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
