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

	"github.com/coder/websocket"
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
// post.created frames it received. got belongs to the reading goroutine
// until the fleet's wait has returned.
type subscriber struct {
	index int // which connection of the ramp it is
	ws    *websocket.Conn
	got   []arrival
}

// fleet is the client side of a run: many WebSockets opened at a bounded
// rate from a rotating set of loopback source addresses, each read by its
// own goroutine (which also answers the server's pings).
type fleet struct {
	start   time.Time
	clients []*http.Client // one per source address
	record  bool           // keep post.created arrivals, or discard every frame
	expect  int            // arrivals to make room for per subscriber

	open      atomic.Int64 // connections currently open
	delivered atomic.Int64 // post.created frames received in all
	stopping  atomic.Bool  // the run is over: closed connections are not lost

	mu     sync.Mutex
	subs   []*subscriber
	failed counts // could not connect or subscribe, by reason
	lost   counts // connected, then closed before the end, by reason

	readers sync.WaitGroup
}

func newFleet(sources []netip.Addr, record bool, expect int) *fleet {
	f := &fleet{start: time.Now(), record: record, expect: expect, failed: counts{}, lost: counts{}}
	for _, src := range sources {
		f.clients = append(f.clients, &http.Client{Transport: &http.Transport{
			DialContext:         newDialer(src).DialContext,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     10 * time.Second,
		}})
	}
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

// connect opens connection i, subscribes it and starts its reader.
func (f *fleet) connect(ctx context.Context, i int, timeout time.Duration, t target) {
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	opts := &websocket.DialOptions{HTTPClient: f.clients[i%len(f.clients)], CompressionMode: websocket.CompressionDisabled}
	if t.token != "" {
		opts.HTTPHeader = http.Header{"Authorization": {"Bearer " + t.token}}
	}
	ws, res, err := websocket.Dial(hctx, t.url, opts)
	if err != nil {
		f.fail(dialReason(res, err), 1)
		return
	}
	ws.SetReadLimit(1 << 20)
	if err := subscribe(hctx, ws, t.channels); err != nil {
		ws.CloseNow()
		f.fail(err.Error(), 1)
		return
	}
	s := &subscriber{index: i, ws: ws}
	if f.record {
		s.got = make([]arrival, 0, f.expect)
	}
	f.mu.Lock()
	f.subs = append(f.subs, s)
	f.mu.Unlock()
	f.open.Add(1)
	f.readers.Go(func() { f.read(s) })
}

// subscribe sends a subscribe frame and waits for its answer.
func subscribe(ctx context.Context, ws *websocket.Conn, channels []string) error {
	if len(channels) == 0 {
		return nil
	}
	frame, _ := json.Marshal(map[string]any{"type": "subscribe", "ref": "s", "channels": channels})
	if err := ws.Write(ctx, websocket.MessageText, frame); err != nil {
		return errors.New("subscribe: " + dialReason(nil, err))
	}
	for range 10 { // the answer comes first; allow a few unrelated frames
		_, b, err := ws.Read(ctx)
		if err != nil {
			return errors.New("subscribe: " + dialReason(nil, err))
		}
		var m struct {
			Type     string   `json:"type"`
			Code     string   `json:"code"`
			Channels []string `json:"channels"`
		}
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		switch m.Type {
		case "error":
			return errors.New("subscribe refused: " + m.Code)
		case "subscribed":
			if len(m.Channels) != len(channels) {
				return errors.New("subscribe: not every channel accepted")
			}
			return nil
		}
	}
	return errors.New("subscribe: no answer")
}

// framePool holds the buffers frames are read into: a frame is parsed as
// soon as it has arrived, so a few buffers serve every connection.
var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// read consumes the connection's frames until it closes (close ends it).
// It reads without a context that can be cancelled, since coder/websocket
// arms a context.AfterFunc per read for those (registered on one context
// shared by every reader, that cost more than the read), and into a
// pooled buffer instead of a new one per frame.
func (f *fleet) read(s *subscriber) {
	defer f.open.Add(-1)
	ctx := context.Background()
	for {
		_, r, err := s.ws.Reader(ctx)
		if err != nil {
			f.lose(err)
			return
		}
		if !f.record {
			if _, err := io.Copy(io.Discard, r); err != nil {
				f.lose(err)
				return
			}
			continue
		}
		bp := framePool.Get().(*[]byte)
		b, err := readFrame(r, (*bp)[:0])
		if err == nil {
			if id, ok := postCreatedID(b); ok {
				s.got = append(s.got, arrival{post: id, at: time.Since(f.start)})
				f.delivered.Add(1)
			}
		}
		if cap(b) <= 64<<10 {
			*bp = b[:0]
			framePool.Put(bp)
		}
		if err != nil {
			f.lose(err)
			return
		}
	}
}

// readFrame appends what r holds, up to its end, to b.
func readFrame(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// lose counts a connection that ended before the run did.
func (f *fleet) lose(err error) {
	if f.stopping.Load() {
		return // the run is over: closing is ours
	}
	reason := "closed: " + dialReason(nil, err)
	if code := websocket.CloseStatus(err); code != -1 {
		reason = "closed by server: " + strconv.Itoa(int(code))
	}
	f.mu.Lock()
	f.lost[reason]++
	f.mu.Unlock()
}

// close drops every connection (without a close handshake: the run is
// over) and waits for the readers, after which subs may be read.
func (f *fleet) close() {
	f.stopping.Store(true)
	f.mu.Lock()
	subs := f.subs
	f.mu.Unlock()
	for _, s := range subs {
		s.ws.CloseNow()
	}
	f.readers.Wait()
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
