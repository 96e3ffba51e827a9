package realtime

import (
	"sync"
	"sync/atomic"
)

// outQueue is a connection's bounded queue of frames to write. The fan-out
// appends under a mutex and wakes the writer only when the queue goes from
// empty to not empty; the writer takes every queued frame at once. Unlike a
// buffered channel it holds no memory while idle (a 256-slot channel was
// ~6 KiB per connection) and costs the writer one wake-up per batch, not a
// select per frame.
type outQueue struct {
	wake chan struct{} // capacity 1: a pending wake-up for the writer

	mu     sync.Mutex
	frames [][]byte
	// inflight is the size of the batch the writer is writing: it still
	// counts against the bound, so at most limit frames wait in all.
	inflight int
	// room, when a backlog sender waits for space, is signalled when the
	// writer next takes a batch; created on first need.
	room       chan struct{}
	roomWanted bool
}

type pushResult int

const (
	pushed     pushResult = iota
	pushFull              // the queue holds limit frames already
	pushClosed            // the connection is closing; the frame is dropped
)

// push appends frame unless the queue is full or closing is set.
func (q *outQueue) push(frame []byte, limit int, closing *atomic.Bool) pushResult {
	q.mu.Lock()
	if closing.Load() {
		q.mu.Unlock()
		return pushClosed
	}
	if len(q.frames)+q.inflight >= limit {
		q.mu.Unlock()
		return pushFull
	}
	q.frames = append(q.frames, frame)
	first := len(q.frames) == 1
	q.mu.Unlock()
	if first {
		q.signal()
	}
	return pushed
}

// pushOrWait is push, except that on a full queue it returns a channel
// that is signalled when the writer next makes room.
func (q *outQueue) pushOrWait(frame []byte, limit int, closing *atomic.Bool) (<-chan struct{}, pushResult) {
	q.mu.Lock()
	if closing.Load() {
		q.mu.Unlock()
		return nil, pushClosed
	}
	if len(q.frames)+q.inflight >= limit {
		if q.room == nil {
			q.room = make(chan struct{}, 1)
		}
		q.roomWanted = true
		room := q.room
		q.mu.Unlock()
		return room, pushFull
	}
	q.frames = append(q.frames, frame)
	first := len(q.frames) == 1
	q.mu.Unlock()
	if first {
		q.signal()
	}
	return nil, pushed
}

// signal wakes the writer, or leaves a wake-up pending for it.
func (q *outQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take hands the writer every queued frame, reusing spare (the previous
// batch, already cleared) as the next queue's storage.
func (q *outQueue) take(spare [][]byte) [][]byte {
	if cap(spare) > 1024 {
		spare = nil // let a burst's storage go
	}
	q.mu.Lock()
	batch := q.frames
	q.frames = spare[:0]
	q.inflight = len(batch)
	if q.roomWanted {
		q.roomWanted = false
		select {
		case q.room <- struct{}{}:
		default:
		}
	}
	q.mu.Unlock()
	return batch
}
