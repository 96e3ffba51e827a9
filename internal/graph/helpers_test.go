package graph

import (
	"context"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/event"
)

// fixture is a graph service over a real database, with users and a clock.
type fixture struct {
	t     *testing.T
	db    *database.DB
	s     *Service
	now   time.Time
	users map[string]int
	names map[int]string
}

type staticGroups map[int][]int

func (g staticGroups) MemberGroupIDs(_ context.Context, id int) ([]int, error) { return g[id], nil }

func newFixture(t *testing.T, db *database.DB, names ...string) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), users: map[string]int{}, names: map[int]string{}}
	f.s = New(db, NewMemory(DefaultHalfLife), Options{Now: func() time.Time { return f.now }, Groups: staticGroups{}})
	f.addUsers(names...)
	return f
}

func (f *fixture) addUsers(names ...string) {
	for _, n := range names {
		role := user.RoleMember
		if n == "staff" || n == "admin" {
			role = user.RoleAdmin
		}
		u := f.db.Client.User.Create().SetUsername(n).SetUsernameKey(n).SetEmail(n + "@example.com").SetEmailKey(n + "@example.com").
			SetDisplayName(n).SetRole(role).SetPasswordHash("x").SaveX(context.Background())
		f.users[n], f.names[u.ID] = u.ID, n
	}
}

// tie sets an accumulator in memory directly: n interactions of kind from a
// to b in scope, all at the fixture's time.
func (f *fixture) tie(a, b string, k Kind, n int, scope int) {
	f.s.mem.mu.Lock()
	defer f.s.mem.mu.Unlock()
	f.s.mem.set(edgeKey{src: f.users[a], dst: f.users[b], kind: k, scope: scope}, edgeState{count: n, score: float64(n), asOf: f.now})
}

func (f *fixture) viewer(name string) Viewer {
	v := Viewer{UserID: f.users[name], Staff: name == "staff" || name == "admin"}
	if g, ok := f.s.opts.Groups.(staticGroups); ok {
		v.Groups = map[int]bool{}
		for _, id := range g[v.UserID] {
			v.Groups[id] = true
		}
	}
	return v
}

func (f *fixture) optOut(name string) {
	f.db.Client.User.UpdateOneID(f.users[name]).SetGraphOptOut(true).ExecX(context.Background())
}

// record writes events to the outbox as their actors' services would.
func (f *fixture) record(evs ...event.Event) {
	f.t.Helper()
	ctx := context.Background()
	tx, err := f.db.Client.Tx(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := event.Record(ctx, tx, f.db.Dialect == database.Postgres, evs...); err != nil {
		f.t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		f.t.Fatal(err)
	}
}

// drain hands every pending outbox event to the graph consumer as the relay
// would (one transaction per batch, cursor included), then refreshes memory.
func (f *fixture) drain() {
	f.t.Helper()
	ctx := context.Background()
	c := f.s.Consumer()
	pos, err := event.Position(ctx, f.db.Client, c.Name())
	if err != nil {
		f.t.Fatal(err)
	}
	latest, err := event.Latest(ctx, f.db.Client)
	if err != nil {
		f.t.Fatal(err)
	}
	if latest > pos {
		rows := f.db.Client.Event.Query().Order(ent.Asc("id")).AllX(ctx)
		var evs []event.Event
		for _, r := range rows {
			if r.ID <= pos {
				continue
			}
			evs = append(evs, event.Event{ID: r.ID, Type: event.Type(r.Type), ActorID: deref(r.ActorID), ForumID: deref(r.ForumID),
				TopicID: deref(r.TopicID), PostID: deref(r.PostID), UserID: deref(r.UserID), Visibility: r.Visibility,
				Payload: r.Payload, CreatedAt: r.CreatedAt})
		}
		tx, err := f.db.Client.Tx(ctx)
		if err != nil {
			f.t.Fatal(err)
		}
		if err := c.HandleTx(ctx, tx, evs); err != nil {
			_ = tx.Rollback()
			f.t.Fatal(err)
		}
		if err := setCursor(ctx, tx, c.Name(), latest); err != nil {
			f.t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			f.t.Fatal(err)
		}
	}
	if _, err := f.s.mem.Refresh(ctx, f.db.Client); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) usernames(ns []Node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Username
	}
	return out
}
