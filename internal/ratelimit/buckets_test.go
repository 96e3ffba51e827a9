package ratelimit

import (
	"context"
	"testing"
	"time"
)

// Memory and Redis are Buckets at one rate, so the Limiter contract
// (TestContractMemory, TestContractRedis) covers both implementations of
// Buckets; the tests here cover what a rate per call adds.

// The rate is the caller's on every call: a member promoted to a higher
// limit gets it at once, and a lowered limit applies to what was spent.
func TestBucketsRatePerCall(t *testing.T) {
	for name, mk := range map[string]func(t *testing.T, now func() time.Time) Buckets{
		"memory": func(_ *testing.T, now func() time.Time) Buckets { return NewMemoryBuckets(now) },
		"redis": func(t *testing.T, now func() time.Time) Buckets {
			rb := redisBackend(t)
			return NewRedisBuckets(rb.client(0), rb.prefix, "posts", now)
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := newFakeClock()
			b := mk(t, c.now)
			take := func(r Rate) (bool, time.Duration) {
				t.Helper()
				ok, retry, err := b.Take(context.Background(), "user:7", r)
				if err != nil {
					t.Fatal(err)
				}
				return ok, retry
			}
			low, high := PerMinute(2), PerMinute(6)
			for i := range 2 {
				if ok, _ := take(low); !ok {
					t.Fatalf("take %d at 2/min refused", i+1)
				}
			}
			if ok, retry := take(low); ok || !near(retry, 30*time.Second) {
				t.Fatalf("third take at 2/min: ok=%v retry=%v, want refused for 30s", ok, retry)
			}
			// Buckets store time owed, not tokens: two posts at 2/min owe a
			// minute, the whole burst at 6/min too, but a promoted member
			// then earns a post every 10 s instead of every 30 s.
			if ok, retry := take(high); ok || !near(retry, 10*time.Second) {
				t.Fatalf("take at 6/min: ok=%v retry=%v, want refused for 10s", ok, retry)
			}
			c.add(10 * time.Second)
			if ok, retry := take(low); ok || !near(retry, 20*time.Second) {
				t.Fatalf("take at 2/min 10s later: ok=%v retry=%v, want refused for 20s", ok, retry)
			}
			if ok, _ := take(high); !ok {
				t.Fatal("take at 6/min 10s later refused")
			}
			// No limit at all: PerMinute(0) refuses everything.
			if ok, _ := take(PerMinute(0)); ok {
				t.Fatal("PerMinute(0) allowed an event")
			}
			if ok, _ := take(PerDay(0)); ok {
				t.Fatal("PerDay(0) allowed an event")
			}
		})
	}
}

func TestMemoryBucketsForgetFullBuckets(t *testing.T) {
	c := newFakeClock()
	b := NewMemoryBuckets(c.now)
	for i := range 100 {
		if ok, _, _ := b.Take(context.Background(), string(rune('a'+i%26))+string(rune(i)), PerMinute(10)); !ok {
			t.Fatal("first take refused")
		}
	}
	if b.Len() != 100 {
		t.Fatalf("%d keys tracked, want 100", b.Len())
	}
	c.add(2 * time.Minute) // every bucket is full again
	if ok, _, _ := b.Take(context.Background(), "new", PerMinute(10)); !ok || b.Len() != 1 {
		t.Fatalf("after the sweep %d keys tracked, want 1", b.Len())
	}
}
