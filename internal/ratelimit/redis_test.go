package ratelimit

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/crn-dev/crn/internal/testenv"
)

func redisClient(t testing.TB) *redis.Client {
	opts, err := redis.ParseURL(testenv.Get(t, testenv.RedisURL))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

// A bucket's key lives only until the bucket is full again.
func TestRedisKeysExpireWhenFull(t *testing.T) {
	rdb := redisClient(t)
	prefix := "crntest:" + randomHex(t) + ":"
	c := newFakeClock()
	l := NewRedis(rdb, prefix, "ttl", 6, 3, c.now) // 10 s a token
	mustAllow(t, l, "ip", 2)
	key := prefix + "rl:ttl:ip"
	defer rdb.Del(context.Background(), key)
	ttl, err := rdb.PTTL(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	// Two tokens spent: full again in 20 s.
	if ttl <= 19*time.Second || ttl > 20*time.Second {
		t.Fatalf("PTTL = %v, want 20 s (the time to refill two tokens)", ttl)
	}
}

// An unreachable Redis is an error (the callers fail open), counted for the
// metric, and bounded in time.
func TestRedisUnreachable(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:18899", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	l := NewRedis(rdb, "crntest:", "down", 6, 3, nil)
	ok, _, err := l.Allow(context.Background(), "ip")
	if err == nil || ok {
		t.Fatalf("Allow on a dead Redis = %v, %v; want an error", ok, err)
	}
	if l.Failures() != 1 {
		t.Fatalf("Failures = %d, want 1", l.Failures())
	}
}

// BenchmarkRedisAllow is one Allow call on the real Redis (an EVALSHA of the
// GCRA script with the Redis clock), on a budget that never runs out.
func BenchmarkRedisAllow(b *testing.B) {
	rdb := redisClient(b)
	prefix := "crntest:" + randomHex(b) + ":"
	l := NewRedis(rdb, prefix, "bench", 60_000_000, 1_000_000, nil)
	ctx := context.Background()
	keys := []string{"auth:192.0.2.1", "auth:192.0.2.2", "auth:192.0.2.3", "auth:192.0.2.4"}
	b.ReportAllocs()
	cpu0 := processCPU()
	n := 0
	for ; b.Loop(); n++ {
		if ok, _, err := l.Allow(ctx, keys[n%len(keys)]); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
	// CPU this process spent per call: the client's share, which the
	// machine's load does not inflate the way it inflates the round trip.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(max(n, 1)), "cpu-ns/op")
	b.StopTimer()
	for _, k := range keys {
		rdb.Del(ctx, prefix+"rl:bench:"+k)
	}
}

// BenchmarkMemoryAllow is the same call on the in-process limiter.
func BenchmarkMemoryAllow(b *testing.B) {
	l := NewMemory(60_000_000, 1_000_000, nil)
	ctx := context.Background()
	keys := []string{"auth:192.0.2.1", "auth:192.0.2.2", "auth:192.0.2.3", "auth:192.0.2.4"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if ok, _, err := l.Allow(ctx, keys[i%len(keys)]); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// processCPU is the user and system CPU time of this process, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
