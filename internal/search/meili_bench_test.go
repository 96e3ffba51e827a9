package search

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
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
	m := openTestMeili(b)

	// Load without waiting for each batch: Meilisearch works through the
	// queue in order, so waiting for every task at the end is enough.
	r := rand.New(rand.NewPCG(3, 4))
	var tasks []*meilisearch.TaskInfo
	batch := make([]meiliDoc, 0, 5000)
	pk := "id"
	for i := range docs {
		d := benchDoc(r, i)
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
	queries := benchQueries(r, 1000)

	run := func(m *Meili) func(b *testing.B) {
		return func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			hits := 0
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				res, err := m.Search(ctx, queries[i%len(queries)])
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
				hits += res.EstimatedTotal
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(hits)/float64(b.N), "hits/query")
		}
	}
	// The parent runs once; the sub-benchmarks run as often as the
	// benchmark time asks, on the index loaded above.
	b.Run("100k", run(m))
	sdk := meilisearch.New(testenv.Get(b, testenv.MeiliURL), meilisearch.WithAPIKey(os.Getenv(testenv.MeiliKey)))
	defer sdk.Close()
	b.Run("100k-sdk-default-client", run(&Meili{client: sdk, text: m.text, live: m.live, next: m.next}))
}
