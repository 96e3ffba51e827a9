package realtime

import (
	"sync"
	"sync/atomic"
)

// outQueue is a connection's bounded queue of frames to write, and who is
// writing them. Whoever finds the queue idle may write a frame itself
// (owner direct: the fan-out, with one non-blocking write, see
// sock.tryWrite); frames that arrive meanwhile, and a frame the socket
// would not take at once, are queued and handed to the connection's writer
// goroutine (owner writer), which takes every queued frame at once and
// gives the queue up when it has written them all. So a connection whose
// socket keeps up costs no goroutine wake-up per frame, and one that does
// not has its frames queued, in order, up to the bound. Unlike a buffered
// channel the queue holds no memory while idle.
type outQueue struct {
	wake chan struct{} // capacity 1: a pending wake-up for the writer

	mu     sync.Mutex
	owner  queueOwner
	frames [][]byte
	// inflight is what the owner is writing: it still counts against the
	// bound, so at most limit frames wait in all.
	inflight int
	// flush asks the writer to write a frame's tail that tryWrite left.
	flush bool
	// room, when a backlog sender waits for space, is signalled when the
	// writer next takes a batch; created on first need.
	room       chan struct{}
	roomWanted bool
}

type queueOwner uint8

const (
	ownerNone   queueOwner = iota // idle: nothing queued, nobody writing
	ownerDirect                   // a caller of push is writing a frame itself
	ownerWriter                   // the writer goroutine has been handed the queue
)

type pushResult int

const (
	pushed     pushResult = iota // queued for the writer
	pushDirect                   // the caller owns the queue: write the frame, then call directDone
	pushFull                     // the queue holds limit frames already
	pushClosed                   // the connection is closing; the frame is dropped
)

// push queues frame unless the queue is full or closing is set. When the
// queue is idle and direct is true, it queues nothing and makes the caller
// its owner instead.
func (q *outQueue) push(frame []byte, limit int, closing *atomic.Bool, direct bool) pushResult {
	q.mu.Lock()
	if closing.Load() {
		q.mu.Unlock()
		return pushClosed
	}
	if q.owner == ownerNone && direct {
		q.owner, q.inflight = ownerDirect, 1
		q.mu.Unlock()
		return pushDirect
	}
	if len(q.frames)+q.inflight >= limit {
		q.mu.Unlock()
		return pushFull
	}
	q.frames = append(q.frames, frame)
	wake := q.owner == ownerNone
	if wake {
		q.owner = ownerWriter
	}
	q.mu.Unlock()
	if wake {
		q.signal()
	}
	return pushed
}

// directDone ends a direct write of frame: res is what sock.tryWrite did.
// A frame not written goes to the head of the queue; whatever is left to
// write (queued frames, the frame, its tail) is handed to the writer.
func (q *outQueue) directDone(frame []byte, res tryResult) {
	q.mu.Lock()
	q.inflight = 0
	switch res {
	case tryNotWritten:
		q.frames = append(q.frames, nil)
		copy(q.frames[1:], q.frames)
		q.frames[0] = frame
	case tryPartly:
		q.flush = true
	}
	if len(q.frames) == 0 && !q.flush {
		q.owner = ownerNone
		q.mu.Unlock()
		return
	}
	q.owner = ownerWriter
	q.mu.Unlock()
	q.signal()
}

// pushOrWait is push without a direct write, except that on a full queue
// it returns a channel that is signalled when the writer next makes room.
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
	wake := q.owner == ownerNone
	if wake {
		q.owner = ownerWriter
	}
	q.mu.Unlock()
	if wake {
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
// batch, already cleared) as the next queue's storage, and whether a tail
// must be flushed first. With nothing to write it gives the queue up. A
// writer woken while a direct write owns the queue gets nothing.
func (q *outQueue) take(spare [][]byte) (batch [][]byte, flush bool) {
	if cap(spare) > 1024 {
		spare = nil // let a burst's storage go
	}
	q.mu.Lock()
	if q.owner != ownerWriter {
		q.mu.Unlock()
		return spare[:0], false
	}
	batch, flush = q.frames, q.flush
	q.frames, q.flush = spare[:0], false
	q.inflight = len(batch)
	if len(batch) == 0 && !flush {
		q.owner = ownerNone
	}
	if q.roomWanted {
		q.roomWanted = false
		select {
		case q.room <- struct{}{}:
		default:
		}
	}
	q.mu.Unlock()
	return batch, flush
}
