package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/presence"
	"github.com/crn-dev/crn/internal/pubsub"
)

// Options bound what connections may do.
type Options struct {
	SendQueue        int           // frames buffered per connection before it is closed as too slow; default 256
	MaxSubscriptions int           // channels per connection; default 100
	MaxFrameBytes    int64         // largest frame a client may send; default 4096
	InboundRate      float64       // frames per second a client may send; default 20
	InboundBurst     int           // default 40
	MaxConnsPerIP    int           // default 50
	PingInterval     time.Duration // keep-alive; default 25s
	WriteTimeout     time.Duration // per frame; default 10s
	PresenceTTL      time.Duration // how long presence lasts without a heartbeat; default 60s
	TypingTTL        time.Duration // default 6s
	AllowedOrigins   []string      // host patterns besides the request's own host

	// OnEvent, when set, sees every committed event this node receives
	// (channel and type), subscribed or not: the guest response cache
	// invalidates with it. It must not block.
	OnEvent func(channel, event string)
	// OnGap, when set, is called when this node may have missed events.
	OnGap func()
}

func (o *Options) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.SendQueue, 256)
	def(&o.MaxSubscriptions, 100)
	def(&o.InboundBurst, 40)
	def(&o.MaxConnsPerIP, 50)
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = 4096
	}
	if o.InboundRate <= 0 {
		o.InboundRate = 20
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 25 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.PresenceTTL <= 0 {
		o.PresenceTTL = 60 * time.Second
	}
	if o.TypingTTL <= 0 {
		o.TypingTTL = 6 * time.Second
	}
}

const shards = 32

// shard holds the subscribers of the channels that hash to it.
type shard struct {
	mu   sync.RWMutex
	subs map[string]*subscriberSet
}

// subscriberSet is a channel's local subscribers. Fan-out reads snap, a
// slice built on the first event after a change and never modified after:
// an event to 10,000 subscribers copies nothing and holds the shard's lock
// only to read one pointer, while a ramp of subscriptions does not rebuild
// the slice once per subscriber.
type subscriberSet struct {
	members map[*conn]*sub
	snap    []subscriber // nil when members changed since it was built
}

// subscriber is one connection's subscription to a channel.
type subscriber struct {
	c *conn
	s *sub // guarded by c.mu
}

// Hub fans broker messages out to this node's connections. Fan-out takes a
// shard's read lock only to copy the subscriber set; it never writes to a
// socket (each connection's writer does), so one slow client cannot slow
// another.
type Hub struct {
	broker   pubsub.Broker
	presence presence.Store
	access   Access
	users    UserNames
	log      *slog.Logger
	opts     Options

	shards [shards]shard

	refreshMu sync.Mutex // one group-membership reload at a time

	mu     sync.Mutex
	conns  map[*conn]struct{}
	perIP  map[string]int
	local  map[presenceKey]int // local connections holding each presence
	closed bool

	stats counters
	epoch time.Time // origin of now()

	// silenced are users silenced while connected: their connections'
	// actors predate it, so typing checks this too.
	silenced sync.Map // user id -> struct{}
}

type presenceKey struct {
	scope  string
	userID int
}

// UserNames resolves user ids for presence frames.
type UserNames interface {
	Username(ctx context.Context, id int) (string, error)
}

// counters are for metrics and tests.
type counters struct {
	delivered     atomic.Int64
	closedTooSlow atomic.Int64
	closedStuck   atomic.Int64 // a write outlasted the write timeout
}

// NewHub returns a hub; Run connects it to the broker.
func NewHub(b pubsub.Broker, p presence.Store, acc Access, users UserNames, log *slog.Logger, opts Options) *Hub {
	opts.defaults()
	h := &Hub{broker: b, presence: p, access: acc, users: users, log: log, opts: opts,
		conns: map[*conn]struct{}{}, perIP: map[string]int{}, local: map[presenceKey]int{}, epoch: time.Now()}
	for i := range h.shards {
		h.shards[i].subs = map[string]*subscriberSet{}
	}
	return h
}

// now is the hub's monotonic clock in nanoseconds, never 0.
func (h *Hub) now() int64 { return int64(time.Since(h.epoch)) + 1 }

func (h *Hub) shardOf(ch string) *shard {
	hash := uint32(2166136261) // FNV-1a, without allocating a hash.Hash
	for i := 0; i < len(ch); i++ {
		hash ^= uint32(ch[i])
		hash *= 16777619
	}
	return &h.shards[hash%shards]
}

// Run listens to the broker and keeps presence fresh until ctx ends.
func (h *Hub) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		h.presenceLoop(ctx)
	}()
	go func() {
		defer wg.Done()
		h.watchdog(ctx)
	}()
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			err := h.broker.Listen(ctx, h.onMessage, h.onEphemeral)
			if ctx.Err() == nil {
				// Events may have gone by while this node was not listening:
				// every subscriber is told to resync (or resume with since).
				h.log.Error("broker listener stopped; restarting", "err", err)
				if h.opts.OnGap != nil {
					h.opts.OnGap()
				}
				h.resyncAll("this node fell behind the event stream; refetch or resubscribe with since")
				time.Sleep(time.Second)
			}
		}
	}()
	wg.Wait()
	return nil
}

// onMessage fans a committed event out to the channel's local subscribers.
func (h *Hub) onMessage(m pubsub.Message) {
	var meta fanoutMeta
	_ = json.Unmarshal(m.Data, &meta)
	if h.opts.OnEvent != nil {
		h.opts.OnEvent(m.Channel, m.Event)
	}
	if m.Event == "user.suspended" && meta.UserID != 0 && m.Channel != "moderation" {
		// Every node receives the fan-out stream, so a suspension closes
		// the user's sockets wherever they are connected.
		h.DisconnectUser(meta.UserID)
	}
	if m.Channel == "moderation" && meta.UserID != 0 {
		switch m.Event {
		case "user.silenced":
			h.silenced.Store(meta.UserID, struct{}{})
		case "user.unsilenced":
			h.silenced.Delete(meta.UserID)
		}
	}
	if m.Channel == SystemChannel {
		return // nobody subscribes to it
	}
	// One frame per event and channel, shared by every subscriber.
	frame := mustFrame(eventFrame{Type: "event", Channel: m.Channel, ID: m.ID, Event: m.Event, Data: m.Data})
	h.fanOut(h.subscribers(m.Channel), m.Channel, m.ID, meta, frame)
	switch m.Event {
	case "forum.updated", "forum.deleted", "topic.moved", "group.updated", "group.deleted":
		go h.recheck(nil) // visibility may have narrowed under existing subscriptions
	case "group.member_left", "group.member_removed", "group.member_banned":
		// Revoke at once, before the next event of the group fans out;
		// then reload the member's groups and re-check their channels.
		var who struct {
			UserID  int `json:"user_id"`
			GroupID int `json:"group_id"`
		}
		if json.Unmarshal(m.Data, &who) == nil && who.UserID != 0 {
			h.dropGroup(who.UserID, who.GroupID)
			go h.refreshGroups(who.UserID)
		}
	case "group.member_joined", "group.member_role_changed":
		var who struct {
			UserID int `json:"user_id"`
		}
		if json.Unmarshal(m.Data, &who) == nil && who.UserID != 0 {
			go h.refreshGroups(who.UserID)
		}
	}
}

// fanOutChunk is how many subscribers a fan-out goroutine takes at a time;
// a list of fewer than two chunks is delivered on the hub's goroutine.
const fanOutChunk = 64

// fanOut delivers an event's frame to subs. Most frames are written
// straight to their socket (see conn.enqueue), so a large fan-out is
// shared by up to GOMAXPROCS goroutines, which take chunks of the list as
// they go: one that the OS preempts holds up one chunk, not half the list.
// It returns when every chunk is done, so the next event of the channel
// reaches each connection after this one.
func (h *Hub) fanOut(subs []subscriber, ch string, id int64, meta fanoutMeta, frame []byte) {
	// Who may receive a public event does not depend on the subscriber
	// (outside the moderation channel): skip loading every actor.
	everyone := ch != "moderation" && (meta.Visibility == "" || meta.Visibility == event.Public)
	var next atomic.Int64
	deliver := func() {
		var n int64
		for {
			i := int(next.Add(fanOutChunk)) - fanOutChunk
			if i >= len(subs) {
				break
			}
			for _, sub := range subs[i:min(i+fanOutChunk, len(subs))] {
				if (everyone || deliverable(ch, meta, sub.c.who())) && sub.c.deliver(sub.s, id, frame) {
					n++
				}
			}
		}
		h.stats.delivered.Add(n)
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(subs)/fanOutChunk) - 1 {
		wg.Go(deliver)
	}
	deliver()
	wg.Wait()
}

// connsOf returns this node's connections of a user.
func (h *Hub) connsOf(userID int) []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*conn
	for c := range h.conns {
		if c.who().ID == userID {
			out = append(out, c)
		}
	}
	return out
}

// dropGroup removes groupID from the memberships of userID's connections,
// in memory, so the fan-out stops sending them the group's events now.
func (h *Hub) dropGroup(userID, groupID int) {
	for _, c := range h.connsOf(userID) {
		for {
			old := c.actor.Load()
			if !old.MemberOf(groupID) {
				break
			}
			roles := make(map[int]string, len(old.Groups))
			for id, r := range old.Groups {
				if id != groupID {
					roles[id] = r
				}
			}
			a := old.WithGroups(roles, nil)
			a.GroupModeratedForums = old.GroupModeratedForums // until refreshGroups reloads them
			if c.actor.CompareAndSwap(old, &a) {
				break
			}
		}
	}
}

// refreshGroups reloads a user's group memberships from the database for
// their connections on this node and drops the channels they may no longer
// read. Refreshes run one at a time, so the last one applies the latest state.
func (h *Hub) refreshGroups(userID int) {
	conns := h.connsOf(userID)
	if len(conns) == 0 {
		return
	}
	h.refreshMu.Lock()
	defer h.refreshMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	roles, forums, err := h.access.GroupRoles(ctx, userID)
	if err != nil {
		h.log.Error("realtime: reload group memberships", "user", userID, "err", err)
		for _, c := range conns { // fail closed: no group access until a reconnect
			a := c.who().WithGroups(nil, nil)
			c.actor.Store(&a)
		}
	} else {
		for _, c := range conns {
			a := c.who().WithGroups(roles, forums)
			c.actor.Store(&a)
		}
	}
	h.recheck(conns)
}

// onEphemeral forwards typing and presence frames to the channel's subscribers.
func (h *Hub) onEphemeral(e pubsub.Ephemeral) {
	subs := h.subscribers(e.Channel)
	if len(subs) == 0 {
		return
	}
	frame := textFrame(e.Data)
	for _, sub := range subs {
		sub.c.enqueue(frame)
	}
}

// subscribers returns the channel's local subscribers; the caller must not
// modify the slice.
func (h *Hub) subscribers(ch string) []subscriber {
	s := h.shardOf(ch)
	s.mu.RLock()
	set := s.subs[ch]
	var snap []subscriber
	if set != nil {
		snap = set.snap
	}
	s.mu.RUnlock()
	if set == nil || snap != nil {
		return snap
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if set = s.subs[ch]; set == nil {
		return nil
	}
	if set.snap == nil {
		set.snap = make([]subscriber, 0, len(set.members))
		for c, sb := range set.members {
			set.snap = append(set.snap, subscriber{c, sb})
		}
	}
	return set.snap
}

func (h *Hub) addSub(ch string, c *conn, sb *sub) {
	s := h.shardOf(ch)
	s.mu.Lock()
	set := s.subs[ch]
	if set == nil {
		set = &subscriberSet{members: map[*conn]*sub{}}
		s.subs[ch] = set
	}
	if set.members[c] != sb {
		set.members[c] = sb
		set.snap = nil
	}
	s.mu.Unlock()
}

func (h *Hub) removeSub(ch string, c *conn) {
	s := h.shardOf(ch)
	s.mu.Lock()
	if set := s.subs[ch]; set != nil {
		if _, ok := set.members[c]; ok {
			delete(set.members, c)
			set.snap = nil
		}
		if len(set.members) == 0 {
			delete(s.subs, ch)
		}
	}
	s.mu.Unlock()
}

// recheck drops subscriptions their connections may no longer read, on
// conns or, when nil, on every connection of this node.
func (h *Hub) recheck(conns []*conn) {
	if conns == nil {
		h.mu.Lock()
		conns = make([]*conn, 0, len(h.conns))
		for c := range h.conns {
			conns = append(conns, c)
		}
		h.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, c := range conns {
		for _, ch := range c.channels() {
			parsed, _ := parseChannel(ch)
			if !allowed(ctx, h.access, c.who(), parsed) {
				c.unsubscribe(ch)
				c.enqueue(mustFrame(errorFrame{Type: "error", Code: "subscription_revoked", Message: "you may no longer read " + ch}))
			}
		}
	}
}

// reserve takes one of ip's connection slots; false when it has none left
// or the hub is shutting down.
func (h *Hub) reserve(ip string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || h.perIP[ip] >= h.opts.MaxConnsPerIP {
		return false
	}
	h.perIP[ip]++
	return true
}

func (h *Hub) release(ip string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perIP[ip]--; h.perIP[ip] <= 0 {
		delete(h.perIP, ip)
	}
}

// resyncAll sends a resync frame for every subscription on this node.
func (h *Hub) resyncAll(reason string) {
	h.mu.Lock()
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		for _, ch := range c.channels() {
			c.enqueue(mustFrame(resyncFrame{Type: "resync", Channel: ch, Reason: reason}))
		}
	}
}

// register adds a connection whose slot is reserved.
func (h *Hub) register(c *conn) {
	h.mu.Lock()
	c.nextPing = h.now() + int64(h.opts.PingInterval)
	h.conns[c] = struct{}{}
	h.mu.Unlock()
}

func (h *Hub) unregister(c *conn) {
	for _, ch := range c.channels() {
		h.removeSub(ch, c)
	}
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	h.release(c.ip)
}

// ClosedTooSlow returns how many connections were closed for falling behind.
func (h *Hub) ClosedTooSlow() int64 { return h.stats.closedTooSlow.Load() }

// Delivered returns how many event frames this node has queued for its
// subscribers.
func (h *Hub) Delivered() int64 { return h.stats.delivered.Load() }

// Connections returns how many sockets this node holds.
func (h *Hub) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// DisconnectUser closes every connection of a user on this node, e.g.
// after a suspension or a sign-out everywhere.
func (h *Hub) DisconnectUser(userID int) {
	h.mu.Lock()
	var conns []*conn
	for c := range h.conns {
		if c.who().ID == userID {
			conns = append(conns, c)
		}
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.close(CloseUnauthorized, "signed out")
	}
	if len(conns) > 0 {
		h.log.Info("closed a user's sockets", "user_id", userID, "connections", len(conns))
	}
}

// Shutdown closes every connection with "going away" so clients reconnect
// to another node and resume; new connections are refused from now on.
func (h *Hub) Shutdown() {
	h.mu.Lock()
	h.closed = true
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.close(1001, "server shutting down; reconnect and resume")
	}
}
