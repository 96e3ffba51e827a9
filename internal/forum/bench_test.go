//go:build unix

package forum_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/forum"
)

// BenchmarkCreatePost is the reply path of the service without HTTP,
// authentication or moderation: 16 writers (SetParallelism over
// GOMAXPROCS) posting into 8 topics of 2 forums, as the load test's write
// scenario does. It reports posts/s and the process's CPU per post; the
// database's own CPU is not in it (PostgreSQL runs elsewhere).
//
//	make bench PKGS=./internal/forum/... BENCHFLAGS='-run ^$ -bench CreatePost -benchtime 2000x'
func BenchmarkCreatePost(b *testing.B) {
	for _, d := range dbtest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			db := dbtest.Open(b, d)
			s := forum.New(db, testRenderer(), forum.Options{})
			admin := db.Client.User.Create().SetUsername("admin").SetUsernameKey("admin").SetEmail("admin@example.com").
				SetEmailKey("admin@example.com").SetDisplayName("admin").SetRole(user.RoleAdmin).SetPasswordHash("x").SaveX(ctx)
			adminActor, err := s.Actor(ctx, admin)
			if err != nil {
				b.Fatal(err)
			}
			var topics []int
			for i := range 2 {
				f, err := s.CreateForum(ctx, adminActor, forum.ForumInput{Name: ptr(fmt.Sprintf("Forum %d", i))})
				if err != nil {
					b.Fatal(err)
				}
				for j := range 4 {
					tv, _, err := s.CreateTopic(ctx, adminActor, f.ID, forum.TopicInput{Title: fmt.Sprintf("Topic %d.%d", i, j), Body: "Opening post"})
					if err != nil {
						b.Fatal(err)
					}
					topics = append(topics, tv.ID)
				}
			}
			var actors []authz.Actor
			for i := range 16 {
				u := db.Client.User.Create().SetUsername(fmt.Sprintf("m%d", i)).SetUsernameKey(fmt.Sprintf("m%d", i)).
					SetEmail(fmt.Sprintf("m%d@example.com", i)).SetEmailKey(fmt.Sprintf("m%d@example.com", i)).SetDisplayName("m").
					SetRole(user.RoleMember).SetTrustLevel(1).SetPasswordHash("x").SaveX(ctx)
				a, err := s.Actor(ctx, u)
				if err != nil {
					b.Fatal(err)
				}
				actors = append(actors, a)
			}
			var n atomic.Int64
			cpu0 := processCPU()
			start := time.Now()
			b.ResetTimer()
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0))) // 16 writers
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(n.Add(1))
					_, err := s.CreatePost(ctx, actors[i%len(actors)], topics[(i/len(actors)+i)%len(topics)],
						forum.PostInput{Body: fmt.Sprintf("Benchmark reply %d: still seeing this after the update.", i)})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			secs := time.Since(start).Seconds()
			b.ReportMetric(float64(b.N)/secs, "posts/s")
			b.ReportMetric((processCPU()-cpu0).Seconds()*1000/float64(b.N), "cpu-ms/post")
			checkNumbers(b, db, topics)
		})
	}
}

// checkNumbers fails when a topic's posts are not numbered 1..n, each once.
func checkNumbers(b *testing.B, db *database.DB, topics []int) {
	ctx := context.Background()
	for _, id := range topics {
		t := db.Client.Topic.GetX(ctx, id)
		nums := db.Client.Post.Query().Where(post.TopicID(id)).Order(ent.Asc(post.FieldPostNumber)).Select(post.FieldPostNumber).IntsX(ctx)
		for i, n := range nums {
			if n != i+1 || len(nums) != t.HighestPostNumber {
				b.Fatalf("topic %d: %d posts numbered %v..., highest %d", id, len(nums), nums[:min(len(nums), 5)], t.HighestPostNumber)
			}
		}
	}
}

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
