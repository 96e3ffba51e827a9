package account

import (
	"sync"
	"time"
)

// expiring is the mechanism under this package's per-node caches (signed-in
// principals, users' public fields): entries live for ttl, the map is
// emptied when it would grow past max (a guard, not an LRU), and forget
// bumps a generation, so that a lookup that read the database before a
// change cannot store its stale answer after it. A nil cache holds nothing.
type expiring[K comparable, V any] struct {
	ttl time.Duration
	max int

	mu  sync.Mutex
	gen uint64
	m   map[K]expiringEntry[V]
}

type expiringEntry[V any] struct {
	v     V
	until time.Time
}

// newExpiring returns a cache, or nil (no caching) when ttl is not positive.
func newExpiring[K comparable, V any](ttl time.Duration, max int) *expiring[K, V] {
	if ttl <= 0 {
		return nil
	}
	return &expiring[K, V]{ttl: ttl, max: max, m: map[K]expiringEntry[V]{}}
}

// get returns k's value if it is fresh at now.
func (c *expiring[K, V]) get(k K, now time.Time) (V, bool) {
	var zero V
	if c == nil {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return zero, false
	}
	if !now.Before(e.until) {
		delete(c.m, k)
		return zero, false
	}
	return e.v, true
}

// generation is read before a lookup in the database; put stores its
// answer only if nothing was forgotten meanwhile.
func (c *expiring[K, V]) generation() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores v under k until now+ttl, unless something was forgotten since
// generation gen.
func (c *expiring[K, V]) put(k K, gen uint64, v V, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = expiringEntry[V]{v: v, until: now.Add(c.ttl)}
}

// forget drops the entries drop matches, or every entry for a nil drop.
func (c *expiring[K, V]) forget(drop func(K, V) bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if drop == nil {
		clear(c.m)
		return
	}
	for k, e := range c.m {
		if drop(k, e.v) {
			delete(c.m, k)
		}
	}
}
