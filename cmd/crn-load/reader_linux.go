package main

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// sockRef is a subscriber's socket: a file descriptor of its own, out of
// Go's network poller, which only the readers' epoll instances watch.
type sockRef struct{ fd int }

// readers are a few goroutines, each waiting on its share of the sockets
// with an epoll instance of its own (edge-triggered) and reading a socket
// once per readiness: a frame that arrives costs one read(2), a scan of
// its bytes, and no goroutine switch. A read that does not fill the buffer
// has emptied the socket, and data arriving after it is a new edge, so
// no second read waits for EAGAIN (and, unlike level-triggered, epoll does
// not poll every socket read once more). The arrival time of a frame is taken
// right after the read that brought it in.
//
// A worker that found fewer ready sockets than it can take at once pauses
// for pause before it waits again, so that the frames of a fan-out are
// read in batches: waking a sleeping reader for every frame cost both
// processes more than the reads (the sender's write(2) does the wake-up).
// The first frame after a quiet spell is read at once; later ones at most
// pause late, which only adds to the latency measured.
type readers struct {
	f       *fleet
	pause   time.Duration
	workers []*epollWorker
	next    atomic.Uint32
	stop    atomic.Bool
	wg      sync.WaitGroup
}

type epollWorker struct {
	epfd int
	mu   sync.Mutex
	subs []*subscriber // by file descriptor
}

// set records s (nil: none) as the subscriber on fd; under w.mu.
func (w *epollWorker) set(fd int, s *subscriber) {
	if fd >= len(w.subs) {
		w.subs = append(w.subs, make([]*subscriber, fd+1-len(w.subs)+1024)...)
	}
	w.subs[fd] = s
}

// pollEvery bounds how long a worker waits before it looks at stop.
const pollEvery = 100 * time.Millisecond

// newReaders starts one worker per two CPUs: a worker blocks in
// epoll_wait, and with a P left idle the Go runtime does not hand the
// blocked worker's P to another thread.
func newReaders(f *fleet, pause time.Duration) *readers {
	r := &readers{f: f, pause: pause}
	for range max(1, runtime.GOMAXPROCS(0)/2) {
		fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			panic("epoll_create1: " + err.Error()) // only when the process is out of files at start
		}
		w := &epollWorker{epfd: fd}
		r.workers = append(r.workers, w)
		r.wg.Go(func() { r.run(w) })
	}
	return r
}

// add takes a subscribed connection over: its socket leaves Go's poller
// (a duplicate descriptor stays, still non-blocking), what was read past
// the subscription is handled at once, and a worker watches the rest.
func (r *readers) add(s *subscriber, ws *wsConn) error {
	sc, ok := ws.conn.(syscall.Conn)
	if !ok {
		ws.conn.Close()
		return errors.New("not a socket")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		ws.conn.Close()
		return err
	}
	fd, dupErr := -1, error(nil)
	if err := raw.Control(func(u uintptr) { fd, dupErr = syscall.Dup(int(u)) }); err != nil {
		dupErr = err
	}
	ws.conn.Close()
	if dupErr != nil {
		return dupErr
	}
	syscall.CloseOnExec(fd)
	s.sock = sockRef{fd: fd}
	if len(ws.buf) > 0 {
		n, ok := r.f.consume(s, ws.buf, time.Since(r.f.start), s.sock.send)
		r.f.delivered.Add(n)
		if !ok {
			syscall.Close(fd)
			return nil
		}
	}
	w := r.workers[int(r.next.Add(1))%len(r.workers)]
	w.mu.Lock()
	w.set(fd, s)
	w.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | -syscall.EPOLLET, Fd: int32(fd)}
	if err := syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		w.mu.Lock()
		w.set(fd, nil)
		w.mu.Unlock()
		syscall.Close(fd)
		return err
	}
	return nil
}

func (r *readers) run(w *epollWorker) {
	events := make([]syscall.EpollEvent, 256)
	subs := make([]*subscriber, 0, len(events))
	buf := make([]byte, 64<<10)
	timeout := int(pollEvery / time.Millisecond)
	pause := syscall.NsecToTimespec(int64(r.pause))
	for !r.stop.Load() {
		n, err := syscall.EpollWait(w.epfd, events, timeout)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			panic("epoll_wait: " + err.Error())
		}
		subs = subs[:0]
		w.mu.Lock()
		for _, ev := range events[:n] {
			subs = append(subs, w.subs[ev.Fd]) // registered before it was added to epoll
		}
		w.mu.Unlock()
		var got int64
		for _, s := range subs {
			if s != nil && !s.done {
				got += r.read(w, s, buf)
			}
		}
		if got > 0 {
			r.f.delivered.Add(got)
		}
		clear(subs)
		if n > 0 && n < len(events) && r.pause > 0 {
			_ = syscall.Nanosleep(&pause, nil)
		}
	}
}

// read reads what one socket holds and handles its frames.
func (r *readers) read(w *epollWorker, s *subscriber, buf []byte) int64 {
	var got int64
	for {
		n, err := syscall.Read(s.sock.fd, buf)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return got
		case err != nil:
			r.drop(w, s, "closed: "+dialReason(nil, err))
			return got
		case n == 0:
			r.drop(w, s, "closed: eof")
			return got
		}
		g, ok := r.f.consume(s, buf[:n], time.Since(r.f.start), s.sock.send)
		got += g
		if !ok {
			r.drop(w, s, "")
			return got
		}
		if n < len(buf) {
			return got // emptied: what comes next raises a new edge
		}
	}
}

// drop stops watching s, counting it lost for reason (already counted
// when empty).
func (r *readers) drop(w *epollWorker, s *subscriber, reason string) {
	if reason != "" {
		r.f.lose(s, reason)
	}
	_ = syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_DEL, s.sock.fd, nil)
	w.mu.Lock()
	w.set(s.sock.fd, nil)
	w.mu.Unlock()
	syscall.Close(s.sock.fd)
	s.sock.fd = -1
}

// close stops the workers and closes every socket still open.
func (r *readers) close() {
	r.stop.Store(true)
	r.wg.Wait()
	for _, w := range r.workers {
		for fd, s := range w.subs {
			if s != nil {
				r.f.lose(s, "")
				syscall.Close(fd)
			}
		}
		w.subs = nil
		syscall.Close(w.epfd)
	}
}

// send writes a whole small frame (a pong) to the socket. The socket is
// non-blocking; a full one, which a reading client's never is for a pong,
// counts as an error.
func (s sockRef) send(b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(s.fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
