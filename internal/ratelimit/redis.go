package ratelimit

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// gcra is the generic cell rate algorithm over one key, run atomically by
// Redis. The key holds the theoretical arrival time (TAT, microseconds): the
// moment the bucket would be full again. An event at now is allowed when
// TAT + interval - burst*interval <= now, which is exactly a token bucket of
// burst tokens refilled one per interval; a refused event writes nothing, so
// refusals never push the next token further away. The key expires when the
// bucket is full again, so idle clients cost nothing.
//
// KEYS[1] the bucket; ARGV[1] interval µs; ARGV[2] burst; ARGV[3] now µs, or
// -1 for the Redis server's clock (one clock for every node).
// Returns {1, 0} when allowed, {0, retry µs} when refused.
var gcra = redis.NewScript(`
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
if tat < now then tat = now end
local next_tat = tat + interval
local allow_at = next_tat - burst * interval
if now < allow_at then
  return {0, allow_at - now}
end
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000))
return {1, 0}
`)

// Redis is a token-bucket limiter whose buckets live in Redis, so every node
// sharing the Redis shares one budget per key. It allows exactly what Memory
// allows: perMinute events a minute with bursts of burst, and the same retry
// delay when it refuses.
type Redis struct {
	rdb      redis.Scripter
	prefix   string // <redis prefix>rl:<name>:
	interval int64  // microseconds per token
	burst    int
	now      func() time.Time // nil: the Redis server's clock
	timeout  time.Duration
	failures atomic.Int64
}

// DefaultTimeout bounds one Allow call on Redis, so a slow Redis delays a
// sign-in by at most this much before the caller fails open.
const DefaultTimeout = 500 * time.Millisecond

// NewRedis allows perMinute events a minute per key, with bursts of burst,
// counted in rdb under keys "<prefix>rl:<name>:<key>". Limiters with
// different names never share buckets; limiters with the same prefix and
// name (on different nodes) share them. now may be nil to use the Redis
// server's clock, which is what nodes with skewed clocks need; tests inject
// one.
func NewRedis(rdb redis.Scripter, prefix, name string, perMinute, burst int, now func() time.Time) *Redis {
	return &Redis{
		rdb:      rdb,
		prefix:   prefix + "rl:" + name + ":",
		interval: int64(math.Round(float64(time.Minute/time.Microsecond) / float64(perMinute))),
		burst:    burst,
		now:      now,
		timeout:  DefaultTimeout,
	}
}

// Allow implements Limiter. When Redis cannot answer it returns the error
// and counts a failure; callers decide to fail open (see Failures).
func (l *Redis) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	now := int64(-1)
	if l.now != nil {
		now = l.now().UnixMicro()
	}
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	res, err := gcra.Run(ctx, l.rdb, []string{l.prefix + key}, l.interval, l.burst, now).Int64Slice()
	if err != nil || len(res) != 2 {
		l.failures.Add(1)
		if err == nil {
			err = fmt.Errorf("unexpected reply %v", res)
		}
		return false, 0, fmt.Errorf("ratelimit: redis allow: %w", err)
	}
	if res[0] == 1 {
		return true, 0, nil
	}
	return false, time.Duration(res[1]) * time.Microsecond, nil
}

// Failures counts the Allow calls Redis could not answer (for metrics).
func (l *Redis) Failures() int64 { return l.failures.Load() }
