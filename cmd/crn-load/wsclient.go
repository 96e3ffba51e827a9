package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// crn-load speaks the client side of WebSocket (RFC 6455) itself rather
// than through coder/websocket: once subscribed, a connection is read by a
// few workers that wait on all sockets at once (see reader_linux.go), not
// by a goroutine each, and a frame costs one read(2) and a scan of its
// bytes. This file holds the handshake, the frame format and the
// subscription, done on the connection before the workers take it over.

const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA

	// maxFrame bounds a frame from the server; crn's are far smaller.
	maxFrame = 1 << 20
)

var errHandshake = errors.New("websocket handshake")

// wsConn is an open, not yet subscribed WebSocket: the socket and the bytes
// read past the handshake.
type wsConn struct {
	conn net.Conn
	buf  []byte // received, not yet parsed
}

// dialWS opens a WebSocket to rawURL (ws:// only: crn-load talks to
// loopback) through d, sending token as a bearer token when set. On a
// refused upgrade it returns the server's response for dialReason.
func dialWS(ctx context.Context, d *net.Dialer, rawURL, token string) (*wsConn, *http.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, err
	}
	if u.Scheme != "ws" && u.Scheme != "http" {
		return nil, nil, fmt.Errorf("%s: crn-load dials ws:// only", rawURL)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, nil, err
	}
	ok := false
	defer func() {
		if !ok {
			conn.Close()
		}
	}()
	if dl, has := ctx.Deadline(); has {
		_ = conn.SetDeadline(dl)
	}
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	var req strings.Builder
	req.WriteString("GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n")
	if token != "" {
		req.WriteString("Authorization: Bearer " + token + "\r\n")
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(conn, req.String()); err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(conn, 4096)
	res, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet, URL: u})
	if err != nil {
		return nil, nil, err
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		res.Body.Close()
		return nil, res, fmt.Errorf("%w: http %d", errHandshake, res.StatusCode)
	}
	if got, want := res.Header.Get("Sec-WebSocket-Accept"), acceptKey(key); got != want {
		return nil, res, fmt.Errorf("%w: Sec-WebSocket-Accept %q, want %q", errHandshake, got, want)
	}
	if ext := res.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		return nil, res, fmt.Errorf("%w: unrequested extension %q", errHandshake, ext)
	}
	// What the server sent after its response is the start of the stream.
	rest, _ := br.Peek(br.Buffered())
	_ = conn.SetDeadline(time.Time{})
	ok = true
	return &wsConn{conn: conn, buf: append([]byte(nil), rest...)}, res, nil
}

func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// clientFrame returns payload as one masked, final frame of opcode op, as
// a client must send it.
func clientFrame(op byte, payload []byte) []byte {
	n := len(payload)
	f := make([]byte, 0, 14+n)
	f = append(f, 0x80|op)
	switch {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n < 1<<16:
		f = append(f, 0x80|126, byte(n>>8), byte(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	f = append(f, mask[:]...)
	for i, b := range payload {
		f = append(f, b^mask[i&3])
	}
	return f
}

// parseFrame reads the frame at the start of b: its opcode, its payload
// (pointing into b), and its length in all; n is 0 when b does not hold a
// whole frame yet. A frame crn never sends (masked, fragmented, with
// reserved bits, or too large) is an error.
func parseFrame(b []byte) (op byte, payload []byte, n int, err error) {
	if len(b) < 2 {
		return 0, nil, 0, nil
	}
	b0, b1 := b[0], b[1]
	if b0&0x70 != 0 || b1&0x80 != 0 {
		return 0, nil, 0, errors.New("protocol error: reserved bits or a masked frame from the server")
	}
	op = b0 & 0x0f
	if b0&0x80 == 0 || op == opContinuation {
		return 0, nil, 0, errors.New("protocol error: fragmented message (crn sends whole frames)")
	}
	size, head := uint64(b1&0x7f), 2
	switch size {
	case 126:
		if len(b) < 4 {
			return 0, nil, 0, nil
		}
		size, head = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return 0, nil, 0, nil
		}
		size, head = binary.BigEndian.Uint64(b[2:]), 10
	}
	if size > maxFrame {
		return 0, nil, 0, fmt.Errorf("protocol error: a frame of %d bytes", size)
	}
	end := head + int(size)
	if len(b) < end {
		return 0, nil, 0, nil
	}
	return op, b[head:end], end, nil
}

// closeCode returns the status code of a close frame's payload (1005,
// "no status", when it has none).
func closeCode(payload []byte) int {
	if len(payload) < 2 {
		return 1005
	}
	return int(binary.BigEndian.Uint16(payload))
}

// next reads the next data frame, answering pings, blocking on the socket
// until ctx's deadline; for the subscription only.
func (w *wsConn) next(ctx context.Context) (op byte, payload []byte, err error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = w.conn.SetReadDeadline(dl)
		defer w.conn.SetReadDeadline(time.Time{})
	}
	for {
		op, p, n, err := parseFrame(w.buf)
		if err != nil {
			return 0, nil, err
		}
		if n > 0 {
			payload = append([]byte(nil), p...)
			w.buf = w.buf[:copy(w.buf, w.buf[n:])]
			switch op {
			case opPing:
				if _, err := w.conn.Write(clientFrame(opPong, payload)); err != nil {
					return 0, nil, err
				}
				continue
			case opClose:
				return 0, nil, fmt.Errorf("closed by server: %d", closeCode(payload))
			case opPong:
				continue
			}
			return op, payload, nil
		}
		if len(w.buf) == cap(w.buf) {
			w.buf = append(w.buf, make([]byte, 4096)...)[:len(w.buf)]
		}
		m, err := w.conn.Read(w.buf[len(w.buf):cap(w.buf)])
		w.buf = w.buf[:len(w.buf)+m]
		if err != nil {
			return 0, nil, err
		}
	}
}

// subscribe sends a subscribe frame and waits for its answer.
func (w *wsConn) subscribe(ctx context.Context, channels []string) error {
	if len(channels) == 0 {
		return nil
	}
	frame, _ := json.Marshal(map[string]any{"type": "subscribe", "ref": "s", "channels": channels})
	if dl, ok := ctx.Deadline(); ok {
		_ = w.conn.SetWriteDeadline(dl)
	}
	_, err := w.conn.Write(clientFrame(opText, frame))
	_ = w.conn.SetWriteDeadline(time.Time{})
	if err != nil {
		return errors.New("subscribe: " + dialReason(nil, err))
	}
	for range 10 { // the answer comes first; allow a few unrelated frames
		op, b, err := w.next(ctx)
		if err != nil {
			return errors.New("subscribe: " + dialReason(nil, err))
		}
		if op != opText {
			continue
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
