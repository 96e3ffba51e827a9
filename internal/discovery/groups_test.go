package discovery_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/discovery"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/group"
)

// reload rebuilds an actor after their group memberships changed.
func (w *world) reload(name string) {
	w.t.Helper()
	ctx := context.Background()
	u, err := w.a.DB.Client.User.Query().Where(user.UsernameKey(name)).Only(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	if w.actors[name], err = w.a.Forums.Actor(ctx, u); err != nil {
		w.t.Fatal(err)
	}
}

// Search never shows a non-member a private group, nor the topics and
// posts of private and restricted groups, on either backend and database.
func TestSearchHidesPrivateGroups(t *testing.T) {
	for name, configure := range backends(t) {
		for _, dialect := range []string{"sqlite", "postgres"} {
			t.Run(name+"/"+dialect, func(t *testing.T) {
				ctx := context.Background()
				cfg := config.Default()
				cfg.DataDir = t.TempDir()
				if dialect == "postgres" {
					cfg.DatabaseURL = dbtest.NewPostgres(t).URL
				}
				configure(&cfg)
				w := newWorld(t, cfg)
				gs, f := w.a.Groups, w.a.Forums
				mk := func(name, vis string) (*group.View, *forum.TopicView) {
					g, err := gs.Create(ctx, w.actors["alice"], group.Input{Name: ptr(name), Visibility: ptr(vis), Description: ptr("zebra " + vis + " den")})
					if err != nil {
						t.Fatal(err)
					}
					w.reload("alice")
					fr, err := f.CreateForum(ctx, w.actors["alice"], forum.ForumInput{Name: ptr(name + " forum"), GroupID: g.ID})
					if err != nil {
						t.Fatal(err)
					}
					tv, _, err := f.CreateTopic(ctx, w.actors["alice"], fr.ID, forum.TopicInput{Title: "Zebra plans of the " + vis + " group", Body: "zebra stripes " + vis})
					if err != nil {
						t.Fatal(err)
					}
					return g, tv
				}
				pubG, pubT := mk("Open herd", "public")
				resG, resT := mk("Closed herd", "restricted")
				privG, privT := mk("Hidden herd", "private")
				w.drain()
				id := func(typ string, n int) string { return fmt.Sprintf("%s-%d", typ, n) }
				for _, who := range []string{"guest", "bob"} {
					ids := w.find(who, "zebra", discovery.Params{Limit: 50})
					if !has(ids, id("topic", pubT.ID)) || !has(ids, id("group", pubG.ID)) || !has(ids, id("group", resG.ID)) {
						t.Fatalf("%s misses public things: %v", who, ids)
					}
					for _, hidden := range []string{id("topic", resT.ID), id("topic", privT.ID), id("group", privG.ID)} {
						if has(ids, hidden) {
							t.Fatalf("%s found %s: %v", who, hidden, ids)
						}
					}
					if ids := w.find(who, "zebra", discovery.Params{Types: []string{"post"}, Limit: 50}); len(ids) != 1 {
						t.Fatalf("%s finds posts: %v", who, ids)
					}
				}
				for _, who := range []string{"alice", "admin"} {
					ids := w.find(who, "zebra", discovery.Params{Limit: 50})
					for _, want := range []string{id("topic", resT.ID), id("topic", privT.ID), id("group", privG.ID)} {
						if !has(ids, want) {
							t.Fatalf("%s misses %s: %v", who, want, ids)
						}
					}
				}
				// A group filter narrows to one group's documents.
				if ids := w.find("alice", "zebra", discovery.Params{GroupIDs: []int{privG.ID}, Types: []string{"topic"}}); len(ids) != 1 || ids[0] != id("topic", privT.ID) {
					t.Fatalf("group filter: %v", ids)
				}
				// Bob joins by invite and finds the private group's content.
				inv, err := gs.CreateInvite(ctx, w.actors["alice"], privG.Slug, group.InviteInput{Username: "bob"})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := gs.AcceptInvite(ctx, w.actors["bob"], inv.Token); err != nil {
					t.Fatal(err)
				}
				w.reload("bob")
				if ids := w.find("bob", "zebra", discovery.Params{Limit: 50}); !has(ids, id("topic", privT.ID)) || has(ids, id("topic", resT.ID)) {
					t.Fatalf("a new member: %v", ids)
				}
				// The public group turning private takes its content out of outsiders' results.
				if _, err := gs.Update(ctx, w.actors["alice"], pubG.Slug, group.Input{Visibility: ptr("private")}); err != nil {
					t.Fatal(err)
				}
				w.drain()
				if ids := w.find("guest", "zebra", discovery.Params{Limit: 50}); has(ids, id("topic", pubT.ID)) || has(ids, id("group", pubG.ID)) {
					t.Fatalf("a group turned private is still found: %v", ids)
				}
			})
		}
	}
}
