package webui

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// DefaultGraphWait is how long a page waits for the graph's batch analytics.
const DefaultGraphWait = 3 * time.Second

// slowLimit bounds a batch computation that pages stopped waiting for: it
// goes on without them (so a cache behind it warms up for the next page),
// but not forever.
const slowLimit = 5 * time.Minute

// slowCalls runs slow, shared computations (PageRank and communities over
// the whole graph) at most once at a time per key: a page that asks while
// one runs waits for that one instead of starting another, and no page
// waits longer than its bound.
type slowCalls struct {
	mu      sync.Mutex
	running map[string]*slowCall
}

type slowCall struct {
	done chan struct{}
	val  any
	err  error
}

// waitSlow returns fn's result, computed by this call or by one already
// running under key, when it is ready within wait; ready is false when it
// is not. fn runs with ctx's values but not its cancellation, bounded by
// slowLimit.
func waitSlow[T any](ctx context.Context, c *slowCalls, key string, wait time.Duration, fn func(context.Context) (T, error)) (v T, ready bool, err error) {
	c.mu.Lock()
	if c.running == nil {
		c.running = map[string]*slowCall{}
	}
	call := c.running[key]
	if call == nil {
		call = &slowCall{done: make(chan struct{})}
		c.running[key] = call
		go func() {
			bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), slowLimit)
			defer cancel()
			defer func() {
				if r := recover(); r != nil {
					call.err = fmt.Errorf("%s: panic: %v", key, r)
				}
				c.mu.Lock()
				delete(c.running, key)
				c.mu.Unlock()
				close(call.done)
			}()
			call.val, call.err = fn(bg)
		}()
	}
	c.mu.Unlock()

	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-call.done:
		if call.err != nil {
			return v, false, call.err
		}
		v, _ = call.val.(T)
		return v, true, nil
	case <-timer.C:
		return v, false, nil
	case <-ctx.Done():
		return v, false, ctx.Err()
	}
}
