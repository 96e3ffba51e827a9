package search

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/crn-dev/crn/internal/testenv"
)

// Run with:
//
//	bash .ci/services.sh env GOFLAGS=-mod=mod go test -run '^$' -bench Meili -benchtime 1000x ./internal/search/
//
// BenchmarkMeiliQuery loads the 100,000 documents of BenchmarkEmbeddedQuery
// once (a few minutes on two cores) and times the same mixed queries one
// by one, as crn's client sees them; -benchtime 1000x runs each of the
// 1,000 queries once. The sdk-default-client variant uses meilisearch-go's
// default HTTP client, which asks for compressed answers and stalls ~40 ms
// per request on kept-alive connections (see meili_client.go).

func BenchmarkMeiliIndex(b *testing.B) {
	ctx := context.Background()
	m := openTestMeili(b)
	r := rand.New(rand.NewPCG(1, 2))
	docs := make([]Doc, b.N)
	for i := range docs {
		docs[i] = benchDoc(r, i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += 1000 {
		if err := m.Upsert(ctx, docs[i:min(i+1000, b.N)]...); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

func BenchmarkMeiliQuery(b *testing.B) {
	const docs = 100_000
	ctx := context.Background()
	// CRN_BENCH_MEILI_PREFIX names an index prefix to keep after the run
	// and to reuse when it already holds the documents, which saves the
	// minutes of loading when only the query path changed.
	var m *Meili
	reuse := os.Getenv("CRN_BENCH_MEILI_PREFIX")
	if reuse == "" {
		m = openTestMeili(b)
	} else {
		var err error
		if m, err = NewMeili(ctx, meiliTestClient(b), reuse); err != nil {
			b.Fatal(err)
		}
	}
	loadedBefore := false
	if reuse != "" {
		stats, err := m.client.Index(m.live).GetStatsWithContext(ctx, nil)
		loadedBefore = err == nil && stats.NumberOfDocuments == docs
	}

	// Load without waiting for each batch: Meilisearch works through the
	// queue in order, so waiting for every task at the end is enough.
	r := rand.New(rand.NewPCG(3, 4))
	var tasks []*meilisearch.TaskInfo
	loadStart := time.Now()
	batch := make([]meiliDoc, 0, 5000)
	pk := "id"
	for i := range docs {
		d := benchDoc(r, i) // also when loaded before: the queries come next from r
		if loadedBefore {
			continue
		}
		batch = append(batch, m.text.doc(&d))
		if len(batch) == cap(batch) || i == docs-1 {
			info, err := m.client.Index(m.live).AddDocumentsWithContext(ctx, batch, &meilisearch.DocumentOptions{PrimaryKey: &pk})
			if err != nil {
				b.Fatal(err)
			}
			tasks = append(tasks, info)
			batch = make([]meiliDoc, 0, cap(batch))
		}
	}
	loadCtx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	for _, info := range tasks {
		if err := m.wait(loadCtx, info); err != nil {
			b.Fatal(err)
		}
	}
	loaded := time.Since(loadStart)
	queries := benchQueries(r, 1000)

	run := func(m *Meili) func(b *testing.B) {
		return func(b *testing.B) {
			var st queryStats
			b.ResetTimer()
			for i := range b.N {
				start, cpu, eng := time.Now(), cpuTime(), meiliCPU(b)
				res, err := m.Search(ctx, queries[i%len(queries)])
				if err != nil {
					b.Fatal(err)
				}
				st.add(i%len(queries), time.Since(start), cpuTime()-cpu, res.EstimatedTotal)
				if eng >= 0 {
					st.engine = append(st.engine, meiliCPU(b)-eng)
				}
			}
			b.StopTimer()
			st.report(b)
			if !loadedBefore {
				b.ReportMetric(docs/loaded.Seconds(), "load-docs/s")
			}
		}
	}
	// The parent runs once; the sub-benchmarks run as often as the
	// benchmark time asks, on the index loaded above.
	b.Run("100k", run(m))
	sdk := meilisearch.New(testenv.Get(b, testenv.MeiliURL), meilisearch.WithAPIKey(os.Getenv(testenv.MeiliKey)))
	defer sdk.Close()
	b.Run("100k-sdk-default-client", run(&Meili{client: sdk, text: m.text, live: m.live, next: m.next}))
}

// meiliCPU is the CPU time Meilisearch has used, read from /proc when
// CRN_BENCH_MEILI_PID names its process; -1 otherwise.
func meiliCPU(b *testing.B) time.Duration {
	pid := os.Getenv("CRN_BENCH_MEILI_PID")
	if pid == "" {
		return -1
	}
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th, in clock ticks of 10 ms.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * 10 * time.Millisecond
}
