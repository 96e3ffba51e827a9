package group_test

import (
	"context"
	"testing"

	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/group"
)

func TestUserGroupsShowsOnlyReadableMemberships(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		slugs := map[string]string{}
		for _, vis := range []string{"public", "restricted", "private"} {
			g, err := w.groups.Create(ctx, w.actor("owner"), group.Input{Name: ptr("Group " + vis), Visibility: ptr(vis)})
			if err != nil {
				t.Fatal(err)
			}
			slugs[vis] = g.Slug
			if vis != "public" {
				if _, err := w.groups.CreateInvite(ctx, w.actor("owner"), g.Slug, group.InviteInput{Username: "ann"}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := w.groups.Join(ctx, w.actor("ann"), g.Slug); err != nil {
				t.Fatal(err)
			}
		}
		names := func(viewer string) []string {
			t.Helper()
			gs, err := w.groups.UserGroups(ctx, w.actor(viewer), w.users["ann"].ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, g := range gs {
				out = append(out, g.Slug)
			}
			return out
		}
		want := func(viewer string, exp ...string) {
			t.Helper()
			got := names(viewer)
			if len(got) != len(exp) {
				t.Fatalf("%s sees %v of ann's groups, want %v", viewer, got, exp)
			}
			for i := range exp {
				if got[i] != exp[i] {
					t.Fatalf("%s sees %v of ann's groups, want %v", viewer, got, exp)
				}
			}
		}
		// Ordered by name: Group private, Group public, Group restricted.
		want("ben", slugs["public"])
		want("ann", slugs["private"], slugs["public"], slugs["restricted"])
		want("owner", slugs["private"], slugs["public"], slugs["restricted"])
		want("admin", slugs["private"], slugs["public"], slugs["restricted"])
		if err := w.groups.Leave(ctx, w.actor("ann"), slugs["public"]); err != nil {
			t.Fatal(err)
		}
		want("ben")
	})
}
