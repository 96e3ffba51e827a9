package pubsub

import "sync/atomic"

// Stats counts what a broker has done since it was created, for metrics and
// for operators wondering why a client had to refetch.
type Stats struct {
	// Published counts messages accepted into a backlog and fanned out.
	Published int64
	// Duplicates counts messages dropped because their ID was not above the
	// last ID of their channel (republishing after a crash).
	Duplicates int64
	// Lagged counts listeners cut off with ErrLagged (Memory).
	Lagged int64
	// EphemeralDropped counts ephemeral frames not queued for a listener
	// whose queue was full (Memory; ephemerals are best effort).
	EphemeralDropped int64
	// ListenErrors counts failed reads that a listener retried (Redis).
	ListenErrors int64
	// Gaps counts the times a listener found the fan-out stream trimmed or
	// reset past its position, so it may have missed live messages (Redis).
	// Clients recover those with Since.
	Gaps int64
}

// counters is the concurrent form of Stats.
type counters struct {
	published, duplicates, lagged, ephemeralDropped, listenErrors, gaps atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Published:        c.published.Load(),
		Duplicates:       c.duplicates.Load(),
		Lagged:           c.lagged.Load(),
		EphemeralDropped: c.ephemeralDropped.Load(),
		ListenErrors:     c.listenErrors.Load(),
		Gaps:             c.gaps.Load(),
	}
}
