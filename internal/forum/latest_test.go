package forum_test

import (
	"context"
	"testing"
	"time"

	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/forum"
)

func TestLatestTopicsAcrossReadableForums(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		pub := w.forum("Public", forum.ForumInput{})
		priv := w.forum("Members only", forum.ForumInput{ReadVisibility: ptr("members")})
		old, _ := w.topic("alice", pub, "Older public topic")
		w.clock.add(1e9)
		secret, _ := w.topic("alice", priv, "Members-only topic")
		w.clock.add(1e9)
		gone, opening := w.topic("alice", pub, "Deleted topic")
		// Deleting the opening post deletes the topic.
		if err := w.s.DeletePost(ctx, w.actor("admin"), opening.ID); err != nil {
			t.Fatal(err)
		}
		w.clock.add(1e9)
		w.reply("bob", old.ID, "bumps the older topic to the top", 0)

		ids := func(a authz.Actor) []int {
			t.Helper()
			tvs, err := w.s.LatestTopics(ctx, a, 10)
			if err != nil {
				t.Fatal(err)
			}
			var out []int
			for _, tv := range tvs {
				out = append(out, tv.ID)
			}
			return out
		}
		guest := ids(authz.Actor{})
		if len(guest) == 0 || guest[0] != old.ID {
			t.Fatalf("guest: want the bumped topic %d first, got %v", old.ID, guest)
		}
		for _, id := range guest {
			if id == secret.ID {
				t.Fatal("a guest sees a members-only topic in the latest list")
			}
			if id == gone.ID {
				t.Fatal("a deleted topic is listed")
			}
		}
		member := ids(w.actor("bob"))
		found := false
		for _, id := range member {
			found = found || id == secret.ID
		}
		if !found {
			t.Fatalf("a member does not see the members-only topic: %v", member)
		}
		for i := range 4 {
			w.topic("carol", pub, "Filler topic number "+string(rune('A'+i)))
		}
		if got, err := w.s.LatestTopics(ctx, w.actor("bob"), 3); err != nil || len(got) != 3 {
			t.Fatalf("limit 3: %d topics, %v", len(got), err)
		}
	})
}

func TestNewSince(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		now := w.clock.now()
		if got := w.s.NewSince(now.Add(-time.Hour)); !got.Equal(now.Add(-time.Hour)) {
			t.Fatalf("a reader who joined an hour ago: new since %v, want their join time", got)
		}
		if got := w.s.NewSince(now.Add(-365 * 24 * time.Hour)); !got.Equal(now.Add(-14 * 24 * time.Hour)) {
			t.Fatalf("a long-time reader: new since %v, want two weeks ago", got)
		}
	})
}
