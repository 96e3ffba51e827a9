package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// readRSS returns the resident set size of process pid ("self" for this
// one), from /proc/<pid>/status, in bytes.
func readRSS(pid string) (int64, error) {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0, fmt.Errorf("read rss: %w", err)
	}
	defer f.Close()
	return parseRSS(f)
}

func parseRSS(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("read rss: odd line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read rss: %w", err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read rss: %w", err)
	}
	return 0, fmt.Errorf("read rss: no VmRSS line")
}

// pidList parses the -server-pid flag: one pid per node, comma separated.
func pidList(s string) ([]string, error) {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if n, err := strconv.Atoi(p); err != nil || n <= 0 {
			return nil, fmt.Errorf("-server-pid: %q is not a process id", p)
		}
		out = append(out, p)
	}
	return out, nil
}

// rssSample is the servers' resident memory at one moment.
type rssSample struct {
	at  time.Duration // since the run started
	rss []int64       // per -server-pid, in bytes; -1 when unreadable
}

func sampleRSS(pids []string, since time.Time) rssSample {
	s := rssSample{at: time.Since(since), rss: make([]int64, len(pids))}
	for i, p := range pids {
		v, err := readRSS(p)
		if err != nil {
			v = -1
		}
		s.rss[i] = v
	}
	return s
}

func (s rssSample) String() string {
	parts := make([]string, len(s.rss))
	for i, v := range s.rss {
		parts[i] = mib(v)
	}
	return strings.Join(parts, " / ")
}

// mib formats bytes as MiB with one decimal.
func mib(b int64) string {
	if b < 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// serverGauges reads a few of the server's own gauges from its Prometheus
// endpoint: goroutines and heap in use. Missing values are -1; the
// endpoint is optional for the measurements.
func serverGauges(ctx context.Context, client *http.Client, base string) (goroutines, heapInuse float64) {
	goroutines, heapInuse = -1, -1
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return
	}
	// A server with CRN_METRICS_TOKEN set answers only with the token.
	if tok := os.Getenv("CRN_METRICS_TOKEN"); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := client.Do(req)
	if err != nil {
		return
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(io.LimitReader(res.Body, 4<<20))
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "go_goroutines":
			goroutines, _ = strconv.ParseFloat(val, 64)
		case "go_memstats_heap_inuse_bytes":
			heapInuse, _ = strconv.ParseFloat(val, 64)
		}
	}
	return
}

// latencies summarises delivery delays.
type latencies struct {
	n                       int
	p50, p90, p99, max, avg time.Duration
}

// summarize sorts d in place and returns its nearest-rank percentiles.
func summarize(d []time.Duration) latencies {
	if len(d) == 0 {
		return latencies{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	at := func(q float64) time.Duration {
		i := int(q*float64(len(d))+0.999999) - 1
		return d[min(max(i, 0), len(d)-1)]
	}
	return latencies{n: len(d), p50: at(0.50), p90: at(0.90), p99: at(0.99), max: d[len(d)-1], avg: sum / time.Duration(len(d))}
}

func (l latencies) String() string {
	if l.n == 0 {
		return "no deliveries"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s  mean %s  (n=%d)",
		ms(l.p50), ms(l.p90), ms(l.p99), ms(l.max), ms(l.avg), l.n)
}

// ms formats a duration in milliseconds with a precision that suits it.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	if v < 10 {
		return fmt.Sprintf("%.2f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

// counts tallies failures by reason.
type counts map[string]int

func (c counts) String() string {
	if len(c) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return c[b] - c[a] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, c[k])
	}
	return strings.Join(parts, ", ")
}

// userHZ is the unit of the CPU times in /proc/<pid>/stat: USER_HZ, which
// Linux fixes at 100 for user space on every architecture crn runs on.
const userHZ = 100

// readCPU returns the CPU time (user + system) process pid ("self" for
// this one) has used so far, from /proc/<pid>/stat.
func readCPU(pid string) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, fmt.Errorf("read cpu: %w", err)
	}
	return parseCPU(string(b))
}

func parseCPU(stat string) (time.Duration, error) {
	// The command name, in parentheses, may hold spaces: count fields from
	// after its closing parenthesis, where field 3 (state) comes first.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("read cpu: odd stat line")
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("read cpu: short stat line")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("read cpu: odd stat line")
	}
	return time.Duration(utime+stime) * time.Second / userHZ, nil
}

// cpuMeter measures the CPU time the servers and this process use over a
// stretch of the run: server CPU per delivered frame does not depend on
// what else the machine runs, unlike latency.
type cpuMeter struct {
	pids  []string
	start []time.Duration // per pid, then this process last
}

func startCPU(pids []string) *cpuMeter {
	m := &cpuMeter{pids: pids}
	for _, p := range append(append([]string{}, pids...), "self") {
		v, _ := readCPU(p)
		m.start = append(m.start, v)
	}
	return m
}

// report says how much CPU the servers and crn-load used since startCPU, in
// all and per frame, over wall time d.
func (m *cpuMeter) report(frames int64, d time.Duration) string {
	var servers time.Duration
	for i, p := range m.pids {
		v, err := readCPU(p)
		if err != nil {
			return "server CPU unknown: " + err.Error()
		}
		servers += v - m.start[i]
	}
	self, _ := readCPU("self")
	client := self - m.start[len(m.start)-1]
	per := func(c time.Duration) string {
		if frames <= 0 {
			return "?"
		}
		return fmt.Sprintf("%.1f µs", float64(c)/float64(frames)/float64(time.Microsecond))
	}
	s := fmt.Sprintf("crn-load %.2f s (%s per frame)", client.Seconds(), per(client))
	if len(m.pids) > 0 {
		s = fmt.Sprintf("server(s) %.2f s = %.2f cores over %s (%s per delivered frame), ", servers.Seconds(), servers.Seconds()/d.Seconds(), d.Round(time.Millisecond), per(servers)) + s
	}
	return s
}
