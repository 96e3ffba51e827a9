package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

const sustainAbout = `Open -subs subscribers spread over -topics public topics, then post
replies through the REST API at -rate a second for -duration, across those
topics and as several users, sampling the server's RSS every -sample.
Reports the post rate reached (the REST write path may not reach -rate on
this machine: then it says so), deliveries against expected, delivery
latency, and whether the server's memory grew.`

// sustainConfig is the sustain command's flags.
type sustainConfig struct {
	base, sources, topicList, tokenList, password, serverPID, pprof, pprofOut string
	publishRedis, redisPrefix                                                 string
	subs, topics, posters, postWorkers, workers                               int
	perSec, rate                                                              float64
	allTopics                                                                 bool
	duration, sample, drain, settle, timeout, limit, pprofFor, readPause      time.Duration
}

// published is one post made during the run.
type published struct {
	post  int64
	topic int           // index into the run's topics
	t0    time.Duration // just before the POST was sent, since the fleet started
}

func runSustain(ctx context.Context, args []string, out, errw io.Writer) error {
	var c sustainConfig
	fs := newFlags("sustain", sustainAbout, errw)
	fs.StringVar(&c.base, "base", "http://127.0.0.1:8080", "crn's base URL (127.0.0.0/8 only)")
	fs.IntVar(&c.subs, "subs", 1000, "subscribers")
	fs.Float64Var(&c.rate, "rate", 1000, "posts (events) per second to aim for")
	fs.DurationVar(&c.duration, "duration", 60*time.Second, "how long to post")
	fs.IntVar(&c.topics, "topics", 10, "public topics to post in; subscriber i subscribes to topic i mod topics")
	fs.BoolVar(&c.allTopics, "all-topics", false, "subscribe every subscriber to every topic (each then receives the whole rate)")
	fs.StringVar(&c.topicList, "topic", "", "comma-separated topic ids (default: the first -topics open public topics)")
	fs.StringVar(&c.tokenList, "token", "", "comma-separated bearer tokens to post with (default: sign in as admin and the topics' authors)")
	fs.IntVar(&c.posters, "posters", 8, "users to sign in as when -token is not given")
	fs.StringVar(&c.password, "password", demoPassword, "password of the users signed in as")
	fs.IntVar(&c.postWorkers, "post-workers", 64, "POSTs in flight at once")
	fs.DurationVar(&c.sample, "sample", 5*time.Second, "how often to sample memory and progress")
	fs.DurationVar(&c.drain, "drain", 15*time.Second, "how long to wait for the last deliveries after posting stops")
	fs.DurationVar(&c.settle, "settle", 2*time.Second, "pause between the last subscription and the first post")
	fs.StringVar(&c.serverPID, "server-pid", "", "crn's process id, to read its RSS from /proc")
	addRampFlags(fs, &c.sources, &c.perSec, &c.workers, &c.timeout, &c.limit)
	addReadPauseFlag(fs, &c.readPause)
	addProfileFlags(fs, &c.pprof, &c.pprofOut, &c.pprofFor)
	addDirectFlags(fs, &c.publishRedis, &c.redisPrefix)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.subs <= 0 || c.rate <= 0 || c.duration <= 0 || c.topics <= 0 || c.postWorkers <= 0 || c.sample <= 0 || c.perSec <= 0 {
		return errors.New("-subs, -rate, -duration, -topics, -post-workers, -sample and -ramp must be positive")
	}
	if _, err := checkTarget(c.base); err != nil {
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
	if c.limit <= 0 {
		c.limit = time.Duration(3*float64(c.subs)/c.perSec*float64(time.Second)) + time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute+c.limit+c.settle+c.duration+c.drain+time.Minute)
	defer cancel()

	rest := newAPI(c.base, c.postWorkers)
	var topics []int
	var tokens []string
	var source eventSource
	if c.publishRedis != "" {
		d, err := newDirectPublisher(ctx, c.publishRedis, c.redisPrefix)
		if err != nil {
			return err
		}
		defer d.Close()
		source = d.publish
		if topics, err = sustainTopics(ctx, rest, c); err != nil {
			return err
		}
		tokens = []string{"(events published straight into the Redis broker: no REST, no outbox)"}
		fmt.Fprintln(out, "events are published straight into the Redis broker at", c.publishRedis, "(no REST, no outbox)")
	} else {
		if topics, tokens, err = sustainActors(ctx, rest, c, out); err != nil {
			return err
		}
		source = func(ctx context.Context, n, topic int) (int64, error) {
			id, err := rest.createPost(ctx, tokens[n%len(tokens)], topic, "crn-load sustain event "+strconv.Itoa(n))
			return int64(id), err
		}
	}
	k := len(topics)
	fmt.Fprintf(out, "crn-load sustain: %d subscribers over %d topic(s) %v, %.0f posts/s for %s as %d user(s), to %s\n",
		c.subs, k, topics, c.rate, c.duration, len(tokens), c.base)
	reportOpenFiles(out, c.subs, pids)

	maxPosts := int(c.rate * c.duration.Seconds())
	perSub := maxPosts / k
	if c.allTopics {
		perSub = maxPosts
	}
	f := newFleet(sources, true, min(perSub+perSub/8, 1<<16), c.readPause)
	defer f.close()
	subsOn := make([]int, k)
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	took := f.ramp(ctx, readCtx, rampOptions{n: c.subs, perSec: c.perSec, workers: c.workers, timeout: c.timeout, deadline: c.limit, progress: out},
		func(i int) target {
			if c.allTopics {
				chans := make([]string, k)
				for j, t := range topics {
					chans[j] = "topic:" + strconv.Itoa(t)
				}
				return target{url: wsURL(c.base), channels: chans}
			}
			return target{url: wsURL(c.base), channels: []string{"topic:" + strconv.Itoa(topics[i%k])}}
		})
	f.mu.Lock()
	subscribed := len(f.subs)
	fmt.Fprintf(out, "subscribed: %d of %d in %s, failed: %s\n", subscribed, c.subs, took.Round(time.Millisecond), f.failed)
	f.mu.Unlock()
	if subscribed == 0 {
		return errors.New("no subscriber connected")
	}
	for _, s := range f.subs {
		if c.allTopics {
			for j := range subsOn {
				subsOn[j]++
			}
			continue
		}
		subsOn[s.index%k]++
	}
	sleepCtx(ctx, c.settle)

	// Post at the target rate for the duration, bounded by count and time.
	var posted atomic.Int64
	var seq atomic.Int64
	lim := rate.NewLimiter(rate.Limit(c.rate), max(1, int(c.rate/20)))
	pctx, stopPosting := context.WithTimeout(ctx, c.duration)
	defer stopPosting()
	logs := make([][]published, c.postWorkers)
	errs := make([]counts, c.postWorkers)
	var wg sync.WaitGroup
	postStart := time.Now()
	cpu := startCPU(pids)
	stopProfile := startProfile(ctx, rest.client, c.pprof, c.pprofFor, c.pprofOut, out)
	for w := range c.postWorkers {
		errs[w] = counts{}
		wg.Go(func() {
			for {
				if lim.Wait(pctx) != nil {
					return
				}
				n := int(seq.Add(1) - 1)
				if n >= maxPosts {
					return
				}
				ti := n % k
				t0 := time.Since(f.start)
				// A POST in flight when the duration ends is let finish, so
				// that every post made is known and counted.
				id, err := source(ctx, n, topics[ti])
				if err != nil {
					errs[w][dialReason(nil, err)]++
					continue
				}
				logs[w] = append(logs[w], published{post: id, topic: ti, t0: t0})
				posted.Add(1)
			}
		})
	}
	postingDone := make(chan struct{})
	go func() { wg.Wait(); close(postingDone) }()

	// Sample until posting ends, then while the last deliveries drain.
	var samples []rssSample
	var heaps []float64
	tick := time.NewTicker(c.sample)
	defer tick.Stop()
	var postedIn time.Duration
	fmt.Fprintf(out, "  %6s  %9s  %7s  %11s  %s\n", "t", "posted", "per s", "delivered", "server RSS")
	take := func() {
		s := sampleRSS(pids, postStart)
		_, heap := serverGauges(ctx, rest.client, c.base)
		samples, heaps = append(samples, s), append(heaps, heap)
		p := posted.Load()
		fmt.Fprintf(out, "  %5.1fs  %9d  %7.0f  %11d  %s  heap %s\n", s.at.Seconds(), p, float64(p)/max(s.at.Seconds(), 1), f.delivered.Load(), s, mib(int64(heap)))
	}
	take()
sampling:
	for {
		select {
		case <-ctx.Done():
			break sampling
		case <-postingDone:
			postedIn = time.Since(postStart)
			break sampling
		case <-tick.C:
			take()
		}
	}
	stopProfile()
	var all []published
	postErrs := counts{}
	for w := range logs {
		all = append(all, logs[w]...)
		for k, v := range errs[w] {
			postErrs[k] += v
		}
	}
	var expected int64
	for _, p := range all {
		expected += int64(subsOn[p.topic])
	}
	waitFor(ctx, c.drain, func() bool { return f.delivered.Load() >= expected })
	cpuUse := cpu.report(f.delivered.Load(), time.Since(postStart))
	take()
	stopReading()
	f.close()

	index := make(map[int64]int, len(all))
	for i, p := range all {
		index[p.post] = i
	}
	var lat []time.Duration
	dups := 0
	seen := make(map[int64]struct{})
	for _, s := range f.subs {
		clear(seen)
		for _, a := range s.got {
			i, ok := index[a.post]
			if !ok {
				continue
			}
			if _, dup := seen[a.post]; dup {
				dups++
				continue
			}
			seen[a.post] = struct{}{}
			lat = append(lat, a.at-all[i].t0)
		}
	}
	reached := float64(len(all)) / postedIn.Seconds()
	fmt.Fprintln(out, "result:")
	fmt.Fprintf(out, "  posts: %d in %s = %.0f/s (target %.0f/s)", len(all), postedIn.Round(time.Millisecond), reached, c.rate)
	if reached < 0.95*c.rate {
		fmt.Fprintf(out, "  -- TARGET RATE NOT REACHED: the event source topped out at %.0f/s with %d POSTs in flight", reached, c.postWorkers)
	}
	fmt.Fprintf(out, "\n  POST errors: %s\n", postErrs)
	fmt.Fprintf(out, "  deliveries %d of %d expected (%.2f%%), duplicates %d; connections lost: %s\n",
		len(lat), expected, 100*float64(len(lat))/float64(max(expected, 1)), dups, f.lost)
	fmt.Fprintf(out, "  frames delivered per second: %.0f\n", float64(len(lat))/postedIn.Seconds())
	fmt.Fprintf(out, "  delivery latency: %s\n", summarize(lat))
	fmt.Fprintf(out, "  CPU from the first post to the last delivery (includes the POSTs): %s\n", cpuUse)
	if len(pids) > 0 {
		fmt.Fprintf(out, "  server RSS: %s\n", memoryTrend(samples))
	}
	var heapSamples []rssSample
	for i, h := range heaps {
		if h >= 0 {
			heapSamples = append(heapSamples, rssSample{at: samples[i].at, rss: []int64{int64(h)}})
		}
	}
	if len(heapSamples) > 1 {
		fmt.Fprintf(out, "  server heap in use (/metrics): %s\n", memoryTrend(heapSamples))
	}
	return nil
}

// sustainActors returns the topics to post in and the tokens to post with,
// from the flags or by signing in as admin and the topics' authors.
func sustainActors(ctx context.Context, rest *api, c sustainConfig, out io.Writer) ([]int, []string, error) {
	topics, err := intList(c.topicList)
	if err != nil {
		return nil, nil, fmt.Errorf("-topic: %w", err)
	}
	var found []openTopic
	if len(topics) == 0 {
		if found, err = rest.publicTopics(ctx, c.topics); err != nil {
			return nil, nil, err
		}
		for _, t := range found {
			topics = append(topics, t.id)
		}
	}
	tokens := stringList(c.tokenList)
	if len(tokens) > 0 {
		return topics, tokens, nil
	}
	users := []string{"admin"}
	for _, t := range found {
		if len(users) == c.posters {
			break
		}
		if !contains(users, t.author) {
			users = append(users, t.author)
		}
	}
	var failed, signedIn []string
	for _, u := range users {
		tok, err := rest.login(ctx, u, c.password)
		if err != nil {
			failed = append(failed, err.Error())
			continue
		}
		tokens, signedIn = append(tokens, tok), append(signedIn, u)
	}
	if len(tokens) == 0 {
		return nil, nil, fmt.Errorf("could not sign in: %s", strings.Join(failed, "; "))
	}
	fmt.Fprintf(out, "posting as %s", strings.Join(signedIn, ", "))
	if len(failed) > 0 {
		fmt.Fprintf(out, " (could not sign in: %s)", strings.Join(failed, "; "))
	}
	fmt.Fprintln(out)
	return topics, tokens, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// memoryTrend summarises RSS samples of the first server: first, peak,
// last, and the least-squares slope over the second half of the run (after
// caches and pools have warmed up).
func memoryTrend(samples []rssSample) string {
	var pts [][2]float64
	var first, last, peak int64 = -1, -1, -1
	for _, s := range samples {
		v := s.rss[0]
		if v < 0 {
			continue
		}
		if first < 0 {
			first = v
		}
		last, peak = v, max(peak, v)
		pts = append(pts, [2]float64{s.at.Minutes(), float64(v) / (1 << 20)})
	}
	if len(pts) < 2 {
		return "too few samples"
	}
	half := pts[len(pts)/2:]
	if len(half) < 2 {
		half = pts
	}
	return fmt.Sprintf("first %s, peak %s, last %s; slope over the second half %+.1f MiB/min", mib(first), mib(peak), mib(last), slope(half))
}

// slope is the least-squares slope of y over x.
func slope(pts [][2]float64) float64 {
	var sx, sy, sxx, sxy float64
	n := float64(len(pts))
	for _, p := range pts {
		sx += p[0]
		sy += p[1]
		sxx += p[0] * p[0]
		sxy += p[0] * p[1]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

// sustainTopics returns the topics to publish to: -topic, or the first
// -topics open public topics.
func sustainTopics(ctx context.Context, rest *api, c sustainConfig) ([]int, error) {
	topics, err := intList(c.topicList)
	if err != nil || len(topics) > 0 {
		return topics, err
	}
	found, err := rest.publicTopics(ctx, c.topics)
	for _, t := range found {
		topics = append(topics, t.id)
	}
	return topics, err
}
