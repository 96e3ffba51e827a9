package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/crn-dev/crn/internal/pubsub"
)

// eventSource makes one post.created event on a topic and returns the id
// subscribers will see as the frame's post_id.
type eventSource func(ctx context.Context, worker, topic int) (int64, error)

// directPublisher puts post.created events straight into crn's Redis
// broker, as the outbox relay's realtime consumer does after a commit, so
// that the fan-out can be driven at rates the REST write path (SQLite or
// PostgreSQL, search indexing, the relay) does not reach on this machine.
// No post is written: the events carry made-up ids, and only clients of the
// benchmark see them. Every node of that broker fans them out.
type directPublisher struct {
	broker *pubsub.Redis
	client *redis.Client
	next   atomic.Int64

	// The broker drops an id not above the last one published on its
	// channel, as it must after a relay crash; concurrent publishers must
	// therefore take an id and publish it in one step per channel, as the
	// relay does by publishing in commit order.
	mu      sync.Mutex
	ordered map[int]*sync.Mutex // by topic
}

// addDirectFlags declares the flags that select direct publishing.
func addDirectFlags(fs *flag.FlagSet, url, prefix *string) {
	fs.StringVar(url, "publish-redis", "", "publish events straight into crn's Redis broker at this URL (redis://127.0.0.1:6379/0) instead of posting over REST: measures the fan-out alone")
	fs.StringVar(prefix, "redis-prefix", "crn:", "crn's CRN_REDIS_PREFIX, with -publish-redis")
}

func newDirectPublisher(ctx context.Context, url, prefix string) (*directPublisher, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("-publish-redis: %w", err)
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("-publish-redis: %w", err)
	}
	if a, err := netip.ParseAddr(host); err != nil || !loopback.Contains(a) {
		return nil, fmt.Errorf("-publish-redis: %s is not a 127.0.0.0/8 address", host)
	}
	client := redis.NewClient(opts)
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("-publish-redis: %w", err)
	}
	d := &directPublisher{broker: pubsub.NewRedis(client, prefix, pubsub.DefaultRetention), client: client, ordered: map[int]*sync.Mutex{}}
	// Above every outbox id and every earlier run's: the broker drops an id
	// not above the channel's last one.
	d.next.Store(time.Now().UnixMicro())
	return d, nil
}

// publish is an eventSource.
func (d *directPublisher) publish(ctx context.Context, _, topic int) (int64, error) {
	d.mu.Lock()
	order := d.ordered[topic]
	if order == nil {
		order = &sync.Mutex{}
		d.ordered[topic] = order
	}
	d.mu.Unlock()
	order.Lock()
	defer order.Unlock()
	id := d.next.Add(1)
	data := `{"visibility":"public","topic_id":` + strconv.Itoa(topic) + `,"post_id":` + strconv.FormatInt(id, 10) + `}`
	err := d.broker.Publish(ctx, pubsub.Message{Channel: "topic:" + strconv.Itoa(topic), ID: id,
		Event: "post.created", Data: []byte(data), At: time.Now()})
	return id, err
}

func (d *directPublisher) Close() {
	d.broker.Close()
	d.client.Close()
}
