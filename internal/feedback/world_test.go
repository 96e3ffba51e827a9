package feedback_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/discovery"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/feedback"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/markup"
	"github.com/crn-dev/crn/internal/notify"
	"github.com/crn-dev/crn/internal/search"
	"github.com/crn-dev/crn/internal/testenv"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// world is a community with a feedback board, a clock and some people:
// staff (admin, mod, staffer) and customers with CRM attributes.
type world struct {
	t      *testing.T
	db     *database.DB
	forums *forum.Service
	s      *feedback.Service
	clock  *clock
	users  map[string]*ent.User
	board  *ent.Forum
	index  search.Index // set by withSearch
	ix     *discovery.Indexer
}

var customers = []struct {
	name string
	crm  map[string]any
}{
	{"alice", map[string]any{"plan": "enterprise", "arr": 100000}},
	{"bob", map[string]any{"plan": "pro", "arr": 12000}},
	{"carol", map[string]any{"plan": "free", "arr": 0}},
	{"dave", map[string]any{"plan": "pro", "arr": "8000"}},
	{"erin", nil},
	{"frank", map[string]any{"plan": "starter", "arr": 1500}},
}

type worldOption func(*world, *feedback.Options)

func newWorld(t *testing.T, db *database.DB, opts ...worldOption) *world {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	r := markup.New(markup.Options{UserURL: func(u string) string { return "/u/" + u }, TagURL: func(t string) string { return "/tags/" + t }})
	w := &world{t: t, db: db, clock: c, users: map[string]*ent.User{}}
	w.forums = forum.New(db, r, forum.Options{Now: c.now})
	mk := func(name, role string, crm map[string]any) {
		cr := db.Client.User.Create().SetUsername(name).SetUsernameKey(name).SetEmail(name + "@example.com").SetEmailKey(name + "@example.com").
			SetRole(user.Role(role)).SetPasswordHash("x")
		if crm != nil {
			cr.SetCrmAttributes(crm)
		}
		w.users[name] = cr.SaveX(ctx)
	}
	mk("admin", "admin", nil)
	mk("mod", "moderator", nil)
	mk("staffer", "staff", nil)
	for _, cu := range customers {
		mk(cu.name, "member", cu.crm)
	}
	fo := feedback.Options{Now: c.now}
	for _, o := range opts {
		o(w, &fo)
	}
	w.s = feedback.New(db, w.forums, fo)
	w.board = w.newBoard("Ideas", "public")
	return w
}

// withSearch backs the service with a search index fed by the indexer:
// the embedded one, or Meilisearch (from make test's CRN_TEST_MEILI_*).
func withSearch(backend string) worldOption {
	return func(w *world, o *feedback.Options) { w.withSearch(backend, o) }
}

func (w *world) withSearch(backend string, o *feedback.Options) {
	var idx search.Index
	var err error
	if backend == "meili" {
		client := search.NewMeiliClient(testenv.Get(w.t, testenv.MeiliURL), testenv.Get(w.t, testenv.MeiliKey))
		w.t.Cleanup(client.Close)
		idx, err = search.NewMeili(context.Background(), client, fmt.Sprintf("fb%d_", time.Now().UnixNano()))
	} else {
		idx, err = search.NewEmbedded(filepath.Join(w.t.TempDir(), "search"))
	}
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { idx.Close() })
	r := markup.New(markup.Options{UserURL: func(u string) string { return "/u/" + u }, TagURL: func(t string) string { return "/tags/" + t }})
	w.index = idx
	w.ix = discovery.NewIndexer(w.db.Client, idx, r)
	o.Search = discovery.NewService(w.db.Client, idx)
}

func (w *world) newBoard(name, visibility string) *ent.Forum {
	w.t.Helper()
	kind := "feedback"
	f, err := w.forums.CreateForum(context.Background(), w.actor("admin"), forum.ForumInput{Name: &name, Kind: &kind, ReadVisibility: &visibility})
	if err != nil {
		w.t.Fatal(err)
	}
	return f
}

func (w *world) actor(name string) authz.Actor {
	w.t.Helper()
	if name == "" {
		return authz.Actor{}
	}
	u, err := w.db.Client.User.Get(context.Background(), w.users[name].ID)
	if err != nil {
		w.t.Fatal(err)
	}
	a, err := w.forums.Actor(context.Background(), u)
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

// item opens an item in the world's board.
func (w *world) item(as, title string, areas ...string) *feedback.Item {
	w.t.Helper()
	it, err := w.s.Create(context.Background(), w.actor(as), feedback.CreateInput{Board: w.board.ID, Title: title, Body: "Details of " + title, Areas: areas})
	if err != nil {
		w.t.Fatalf("create %q: %v", title, err)
	}
	return it
}

func (w *world) vote(as string, id int) *feedback.Item {
	w.t.Helper()
	it, err := w.s.Vote(context.Background(), w.actor(as), id, feedback.VoteInput{})
	if err != nil {
		w.t.Fatalf("%s votes on %d: %v", as, id, err)
	}
	return it
}

func (w *world) get(id int) *feedback.Item {
	w.t.Helper()
	it, err := w.s.Item(context.Background(), w.actor("admin"), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return it
}

func (w *world) status(id int, to string) {
	w.t.Helper()
	if _, err := w.s.ChangeStatus(context.Background(), w.actor("staffer"), id, to, "Now "+to+"."); err != nil {
		w.t.Fatalf("status %d → %s: %v", id, to, err)
	}
}

// relay delivers every committed event to the notification consumer and,
// with search, the indexer.
func (w *world) relay() {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	consumers := []event.Consumer{notify.Consumer{Postgres: w.db.Dialect == database.Postgres}}
	if w.ix != nil {
		consumers = append(consumers, w.ix)
	}
	r := event.NewRelay(w.db.Client, slog.New(slog.DiscardHandler), event.RelayOptions{PollInterval: 5 * time.Millisecond}, consumers...)
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	latest, err := event.Latest(ctx, w.db.Client)
	if err != nil {
		w.t.Fatal(err)
	}
	for range 4000 {
		behind := false
		for _, c := range consumers {
			pos, err := event.Position(ctx, w.db.Client, c.Name())
			if err != nil {
				w.t.Fatal(err)
			}
			behind = behind || pos < latest
		}
		if !behind {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.t.Fatal("relay did not catch up")
}

// events returns the recorded events of type typ, oldest first.
func (w *world) events(typ event.Type) []*ent.Event {
	w.t.Helper()
	all, err := w.db.Client.Event.Query().Order(ent.Asc("id")).All(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	var out []*ent.Event
	for _, e := range all {
		if e.Type == string(typ) {
			out = append(out, e)
		}
	}
	return out
}

func wantKind(t *testing.T, err error, kind apperr.Kind, code string) {
	t.Helper()
	e := apperr.As(err)
	if e == nil {
		t.Fatalf("error %v, want %s %s", err, kind, code)
	}
	if e.Kind != kind || (code != "" && e.Code != code) {
		t.Fatalf("error %s/%s (%v), want %s/%s", e.Kind, e.Code, err, kind, code)
	}
}

var errUnavailable = errors.New("search backend down")
