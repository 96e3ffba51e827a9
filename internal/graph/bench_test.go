package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/event"
)

// The benchmark graph: CRN_GRAPH_BENCH_NODES customers and
// CRN_GRAPH_BENCH_EDGES accumulators (default 100,000 and 2,000,000).
func benchSize() (int, int) {
	n, e := 100_000, 2_000_000
	if v, err := strconv.Atoi(os.Getenv("CRN_GRAPH_BENCH_NODES")); err == nil && v > 0 {
		n = v
	}
	if v, err := strconv.Atoi(os.Getenv("CRN_GRAPH_BENCH_EDGES")); err == nil && v > 0 {
		e = v
	}
	return n, e
}

var benchNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

type benchWorld struct {
	s     *Service
	nodes int
	built time.Duration
	heap  uint64
}

var (
	benchOnce sync.Once
	bench     *benchWorld
)

// benchService is a Service over a SQLite database holding the synthetic
// graph's users, with the synthetic graph in memory. It is built once.
func benchService(b *testing.B) *benchWorld {
	benchOnce.Do(func() {
		nodes, edges := benchSize()
		// Shared by every benchmark, so not tied to one b's cleanup.
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "crn-graph-bench")
		if err != nil {
			b.Fatal(err)
		}
		db, err := database.Open(ctx, database.Options{URL: "sqlite://" + filepath.Join(dir, "crn.db")})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.MigrateUp(ctx); err != nil {
			b.Fatal(err)
		}
		for lo := 1; lo <= nodes; lo += 500 { // 500 rows stay under SQLite's bound on variables
			var bulk []*ent.UserCreate
			for u := lo; u < lo+500 && u <= nodes; u++ {
				name := fmt.Sprintf("u%d", u)
				bulk = append(bulk, db.Client.User.Create().SetUsername(name).SetUsernameKey(name).
					SetEmail(name+"@example.com").SetEmailKey(name+"@example.com").SetPasswordHash("x"))
			}
			if err := db.Client.User.CreateBulk(bulk...).Exec(ctx); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		m := Synthetic(nodes, edges, 1, benchNow)
		built := time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		bench = &benchWorld{
			s:     New(db, m, Options{Now: func() time.Time { return benchNow }}),
			nodes: nodes, built: built, heap: after.HeapAlloc - before.HeapAlloc,
		}
		st := m.Stats()
		fmt.Fprintf(os.Stderr, "graph: %d nodes, %d accumulators, built in %s, heap %.1f MiB (estimated %.1f MiB)\n",
			st.Nodes, st.Accumulators, built.Round(time.Millisecond), float64(bench.heap)/(1<<20), float64(st.Bytes)/(1<<20))
	})
	return bench
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportPercentiles runs fn for each i and reports wall-clock p50 and p99
// and the CPU time per operation: on a shared machine the wall clock
// includes waiting for a CPU, the CPU time does not.
func reportPercentiles(b *testing.B, fn func(i int)) {
	lat := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		fn(i)
		lat = append(lat, time.Since(t))
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

func BenchmarkEgoNetworkDepth2(b *testing.B) {
	w := benchService(b)
	r := rand.New(rand.NewPCG(2, 2))
	v := Viewer{UserID: 1}
	reportPercentiles(b, func(int) {
		u := 1 + r.IntN(w.nodes)
		if _, err := w.s.Neighbors(context.Background(), v, fmt.Sprintf("u%d", u), NeighborQuery{Depth: 2}); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkStrongestPath(b *testing.B) {
	w := benchService(b)
	r := rand.New(rand.NewPCG(3, 3))
	v := Viewer{UserID: 1}
	reportPercentiles(b, func(int) {
		from, to := 1+r.IntN(w.nodes), 1+r.IntN(w.nodes)
		_, err := w.s.Path(context.Background(), v, fmt.Sprintf("u%d", from), fmt.Sprintf("u%d", to), 0)
		if err != nil && !isNoPath(err) {
			b.Fatal(err)
		}
	})
}

func isNoPath(err error) bool {
	return err != nil && err.Error() == "no_path: these customers are not connected"
}

func BenchmarkPageRank(b *testing.B) {
	w := benchService(b)
	staff := Viewer{UserID: 1, Staff: true}
	reportPercentiles(b, func(int) {
		if _, err := w.s.Influencers(context.Background(), staff, AnalyticsQuery{Metric: MetricPageRank, Limit: 10}); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkCommunities is one community detection as the background job
// runs it: snapshot, Louvain, modularity, top members and tags.
func BenchmarkCommunities(b *testing.B) {
	w := benchService(b)
	reportPercentiles(b, func(int) {
		r, _, _, err := w.s.computeCommunities(context.Background(), AnalyticsQuery{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.Modularity, "modularity")
		b.ReportMetric(float64(r.Total), "communities")
	})
}

// BenchmarkCommunitiesCached is GET /graph/communities once a result is
// cached: the opt-outs, the graph's version, a copy.
func BenchmarkCommunitiesCached(b *testing.B) {
	w := benchService(b)
	staff := Viewer{UserID: 1, Staff: true}
	if _, err := w.s.Communities(context.Background(), staff, AnalyticsQuery{}); err != nil {
		b.Fatal(err)
	}
	reportPercentiles(b, func(int) {
		r, err := w.s.Communities(context.Background(), staff, AnalyticsQuery{})
		if err != nil || r.Status != StatusReady {
			b.Fatal(err, r.Status)
		}
	})
}

// BenchmarkCommunitiesGonum is what community detection did before
// louvain.go: gonum's community.Modularize on each customer's 8 strongest
// ties, for comparison.
func BenchmarkCommunitiesGonum(b *testing.B) {
	w := benchService(b)
	staff := Viewer{UserID: 1, Staff: true}
	reportPercentiles(b, func(int) {
		snap, _, done, err := w.s.analyticsView(context.Background(), staff, AnalyticsQuery{})
		if err != nil {
			b.Fatal(err)
		}
		done()
		_, q := gonumLouvain(snap.sparsify(8))
		b.ReportMetric(q, "modularity")
	})
}

func BenchmarkBetweenness(b *testing.B) {
	w := benchService(b)
	staff := Viewer{UserID: 1, Staff: true}
	reportPercentiles(b, func(int) {
		if _, err := w.s.Influencers(context.Background(), staff, AnalyticsQuery{Metric: MetricBetweenness, Limit: 10}); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkIncrementalUpdateMemory is one event's effect on the in-memory
// graph: derive its changes and set the accumulators (what a refresh does
// per changed row).
func BenchmarkIncrementalUpdateMemory(b *testing.B) {
	w := benchService(b)
	m := w.s.mem
	d := w.s.opts.Decay
	r := rand.New(rand.NewPCG(4, 4))
	aff := memAffiliations{}
	reportPercentiles(b, func(i int) {
		e := event.Event{ID: int64(i + 1), Type: event.PostCreated, ActorID: 1 + r.IntN(w.nodes), ForumID: 1, Visibility: event.Public,
			CreatedAt: benchNow, Payload: map[string]any{"post_number": 2.0, "reply_to_user_id": float64(1 + r.IntN(w.nodes)),
				"mentioned_user_ids": []any{float64(1 + r.IntN(w.nodes))}}}
		chs, err := derive(context.Background(), e, aff, DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		m.mu.Lock()
		for _, ch := range chs {
			st := m.get(ch.key, e.CreatedAt)
			m.set(ch.key, d.apply(st, ch, e.CreatedAt))
		}
		m.mu.Unlock()
	})
}

// BenchmarkIncrementalUpdateDatabase is one event through the consumer on
// SQLite: derive, read and write the accumulators, commit.
func BenchmarkIncrementalUpdateDatabase(b *testing.B) {
	db := dbtest.Open(b, database.SQLite)
	ctx := context.Background()
	c := Consumer{Decay: Decay{HalfLife: DefaultHalfLife}, Limits: DefaultLimits}
	r := rand.New(rand.NewPCG(5, 5))
	reportPercentiles(b, func(i int) {
		e := event.Event{ID: int64(i + 1), Type: event.PostCreated, ActorID: 1 + r.IntN(1000), ForumID: 1, Visibility: event.Public,
			CreatedAt: benchNow, Payload: map[string]any{"post_number": 2.0, "reply_to_user_id": float64(1 + r.IntN(1000))}}
		tx, err := db.Client.Tx(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.HandleTx(ctx, tx, []event.Event{e}); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkEgoNetworkJSON is an ego network and its JSON encoding, as the
// API sends it.
func BenchmarkEgoNetworkJSON(b *testing.B) {
	w := benchService(b)
	r := rand.New(rand.NewPCG(2, 2))
	v := Viewer{UserID: 1}
	var size int
	reportPercentiles(b, func(int) {
		u := 1 + r.IntN(w.nodes)
		net, err := w.s.Neighbors(context.Background(), v, fmt.Sprintf("u%d", u), NeighborQuery{Depth: 2})
		if err != nil {
			b.Fatal(err)
		}
		out, err := json.Marshal(net)
		if err != nil {
			b.Fatal(err)
		}
		size += len(out)
	})
	b.ReportMetric(float64(size)/float64(b.N), "bytes/response")
}
