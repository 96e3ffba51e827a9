package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

const fanoutAbout = `Open -subs subscribers to topic:{id}, then post -events replies to the
topic through the REST API, one at a time, and measure for every (event,
subscriber) pair the delay from just before the POST was sent to the
arrival of the post.created frame with that post's id. With -nodes, the
subscribers are spread over several crn nodes sharing one Redis and one
database, and the posts go to the first node.`

// fanoutConfig is the fanout command's flags.
type fanoutConfig struct {
	base, nodes, sources, token, user, password, serverPID, pprof, pprofOut string
	publishRedis, redisPrefix                                               string
	subs, events, workers, topic                                            int
	perSec                                                                  float64
	gap, eventTimeout, settle, timeout, limit, pprofFor, readPause          time.Duration
}

func runFanout(ctx context.Context, args []string, out, errw io.Writer) error {
	var c fanoutConfig
	fs := newFlags("fanout", fanoutAbout, errw)
	fs.StringVar(&c.base, "base", "http://127.0.0.1:8080", "crn's base URL (127.0.0.0/8 only)")
	fs.StringVar(&c.nodes, "nodes", "", "comma-separated base URLs of several crn nodes: subscribers round-robin over them, posts go to the first (overrides -base)")
	fs.IntVar(&c.subs, "subs", 1000, "subscribers")
	fs.IntVar(&c.topic, "topic", 0, "topic id (0: the first open public topic)")
	fs.StringVar(&c.token, "token", "", "bearer token of a user who may post in the topic (default: sign in as -user)")
	fs.StringVar(&c.user, "user", "admin", "user to sign in as when -token is not given")
	fs.StringVar(&c.password, "password", demoPassword, "password of -user")
	fs.IntVar(&c.events, "events", 50, "posts to make, one at a time")
	fs.DurationVar(&c.gap, "gap", 200*time.Millisecond, "pause between one event's deliveries and the next post")
	fs.DurationVar(&c.eventTimeout, "event-timeout", 5*time.Second, "how long to wait for an event to reach every subscriber")
	addRampFlags(fs, &c.sources, &c.perSec, &c.workers, &c.timeout, &c.limit)
	addReadPauseFlag(fs, &c.readPause)
	fs.DurationVar(&c.settle, "settle", 2*time.Second, "pause between the last subscription and the first post")
	fs.StringVar(&c.serverPID, "server-pid", "", "crn's process id(s), one per node, to read RSS from /proc")
	addProfileFlags(fs, &c.pprof, &c.pprofOut, &c.pprofFor)
	addDirectFlags(fs, &c.publishRedis, &c.redisPrefix)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.subs <= 0 || c.events <= 0 || c.perSec <= 0 {
		return errors.New("-subs, -events and -ramp must be positive")
	}
	nodes := stringList(c.nodes)
	if len(nodes) == 0 {
		nodes = []string{c.base}
	}
	for _, n := range nodes {
		if _, err := checkTarget(n); err != nil {
			return err
		}
	}
	sources, err := parseSources(c.sources)
	if err != nil {
		return err
	}
	pids, err := pidList(c.serverPID)
	if err != nil {
		return err
	}
	if c.limit <= 0 {
		c.limit = time.Duration(3*float64(c.subs)/c.perSec*float64(time.Second)) + time.Minute
	}
	perEvent := c.eventTimeout + c.gap + 30*time.Second // the POST's own timeout
	ctx, cancel := context.WithTimeout(ctx, c.limit+c.settle+time.Duration(c.events)*perEvent+time.Minute)
	defer cancel()

	rest := newAPI(nodes[0], 4)
	if c.topic == 0 {
		ts, err := rest.publicTopics(ctx, 1)
		if err != nil {
			return err
		}
		c.topic = ts[0].id
	}
	channel := "topic:" + strconv.Itoa(c.topic)
	var source eventSource
	if c.publishRedis != "" {
		d, err := newDirectPublisher(ctx, c.publishRedis, c.redisPrefix)
		if err != nil {
			return err
		}
		defer d.Close()
		source = d.publish
		fmt.Fprintf(out, "crn-load fanout: %d subscribers to %s on %s; %d events published straight into the Redis broker (no REST, no outbox)\n",
			c.subs, channel, strings.Join(nodes, ", "), c.events)
	} else {
		if c.token == "" {
			if c.token, err = rest.login(ctx, c.user, c.password); err != nil {
				return err
			}
		}
		source = func(ctx context.Context, _, topic int) (int64, error) {
			id, err := rest.createPost(ctx, c.token, topic, "crn-load fanout event")
			return int64(id), err
		}
		fmt.Fprintf(out, "crn-load fanout: %d subscribers to %s on %s; %d events posted to %s\n",
			c.subs, channel, strings.Join(nodes, ", "), c.events, nodes[0])
	}
	reportOpenFiles(out, c.subs, pids)

	f := newFleet(sources, true, c.events, c.readPause)
	defer f.close()
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	took := f.ramp(ctx, readCtx, rampOptions{n: c.subs, perSec: c.perSec, workers: c.workers, timeout: c.timeout, deadline: c.limit, progress: out},
		func(i int) target { return target{url: wsURL(nodes[i%len(nodes)]), channels: []string{channel}} })
	f.mu.Lock()
	subscribed := len(f.subs)
	fmt.Fprintf(out, "subscribed: %d of %d in %s, failed: %s\n", subscribed, c.subs, took.Round(time.Millisecond), f.failed)
	f.mu.Unlock()
	if subscribed == 0 {
		return errors.New("no subscriber connected")
	}
	sleepCtx(ctx, c.settle)
	before := sampleRSS(pids, f.start)
	stopProfile := startProfile(ctx, rest.client, c.pprof, c.pprofFor, c.pprofOut, out)
	cpu, eventsStart := startCPU(pids), time.Now()

	type sent struct {
		post int64
		t0   time.Duration // just before the POST was sent, since f.start
		rtt  time.Duration // the POST's round trip
	}
	var posted []sent
	postErrs := counts{}
	timedOut := 0
	for range c.events {
		if ctx.Err() != nil {
			break
		}
		want := f.delivered.Load() + f.open.Load()
		t0 := time.Since(f.start)
		id, err := source(ctx, 0, c.topic)
		rtt := time.Since(f.start) - t0
		if err != nil {
			postErrs[dialReason(nil, err)]++
			continue
		}
		s := sent{post: id, t0: t0, rtt: rtt}
		if !waitFor(ctx, c.eventTimeout, func() bool { return f.delivered.Load() >= want }) {
			timedOut++
		}
		posted = append(posted, s)
		sleepCtx(ctx, c.gap)
	}
	after := sampleRSS(pids, f.start)
	eventsTook := time.Since(eventsStart)
	delivered := f.delivered.Load()
	cpuUse := cpu.report(delivered, eventsTook)
	stopProfile()
	stopReading()
	f.close()

	// Latency of every (event, subscriber) pair.
	index := make(map[int64]int, len(posted))
	for i, s := range posted {
		index[s.post] = i
	}
	perEventLat := make([][]time.Duration, len(posted))
	var all []time.Duration
	dups := 0
	seen := make([]bool, len(posted))
	for _, sub := range f.subs {
		clear(seen)
		for _, a := range sub.got {
			i, ok := index[a.post]
			if !ok {
				continue // someone else's post
			}
			if seen[i] {
				dups++
				continue
			}
			seen[i] = true
			d := a.at - posted[i].t0
			perEventLat[i] = append(perEventLat[i], d)
			all = append(all, d)
		}
	}
	rtts := make([]time.Duration, len(posted))
	fmt.Fprintln(out, "per event (latency from just before the POST to the frame's arrival):")
	for i, s := range posted {
		rtts[i] = s.rtt
		l := summarize(perEventLat[i])
		fmt.Fprintf(out, "  %3d post %-7d POST %-9s delivered %d/%d  p50 %-9s p99 %-9s max %s\n",
			i+1, s.post, ms(s.rtt), l.n, subscribed, ms(l.p50), ms(l.p99), ms(l.max))
	}
	expected := len(posted) * subscribed
	fmt.Fprintln(out, "result:")
	fmt.Fprintf(out, "  events posted %d of %d (POST errors: %s; %d not delivered to all within %s), subscribers %d on %d node(s)\n",
		len(posted), c.events, postErrs, timedOut, c.eventTimeout, subscribed, len(nodes))
	fmt.Fprintf(out, "  deliveries %d of %d expected, missing %d, duplicates %d; connections lost: %s\n", len(all), expected, expected-len(all), dups, f.lost)
	fmt.Fprintf(out, "  delivery latency: %s\n", summarize(all))
	fmt.Fprintf(out, "  POST round trip: %s\n", summarize(rtts))
	fmt.Fprintf(out, "  CPU while events flowed: %s\n", cpuUse)
	if len(pids) > 0 {
		fmt.Fprintf(out, "  server RSS before events %s, after %s\n", before, after)
	}
	return nil
}

// addRampFlags declares the flags that shape how connections are opened.
func addRampFlags(fs *flag.FlagSet, sources *string, perSec *float64, workers *int, timeout, limit *time.Duration) {
	fs.StringVar(sources, "sources", "127.0.0.1", "source addresses to spread connections over, e.g. 127.0.0.2-127.0.0.60")
	fs.Float64Var(perSec, "ramp", 1000, "handshakes per second at most")
	fs.IntVar(workers, "workers", 64, "handshakes in flight at once")
	fs.DurationVar(timeout, "timeout", 15*time.Second, "per handshake and subscription")
	fs.DurationVar(limit, "ramp-deadline", 0, "give up opening after this long (0: three times subs/ramp, plus a minute)")
}

// addReadPauseFlag declares the flag that batches the readers' wake-ups.
func addReadPauseFlag(fs *flag.FlagSet, pause *time.Duration) {
	fs.DurationVar(pause, "read-pause", 250*time.Microsecond, "after a pass over the sockets that were ready, readers pause this long before waiting again, to read a fan-out's frames in batches (a frame's arrival is taken when it is read: at most this much late); 0 reads every frame as soon as it is woken for it")
}

// waitFor polls done every millisecond for at most d.
func waitFor(ctx context.Context, d time.Duration, done func() bool) bool {
	deadline := time.Now().Add(d)
	for !done() {
		if ctx.Err() != nil || time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}
