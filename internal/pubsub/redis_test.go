package pubsub

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/crn-dev/crn/internal/testenv"
)

// redisTestEnv is one test's share of the test Redis: a key prefix of its
// own, whose keys are deleted when the test ends.
type redisTestEnv struct {
	url    string
	prefix string
	admin  *redis.Client
	nodes  int
}

func newRedisTestEnv(t testing.TB) *redisTestEnv {
	t.Helper()
	url := testenv.Get(t, testenv.RedisURL)
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse %s: %v", testenv.RedisURL, err)
	}
	env := &redisTestEnv{url: url, prefix: "crntest:pubsub:" + rand.Text() + ":", admin: redis.NewClient(opt)}
	t.Cleanup(func() {
		ctx := context.Background()
		iter := env.admin.Scan(ctx, 0, env.prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			env.admin.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("delete test keys: %v", err)
		}
		env.admin.Close()
	})
	return env
}

// node returns a broker on env with a client of its own, which the test can
// tune with configure. Its connections carry the name it returns.
func (env *redisTestEnv) node(t testing.TB, r Retention, configure ...func(*redis.Options)) (*Redis, string) {
	t.Helper()
	opt, err := redis.ParseURL(env.url)
	if err != nil {
		t.Fatalf("parse %s: %v", testenv.RedisURL, err)
	}
	env.nodes++
	opt.ClientName = fmt.Sprintf("%snode%d", strings.ReplaceAll(env.prefix, ":", "-"), env.nodes)
	for _, c := range configure {
		c(opt)
	}
	client := redis.NewClient(opt)
	b := NewRedis(client, env.prefix, r)
	b.Logger = slog.New(slog.DiscardHandler)
	t.Cleanup(func() {
		b.Close()
		client.Close()
	})
	return b, opt.ClientName
}

// killConnections kills every connection named name, as a Redis restart or a
// network blip would. (Not CLIENT KILL TYPE normal: the test Redis is shared.)
func (env *redisTestEnv) killConnections(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	list, err := env.admin.ClientList(ctx).Result()
	if err != nil {
		t.Fatalf("CLIENT LIST: %v", err)
	}
	killed := 0
	for line := range strings.Lines(list) {
		fields := strings.Fields(line)
		if !slices.Contains(fields, "name="+name) {
			continue
		}
		for _, f := range fields {
			if id, ok := strings.CutPrefix(f, "id="); ok {
				if err := env.admin.Do(ctx, "CLIENT", "KILL", "ID", id).Err(); err != nil {
					t.Fatalf("CLIENT KILL ID %s: %v", id, err)
				}
				killed++
			}
		}
	}
	if killed == 0 {
		t.Fatalf("no connection named %s to kill", name)
	}
}

func TestRedisContract(t *testing.T) {
	testenv.Get(t, testenv.RedisURL)
	runContract(t, func(t *testing.T, r Retention) backend {
		env := newRedisTestEnv(t)
		return backend{
			node:    func() Broker { b, _ := env.node(t, r); return b },
			advance: time.Sleep,
		}
	})
}

func TestRedisLateListenerGetsNothingOld(t *testing.T) {
	env := newRedisTestEnv(t)
	a, _ := env.node(t, DefaultRetention)
	b, _ := env.node(t, DefaultRetention)
	mustPublish(t, a, msg("c", 1), msg("c", 2), msg("c", 3))
	rec := listen(t, b, 0)
	mustPublish(t, a, msg("c", 4))
	rec.waitMessages(t, 1)
	time.Sleep(100 * time.Millisecond)
	if got := idsOf(rec.messages()); !slices.Equal(got, []int64{4}) {
		t.Errorf("late listener got %v, want [4]", got)
	}
}

func TestRedisListenerSurvivesKilledConnections(t *testing.T) {
	env := newRedisTestEnv(t)
	a, aName := env.node(t, DefaultRetention)
	b, bName := env.node(t, DefaultRetention)
	rec := listen(t, b, 0)
	var want []Message
	for id := int64(1); id <= 100; id++ {
		want = append(want, msg(fmt.Sprintf("c%d", id%4), id))
	}
	mustPublish(t, a, want[:50]...)
	rec.waitMessages(t, 50)
	env.killConnections(t, bName) // the listener's blocked read and its subscription
	env.killConnections(t, aName) // the publisher's pool
	mustPublish(t, a, want[50:]...)
	checkPerChannelOrder(t, rec.waitMessages(t, 100), want)

	// Ephemeral frames flow again once the subscription is back; those sent
	// while it reconnects are lost, which is their contract.
	deadline := time.Now().Add(15 * time.Second)
	for len(rec.ephemerals()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no ephemeral frame delivered after the kill")
		}
		if err := a.PublishEphemeral(context.Background(), Ephemeral{Channel: "c", Type: "typing"}); err != nil {
			t.Fatalf("PublishEphemeral: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRedisListenerCountsALostFanoutStream(t *testing.T) {
	env := newRedisTestEnv(t)
	a, _ := env.node(t, DefaultRetention)
	// Without go-redis's own retries the listener sees the error itself.
	b, bName := env.node(t, DefaultRetention, func(o *redis.Options) { o.MaxRetries = -1 })
	rec := listen(t, b, 0)
	mustPublish(t, a, msg("c", 1))
	rec.waitMessages(t, 1)
	// Redis loses the stream, as in a restart without persistence.
	if err := env.admin.Del(context.Background(), env.prefix+"fanout").Err(); err != nil {
		t.Fatalf("DEL: %v", err)
	}
	env.killConnections(t, bName)
	deadline := time.Now().Add(10 * time.Second)
	for b.Stats().Gaps == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no gap counted; stats %+v", b.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	mustPublish(t, a, msg("c", 2))
	if got := idsOf(rec.waitMessages(t, 2)); !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("got %v, want [1 2]", got)
	}
}

func TestRedisUnknownChannelIsIncompleteAboveZero(t *testing.T) {
	env := newRedisTestEnv(t)
	b, _ := env.node(t, DefaultRetention)
	if _, complete := since(t, b, "never", 0); !complete {
		t.Errorf("Since(never, 0) is incomplete")
	}
	if _, complete := since(t, b, "never", 5); complete {
		t.Errorf("Since(never, 5) is complete; the history of a channel without meta is unknown")
	}
	// A channel's first message: nothing before it is known.
	mustPublish(t, b, msg("new", 10))
	for _, tc := range []struct {
		after    int64
		complete bool
	}{{0, true}, {5, false}, {10, true}} {
		if _, complete := since(t, b, "new", tc.after); complete != tc.complete {
			t.Errorf("Since(new, %d) complete = %v, want %v", tc.after, complete, tc.complete)
		}
	}
}

func TestRedisKeysExpireWhenIdle(t *testing.T) {
	env := newRedisTestEnv(t)
	b, _ := env.node(t, Retention{MaxLen: 10, MaxAge: 200 * time.Millisecond})
	mustPublish(t, b, msg("c", 1))
	ctx := context.Background()
	ttl, err := env.admin.PTTL(ctx, env.prefix+"ch:c").Result()
	if err != nil || ttl <= 0 || ttl > 200*time.Millisecond {
		t.Errorf("backlog TTL = %v, %v; want at most MaxAge", ttl, err)
	}
	ttl, err = env.admin.PTTL(ctx, env.prefix+"meta:c").Result()
	if err != nil || ttl < 6*24*time.Hour {
		t.Errorf("meta TTL = %v, %v; want about 7 days", ttl, err)
	}
}
