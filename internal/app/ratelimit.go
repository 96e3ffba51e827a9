package app

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/ratelimit"
)

// newAuthLimiter limits sign-in and sign-up attempts per client IP. With
// Redis every node draws on one budget per IP (N nodes would otherwise allow
// N times the limit); without it the budget is per process, which is the
// whole budget on a single node. When Redis cannot answer, callers fail open
// with a warning, and crn_ratelimit_backend_errors_total counts it.
func newAuthLimiter(cfg config.Config, rdb *redis.Client, reg prometheus.Registerer) ratelimit.Limiter {
	if rdb == nil {
		return ratelimit.NewMemory(cfg.AuthRatePerMin, cfg.AuthRateBurst, nil)
	}
	lim := ratelimit.NewRedis(rdb, cfg.RedisPrefix, "auth", cfg.AuthRatePerMin, cfg.AuthRateBurst, nil)
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name:        "crn_ratelimit_backend_errors_total",
		Help:        "Rate-limit checks the shared backend (Redis) could not answer; the request was let through.",
		ConstLabels: prometheus.Labels{"limiter": "auth"},
	}, func() float64 { return float64(lim.Failures()) }))
	return lim
}

// newPostBuckets holds members' budgets of posts and topics (moderation's
// rate limits). With Redis the nodes sharing it share one budget per
// member; without it (one node) the budget lives in memory. now is the
// app's clock, nil for the real one (Redis's, with Redis).
func newPostBuckets(cfg config.Config, rdb *redis.Client, now func() time.Time) ratelimit.Buckets {
	if rdb == nil {
		return ratelimit.NewMemoryBuckets(now)
	}
	return ratelimit.NewRedisBuckets(rdb, cfg.RedisPrefix, "posts", now)
}

// registerBucketErrors exports how often the shared buckets could not be
// asked, under the metric the sign-in limiter uses.
func registerBucketErrors(reg prometheus.Registerer, b ratelimit.Buckets) {
	rb, ok := b.(*ratelimit.RedisBuckets)
	if !ok {
		return
	}
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name:        "crn_ratelimit_backend_errors_total",
		Help:        "Rate-limit checks the shared backend (Redis) could not answer; the request was let through.",
		ConstLabels: prometheus.Labels{"limiter": "posts"},
	}, func() float64 { return float64(rb.Failures()) }))
}
