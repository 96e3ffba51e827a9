//go:build !linux

package main

import (
	"net"
	"sync"
	"time"
)

// sockRef is a subscriber's socket.
type sockRef struct{ conn net.Conn }

func (s sockRef) send(b []byte) error {
	_, err := s.conn.Write(b)
	return err
}

// readers read each connection on a goroutine of its own; the epoll
// workers of reader_linux.go are cheaper per frame.
type readers struct {
	f  *fleet
	mu sync.Mutex
	ws []net.Conn
	wg sync.WaitGroup
}

func newReaders(f *fleet, _ time.Duration) *readers { return &readers{f: f} }

func (r *readers) add(s *subscriber, ws *wsConn) error {
	s.sock = sockRef{conn: ws.conn}
	r.mu.Lock()
	r.ws = append(r.ws, ws.conn)
	r.mu.Unlock()
	r.wg.Go(func() {
		defer ws.conn.Close()
		n, ok := r.f.consume(s, ws.buf, time.Since(r.f.start), s.sock.send)
		r.f.delivered.Add(n)
		buf := make([]byte, 16<<10)
		for ok {
			m, err := ws.conn.Read(buf)
			if m > 0 {
				n, ok = r.f.consume(s, buf[:m], time.Since(r.f.start), s.sock.send)
				r.f.delivered.Add(n)
			}
			if err != nil && ok {
				r.f.lose(s, "closed: "+dialReason(nil, err))
				return
			}
		}
	})
	return nil
}

func (r *readers) close() {
	r.mu.Lock()
	for _, c := range r.ws {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}
