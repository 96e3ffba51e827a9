package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/crn-dev/crn/internal/testenv"
)

// backend builds limiters of one implementation for the contract suite.
// node is how many "nodes" deep the limiter is: a shared backend gives each
// node its own client, so two nodes share only what the backend shares.
type backend struct {
	shared bool // several instances with one name share one budget
	new    func(t *testing.T, node int, name string, perMinute, burst int, now func() time.Time) Limiter
	// client and prefix: the Redis backend's, for suites built on it.
	client func(node int) *redis.Client
	prefix string
}

func memoryBackend() backend {
	return backend{new: func(_ *testing.T, _ int, _ string, perMinute, burst int, now func() time.Time) Limiter {
		return NewMemory(perMinute, burst, now)
	}}
}

// redisBackend talks to the real Redis under a prefix of its own, deleted
// when the test ends.
func redisBackend(t *testing.T) backend {
	url := testenv.Get(t, testenv.RedisURL)
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "crntest:" + randomHex(t) + ":"
	var mu sync.Mutex
	clients := map[int]*redis.Client{}
	client := func(node int) *redis.Client {
		mu.Lock()
		defer mu.Unlock()
		if c := clients[node]; c != nil {
			return c
		}
		c := redis.NewClient(opts)
		clients[node] = c
		return c
	}
	if err := client(0).Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", url, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		c := client(0)
		iter := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		for _, c := range clients {
			c.Close()
		}
	})
	// Each subtest gets keys of its own, so subtests never see each other's buckets.
	return backend{shared: true, client: client, prefix: prefix, new: func(t *testing.T, node int, name string, perMinute, burst int, now func() time.Time) Limiter {
		return NewRedis(client(node), prefix+t.Name()+":", name, perMinute, burst, now)
	}}
}

func randomHex(t testing.TB) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func TestContractMemory(t *testing.T) { runContract(t, memoryBackend()) }

func TestContractRedis(t *testing.T) { runContract(t, redisBackend(t)) }

// fakeClock is an injectable clock safe for concurrent readers.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func allow(t *testing.T, l Limiter, key string) (bool, time.Duration) {
	t.Helper()
	ok, retry, err := l.Allow(context.Background(), key)
	if err != nil {
		t.Fatalf("Allow(%q): %v", key, err)
	}
	if ok && retry != 0 {
		t.Fatalf("Allow(%q) allowed with retry %v", key, retry)
	}
	return ok, retry
}

// near reports whether got is want to within a millisecond (the memory
// limiter computes delays in floating point).
func near(got, want time.Duration) bool {
	d := got - want
	return d > -time.Millisecond && d < time.Millisecond
}

func mustRefuse(t *testing.T, l Limiter, key string, wantRetry time.Duration) {
	t.Helper()
	ok, retry := allow(t, l, key)
	if ok || !near(retry, wantRetry) {
		t.Fatalf("Allow(%q) = %v, retry %v; want refused with retry %v", key, ok, retry, wantRetry)
	}
}

func mustAllow(t *testing.T, l Limiter, key string, n int) {
	t.Helper()
	for i := range n {
		if ok, retry := allow(t, l, key); !ok {
			t.Fatalf("Allow(%q) #%d of %d refused (retry %v)", key, i+1, n, retry)
		}
	}
}

// runContract is what every Limiter must do; the same suite runs against
// each implementation.
func runContract(t *testing.T, b backend) {
	t.Run("BurstThenRefusal", func(t *testing.T) {
		c := newFakeClock()
		l := b.new(t, 0, "burst", 6, 3, c.now) // one token every 10 s
		mustAllow(t, l, "ip", 3)
		mustRefuse(t, l, "ip", 10*time.Second)
		// Refusals must not consume tokens nor push the next one away.
		for range 5 {
			mustRefuse(t, l, "ip", 10*time.Second)
		}
		c.add(4 * time.Second)
		mustRefuse(t, l, "ip", 6*time.Second)
	})

	t.Run("RefillAfterTime", func(t *testing.T) {
		c := newFakeClock()
		l := b.new(t, 0, "refill", 6, 3, c.now)
		mustAllow(t, l, "ip", 3)
		c.add(10 * time.Second)
		mustAllow(t, l, "ip", 1)
		mustRefuse(t, l, "ip", 10*time.Second)
		c.add(25 * time.Second) // 2.5 tokens
		mustAllow(t, l, "ip", 2)
		mustRefuse(t, l, "ip", 5*time.Second)
		// A long pause refills the bucket to its burst, never beyond.
		c.add(time.Hour)
		mustAllow(t, l, "ip", 3)
		mustRefuse(t, l, "ip", 10*time.Second)
	})

	t.Run("KeysIsolatedPerClient", func(t *testing.T) {
		c := newFakeClock()
		l := b.new(t, 0, "clients", 1, 2, c.now)
		mustAllow(t, l, "auth:192.0.2.1", 2)
		mustRefuse(t, l, "auth:192.0.2.1", time.Minute)
		mustAllow(t, l, "auth:192.0.2.2", 2)
		mustAllow(t, l, "auth:2001:db8::1", 2)
		mustRefuse(t, l, "auth:192.0.2.2", time.Minute)
	})

	t.Run("KeysIsolatedPerLimiterName", func(t *testing.T) {
		c := newFakeClock()
		signin := b.new(t, 0, "signin", 1, 2, c.now)
		upload := b.new(t, 0, "upload", 1, 2, c.now)
		mustAllow(t, signin, "ip", 2)
		mustRefuse(t, signin, "ip", time.Minute)
		mustAllow(t, upload, "ip", 2)
	})

	t.Run("RealClock", func(t *testing.T) {
		// The real clock (Redis TIME for Redis): one token every 50 ms.
		l := b.new(t, 0, "real", 1200, 2, nil)
		mustAllow(t, l, "ip", 2)
		ok, retry := allow(t, l, "ip")
		if ok || retry <= 0 || retry > 50*time.Millisecond {
			t.Fatalf("third call: ok=%v retry=%v; want refused with retry in (0, 50ms]", ok, retry)
		}
		time.Sleep(retry + 5*time.Millisecond)
		mustAllow(t, l, "ip", 1)
	})

	t.Run("ConcurrentCallsSpendExactlyTheBurst", func(t *testing.T) {
		c := newFakeClock()
		nodes := []Limiter{b.new(t, 0, "race", 1, 25, c.now)}
		if b.shared {
			nodes = append(nodes, b.new(t, 1, "race", 1, 25, c.now))
		}
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for g := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l := nodes[g%len(nodes)]
				for range 10 {
					ok, _, err := l.Allow(context.Background(), "ip")
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						allowed.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if n := allowed.Load(); n != 25 {
			t.Fatalf("200 concurrent calls allowed %d, want the burst of 25", n)
		}
	})

	if !b.shared {
		return
	}
	t.Run("TwoNodesShareOneBudget", func(t *testing.T) {
		c := newFakeClock()
		a := b.new(t, 0, "signin", 6, 4, c.now)
		z := b.new(t, 1, "signin", 6, 4, c.now)
		mustAllow(t, a, "ip", 1)
		mustAllow(t, z, "ip", 1)
		mustAllow(t, a, "ip", 1)
		mustAllow(t, z, "ip", 1)
		mustRefuse(t, a, "ip", 10*time.Second)
		mustRefuse(t, z, "ip", 10*time.Second)
		c.add(10 * time.Second)
		mustAllow(t, z, "ip", 1)
		mustRefuse(t, a, "ip", 10*time.Second)
	})
}
