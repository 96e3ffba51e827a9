package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/app"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/forum"

	"github.com/crn-dev/crn/internal/testenv"
)

func TestParseSources(t *testing.T) {
	got, err := parseSources("127.0.0.2-127.0.0.4, 127.0.1.9")
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, a := range got {
		s = append(s, a.String())
	}
	if want := "127.0.0.2 127.0.0.3 127.0.0.4 127.0.1.9"; strings.Join(s, " ") != want {
		t.Fatalf("got %v, want %s", s, want)
	}
	for _, bad := range []string{"", "10.0.0.1", "127.0.0.9-127.0.0.2", "127.0.0.1-128.0.0.1", "192.168.1.1-192.168.1.3", "::1", "nonsense"} {
		if _, err := parseSources(bad); err == nil {
			t.Errorf("parseSources(%q) accepted", bad)
		}
	}
}

func TestTrafficStaysOnLoopback(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "ws://127.0.0.2:1/api/v1/ws", "http://localhost:8080"} {
		if _, err := checkTarget(ok); err != nil {
			t.Errorf("checkTarget(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"http://10.0.0.1:8080", "http://example.com", "ws://[::1]:80/", "ftp://127.0.0.1/", "http://192.168.0.1"} {
		if _, err := checkTarget(bad); err == nil {
			t.Errorf("checkTarget(%q) accepted", bad)
		}
	}
	if err := guardLoopback("tcp4", "127.0.0.5:80", nil); err != nil {
		t.Errorf("guard refused loopback: %v", err)
	}
	for _, bad := range []string{"10.1.2.3:80", "[::1]:80", "8.8.8.8:53"} {
		if err := guardLoopback("tcp", bad, nil); err == nil {
			t.Errorf("guard let %s through", bad)
		}
	}
	// The guard holds whatever the URL said.
	d := newDialer(netipMust(t, "127.0.0.1"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if c, err := d.DialContext(ctx, "tcp", "10.255.255.1:9"); err == nil {
		c.Close()
		t.Fatal("dialed outside loopback")
	} else if !strings.Contains(err.Error(), "only talks to 127.0.0.0/8") {
		t.Fatalf("unexpected error: %v", err)
	}
}

func TestPostCreatedID(t *testing.T) {
	cases := []struct {
		frame string
		id    int64
		ok    bool
	}{
		{`{"type":"event","channel":"topic:42","id":1817,"event":"post.created","data":{"visibility":"public","actor_id":7,"forum_id":3,"topic_id":42,"post_id":990,"payload":{"post_number":12,"reply_to_post_id":981}}}`, 990, true},
		// reply_to_post_id first must not be taken for the post's id.
		{`{"event":"post.created","type":"event","data":{"payload":{"reply_to_post_id":5},"post_id":77}}`, 77, true},
		{`{"type":"event","channel":"topic:42","id":1818,"event":"post.edited","data":{"post_id":990}}`, 0, false},
		{`{"type":"subscribed","channels":["topic:42"]}`, 0, false},
		{`{"type":"presence","scope":"topic:42","user":{"id":1,"username":"post.created"},"joined":true}`, 0, false},
	}
	for _, c := range cases {
		id, ok := postCreatedID([]byte(c.frame))
		if id != c.id || ok != c.ok {
			t.Errorf("postCreatedID(%s) = %d, %v; want %d, %v", c.frame, id, ok, c.id, c.ok)
		}
	}
}

func TestSummarize(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	l := summarize(d)
	if l.n != 100 || l.p50 != 50*time.Millisecond || l.p90 != 90*time.Millisecond || l.p99 != 99*time.Millisecond || l.max != 100*time.Millisecond {
		t.Fatalf("summarize: %+v", l)
	}
	if summarize(nil).n != 0 {
		t.Fatal("empty input")
	}
}

func TestParseRSS(t *testing.T) {
	rss, err := parseRSS(strings.NewReader("Name:\tcrn\nVmPeak:\t  9999 kB\nVmRSS:\t   2048 kB\nThreads:\t9\n"))
	if err != nil || rss != 2048*1024 {
		t.Fatalf("parseRSS = %d, %v", rss, err)
	}
	if _, err := parseRSS(strings.NewReader("Name:\tcrn\n")); err == nil {
		t.Fatal("no VmRSS accepted")
	}
	if own, err := readRSS("self"); err != nil || own <= 0 {
		t.Fatalf("readRSS(self) = %d, %v", own, err)
	}
}

func TestParseCPU(t *testing.T) {
	// utime 250 and stime 50 ticks: 3 s.
	stat := "4242 (crn serve (x)) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0 100 0 0"
	if d, err := parseCPU(stat); err != nil || d != 3*time.Second {
		t.Fatalf("parseCPU = %v, %v", d, err)
	}
	if _, err := readCPU("self"); err != nil {
		t.Fatal(err)
	}
}

func TestSlope(t *testing.T) {
	if s := slope([][2]float64{{0, 10}, {1, 12}, {2, 14}}); s != 2 {
		t.Fatalf("slope = %v", s)
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "crn-load fanout") {
		t.Fatalf("help: %v\n%s", err, out.String())
	}
	var errw bytes.Buffer
	if err := run(context.Background(), []string{"idle", "-h"}, io.Discard, &errw); err == nil || !strings.Contains(errw.String(), "-server-pid") {
		t.Fatalf("idle -h: %v\n%s", err, errw.String())
	}
	if err := run(context.Background(), []string{"fanout", "-base", "http://10.0.0.1:80"}, io.Discard, io.Discard); err == nil {
		t.Fatal("a non-loopback base was accepted")
	}
}

// The three commands against a real crn with a small community: every
// subscriber gets every event, and the numbers add up.
func TestCommandsAgainstCrn(t *testing.T) {
	testenv.SkipIfShort(t, "starts a crn server")
	base := startCrn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pid := strconv.Itoa(os.Getpid()) // crn runs in this process

	out := runCmd(ctx, t, "fanout", "-base", base, "-subs", "30", "-events", "4", "-gap", "0s", "-settle", "100ms",
		"-password", testPassword, "-sources", "127.0.0.1-127.0.0.3", "-server-pid", pid)
	mustMatch(t, out, `deliveries 120 of 120 expected, missing 0, duplicates 0`)
	mustMatch(t, out, `events posted 4 of 4 \(POST errors: none; 0 not delivered`)
	mustMatch(t, out, `delivery latency: p50 [0-9.]+ ms`)

	out = runCmd(ctx, t, "idle", "-url", wsURL(base), "-conns", "25", "-hold", "1s", "-settle", "100ms",
		"-sources", "127.0.0.4-127.0.0.5", "-server-pid", pid)
	mustMatch(t, out, `requested 25, open at end of hold 25, failed to open 0 \(none\), lost while held 0`)
	// The figure itself depends on the process's memory (it can even shrink
	// when a GC runs); the report must be there.
	mustMatch(t, out, `server RSS .+ -> .+, (\S+ KiB|\?) per connection`)

	out = runCmd(ctx, t, "sustain", "-base", base, "-subs", "12", "-topics", "2", "-rate", "20", "-duration", "1500ms",
		"-sample", "500ms", "-settle", "100ms", "-post-workers", "4", "-password", testPassword, "-server-pid", pid)
	mustMatch(t, out, `posting as admin`)
	mustMatch(t, out, `deliveries (\d+) of (\d+) expected \(100\.00%\), duplicates 0`)
}

func runCmd(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	var out, errw bytes.Buffer
	if err := run(ctx, args, &out, &errw); err != nil {
		t.Fatalf("crn-load %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errw.String())
	}
	t.Logf("crn-load %s:\n%s", args[0], out.String())
	return out.String()
}

func mustMatch(t *testing.T, out, pattern string) {
	t.Helper()
	if !regexp.MustCompile(pattern).MatchString(out) {
		t.Fatalf("output does not match %q:\n%s", pattern, out)
	}
}

const testPassword = "correct horse battery"

// startCrn serves a crn with one public forum and topic, written by an
// admin whose password is testPassword, and returns its base URL.
func startCrn(t *testing.T) string {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.WSConnsPerIP = 1000
	ctx := context.Background()
	a, err := app.Build(ctx, cfg, slog.New(slog.DiscardHandler), app.Options{Migrate: true, Serve: true, Hash: account.HashParams{MemoryKiB: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	u, err := a.Accounts.CreateUser(ctx, account.NewUser{Username: "admin", Email: "admin@example.com", Password: testPassword, Role: account.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	actor, err := a.Forums.Actor(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	name, slug := "Load", "load"
	f, err := a.Forums.CreateForum(ctx, actor, forum.ForumInput{Name: &name, Slug: &slug})
	if err != nil {
		t.Fatal(err)
	}
	for _, title := range []string{"First load topic", "Second load topic"} {
		if _, _, err := a.Forums.CreateTopic(ctx, actor, f.ID, forum.TopicInput{Title: title, Body: "Replies come from crn-load."}); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.ServeListener(sctx, ln) }()
	t.Cleanup(func() { stop(); <-done })
	return "http://" + ln.Addr().String()
}

func netipMust(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
