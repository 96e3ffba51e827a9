package realtime

import (
	"context"
	"time"
)

// watchdog is the one timer of all of a node's connections: it drops a
// connection whose write has been stuck for longer than WriteTimeout (its
// client stopped reading and the kernel's buffer is full) and starts each
// connection's keep-alive ping every PingInterval. Connections thus carry
// no ticker and their writes no deadline context.
func (h *Hub) watchdog(ctx context.Context) {
	t := time.NewTicker(watchdogTick(h.opts))
	defer t.Stop()
	var stuck, ping []*conn
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := h.now()
		writeTimeout, pingEvery := int64(h.opts.WriteTimeout), int64(h.opts.PingInterval)
		stuck, ping = stuck[:0], ping[:0]
		h.mu.Lock()
		for c := range h.conns {
			if c.closing.Load() {
				continue
			}
			if w := c.writing.Load(); w != 0 && now-w > writeTimeout {
				stuck = append(stuck, c)
				continue
			}
			if now >= c.nextPing {
				c.nextPing = now + pingEvery
				if c.pinging.CompareAndSwap(false, true) {
					ping = append(ping, c)
				}
			}
		}
		h.mu.Unlock()
		for _, c := range stuck {
			c.abort()
		}
		for _, c := range ping {
			go c.ping()
		}
		if len(stuck) > 0 {
			h.log.Info("realtime: dropped connections whose writes were stuck", "connections", len(stuck), "write_timeout", h.opts.WriteTimeout)
		}
		clear(stuck)
		clear(ping)
	}
}

// watchdogTick is how often the watchdog looks: often enough that a stuck
// write is dropped at most a quarter of WriteTimeout late and pings keep
// their rhythm, at most once a second.
func watchdogTick(o Options) time.Duration {
	return max(10*time.Millisecond, min(time.Second, o.WriteTimeout/4, o.PingInterval/4))
}
