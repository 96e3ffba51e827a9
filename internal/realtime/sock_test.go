package realtime

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
)

// tcpPair returns both ends of a loopback TCP connection whose buffers are
// small, so that writes fill them quickly.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	small := func(c net.Conn, opt int) {
		raw, err := c.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		_ = raw.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, opt, 16384) })
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	small(server, syscall.SO_SNDBUF)
	small(client, syscall.SO_RCVBUF)
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// A frame the kernel takes only in part is finished before anything else
// is written to the socket, by crn's writer or by the library, and no data
// frame follows a close frame.
func TestSockFinishesPartialFramesFirst(t *testing.T) {
	server, client := tcpPair(t)
	s := newSock(server)
	var closing atomic.Bool
	var sent [][]byte
	var got []byte // what the client read while the test made room
	partly := false
	for i := 0; i < 10000 && !partly; i++ {
		f := textFrame(bytes.Repeat([]byte{'a' + byte(i%26)}, 1000+i*337%3000))
		switch s.tryWrite(f, &closing) {
		case tryWritten:
			sent = append(sent, f)
		case tryPartly:
			sent = append(sent, f)
			partly = true
		case tryNotWritten: // full, at a frame's end: make some room
			b := make([]byte, 1500)
			n, err := client.Read(b)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, b[:n]...)
		}
	}
	if !partly {
		t.Fatal("the socket never took a frame in part")
	}
	if got := s.tryWrite(textFrame([]byte("x")), &closing); got != tryNotWritten {
		t.Fatalf("tryWrite with a tail pending: %v", got)
	}
	// The library's close frame, and a data frame after it, from other
	// goroutines: they wait for room, which the reader below makes.
	done := make(chan error, 2)
	go func() {
		_, err := s.Write([]byte{0x88, 0x02, 0x03, 0xe8}) // close, 1000
		done <- err
		done <- s.writeFrame(textFrame([]byte("late")), &closing)
	}()
	rest, err := io.ReadAll(io.LimitReader(client, int64(totalLen(sent)+4-len(got))))
	if err != nil {
		t.Fatal(err)
	}
	all := append(got, rest...)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != errCloseSent {
		t.Fatalf("data frame after the close frame: %v", err)
	}
	for i, want := range sent {
		if !bytes.HasPrefix(all, want) {
			t.Fatalf("frame %d of %d garbled", i, len(sent))
		}
		all = all[len(want):]
	}
	if !bytes.Equal(all, []byte{0x88, 0x02, 0x03, 0xe8}) {
		t.Fatalf("after the frames: % x, want the close frame", all)
	}
}

func totalLen(fs [][]byte) int {
	n := 0
	for _, f := range fs {
		n += len(f)
	}
	return n
}

func TestTextFrameHeader(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536} {
		f := textFrame(make([]byte, n))
		var size, head int
		switch {
		case f[1] < 126:
			size, head = int(f[1]), 2
		case f[1] == 126:
			size, head = int(binary.BigEndian.Uint16(f[2:])), 4
		default:
			size, head = int(binary.BigEndian.Uint64(f[2:])), 10
		}
		if f[0] != 0x81 || size != n || len(f) != head+n {
			t.Errorf("%s", fmt.Sprintf("payload %d: header % x, %d bytes in all", n, f[:head], len(f)))
		}
	}
}
