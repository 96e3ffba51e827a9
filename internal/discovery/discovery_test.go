package discovery_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/app"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/discovery"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/search"
	"github.com/crn-dev/crn/internal/testenv"
)

func randomHex() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type world struct {
	t      *testing.T
	a      *app.App
	actors map[string]authz.Actor
}

func newWorld(t *testing.T, cfg config.Config) *world {
	t.Helper()
	ctx := context.Background()
	a, err := app.Build(ctx, cfg, slog.New(slog.DiscardHandler), app.Options{Migrate: true, Serve: true, Hash: account.HashParams{MemoryKiB: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	w := &world{t: t, a: a, actors: map[string]authz.Actor{"guest": {}}}
	for name, role := range map[string]string{"admin": "admin", "alice": "member", "bob": "member"} {
		u, err := a.Accounts.CreateUser(ctx, account.NewUser{Username: name, Email: name + "@example.com", Password: "correct horse", Role: role, DisplayName: strings.ToUpper(name[:1]) + name[1:]})
		if err != nil {
			t.Fatal(err)
		}
		if w.actors[name], err = a.Forums.Actor(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *world) drain() {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := w.a.DrainEvents(ctx); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) find(who, q string, p discovery.Params) []string {
	w.t.Helper()
	p.Text = q
	page, err := w.a.Discovery.Search(context.Background(), w.actors[who], p)
	if err != nil {
		w.t.Fatalf("search %q as %s: %v", q, who, err)
	}
	var ids []string
	for _, h := range page.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

func has(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }

func backends(t *testing.T) map[string]func(*config.Config) {
	return map[string]func(*config.Config){
		"embedded": func(*config.Config) {},
		"meili": func(c *config.Config) {
			c.MeiliURL = testenv.Get(t, testenv.MeiliURL)
			c.MeiliKey = testenv.Get(t, testenv.MeiliKey)
			c.MeiliIndex = "t" + randomHex() + "_"
		},
	}
}

func TestSearchEndToEnd(t *testing.T) {
	for name, configure := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cfg := config.Default()
			cfg.DataDir = t.TempDir()
			configure(&cfg)
			w := newWorld(t, cfg)
			f := w.a.Forums
			pub, err := f.CreateForum(ctx, w.actors["admin"], forum.ForumInput{Name: ptr("Help")})
			if err != nil {
				t.Fatal(err)
			}
			priv, err := f.CreateForum(ctx, w.actors["admin"], forum.ForumInput{Name: ptr("Customers"), ReadVisibility: ptr("members")})
			if err != nil {
				t.Fatal(err)
			}
			zh, zhPost, err := f.CreateTopic(ctx, w.actors["alice"], pub.ID, forum.TopicInput{Title: "客户关系管理的最佳实践", Body: "我们用 CRM 做客户关系管理，效果很好。", Tags: []string{"crm"}})
			if err != nil {
				t.Fatal(err)
			}
			en, _, err := f.CreateTopic(ctx, w.actors["bob"], pub.ID, forum.TopicInput{Title: "How do I export my data?", Body: "Exporting to CSV fails for large accounts.", Tags: []string{"export"}})
			if err != nil {
				t.Fatal(err)
			}
			secret, _, err := f.CreateTopic(ctx, w.actors["alice"], priv.ID, forum.TopicInput{Title: "Confidential pricing plans", Body: "Members only: pricing discussion."})
			if err != nil {
				t.Fatal(err)
			}
			reply, err := f.CreatePost(ctx, w.actors["bob"], en.ID, forum.PostInput{Body: "Use the **export** button in settings, then wait."})
			if err != nil {
				t.Fatal(err)
			}
			w.drain()

			// Chinese, in order and out of order; English stems.
			if ids := w.find("guest", "客户", discovery.Params{}); !has(ids, fmt.Sprintf("topic-%d", zh.ID)) {
				t.Fatalf("客户: %v", ids)
			}
			if ids := w.find("guest", "管理客户关系", discovery.Params{}); !has(ids, fmt.Sprintf("topic-%d", zh.ID)) {
				t.Fatalf("管理客户关系: %v", ids)
			}
			if ids := w.find("guest", "CRM 客户", discovery.Params{}); !has(ids, fmt.Sprintf("post-%d", zhPost.ID)) {
				t.Fatalf("mixed: %v", ids)
			}
			// An English typo (Meilisearch does not stem, so no stemming here).
			if ids := w.find("guest", "exprot", discovery.Params{Types: []string{"post"}}); !has(ids, fmt.Sprintf("post-%d", reply.ID)) {
				t.Fatalf("exprot: %v", ids)
			}
			// Members-only content: never for guests; found by members.
			if ids := w.find("guest", "pricing", discovery.Params{}); len(ids) != 0 {
				t.Fatalf("a guest found members-only content: %v", ids)
			}
			if ids := w.find("bob", "pricing", discovery.Params{}); !has(ids, fmt.Sprintf("topic-%d", secret.ID)) {
				t.Fatalf("a member cannot find members-only content: %v", ids)
			}
			// Filters and facets.
			page, err := w.a.Discovery.Search(ctx, w.actors["guest"], discovery.Params{Tags: []string{"EXPORT"}, Facets: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Hits) != 3 || page.Facets["type"]["post"] != 2 || page.Facets["type"]["topic"] != 1 {
				t.Fatalf("tag filter: %d hits, facets %v", len(page.Hits), page.Facets)
			}
			if ids := w.find("guest", "", discovery.Params{Author: "alice", Types: []string{"topic"}}); len(ids) != 1 || ids[0] != fmt.Sprintf("topic-%d", zh.ID) {
				t.Fatalf("author filter: %v", ids)
			}
			// Highlights are safe HTML with marks.
			page, _ = w.a.Discovery.Search(ctx, w.actors["guest"], discovery.Params{Text: "export", Types: []string{"topic"}})
			if len(page.Hits) == 0 || !strings.Contains(page.Hits[0].Highlights["title"]+page.Hits[0].Highlights["body"], "<mark>") {
				t.Fatalf("highlights: %+v", page.Hits)
			}

			// Edits and deletes reach the index.
			if _, err := f.EditPost(ctx, w.actors["bob"], reply.ID, "Use the download menu instead."); err != nil {
				t.Fatal(err)
			}
			w.drain()
			if ids := w.find("guest", "download", discovery.Params{}); !has(ids, fmt.Sprintf("post-%d", reply.ID)) {
				t.Fatalf("edited text not found: %v", ids)
			}
			if ids := w.find("guest", "button", discovery.Params{}); has(ids, fmt.Sprintf("post-%d", reply.ID)) {
				t.Fatalf("old text still found: %v", ids)
			}
			if err := f.DeletePost(ctx, w.actors["bob"], reply.ID); err != nil {
				t.Fatal(err)
			}
			w.drain()
			if ids := w.find("bob", "download", discovery.Params{}); has(ids, fmt.Sprintf("post-%d", reply.ID)) {
				t.Fatal("a deleted post is found by a member")
			}
			if ids := w.find("admin", "download", discovery.Params{}); !has(ids, fmt.Sprintf("post-%d", reply.ID)) {
				t.Fatal("admins find deleted posts")
			}
			// A forum turning members-only takes its content out of guests' results.
			if _, err := f.UpdateForum(ctx, w.actors["admin"], pub.ID, forum.ForumInput{ReadVisibility: ptr("members")}); err != nil {
				t.Fatal(err)
			}
			w.drain()
			if ids := w.find("guest", "客户", discovery.Params{}); len(ids) != 0 {
				t.Fatalf("guest still finds content of a now members-only forum: %v", ids)
			}

			// Suggestions: similar topics and @mention usernames.
			topics, _, err := w.a.Discovery.Suggest(ctx, w.actors["bob"], "expo", 5)
			if err != nil || len(topics) == 0 || topics[0].ID != fmt.Sprintf("topic-%d", en.ID) {
				t.Fatalf("suggest topics: %v %v", topics, err)
			}
			_, users, err := w.a.Discovery.Suggest(ctx, w.actors["bob"], "thanks @ali", 5)
			if err != nil || len(users) == 0 || users[0].ID != fmt.Sprintf("user-%d", w.actors["alice"].ID) {
				t.Fatalf("suggest users: %v %v", users, err)
			}

			// Bad input.
			for _, p := range []discovery.Params{
				{Text: strings.Repeat("长", 201)}, {Sort: "best"}, {Types: []string{"widget"}}, {Limit: 500}, {Cursor: "garbage"},
			} {
				if _, err := w.a.Discovery.Search(ctx, w.actors["guest"], p); err == nil {
					t.Errorf("%+v: want an error", p)
				}
			}
			for _, q := range []string{`" OR 1=1 (`, `tags = "x" OR visibility = "members"`, `\"`, "(((", "AND OR NOT"} {
				w.find("guest", q, discovery.Params{Tags: []string{q}})
			}

			// Reindex rebuilds the same results and swaps them in.
			sum, err := w.a.Indexer.Reindex(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Topics != 3 || sum.Posts != 4 || sum.Users != 3 {
				t.Fatalf("reindex: %+v", sum)
			}
			if ids := w.find("bob", "客户", discovery.Params{}); !has(ids, fmt.Sprintf("topic-%d", zh.ID)) {
				t.Fatalf("after reindex: %v", ids)
			}
		})
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// meili runs a private Meilisearch that the test can stop and start again.
type meili struct {
	t        *testing.T
	bin, dir string
	port     int
	key      string
	cmd      *exec.Cmd
}

func (m *meili) start() {
	m.t.Helper()
	m.cmd = exec.Command(m.bin, "--http-addr", fmt.Sprintf("127.0.0.1:%d", m.port), "--db-path", m.dir+"/db",
		"--master-key", m.key, "--no-analytics", "--env", "development")
	m.cmd.Dir = m.dir
	if err := m.cmd.Start(); err != nil {
		m.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", m.port))
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	m.t.Fatal("meilisearch did not start")
}

func (m *meili) stop() {
	_ = m.cmd.Process.Kill()
	_ = m.cmd.Wait()
}

// Writes succeed while Meilisearch is down, and are indexed once it is back.
func TestCatchUpAfterMeilisearchOutage(t *testing.T) {
	bin := testenv.Get(t, testenv.MeiliBin)
	m := &meili{t: t, bin: bin, dir: t.TempDir(), port: freePort(t), key: "k" + randomHex() + randomHex() + randomHex()}
	m.start()
	t.Cleanup(m.stop)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.MeiliURL, cfg.MeiliKey, cfg.MeiliIndex = fmt.Sprintf("http://127.0.0.1:%d", m.port), m.key, "outage_"
	w := newWorld(t, cfg)
	ctx := context.Background()
	fm, err := w.a.Forums.CreateForum(ctx, w.actors["admin"], forum.ForumInput{Name: ptr("General")})
	if err != nil {
		t.Fatal(err)
	}
	before, _, err := w.a.Forums.CreateTopic(ctx, w.actors["alice"], fm.ID, forum.TopicInput{Title: "Written before the outage", Body: "aardvark"})
	if err != nil {
		t.Fatal(err)
	}
	w.drain()
	if ids := w.find("guest", "aardvark", discovery.Params{}); !has(ids, fmt.Sprintf("topic-%d", before.ID)) {
		t.Fatalf("before: %v", ids)
	}

	m.stop()
	var during []*ent.Post
	for i := range 3 {
		_, p, err := w.a.Forums.CreateTopic(ctx, w.actors["bob"], fm.ID, forum.TopicInput{Title: fmt.Sprintf("Written during the outage %d", i), Body: "zebra crossing"})
		if err != nil {
			t.Fatalf("a write failed while search was down: %v", err)
		}
		during = append(during, p)
	}
	// Delivery fails and is retried; nothing is lost meanwhile.
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	err = w.a.DrainEvents(dctx)
	cancel()
	if err == nil {
		t.Fatal("draining should not finish while Meilisearch is down")
	}
	if _, err := w.a.Discovery.Search(ctx, w.actors["guest"], discovery.Params{Text: "zebra"}); err == nil {
		t.Fatal("search should report the outage")
	}

	m.start()
	w.drain()
	ids := w.find("guest", "zebra", discovery.Params{Types: []string{search.TypePost}})
	for _, p := range during {
		if !has(ids, fmt.Sprintf("post-%d", p.ID)) {
			t.Fatalf("post %d written during the outage is missing after catch-up: %v", p.ID, ids)
		}
	}
}
