package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// target says where connection i goes and what it subscribes to.
type target struct {
	url      string
	token    string
	channels []string
}

// arrival is one post.created frame as a subscriber saw it.
type arrival struct {
	post int64
	at   time.Duration // since the fleet started
}

// subscriber is one open WebSocket and, when the fleet records, the
// post.created frames it received. Its fields belong to the goroutine that
// reads it until the fleet's close has returned.
type subscriber struct {
	index int // which connection of the ramp it is
	got   []arrival

	sock    sockRef // the socket, as the readers hold it
	partial []byte  // the start of a frame not yet complete
	done    bool    // closed, or lost
}

// fleet is the client side of a run: many WebSockets opened at a bounded
// rate from a rotating set of loopback source addresses, then read by a
// few workers that wait on all of them at once (see readers), which also
// answer the server's pings.
type fleet struct {
	start   time.Time
	dialers []*net.Dialer // one per source address
	record  bool          // keep post.created arrivals, or discard every frame
	expect  int           // arrivals to make room for per subscriber

	open      atomic.Int64 // connections currently open
	delivered atomic.Int64 // post.created frames received in all
	stopping  atomic.Bool  // the run is over: closed connections are not lost

	mu     sync.Mutex
	subs   []*subscriber
	failed counts // could not connect or subscribe, by reason
	lost   counts // connected, then closed before the end, by reason

	readers   *readers
	closeOnce sync.Once
}

func newFleet(sources []netip.Addr, record bool, expect int, readPause time.Duration) *fleet {
	f := &fleet{start: time.Now(), record: record, expect: expect, failed: counts{}, lost: counts{}}
	for _, src := range sources {
		f.dialers = append(f.dialers, newDialer(src))
	}
	f.readers = newReaders(f, readPause)
	return f
}

// rampOptions bound how fast and for how long connections are opened.
type rampOptions struct {
	n        int           // connections to open
	perSec   float64       // at most this many handshakes a second
	workers  int           // handshakes in flight at once
	timeout  time.Duration // per handshake and subscription
	deadline time.Duration // for the whole ramp
	progress io.Writer     // a line every 5 s; nil for none
}

// ramp opens o.n connections, target(i) saying where each goes, and reads
// each until ctx ends or close is called. It returns when all have been
// tried or the ramp's deadline has passed.
func (f *fleet) ramp(ctx context.Context, ctxRead context.Context, o rampOptions, target func(i int) target) time.Duration {
	began := time.Now()
	context.AfterFunc(ctxRead, func() { f.stopping.Store(true) })
	ctx, cancel := context.WithTimeout(ctx, o.deadline)
	defer cancel()
	lim := rate.NewLimiter(rate.Limit(o.perSec), max(1, min(o.workers, int(o.perSec/10)+1)))
	var next atomic.Int64
	var tried atomic.Int64
	var wg sync.WaitGroup
	for range max(1, o.workers) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= o.n || lim.Wait(ctx) != nil {
					return
				}
				tried.Add(1)
				f.connect(ctx, i, o.timeout, target(i))
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-done:
			if ctx.Err() != nil && int(tried.Load()) < o.n {
				f.fail(fmt.Sprintf("not tried: ramp deadline %s passed", o.deadline), o.n-int(tried.Load()))
			}
			return time.Since(began)
		case <-tick.C:
			if o.progress != nil {
				f.mu.Lock()
				fmt.Fprintf(o.progress, "  %5.0fs  open %d  failed %d (%s)\n", time.Since(began).Seconds(), f.open.Load(), f.failedTotal(), f.failed)
				f.mu.Unlock()
			}
		}
	}
}

func (f *fleet) failedTotal() int {
	n := 0
	for _, v := range f.failed {
		n += v
	}
	return n
}

func (f *fleet) fail(reason string, n int) {
	f.mu.Lock()
	f.failed[reason] += n
	f.mu.Unlock()
}

// connect opens connection i, subscribes it and hands it to the readers.
func (f *fleet) connect(ctx context.Context, i int, timeout time.Duration, t target) {
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ws, res, err := dialWS(hctx, f.dialers[i%len(f.dialers)], t.url, t.token)
	if err != nil {
		f.fail(dialReason(res, err), 1)
		return
	}
	if err := ws.subscribe(hctx, t.channels); err != nil {
		ws.conn.Close()
		f.fail(err.Error(), 1)
		return
	}
	s := &subscriber{index: i}
	if f.record {
		s.got = make([]arrival, 0, f.expect)
	}
	f.mu.Lock()
	f.subs = append(f.subs, s)
	f.mu.Unlock()
	f.open.Add(1)
	if err := f.readers.add(s, ws); err != nil {
		f.lose(s, "closed: "+dialReason(nil, err))
	}
}

// consume handles the frames that have arrived on s, by at (since the
// fleet started): data is what was received after s.partial, which it
// updates. send writes a frame back (pongs). It returns the post.created
// frames recorded, and false once s is done (closed by the server, or
// broken: the reason is counted).
func (f *fleet) consume(s *subscriber, data []byte, at time.Duration, send func([]byte) error) (int64, bool) {
	if len(s.partial) > 0 {
		s.partial = append(s.partial, data...)
		data = s.partial
	}
	var n int64
	for {
		op, payload, size, err := parseFrame(data)
		if err != nil {
			f.lose(s, "closed: "+err.Error())
			return n, false
		}
		if size == 0 {
			break
		}
		data = data[size:]
		switch op {
		case opText:
			if !f.record {
				break
			}
			if id, ok := postCreatedID(payload); ok {
				s.got = append(s.got, arrival{post: id, at: at})
				n++
			}
		case opPing:
			if err := send(clientFrame(opPong, payload)); err != nil {
				f.lose(s, "closed: "+dialReason(nil, err))
				return n, false
			}
		case opClose:
			f.lose(s, "closed by server: "+strconv.Itoa(closeCode(payload)))
			return n, false
		}
	}
	// Keep the start of an incomplete frame (rare: crn's frames are small).
	switch {
	case len(data) == 0:
		s.partial = s.partial[:0]
	case len(s.partial) > 0:
		s.partial = s.partial[:copy(s.partial, data)]
	default:
		s.partial = append(s.partial[:0], data...)
	}
	return n, true
}

// lose counts a connection that ended before the run did, and marks it
// done.
func (f *fleet) lose(s *subscriber, reason string) {
	if s.done {
		return
	}
	s.done = true
	f.open.Add(-1)
	if f.stopping.Load() {
		return // the run is over: closing is ours
	}
	f.mu.Lock()
	f.lost[reason]++
	f.mu.Unlock()
}

// close stops the readers and drops every connection (without a close
// handshake: the run is over), after which subs may be read. Only the
// first call does anything.
func (f *fleet) close() {
	f.closeOnce.Do(func() {
		f.stopping.Store(true)
		f.readers.close()
	})
}

// dialReason names why a handshake or read failed, coarsely enough to count.
func dialReason(res *http.Response, err error) string {
	if res != nil && res.StatusCode != http.StatusSwitchingProtocols {
		return "http " + strconv.Itoa(res.StatusCode)
	}
	var errno syscall.Errno
	switch {
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "too many open files (raise ulimit -n)"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no free source port (add -sources)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return "eof"
	case errors.As(err, &errno):
		return errno.Error()
	}
	msg := err.Error()
	if len(msg) > 80 {
		msg = msg[:80]
	}
	return msg
}

var (
	postCreatedMark = []byte(`"event":"post.created"`)
	dataMark        = []byte(`"data":{`)
	postIDMark      = []byte(`"post_id":`)
)

// postCreatedID returns the post id of a post.created event frame. It
// scans the bytes instead of decoding JSON: at tens of thousands of frames
// a second the decoding would take CPU from the server under test on the
// same machine. The hub encodes event frames with data last and, inside
// data, post_id before the payload, so the first post_id after "data" is
// the event's own; other frames fall back to decoding.
func postCreatedID(b []byte) (int64, bool) {
	if !bytes.Contains(b, postCreatedMark) {
		return 0, false
	}
	if i := bytes.Index(b, dataMark); i >= 0 {
		rest := b[i+len(dataMark):]
		if j := bytes.Index(rest, postIDMark); j >= 0 {
			var id int64
			for _, d := range rest[j+len(postIDMark):] {
				if d < '0' || d > '9' {
					break
				}
				if id > (1<<62)/10 {
					id = -1 // too long for a post id: let the decoder judge
					break
				}
				id = id*10 + int64(d-'0')
			}
			if id > 0 {
				return id, true
			}
		}
	}
	var m struct {
		Type  string `json:"type"`
		Event string `json:"event"`
		Data  struct {
			PostID int64 `json:"post_id"`
		} `json:"data"`
	}
	if json.Unmarshal(b, &m) != nil || m.Type != "event" || m.Event != "post.created" || m.Data.PostID == 0 {
		return 0, false
	}
	return m.Data.PostID, true
}
