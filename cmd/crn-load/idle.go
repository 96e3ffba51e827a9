package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

const idleAbout = `Open -conns idle WebSockets (guests, each subscribed to one public topic),
at most -ramp handshakes a second, hold them for -hold, and report how many
stayed open, failures by reason, and, with -server-pid, the server's RSS
before and after: the difference divided by the open connections is the
server's memory per connection (this process's own memory is not in it).`

// idleConfig is the idle command's flags.
type idleConfig struct {
	url, sources, token, serverPID string
	conns, workers, topic          int
	perSec                         float64
	hold, settle, timeout, limit   time.Duration
}

func runIdle(ctx context.Context, args []string, out, errw io.Writer) error {
	var c idleConfig
	fs := newFlags("idle", idleAbout, errw)
	fs.StringVar(&c.url, "url", "ws://127.0.0.1:8080/api/v1/ws", "WebSocket endpoint (127.0.0.0/8 only)")
	fs.IntVar(&c.conns, "conns", 1000, "connections to open")
	fs.StringVar(&c.sources, "sources", "127.0.0.1", "source addresses to spread connections over, e.g. 127.0.0.2-127.0.0.60 (each gives ~28k ports)")
	fs.DurationVar(&c.hold, "hold", 60*time.Second, "how long to hold the connections once opened")
	fs.Float64Var(&c.perSec, "ramp", 1000, "handshakes per second at most")
	fs.IntVar(&c.workers, "workers", 64, "handshakes in flight at once")
	fs.IntVar(&c.topic, "topic", 0, "public topic id to subscribe to (0: the first open public topic)")
	fs.StringVar(&c.token, "token", "", "bearer token to connect with (default: connect as guests)")
	fs.StringVar(&c.serverPID, "server-pid", "", "crn's process id, to read its RSS from /proc")
	fs.DurationVar(&c.settle, "settle", 5*time.Second, "pause after the ramp before sampling memory")
	fs.DurationVar(&c.timeout, "timeout", 15*time.Second, "per handshake and subscription")
	fs.DurationVar(&c.limit, "ramp-deadline", 0, "give up opening after this long (0: three times conns/ramp, plus a minute)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.conns <= 0 || c.perSec <= 0 || c.hold < 0 {
		return errors.New("-conns and -ramp must be positive, -hold not negative")
	}
	u, err := checkTarget(c.url)
	if err != nil {
		return err
	}
	sources, err := parseSources(c.sources)
	if err != nil {
		return err
	}
	pids, err := pidList(c.serverPID)
	if err != nil {
		return err
	}
	if len(pids) > 1 {
		return errors.New("idle measures one server: give one -server-pid")
	}
	if c.limit <= 0 {
		c.limit = time.Duration(3*float64(c.conns)/c.perSec*float64(time.Second)) + time.Minute
	}
	base := httpBase(u)
	rest := newAPI(base, 2)
	// The whole run is bounded: ramp, settle, hold, and a minute to spare.
	ctx, cancel := context.WithTimeout(ctx, c.limit+c.settle+c.hold+time.Minute)
	defer cancel()

	if c.topic == 0 {
		ts, err := rest.publicTopics(ctx, 1)
		if err != nil {
			return err
		}
		c.topic = ts[0].id
	}
	channel := "topic:" + strconv.Itoa(c.topic)
	fmt.Fprintf(out, "crn-load idle: %d connections to %s, each subscribed to %s, from %d source address(es), at most %.0f/s\n",
		c.conns, c.url, channel, len(sources), c.perSec)
	reportOpenFiles(out, c.conns, pids)

	f := newFleet(sources, false, 0, 0)
	defer f.close()
	before := sampleRSS(pids, f.start)
	g0, h0 := serverGauges(ctx, rest.client, base)
	if len(pids) > 0 {
		fmt.Fprintf(out, "server RSS before: %s\n", before)
	} else {
		fmt.Fprintln(out, "no -server-pid: server memory is not measured")
	}

	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	took := f.ramp(ctx, readCtx, rampOptions{n: c.conns, perSec: c.perSec, workers: c.workers, timeout: c.timeout, deadline: c.limit, progress: out},
		func(int) target { return target{url: c.url, token: c.token, channels: []string{channel}} })
	f.mu.Lock()
	fmt.Fprintf(out, "ramp: %s, %d open, %d failed (%s)\n", took.Round(time.Millisecond), f.open.Load(), f.failedTotal(), f.failed)
	f.mu.Unlock()

	sleepCtx(ctx, c.settle)
	afterRamp := sampleRSS(pids, f.start)
	openAfterRamp := f.open.Load()
	if len(pids) > 0 {
		fmt.Fprintf(out, "server RSS after ramp: %s (+%s, %s per open connection)\n", afterRamp, mib(afterRamp.rss[0]-before.rss[0]), perConn(afterRamp.rss[0]-before.rss[0], openAfterRamp))
	}

	// Hold, sampling every 5 s; the readers answer the server's pings.
	holding := time.Now()
	holdDone := time.NewTimer(c.hold)
	defer holdDone.Stop()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
hold:
	for {
		select {
		case <-ctx.Done():
			break hold
		case <-holdDone.C:
			break hold
		case <-tick.C:
			s := sampleRSS(pids, f.start)
			f.mu.Lock()
			fmt.Fprintf(out, "  hold %5.0fs  open %d  lost %d (%s)  server RSS %s\n", time.Since(holding).Seconds(), f.open.Load(), sum(f.lost), f.lost, s)
			f.mu.Unlock()
		}
	}
	end := sampleRSS(pids, f.start)
	openAtEnd := f.open.Load()
	g1, h1 := serverGauges(ctx, rest.client, base)
	client, _ := readRSS("self")
	stopReading()
	f.close()

	fmt.Fprintln(out, "result:")
	f.mu.Lock()
	fmt.Fprintf(out, "  requested %d, open at end of hold %d, failed to open %d (%s), lost while held %d (%s)\n",
		c.conns, openAtEnd, f.failedTotal(), f.failed, sum(f.lost), f.lost)
	f.mu.Unlock()
	if len(pids) > 0 {
		d := end.rss[0] - before.rss[0]
		fmt.Fprintf(out, "  server RSS %s -> %s: +%s, %s per connection (after ramp: %s)\n",
			mib(before.rss[0]), mib(end.rss[0]), mib(d), perConn(d, openAtEnd), perConn(afterRamp.rss[0]-before.rss[0], openAfterRamp))
	}
	if g0 >= 0 && g1 >= 0 && openAtEnd > 0 {
		fmt.Fprintf(out, "  server goroutines %.0f -> %.0f (%.2f per connection), heap in use %s -> %s (%s per connection)\n",
			g0, g1, (g1-g0)/float64(openAtEnd), mib(int64(h0)), mib(int64(h1)), perConn(int64(h1-h0), openAtEnd))
	}
	fmt.Fprintf(out, "  crn-load's own RSS (not counted above): %s\n", mib(client))
	return nil
}

// perConn formats bytes per connection in KiB.
func perConn(bytes, conns int64) string {
	if conns <= 0 || bytes < 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f KiB", float64(bytes)/float64(conns)/1024)
}

func sum(c counts) int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// reportOpenFiles raises this process's open-file limit and says whether
// it suffices for conns connections, and whether the servers' limits (read
// from /proc/<pid>/limits, each node taking its share) do.
func reportOpenFiles(out io.Writer, conns int, pids []string) {
	limit, err := raiseOpenFiles()
	if err != nil {
		fmt.Fprintf(out, "open-file limit of crn-load: %d (could not raise it: %v)\n", limit, err)
	} else {
		fmt.Fprintf(out, "open-file limit of crn-load: %d\n", limit)
	}
	if limit > 0 && limit < uint64(conns)+256 {
		fmt.Fprintf(out, "WARNING: %d connections need more open files than crn-load's %d: run \"ulimit -n 1048576\" before crn-load\n", conns, limit)
	}
	if len(pids) == 0 {
		fmt.Fprintf(out, "reminder: the server needs %d+ open files too: start crn after \"ulimit -n 1048576\"\n", conns)
		return
	}
	share := conns/len(pids) + 1
	for _, pid := range pids {
		n, err := openFilesLimit(pid)
		switch {
		case err != nil:
			fmt.Fprintf(out, "open-file limit of server %s: unknown (%v)\n", pid, err)
		case n < uint64(share)+256:
			fmt.Fprintf(out, "WARNING: server %s may open only %d files, fewer than its ~%d connections need: start crn after \"ulimit -n 1048576\"\n", pid, n, share)
		default:
			fmt.Fprintf(out, "open-file limit of server %s: %d\n", pid, n)
		}
	}
}

// openFilesLimit reads the soft open-file limit of process pid.
func openFilesLimit(pid string) (uint64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/limits")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				if f[0] == "unlimited" {
					return math.MaxUint64, nil
				}
				return strconv.ParseUint(f[0], 10, 64)
			}
		}
	}
	return 0, errors.New("no \"Max open files\" line")
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
