package main

import (
	"bytes"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

func TestAcceptKey(t *testing.T) {
	// The example of RFC 6455, section 1.3.
	if got := acceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("acceptKey = %s", got)
	}
}

// serverFrame is a frame as crn sends it: final, not masked.
func serverFrame(op byte, payload []byte) []byte {
	f := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		f = append(f, byte(n))
	case n < 1<<16:
		f = append(f, 126, byte(n>>8), byte(n))
	default:
		f = append(f, 127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(f, payload...)
}

func event(post int) []byte {
	return []byte(`{"type":"event","channel":"topic:1","id":` + strconv.Itoa(post) + `,"event":"post.created","data":{"visibility":"public","topic_id":1,"post_id":` + strconv.Itoa(post) + `}}`)
}

// The readers get a connection's bytes in whatever pieces the kernel
// hands over: every post.created frame is counted once, with its id, pings
// are answered with a masked pong, and a close frame ends the connection
// with its code counted as the reason.
func TestConsumeFramesInPieces(t *testing.T) {
	var stream []byte
	stream = append(stream, serverFrame(opText, event(7))...)
	stream = append(stream, serverFrame(opPing, []byte("hi"))...)
	stream = append(stream, serverFrame(opText, []byte(`{"type":"event","event":"post.edited","data":{"post_id":3}}`))...)
	stream = append(stream, serverFrame(opText, bytes.Repeat([]byte(" "), 300))...) // 16-bit length
	stream = append(stream, serverFrame(opText, event(8))...)
	stream = append(stream, serverFrame(opClose, []byte{0x0f, 0xa8})...) // 4008
	for _, piece := range []int{1, 2, 3, 7, 64, len(stream)} {
		f := newFleet([]netip.Addr{netip.MustParseAddr("127.0.0.1")}, true, 4, 0)
		s := &subscriber{}
		f.open.Add(1)
		var sent [][]byte
		send := func(b []byte) error { sent = append(sent, b); return nil }
		var total int64
		ok := true
		for i := 0; i < len(stream) && ok; i += piece {
			var n int64
			n, ok = f.consume(s, stream[i:min(i+piece, len(stream))], time.Duration(i), send)
			total += n
		}
		if ok || !s.done {
			t.Fatalf("piece %d: the close frame did not end the connection", piece)
		}
		if total != 2 || len(s.got) != 2 || s.got[0].post != 7 || s.got[1].post != 8 {
			t.Fatalf("piece %d: recorded %d: %+v", piece, total, s.got)
		}
		if len(sent) != 1 || sent[0][0] != 0x80|opPong || sent[0][1] != 0x80|2 {
			t.Fatalf("piece %d: pong % x", piece, sent)
		}
		mask, body := sent[0][2:6], sent[0][6:]
		if string([]byte{body[0] ^ mask[0], body[1] ^ mask[1]}) != "hi" {
			t.Fatalf("piece %d: pong payload", piece)
		}
		if f.lost["closed by server: 4008"] != 1 || f.open.Load() != 0 {
			t.Fatalf("piece %d: lost %v, open %d", piece, f.lost, f.open.Load())
		}
		f.close()
	}
}

func TestParseFrameRefusesWhatCrnNeverSends(t *testing.T) {
	for name, b := range map[string][]byte{
		"masked":     {0x81, 0x81, 1, 2, 3, 4, 'x'},
		"fragmented": {0x01, 0x01, 'x'},
		"reserved":   {0xC1, 0x01, 'x'},
		"too large":  {0x81, 127, 0, 0, 0, 0, 0x10, 0, 0, 0},
	} {
		if _, _, _, err := parseFrame(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, _, n, err := parseFrame([]byte{0x81, 126, 1}); n != 0 || err != nil {
		t.Errorf("a partial header: n %d, err %v", n, err)
	}
}
