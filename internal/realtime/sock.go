package realtime

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
)

// sock is a connection's socket under coder/websocket. crn writes its own
// frames to it, already framed (a server's frames are not masked, so one
// event's frame is the same bytes for every subscriber and is built once),
// while the library writes its control frames (pings, pongs, close)
// through Write. Every write holds mu, so frames never interleave.
//
// tryWrite lets the fan-out write a frame itself, in one non-blocking
// system call, instead of waking the connection's writer goroutine for it:
// when the socket's buffer has room (the usual case), a frame costs one
// write and no goroutine switch. A frame the kernel takes only in part
// leaves its tail in rest, which the next holder of mu writes first.
type sock struct {
	net.Conn
	raw syscall.RawConn // nil when the connection has no file descriptor

	mu sync.Mutex
	// rest is the unwritten tail of a frame tryWrite began; it is written
	// before anything else.
	rest []byte
	// closeSent is set once the library has written a close frame: no
	// data frame may follow it.
	closeSent bool

	// The arguments and results of rawWrite, under mu: RawConn.Write takes
	// a func, and a method value made once does not allocate per call.
	wbuf    []byte
	wn      int
	werr    error
	rawFunc func(fd uintptr) bool
}

var errCloseSent = errors.New("realtime: close frame sent")

func newSock(c net.Conn) *sock {
	s := &sock{Conn: c}
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			s.raw = raw
		}
	}
	s.rawFunc = s.rawWrite
	return s
}

// Write is the library's way to the socket: it writes p in full, after any
// tail a tryWrite left. The library flushes each frame it writes in one
// Write (control frames are at most 127 bytes), so p starts a frame.
func (s *sock) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.flushRest(); err != nil {
		return 0, err
	}
	if len(p) > 0 && p[0]&0x0f == 0x8 { // opcode close
		s.closeSent = true
	}
	return s.Conn.Write(p)
}

// writeFrame writes one of crn's frames in full, blocking while the socket
// is full. It refuses once the library has sent a close frame or closing
// is set: a connection that is closing sends no more data.
func (s *sock) writeFrame(frame []byte, closing *atomic.Bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closeSent || closing.Load() {
		return errCloseSent
	}
	if err := s.flushRest(); err != nil {
		return err
	}
	if len(frame) == 0 {
		return nil
	}
	_, err := s.Conn.Write(frame)
	return err
}

func (s *sock) flushRest() error {
	if len(s.rest) == 0 {
		return nil
	}
	_, err := s.Conn.Write(s.rest)
	s.rest = nil
	return err
}

// tryResult says what tryWrite did with a frame.
type tryResult int

const (
	tryNotWritten tryResult = iota // nothing written: queue the frame for the writer
	tryWritten                     // the whole frame is in the kernel
	tryPartly                      // its head is; the tail waits in rest for the writer
)

// tryWrite writes frame with one non-blocking system call, unless another
// write holds the socket, a tail is pending or the connection is closing.
func (s *sock) tryWrite(frame []byte, closing *atomic.Bool) tryResult {
	if s.raw == nil || !s.mu.TryLock() {
		return tryNotWritten
	}
	defer s.mu.Unlock()
	if len(s.rest) > 0 || s.closeSent || closing.Load() {
		return tryNotWritten
	}
	s.wbuf, s.wn, s.werr = frame, 0, nil
	err := s.raw.Write(s.rawFunc)
	n := s.wn
	s.wbuf, s.werr = nil, nil
	switch {
	case err != nil || n <= 0:
		// Full (EAGAIN) or broken: the writer's blocking write waits for
		// room or meets the error and closes the connection.
		return tryNotWritten
	case n == len(frame):
		return tryWritten
	}
	s.rest = frame[n:] // frames are never modified once built
	return tryPartly
}

// rawWrite is RawConn.Write's callback: one write(2), never a wait for
// the socket to become writable (returning true ends RawConn.Write).
func (s *sock) rawWrite(fd uintptr) bool {
	for {
		n, err := syscall.Write(int(fd), s.wbuf)
		if err == syscall.EINTR {
			continue
		}
		s.wn, s.werr = n, err
		return true
	}
}

// hijackTo hands coder/websocket a sock instead of the raw connection
// when it hijacks the request, and points the library's buffered writer
// at it, so that every write of the library goes through sock.Write.
type hijackTo struct {
	http.ResponseWriter
	sock *sock
}

func (w *hijackTo) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.sock = newSock(c)
	brw.Writer.Reset(w.sock) // empty: the 101 response has been flushed
	return w.sock, brw, nil
}

func (w *hijackTo) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// textFrame returns payload as one unmasked, final WebSocket text frame.
func textFrame(payload []byte) []byte {
	n := len(payload)
	var f []byte
	switch {
	case n < 126:
		f = make([]byte, 2, 2+n)
		f[1] = byte(n)
	case n < 1<<16:
		f = make([]byte, 4, 4+n)
		f[1] = 126
		f[2], f[3] = byte(n>>8), byte(n)
	default:
		f = make([]byte, 10, 10+n)
		f[1] = 127
		for i := range 8 {
			f[9-i] = byte(uint64(n) >> (8 * i))
		}
	}
	f[0] = 0x81 // FIN, text
	return append(f, payload...)
}
