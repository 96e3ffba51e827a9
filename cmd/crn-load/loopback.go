package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// loopback is the only range crn-load sends traffic to or from.
var loopback = netip.MustParsePrefix("127.0.0.0/8")

// maxSources bounds a source range; a /16 of loopback addresses is more
// than any run needs.
const maxSources = 1 << 16

// parseSources reads the -sources flag: "127.0.0.2-127.0.0.60", a comma
// list of addresses, or both ("127.0.0.2-127.0.0.9,127.0.0.20"). Each
// address gives the client its own ~28,000 ephemeral ports towards the
// server, which is what lets one machine open more connections than that.
func parseSources(s string) ([]netip.Addr, error) {
	var out []netip.Addr
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := loopbackAddr(lo)
		if err != nil {
			return nil, err
		}
		last := first
		if isRange {
			if last, err = loopbackAddr(hi); err != nil {
				return nil, err
			}
			if last.Less(first) {
				return nil, fmt.Errorf("source range %q ends before it starts", part)
			}
		}
		for a := first; ; a = a.Next() {
			if len(out) == maxSources {
				return nil, fmt.Errorf("more than %d source addresses", maxSources)
			}
			out = append(out, a)
			if a == last {
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no source address")
	}
	return out, nil
}

func loopbackAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("source %q: %w", s, err)
	}
	if !loopback.Contains(a) {
		return netip.Addr{}, fmt.Errorf("source %s is not in %s", a, loopback)
	}
	return a, nil
}

// checkTarget refuses a URL whose host is not an address in 127.0.0.0/8 or
// "localhost" (which the dial guard then holds to 127.0.0.0/8 as well).
func checkTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("url %q: %w", raw, err)
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return nil, fmt.Errorf("url %q: want http(s):// or ws(s)://", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return u, nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !loopback.Contains(a.Unmap()) {
		return nil, fmt.Errorf("url %q: crn-load only talks to 127.0.0.0/8", raw)
	}
	return u, nil
}

// guardLoopback is a net.Dialer Control function: it runs after name
// resolution, just before connect, and refuses any remote address outside
// 127.0.0.0/8, whatever a URL or a redirect said.
func guardLoopback(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	if !loopback.Contains(ap.Addr().Unmap()) {
		return fmt.Errorf("dial %s %s: refused, crn-load only talks to 127.0.0.0/8", network, address)
	}
	return nil
}

// newDialer returns a dialer bound to source (when valid) and held to the
// loopback range.
func newDialer(source netip.Addr) *net.Dialer {
	d := &net.Dialer{Control: guardLoopback}
	if source.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: source.AsSlice()}
	}
	return d
}

// wsURL turns an http(s) base into the WebSocket endpoint's URL.
func wsURL(base string) string {
	base = strings.TrimRight(base, "/")
	switch {
	case strings.HasPrefix(base, "https://"):
		base = "wss://" + strings.TrimPrefix(base, "https://")
	case strings.HasPrefix(base, "http://"):
		base = "ws://" + strings.TrimPrefix(base, "http://")
	}
	return base + "/api/v1/ws"
}

// httpBase turns the WebSocket endpoint's URL back into the server's base.
func httpBase(ws *url.URL) string {
	scheme := "http"
	if ws.Scheme == "wss" || ws.Scheme == "https" {
		scheme = "https"
	}
	return scheme + "://" + ws.Host
}
