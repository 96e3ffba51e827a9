// Package ratelimit limits how often a key (a client IP, an account) may do
// something. The in-memory limiter is per process; a shared limiter for
// several nodes can implement the same Limiter interface over Redis.
package ratelimit

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter decides whether one more event for key is allowed now. When it is
// not, retryAfter says how long until it would be.
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// Memory is a token-bucket limiter per key held in process memory. Idle
// buckets are dropped so that a stream of distinct keys cannot grow it forever.
type Memory struct {
	perMinute int
	burst     int
	now       func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// idleAfter is how long a bucket may go unused before it is forgotten; by
// then it has refilled, so forgetting it changes nothing for the key.
func (m *Memory) idleAfter() time.Duration {
	return time.Duration(float64(m.burst)/float64(m.perMinute)*float64(time.Minute)) + time.Minute
}

// NewMemory allows perMinute events a minute per key, with bursts of burst.
// now may be nil for the real clock.
func NewMemory(perMinute, burst int, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{perMinute: perMinute, burst: burst, now: now, buckets: map[string]*bucket{}, lastSweep: now()}
}

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.lastSweep) > time.Minute {
		idle := m.idleAfter()
		for k, b := range m.buckets {
			if now.Sub(b.seen) > idle {
				delete(m.buckets, k)
			}
		}
		m.lastSweep = now
	}
	b := m.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(float64(m.perMinute)/60), m.burst)}
		m.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Minute, nil
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // a refused attempt must not consume the next token
		return false, d, nil
	}
	return true, 0, nil
}

// Len reports how many keys are tracked (for tests and metrics).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.buckets)
}
