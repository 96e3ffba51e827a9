package pubsub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Tuning of the Redis broker.
const (
	// fanoutMaxLen bounds the fan-out stream (trimmed approximately). It only
	// has to cover how far a listener may fall behind or how long a blip may
	// last; a listener that finds it trimmed past its position counts a gap.
	fanoutMaxLen = 100_000
	// metaMinTTL is how long a channel's meta outlives its last publish, at
	// least; it is what lets Since answer for a channel whose backlog expired.
	metaMinTTL = 7 * 24 * time.Hour
	// publishBatch is the number of messages one script call handles, so a
	// large Publish does not hold Redis for long.
	publishBatch = 64
	// readCount is the number of fan-out entries one XREAD returns at most.
	readCount = 512
	// readBlock is how long one XREAD waits: the longest a Listen takes to
	// notice that its ctx ended, since go-redis does not interrupt a blocked
	// read. An idle node costs Redis four cheap commands a second.
	readBlock = 250 * time.Millisecond
)

// Redis is the Broker for several nodes, on one Redis (7.0 or later; not
// Redis Cluster: a publish touches keys of several channels in one script).
//
// Keys, all under the prefix:
//
//   - ch:{channel}, a stream: the backlog. Entries have the explicit ID
//     "<id>-0", so Redis refuses an ID not above the top, and a field with
//     the time Redis accepted them, for MaxAge. The publish script trims it
//     exactly (not "~", which would keep an unknown number) and PEXPIREs it
//     to MaxAge, so an idle channel's backlog vanishes by itself.
//   - meta:{channel}, a hash: l, the last ID accepted (the dedupe key, which
//     survives the stream's expiry); w, the highest ID dropped by retention;
//     u, the first ID seen when the meta was created. It expires
//     max(7 days, 2×MaxAge) after the last publish. XINFO's
//     max-deleted-entry-id is not used: trimming does not update it.
//   - fanout, a stream every node reads with XREAD BLOCK: one entry per
//     accepted message, trimmed to about 100,000 entries.
//   - ephemeral, a PUBLISH/SUBSCRIBE channel for ephemeral frames.
//
// Publish runs one script per batch of messages that, per message, appends to
// the channel stream and, only if that was accepted, to the fan-out stream: a
// duplicate is neither kept nor fanned out, and a publish that go-redis
// retries after a network error cannot deliver twice.
//
// Since reads the backlog and the meta in one MULTI. complete is false when
// w, or an entry present but older than MaxAge, is above afterID; when the
// stream expired, w counts as l. Two cases answer on the safe side, sending
// the client to REST when it might not have needed to: a channel without
// meta (never published, or idle past its TTL) is complete only for
// afterID 0; and 0 < afterID < u is incomplete, because the history of a
// channel before its meta was created is unknown.
//
// Listen reads the fan-out stream from its top when it starts and then from
// the last entry it delivered, so a Redis blip or a killed connection only
// delays delivery. If the stream was trimmed past that entry (a listener
// too slow by 100,000 messages, or Redis restarted without its data) it may
// have missed messages: Stats.Gaps counts it, a warning is logged and
// reading goes on; clients recover those with Since. Ephemeral frames are
// best effort, as with Redis pub/sub: those sent while a node reconnects are
// lost.
type Redis struct {
	// Logger receives warnings about read errors and gaps; it defaults to
	// slog.Default(). Set it before the first Listen.
	Logger *slog.Logger

	client       *redis.Client
	prefix       string
	r            Retention
	fanoutKey    string
	ephemeralKey string
	block        time.Duration
	stats        counters

	life context.Context // cancelled by Close
	kill context.CancelFunc
}

// NewRedis returns a broker keeping its keys under prefix in client, with the
// backlog retention r (zero fields take DefaultRetention's). The client stays
// the caller's to close, after the broker.
func NewRedis(client *redis.Client, prefix string, r Retention) *Redis {
	life, kill := context.WithCancel(context.Background())
	return &Redis{
		Logger:       slog.Default(),
		client:       client,
		prefix:       prefix,
		r:            withDefaults(r),
		fanoutKey:    prefix + "fanout",
		ephemeralKey: prefix + "ephemeral",
		block:        readBlock,
		life:         life,
		kill:         kill,
	}
}

func (b *Redis) streamKey(channel string) string { return b.prefix + "ch:" + channel }
func (b *Redis) metaKey(channel string) string   { return b.prefix + "meta:" + channel }

// Publish implements Broker.
func (b *Redis) Publish(ctx context.Context, msgs ...Message) error {
	if err := validate(msgs); err != nil {
		return fmt.Errorf("pubsub: publish: %w", err)
	}
	if b.life.Err() != nil {
		return fmt.Errorf("pubsub: publish: %w", ErrClosed)
	}
	now := time.Now()
	metaTTL := max(metaMinTTL, 2*b.r.MaxAge)
	for start := 0; start < len(msgs); start += publishBatch {
		batch := msgs[start:min(start+publishBatch, len(msgs))]
		keys := make([]string, 0, 1+2*len(batch))
		args := make([]any, 0, 4+5*len(batch))
		keys = append(keys, b.fanoutKey)
		args = append(args, b.r.MaxLen, b.r.MaxAge.Milliseconds(), metaTTL.Milliseconds(), fanoutMaxLen)
		for _, m := range batch {
			at := m.At
			if at.IsZero() {
				at = now
			}
			keys = append(keys, b.streamKey(m.Channel), b.metaKey(m.Channel))
			args = append(args, m.Channel, strconv.FormatInt(m.ID, 10), m.Event, []byte(m.Data), strconv.FormatInt(at.UnixNano(), 10))
		}
		accepted, err := publishScript.Run(ctx, b.client, keys, args...).Int64Slice()
		if err != nil {
			return fmt.Errorf("pubsub: publish: %w", err)
		}
		for _, a := range accepted {
			if a == 1 {
				b.stats.published.Add(1)
			} else {
				b.stats.duplicates.Add(1)
			}
		}
	}
	return nil
}

// PublishEphemeral implements Broker.
func (b *Redis) PublishEphemeral(ctx context.Context, e Ephemeral) error {
	if b.life.Err() != nil {
		return fmt.Errorf("pubsub: publish ephemeral: %w", ErrClosed)
	}
	payload, err := json.Marshal(ephemeralWire{Channel: e.Channel, Type: e.Type, Data: e.Data})
	if err != nil {
		return fmt.Errorf("pubsub: publish ephemeral: %w", err)
	}
	if err := b.client.Publish(ctx, b.ephemeralKey, payload).Err(); err != nil {
		return fmt.Errorf("pubsub: publish ephemeral: %w", err)
	}
	return nil
}

// ephemeralWire is an ephemeral frame as published: Data as bytes, so it
// travels exactly (nil stays nil) whether or not it is valid JSON.
type ephemeralWire struct {
	Channel string `json:"c"`
	Type    string `json:"t"`
	Data    []byte `json:"d,omitempty"`
}

// Since implements Broker; see Redis for when complete is false. It reads
// the backlog and the meta in one MULTI, so a concurrent trim cannot slip
// between the two (a script would do too, but converting the entries to Lua
// and back made it twice as slow).
func (b *Redis) Since(ctx context.Context, channel string, afterID int64) ([]Message, bool, error) {
	if b.life.Err() != nil {
		return nil, false, fmt.Errorf("pubsub: since: %w", ErrClosed)
	}
	afterID = max(afterID, 0)
	var (
		now     *redis.TimeCmd
		meta    *redis.SliceCmd
		exists  *redis.IntCmd
		entries *redis.XMessageSliceCmd
	)
	_, err := b.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		now = p.Time(ctx)
		meta = p.HMGet(ctx, b.metaKey(channel), "l", "w", "u")
		exists = p.Exists(ctx, b.streamKey(channel))
		entries = p.XRange(ctx, b.streamKey(channel), "("+strconv.FormatInt(afterID, 10)+"-0", "+")
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("pubsub: since %q: %w", channel, err)
	}
	s := sinceReply{
		afterID: afterID,
		cutoff:  now.Val().Add(-b.r.MaxAge).UnixMilli(),
		exists:  exists.Val() == 1,
		entries: entries.Val(),
	}
	if s.last, s.hasMeta, err = optionalInt(meta.Val()[0]); err == nil {
		if s.dropped, _, err = optionalInt(meta.Val()[1]); err == nil {
			s.unknownBefore, _, err = optionalInt(meta.Val()[2])
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("pubsub: since %q: meta: %w", channel, err)
	}
	msgs, complete, err := s.decode(channel)
	if err != nil {
		return nil, false, fmt.Errorf("pubsub: since %q: %w", channel, err)
	}
	return msgs, complete, nil
}

// sinceReply is what Since read from Redis.
type sinceReply struct {
	afterID                      int64
	cutoff                       int64 // ms: entries accepted before are past MaxAge
	hasMeta                      bool
	last, dropped, unknownBefore int64 // the meta's l, w and u
	exists                       bool  // whether the stream exists
	entries                      []redis.XMessage
}

// decode returns the messages still within retention and the complete flag.
func (s sinceReply) decode(channel string) ([]Message, bool, error) {
	dropped := s.dropped
	var msgs []Message
	for _, e := range s.entries {
		id, err := streamIDMs(e.ID)
		if err != nil {
			return nil, false, err
		}
		str := func(k string) string { v, _ := e.Values[k].(string); return v }
		accepted, err := strconv.ParseInt(str("t"), 10, 64)
		if err != nil {
			return nil, false, fmt.Errorf("entry %s: field t: %w", e.ID, err)
		}
		if accepted < s.cutoff {
			dropped = max(dropped, id) // present but past MaxAge
			continue
		}
		m, err := decodeMessage(channel, id, str("e"), str("d"), str("a"))
		if err != nil {
			return nil, false, err
		}
		msgs = append(msgs, m)
	}
	if !s.hasMeta {
		return msgs, !s.exists && s.afterID == 0, nil
	}
	if !s.exists {
		dropped = max(dropped, s.last)
	}
	complete := s.afterID >= dropped && (s.afterID == 0 || s.afterID >= s.unknownBefore)
	return msgs, complete, nil
}

// decodeMessage rebuilds a message from its stored fields.
func decodeMessage(channel string, id int64, event, data, at string) (Message, error) {
	ns, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return Message{}, fmt.Errorf("message %d: field a: %w", id, err)
	}
	m := Message{Channel: channel, ID: id, Event: event, At: time.Unix(0, ns)}
	if data != "" {
		m.Data = json.RawMessage(data)
	}
	return m, nil
}

// optionalInt parses a reply element that is nil or a decimal string.
func optionalInt(v any) (int64, bool, error) {
	switch v := v.(type) {
	case nil:
		return 0, false, nil
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil, err
	default:
		return 0, false, fmt.Errorf("unexpected reply element %T", v)
	}
}

// streamIDMs returns the first part of a stream ID "<ms>-<seq>".
func streamIDMs(id string) (int64, error) {
	ms, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed stream id %q", id)
	}
	return n, nil
}

// Stats returns the broker's counters.
func (b *Redis) Stats() Stats { return b.stats.snapshot() }

// Close implements Broker: listeners return within a quarter second, later
// calls fail with ErrClosed. It does not close the client.
func (b *Redis) Close() error {
	b.kill()
	return nil
}
