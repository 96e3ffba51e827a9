package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Rate is a token bucket: Burst events at once, then one more every
// Interval. PerMinute(10) allows ten posts in a row, then one every six
// seconds.
type Rate struct {
	Interval time.Duration
	Burst    int
}

// PerMinute is n events a minute with bursts of n.
func PerMinute(n int) Rate { return per(time.Minute, n) }

// PerDay is n events a day with bursts of n.
func PerDay(n int) Rate { return per(24*time.Hour, n) }

func per(d time.Duration, n int) Rate {
	if n < 1 {
		return Rate{Interval: d, Burst: 0} // nothing is ever allowed
	}
	return Rate{Interval: d / time.Duration(n), Burst: n}
}

// Buckets takes events from per-key token buckets whose rate the caller
// gives on each call, for limits that change at run time (per trust level,
// set by administrators). Take reports whether the event is allowed and, if
// not, how long until it would be; a refused event takes nothing.
//
// Both implementations run the same algorithm (GCRA, the generic cell rate
// algorithm): a key stores only the moment its bucket is full again, so a
// check is one map lookup or one Redis call whatever the rate.
type Buckets interface {
	Take(ctx context.Context, key string, r Rate) (ok bool, retryAfter time.Duration, err error)
}

// MemoryBuckets keeps the buckets in process memory: the whole budget on a
// single node. Full buckets are forgotten, so distinct keys cannot grow it
// forever.
type MemoryBuckets struct {
	now func() time.Time

	mu        sync.Mutex
	tat       map[string]time.Time // when the key's bucket is full again
	lastSweep time.Time
}

// NewMemoryBuckets returns empty buckets; now may be nil for the real clock.
func NewMemoryBuckets(now func() time.Time) *MemoryBuckets {
	if now == nil {
		now = time.Now
	}
	return &MemoryBuckets{now: now, tat: map[string]time.Time{}, lastSweep: now()}
}

// Take implements Buckets.
func (m *MemoryBuckets) Take(_ context.Context, key string, r Rate) (bool, time.Duration, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.lastSweep) > time.Minute {
		for k, t := range m.tat {
			if !t.After(now) {
				delete(m.tat, k) // full again: the same as never seen
			}
		}
		m.lastSweep = now
	}
	tat := m.tat[key]
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(r.Interval)
	if allowAt := next.Add(-time.Duration(r.Burst) * r.Interval); now.Before(allowAt) {
		return false, allowAt.Sub(now), nil
	}
	m.tat[key] = next
	return true, 0, nil
}

// Len reports how many keys are tracked (for tests).
func (m *MemoryBuckets) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}

// RedisBuckets keeps the buckets in Redis, so every node sharing it shares
// one budget per key, with the same answers MemoryBuckets gives.
type RedisBuckets struct {
	rdb      redis.Scripter
	prefix   string           // <redis prefix>rl:<name>:
	now      func() time.Time // nil: the Redis server's clock
	timeout  time.Duration
	failures atomic.Int64
}

// NewRedisBuckets counts under keys "<prefix>rl:<name>:<key>"; now may be
// nil to use the Redis server's clock (one clock for every node).
func NewRedisBuckets(rdb redis.Scripter, prefix, name string, now func() time.Time) *RedisBuckets {
	return &RedisBuckets{rdb: rdb, prefix: prefix + "rl:" + name + ":", now: now, timeout: DefaultTimeout}
}

// Take implements Buckets. When Redis cannot answer it returns the error
// and counts a failure; callers decide to fail open (see Failures).
func (b *RedisBuckets) Take(ctx context.Context, key string, r Rate) (bool, time.Duration, error) {
	now := int64(-1)
	if b.now != nil {
		now = b.now().UnixMicro()
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	interval := max(r.Interval.Microseconds(), 1)
	res, err := gcra.Run(ctx, b.rdb, []string{b.prefix + key}, interval, r.Burst, now).Int64Slice()
	if err != nil || len(res) != 2 {
		b.failures.Add(1)
		if err == nil {
			err = fmt.Errorf("unexpected reply %v", res)
		}
		return false, 0, fmt.Errorf("ratelimit: redis take: %w", err)
	}
	if res[0] == 1 {
		return true, 0, nil
	}
	return false, time.Duration(res[1]) * time.Microsecond, nil
}

// Failures counts the Take calls Redis could not answer (for metrics).
func (b *RedisBuckets) Failures() int64 { return b.failures.Load() }
