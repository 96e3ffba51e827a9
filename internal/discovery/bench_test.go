package discovery_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/app"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/discovery"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/search"
	"github.com/crn-dev/crn/internal/testenv"
)

// BenchmarkPostIndexing measures what search costs a new post, on both
// backends (SQLite database):
//
//   - request-cpu-ms/post: the process's CPU time per CreatePost, the
//     request path. The search index is configured but not fed, which is
//     how a request sees it: indexing happens after commit, in the outbox
//     consumer;
//
//   - backlog: the search consumer alone working through those posts'
//     events afterwards, 200 per batch as the relay hands them when it is
//     behind: index-cpu-ms/post and indexed-posts/s, including the
//     embedded index's background merging until it settles;
//
//   - live: the consumer runs while the posts are made, woken after each
//     commit as a serving node does, so its batches are what a steady
//     stream of single writes gives. live-cpu-ms/post is all the CPU time
//     per post (request and indexing, until the index settles): less
//     request-cpu-ms/post, that is what search adds to each post.
//
// With Meilisearch, the server's own indexing CPU is in neither.
//
// Run with:
//
//	bash .ci/services.sh go test -run '^$' -bench PostIndexing -benchtime 1000x ./internal/discovery/
func BenchmarkPostIndexing(b *testing.B) {
	backends := map[string]func(*config.Config){
		"embedded": func(*config.Config) {},
		"meili": func(c *config.Config) {
			c.MeiliURL = testenv.Get(b, testenv.MeiliURL)
			c.MeiliKey = testenv.Get(b, testenv.MeiliKey)
			c.MeiliIndex = "b" + randomHex() + "_"
		},
	}
	for _, name := range []string{"embedded", "meili"} {
		for _, mode := range []string{"backlog", "live"} {
			b.Run(name+"/"+mode, func(b *testing.B) {
				cfg := config.Default()
				cfg.DataDir = b.TempDir()
				backends[name](&cfg)
				benchPostIndexing(b, cfg, mode == "live")
			})
		}
	}
}

func benchPostIndexing(b *testing.B, cfg config.Config, live bool) {
	ctx := context.Background()
	a, err := app.Build(ctx, cfg, slog.New(slog.DiscardHandler), app.Options{Migrate: true, Serve: true, Hash: account.HashParams{MemoryKiB: 64, Time: 1, Threads: 1}})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	if e, ok := a.Index.(*search.Embedded); ok && e.NeedsReindex() {
		if _, err := a.Indexer.Reindex(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
	admin, err := a.Accounts.CreateUser(ctx, account.NewUser{Username: "admin", Email: "admin@example.com", Password: "correct horse", Role: "admin", DisplayName: "Admin"})
	if err != nil {
		b.Fatal(err)
	}
	actor, err := a.Forums.Actor(ctx, admin)
	if err != nil {
		b.Fatal(err)
	}
	fm, err := a.Forums.CreateForum(ctx, actor, forum.ForumInput{Name: ptr("General")})
	if err != nil {
		b.Fatal(err)
	}
	tv, _, err := a.Forums.CreateTopic(ctx, actor, fm.ID, forum.TopicInput{Title: "Exporting customer data 导出客户数据", Body: "Where is the export button?"})
	if err != nil {
		b.Fatal(err)
	}
	// Only the search consumer runs, on its own cursor.
	relay := event.NewRelay(a.DB.Client, slog.New(slog.DiscardHandler), event.RelayOptions{PollInterval: 10 * time.Millisecond}, a.Indexer)
	// drain waits until the consumer has handled every event so far,
	// running the relay meanwhile unless it runs already.
	running := false
	drain := func() {
		latest, err := event.Latest(ctx, a.DB.Client)
		if err != nil {
			b.Fatal(err)
		}
		if !running {
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { _ = relay.Run(rctx); close(done) }()
			defer func() { cancel(); <-done }()
		}
		deadline := time.Now().Add(10 * time.Minute)
		for time.Now().Before(deadline) {
			pos, err := event.Position(ctx, a.DB.Client, discovery.ConsumerName)
			if err != nil {
				b.Fatal(err)
			}
			if pos >= latest {
				return
			}
			relay.Notify()
			time.Sleep(10 * time.Millisecond)
		}
		b.Fatal("search consumer did not catch up in 10 minutes")
	}
	drain()
	settle := func() {
		if e, ok := a.Index.(*search.Embedded); ok {
			for e.Merging() {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	settle()

	body := func(i int) string {
		if i%2 == 1 {
			return fmt.Sprintf("第%d条回复：客户关系管理系统的数据导出功能在哪里？我们需要把客户数据导入新的系统，并且保留所有的附件和评论。", i)
		}
		return fmt.Sprintf("Reply %d: the export of customer data works for us once the permissions are set; "+
			strings.Repeat("we exported every ticket and attachment to the new workspace. ", 4), i)
	}
	if live {
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { _ = relay.Run(rctx); close(done) }()
		defer func() { cancel(); <-done }()
		running = true
	}
	var reqCPU time.Duration
	b.ResetTimer()
	start, startCPU := time.Now(), cpuTime()
	for i := range b.N {
		c := cpuTime()
		if _, err := a.Forums.CreatePost(ctx, actor, tv.ID, forum.PostInput{Body: body(i)}); err != nil {
			b.Fatal(err)
		}
		if live {
			relay.Notify()
		} else {
			reqCPU += cpuTime() - c
		}
	}
	c, w := cpuTime(), time.Now()
	drain()
	settle()
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	if live {
		b.ReportMetric(ms(cpuTime()-startCPU), "live-cpu-ms/post")
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "posts/s")
		return
	}
	b.ReportMetric(ms(reqCPU), "request-cpu-ms/post")
	b.ReportMetric(ms(cpuTime()-c), "index-cpu-ms/post")
	b.ReportMetric(float64(b.N)/time.Since(w).Seconds(), "indexed-posts/s")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
