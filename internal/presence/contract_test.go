package presence

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/crn-dev/crn/internal/testenv"
)

// ttl is the short presence lifetime the suite lets expire; long is one
// that outlives any test.
const (
	ttl  = 400 * time.Millisecond
	long = time.Minute
)

// env is one fresh, empty presence backend.
type env struct {
	// node returns the store of the named node; the same name gives the
	// same store.
	node func(name string) Store
	// wait lets d pass on the backend's clock.
	wait func(d time.Duration)
}

func TestMemory(t *testing.T) {
	runContract(t, false, func(t *testing.T) env {
		var (
			mu  sync.Mutex
			now = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		)
		clock := func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return now
		}
		m := NewMemory("a", clock)
		t.Cleanup(func() { _ = m.Close() })
		return env{
			node: func(name string) Store {
				if name != "a" {
					t.Fatalf("memory store has one node, asked for %q", name)
				}
				return m
			},
			wait: func(d time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				now = now.Add(d)
			},
		}
	})
}

func TestRedis(t *testing.T) {
	runContract(t, true, func(t *testing.T) env {
		opts, err := redis.ParseURL(testenv.Get(t, testenv.RedisURL))
		if err != nil {
			t.Fatalf("parse %s: %v", testenv.RedisURL, err)
		}
		client := redis.NewClient(opts)
		prefix := fmt.Sprintf("crntest:presence:%016x:", rand.Uint64())
		t.Cleanup(func() {
			ctx := context.Background()
			iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
			for iter.Next(ctx) {
				client.Del(ctx, iter.Val())
			}
			if err := iter.Err(); err != nil {
				t.Errorf("delete test keys: %v", err)
			}
			_ = client.Close()
		})
		var mu sync.Mutex
		nodes := map[string]Store{}
		return env{
			node: func(name string) Store {
				mu.Lock()
				defer mu.Unlock()
				if nodes[name] == nil {
					nodes[name] = NewRedis(client, prefix, name)
				}
				return nodes[name]
			},
			wait: time.Sleep,
		}
	})
}

// runContract checks that a backend behaves as Store promises; the cases
// with several nodes run only on backends that have them (multiNode).
func runContract(t *testing.T, multiNode bool, newEnv func(t *testing.T) env) {
	cases := []struct {
		name  string
		multi bool
		run   func(t *testing.T, e env)
	}{
		{"TouchJoinsOnce", false, testTouchJoinsOnce},
		{"TouchRejectsNonPositiveTTL", false, testTouchRejectsTTL},
		{"MembersDedupedAscending", false, testMembers},
		{"LeaveReportsDeparture", false, testLeave},
		{"TouchExtends", false, testTouchExtends},
		{"ExpiryHidesWithoutSweep", false, testExpiryHides},
		{"LeaveAfterExpiryReportsOnce", false, testLeaveAfterExpiry},
		{"ScopesIndependent", false, testScopesIndependent},
		{"SweepConcurrentReportsOnce", false, testSweepConcurrent},
		{"SweepManyUsers", false, testSweepMany},
		{"TwoNodes", true, testTwoNodes},
		{"DeadNodeSweptOnce", true, testDeadNodeSwept},
	}
	for _, c := range cases {
		if c.multi && !multiNode {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newEnv(t))
		})
	}
}

func testTouchJoinsOnce(t *testing.T, e env) {
	a := e.node("a")
	if !touch(t, a, "online", 1, long) {
		t.Error("first Touch: joined = false, want true")
	}
	if touch(t, a, "online", 1, long) {
		t.Error("second Touch: joined = true, want false")
	}
	wantMembers(t, a, "online", 1)
}

func testTouchRejectsTTL(t *testing.T, e env) {
	if _, err := e.node("a").Touch(context.Background(), "online", 1, 0); err == nil {
		t.Error("Touch with ttl 0: no error")
	}
}

func testMembers(t *testing.T, e env) {
	a := e.node("a")
	wantMembers(t, a, "topic:42")
	for _, id := range []int{30, 4, 200, 4} {
		touch(t, a, "topic:42", id, long)
	}
	wantMembers(t, a, "topic:42", 4, 30, 200)
}

func testLeave(t *testing.T, e env) {
	a := e.node("a")
	if leave(t, a, "online", 1) {
		t.Error("Leave of an absent user: left = true")
	}
	touch(t, a, "online", 1, long)
	touch(t, a, "online", 2, long)
	if !leave(t, a, "online", 1) {
		t.Error("Leave: left = false, want true")
	}
	wantMembers(t, a, "online", 2)
	if leave(t, a, "online", 1) {
		t.Error("second Leave: left = true")
	}
	if !touch(t, a, "online", 1, long) {
		t.Error("Touch after Leave: joined = false")
	}
	wantSweep(t, a)
}

func testTouchExtends(t *testing.T, e env) {
	a := e.node("a")
	touch(t, a, "online", 1, ttl)
	e.wait(ttl * 5 / 8)
	if touch(t, a, "online", 1, ttl) {
		t.Error("Touch before expiry: joined = true")
	}
	e.wait(ttl * 5 / 8)
	wantMembers(t, a, "online", 1)
	wantSweep(t, a)
}

func testExpiryHides(t *testing.T, e env) {
	a := e.node("a")
	touch(t, a, "typing:42", 1, ttl)
	touch(t, a, "typing:42", 2, long)
	e.wait(ttl + ttl/2)
	wantMembers(t, a, "typing:42", 2)
	if !touch(t, a, "typing:42", 1, ttl) {
		t.Error("Touch after expiry: joined = false")
	}
}

func testLeaveAfterExpiry(t *testing.T, e env) {
	a := e.node("a")
	touch(t, a, "online", 1, ttl)
	e.wait(ttl + ttl/2)
	if !leave(t, a, "online", 1) {
		t.Error("Leave of an expired, unswept user: left = false, want true")
	}
	wantSweep(t, a)
}

func testScopesIndependent(t *testing.T, e env) {
	a := e.node("a")
	if !touch(t, a, "group:7", 1, long) || !touch(t, a, "topic:7", 1, long) {
		t.Fatal("first Touch in each scope: joined = false")
	}
	touch(t, a, "topic:7", 2, ttl)
	if !leave(t, a, "group:7", 1) {
		t.Error("Leave group:7: left = false")
	}
	wantMembers(t, a, "group:7")
	wantMembers(t, a, "topic:7", 1, 2)
	e.wait(ttl + ttl/2)
	wantSweep(t, a, Change{Scope: "topic:7", UserID: 2})
	wantMembers(t, a, "topic:7", 1)
}

func testSweepConcurrent(t *testing.T, e env) {
	a := e.node("a")
	touch(t, a, "online", 1, ttl)
	touch(t, a, "online", 2, long)
	e.wait(ttl + ttl/2)
	got := sweepConcurrently(t, a, a, a, a)
	want := []Change{{Scope: "online", UserID: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("concurrent Sweeps reported %v, want %v", got, want)
	}
	wantSweep(t, a)
	if leave(t, a, "online", 1) {
		t.Error("Leave after Sweep reported the departure: left = true")
	}
	wantMembers(t, a, "online", 2)
}

// testSweepMany expires more users in one scope than one Redis sweep
// script removes.
func testSweepMany(t *testing.T, e env) {
	a := e.node("a")
	const n = 2*sweepBatch + 1
	var want []Change
	for id := 1; id <= n; id++ {
		touch(t, a, "online", id, ttl)
		want = append(want, Change{Scope: "online", UserID: id})
	}
	e.wait(ttl + ttl/2)
	wantSweep(t, a, want...)
	wantMembers(t, a, "online")
}

func testTwoNodes(t *testing.T, e env) {
	a, b := e.node("a"), e.node("b")
	if !touch(t, a, "online", 1, long) {
		t.Error("Touch on a: joined = false")
	}
	if touch(t, b, "online", 1, long) {
		t.Error("Touch on b of a user present on a: joined = true")
	}
	wantMembers(t, b, "online", 1)
	if leave(t, b, "online", 1) {
		t.Error("Leave on b of a user still on a: left = true")
	}
	wantMembers(t, a, "online", 1)
	if leave(t, b, "online", 1) {
		t.Error("second Leave on b: left = true")
	}
	if !leave(t, a, "online", 1) {
		t.Error("Leave on a, the last node: left = false")
	}
	wantMembers(t, b, "online")
}

// testDeadNodeSwept has node b stop touching: its users expire, and the
// sweeps of both nodes together report each departure once.
func testDeadNodeSwept(t *testing.T, e env) {
	a, b := e.node("a"), e.node("b")
	touch(t, a, "online", 1, long)
	touch(t, a, "online", 3, long)
	touch(t, b, "online", 2, ttl)
	touch(t, b, "online", 3, ttl)
	touch(t, b, "topic:9", 2, ttl)
	e.wait(ttl + ttl/2)
	wantMembers(t, a, "online", 1, 3)
	wantMembers(t, a, "topic:9")
	got := sweepConcurrently(t, a, b, a, b)
	want := []Change{{Scope: "online", UserID: 2}, {Scope: "topic:9", UserID: 2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("concurrent Sweeps reported %v, want %v", got, want)
	}
	wantSweep(t, a)
	wantSweep(t, b)
	if !leave(t, a, "online", 3) {
		t.Error("Leave on a of a user whose b presence expired: left = false")
	}
}

func touch(t *testing.T, s Store, scope string, id int, ttl time.Duration) bool {
	t.Helper()
	joined, err := s.Touch(context.Background(), scope, id, ttl)
	if err != nil {
		t.Fatalf("Touch(%q, %d): %v", scope, id, err)
	}
	return joined
}

func leave(t *testing.T, s Store, scope string, id int) bool {
	t.Helper()
	left, err := s.Leave(context.Background(), scope, id)
	if err != nil {
		t.Fatalf("Leave(%q, %d): %v", scope, id, err)
	}
	return left
}

func wantMembers(t *testing.T, s Store, scope string, want ...int) {
	t.Helper()
	got, err := s.Members(context.Background(), scope)
	if err != nil {
		t.Fatalf("Members(%q): %v", scope, err)
	}
	if len(got) != 0 || len(want) != 0 {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Members(%q) = %v, want %v", scope, got, want)
		}
	}
}

func wantSweep(t *testing.T, s Store, want ...Change) {
	t.Helper()
	got, err := s.Sweep(context.Background())
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if len(got) != 0 || len(want) != 0 {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Sweep = %v, want %v", got, want)
		}
	}
}

// sweepConcurrently runs one Sweep per store at once and returns every
// change they reported, ordered by scope then user.
func sweepConcurrently(t *testing.T, stores ...Store) []Change {
	t.Helper()
	var (
		mu  sync.Mutex
		all []Change
		wg  sync.WaitGroup
	)
	start := make(chan struct{})
	for _, s := range stores {
		wg.Go(func() {
			<-start
			got, err := s.Sweep(context.Background())
			if err != nil {
				t.Errorf("Sweep: %v", err)
			}
			mu.Lock()
			all = append(all, got...)
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	sortChanges(all)
	return all
}
