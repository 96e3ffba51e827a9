package ratelimit

import (
	"context"
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
// sharing the Redis shares one budget per key: a RedisBuckets at one rate.
// It allows exactly what Memory allows: perMinute events a minute with
// bursts of burst, and the same retry delay when it refuses.
type Redis struct {
	b *RedisBuckets
	r Rate
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
	return &Redis{b: NewRedisBuckets(rdb, prefix, name, now), r: fixedRate(perMinute, burst)}
}

// Allow implements Limiter. When Redis cannot answer it returns the error
// and counts a failure; callers decide to fail open (see Failures).
func (l *Redis) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	return l.b.Take(ctx, key, l.r)
}

// Failures counts the Allow calls Redis could not answer (for metrics).
func (l *Redis) Failures() int64 { return l.b.Failures() }
