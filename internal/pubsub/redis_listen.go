package pubsub

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Listen implements Broker. It returns an error if it cannot reach Redis when
// it starts; after that it rides out errors (see Redis) and returns nil when
// ctx ends or the broker closes, within a quarter second.
func (b *Redis) Listen(ctx context.Context, onMessage func(Message), onEphemeral func(Ephemeral)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(b.life, cancel)
	defer stop()

	sub := b.client.Subscribe(ctx, b.ephemeralKey)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("pubsub: listen: subscribe: %w", err)
	}
	start, err := b.fanoutTop(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("pubsub: listen: %w", err)
	}

	msgs := make(chan Message, readCount)
	var wg sync.WaitGroup
	wg.Go(func() { b.readFanout(ctx, start, msgs) })
	defer wg.Wait() // after cancel, which runs first
	defer cancel()

	frames := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-msgs:
			if onMessage != nil {
				onMessage(m)
			}
		case f, ok := <-frames:
			if !ok {
				return nil
			}
			var w ephemeralWire
			if err := json.Unmarshal([]byte(f.Payload), &w); err != nil {
				b.Logger.Warn("pubsub: undecodable ephemeral frame", "err", err)
				continue
			}
			if onEphemeral != nil {
				onEphemeral(Ephemeral{Channel: w.Channel, Type: w.Type, Data: w.Data})
			}
		}
	}
}

// fanoutTop returns the ID of the fan-out stream's newest entry, "0-0" when it
// is empty: a listener reads what comes after it.
func (b *Redis) fanoutTop(ctx context.Context) (string, error) {
	top, err := b.client.XRevRangeN(ctx, b.fanoutKey, "+", "-", 1).Result()
	if err != nil {
		return "", fmt.Errorf("read fan-out top: %w", err)
	}
	if len(top) == 0 {
		return "0-0", nil
	}
	return top[0].ID, nil
}

// readFanout sends the messages of the fan-out stream after lastID to out
// until ctx ends, retrying with backoff on errors.
func (b *Redis) readFanout(ctx context.Context, lastID string, out chan<- Message) {
	var backoff time.Duration
	check := false // whether lastID may have been trimmed away
	for ctx.Err() == nil {
		if check {
			id, err := b.checkPosition(ctx, lastID)
			if err != nil {
				b.retryAfter(ctx, &backoff, err)
				continue
			}
			lastID, check = id, false
		}
		streams, err := b.client.XRead(ctx, &redis.XReadArgs{
			Streams: []string{b.fanoutKey, lastID},
			Count:   readCount,
			Block:   b.block,
		}).Result()
		if errors.Is(err, redis.Nil) {
			backoff = 0
			continue
		}
		if err != nil {
			b.retryAfter(ctx, &backoff, err)
			check = true
			continue
		}
		backoff = 0
		for _, s := range streams {
			for _, e := range s.Messages {
				lastID = e.ID
				m, err := decodeFanout(e)
				if err != nil {
					b.Logger.Warn("pubsub: undecodable fan-out entry", "id", e.ID, "err", err)
					continue
				}
				select {
				case out <- m:
				case <-ctx.Done():
					return
				}
			}
			// A full batch means this listener is behind: make sure the
			// stream was not trimmed past it before reading on.
			check = check || len(s.Messages) == readCount
		}
	}
}

// retryAfter counts and logs err, then sleeps with exponential backoff.
func (b *Redis) retryAfter(ctx context.Context, backoff *time.Duration, err error) {
	if ctx.Err() != nil {
		return
	}
	b.stats.listenErrors.Add(1)
	*backoff = min(max(2**backoff, 50*time.Millisecond), 2*time.Second)
	b.Logger.Warn("pubsub: reading the fan-out stream failed; retrying", "err", err, "backoff", *backoff)
	t := time.NewTimer(*backoff)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// checkPosition verifies that the fan-out entry lastID is still there, so
// nothing after it was trimmed. If it is not, a gap is counted; if the stream
// now ends before lastID, Redis lost it (a restart without data, a flush)
// and reading starts over from the beginning of the new stream.
func (b *Redis) checkPosition(ctx context.Context, lastID string) (string, error) {
	if lastID == "0-0" {
		return lastID, nil
	}
	got, err := b.client.XRangeN(ctx, b.fanoutKey, lastID, lastID, 1).Result()
	if err != nil {
		return "", fmt.Errorf("check fan-out position: %w", err)
	}
	if len(got) == 1 {
		return lastID, nil
	}
	top, err := b.fanoutTop(ctx)
	if err != nil {
		return "", err
	}
	b.stats.gaps.Add(1)
	if compareStreamIDs(top, lastID) < 0 {
		b.Logger.Warn("pubsub: the fan-out stream was reset; live messages may have been missed", "last_seen", lastID, "top", top)
		return "0-0", nil
	}
	b.Logger.Warn("pubsub: the fan-out stream was trimmed past this listener; live messages may have been missed", "last_seen", lastID)
	return lastID, nil
}

// decodeFanout rebuilds a message from a fan-out entry.
func decodeFanout(e redis.XMessage) (Message, error) {
	str := func(k string) string { s, _ := e.Values[k].(string); return s }
	id, err := strconv.ParseInt(str("i"), 10, 64)
	if err != nil {
		return Message{}, fmt.Errorf("field i: %w", err)
	}
	return decodeMessage(str("c"), id, str("e"), str("d"), str("a"))
}

// compareStreamIDs orders two stream IDs "<ms>-<seq>".
func compareStreamIDs(a, b string) int {
	am, as := splitStreamID(a)
	bm, bs := splitStreamID(b)
	if c := cmp.Compare(am, bm); c != 0 {
		return c
	}
	return cmp.Compare(as, bs)
}

func splitStreamID(id string) (ms, seq uint64) {
	m, s, _ := strings.Cut(id, "-")
	ms, _ = strconv.ParseUint(m, 10, 64)
	seq, _ = strconv.ParseUint(s, 10, 64)
	return ms, seq
}
