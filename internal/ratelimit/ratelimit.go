// Package ratelimit limits how often a key (a client IP, an account) may do
// something. The in-memory limiter is per process; a shared limiter for
// several nodes can implement the same Limiter interface over Redis.
package ratelimit

import (
	"context"
	"time"
)

// Limiter decides whether one more event for key is allowed now. When it is
// not, retryAfter says how long until it would be.
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// Memory is a token-bucket limiter per key held in process memory: a
// MemoryBuckets at one rate. Full buckets are forgotten, so that a stream of
// distinct keys cannot grow it forever.
type Memory struct {
	b *MemoryBuckets
	r Rate
}

// NewMemory allows perMinute events a minute per key, with bursts of burst.
// now may be nil for the real clock.
func NewMemory(perMinute, burst int, now func() time.Time) *Memory {
	return &Memory{b: NewMemoryBuckets(now), r: fixedRate(perMinute, burst)}
}

// fixedRate is perMinute events a minute with bursts of burst.
func fixedRate(perMinute, burst int) Rate {
	return Rate{Interval: time.Minute / time.Duration(max(perMinute, 1)), Burst: burst}
}

// Allow implements Limiter.
func (m *Memory) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	return m.b.Take(ctx, key, m.r)
}

// Len reports how many keys are tracked (for tests and metrics).
func (m *Memory) Len() int { return m.b.Len() }
