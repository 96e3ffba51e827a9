package realtime_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/crn-dev/crn/internal/pubsub"
	"github.com/crn-dev/crn/internal/realtime"
)

// A client that stops reading while events keep coming has its socket fill
// up: frames are then written in part, queued behind the tail, and
// interleaved with the keep-alive pings. When it reads again it gets every
// event, in order and intact, and its connection stays open.
func TestPausedReaderGetsEveryFrameInOrder(t *testing.T) {
	r := newRig(t, realtime.Options{SendQueue: 4096, PingInterval: 40 * time.Millisecond, WriteTimeout: time.Minute})
	c := r.dialSmallBuffer(3)
	c.subscribe([]string{"topic:4"}, nil)
	const n = 2500
	blob := func(i int) string { return strings.Repeat(string(rune('a'+i%26)), 1000+i*337%6000) }
	for i := 1; i <= n; i++ {
		data, _ := json.Marshal(map[string]any{"visibility": "public", "seq": i, "blob": blob(i)})
		if err := r.broker.Publish(context.Background(), pubsub.Message{Channel: "topic:4", ID: int64(i), Event: "post.created", Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= n; i++ {
		f := c.expect("event")
		var d struct {
			Seq  int    `json:"seq"`
			Blob string `json:"blob"`
		}
		if err := json.Unmarshal(f.Data, &d); err != nil {
			t.Fatal(err)
		}
		if f.ID != int64(i) || d.Seq != i || d.Blob != blob(i) {
			t.Fatalf("event %d: got id %d, seq %d, %d bytes of blob", i, f.ID, d.Seq, len(d.Blob))
		}
	}
	// Still open: a ping frame of the client's own is answered.
	c.send(map[string]any{"type": "ping", "ref": "after"})
	if f := c.expect("pong"); f.Type != "pong" {
		t.Fatalf("got %+v", f)
	}
	if got := r.hub.ClosedTooSlow(); got != 0 {
		t.Fatalf("%d connections closed as too slow", got)
	}
}

// dialSmallBuffer is dial with a 16 KiB receive buffer on the client's socket.
func (r *rig) dialSmallBuffer(user int) *client {
	r.t.Helper()
	d := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10) })
	}}
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(r.srv.URL, "http") + "/?user=" + strconv.Itoa(user)
	ws, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		r.t.Fatal(err)
	}
	ws.SetReadLimit(1 << 20)
	r.t.Cleanup(func() { ws.CloseNow() })
	return &client{t: r.t, ws: ws}
}
