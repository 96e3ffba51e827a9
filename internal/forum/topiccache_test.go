package forum_test

import (
	"context"
	"testing"

	"github.com/crn-dev/crn/ent"
	entevent "github.com/crn-dev/crn/ent/event"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/forum"
)

// Replies authorize against a topic row their node read a moment ago and
// then decide again on the row their transaction locked, so changes made
// on another node in between (here another Service on the same database,
// whose writes this node's cache never hears of) are never missed: a
// refused reply stores nothing, and an accepted one carries the topic's
// current forum and title.
func TestReplyToTopicChangedElsewhere(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		other := w.node(db) // another node
		admin, bob := w.actor("admin"), w.actor("bob")
		open := w.forum("Open", forum.ForumInput{})
		staffOnly := w.forum("Staff replies", forum.ForumInput{ReplyPolicy: ptr("staff")})
		tv, _ := w.topic("alice", open, "Changes under a cached row")
		w.reply("bob", tv.ID, "this node now has the topic cached", 0)

		stored := func() (posts, highest int) {
			t.Helper()
			posts = db.Client.Post.Query().Where(post.TopicID(tv.ID)).CountX(ctx)
			return posts, db.Client.Topic.GetX(ctx, tv.ID).HighestPostNumber
		}
		refused := func(code string) {
			t.Helper()
			posts, highest := stored()
			_, err := w.s.CreatePost(ctx, bob, tv.ID, forum.PostInput{Body: "refused reply"})
			if e := apperr.As(err); e == nil || e.Code != code {
				t.Fatalf("want error %s, got %v", code, err)
			}
			if p, h := stored(); p != posts || h != highest {
				t.Fatalf("a refused reply changed the topic: %d posts (was %d), highest number %d (was %d)", p, posts, h, highest)
			}
		}
		lastPostCreated := func() *ent.Event {
			t.Helper()
			return db.Client.Event.Query().Where(entevent.Type("post.created")).Order(ent.Desc(entevent.FieldID)).FirstX(ctx)
		}

		// Closed elsewhere.
		if _, err := other.UpdateTopic(ctx, admin, tv.ID, forum.TopicPatch{Closed: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		refused("topic_locked")

		// Reopened and renamed elsewhere: the reply's event has the new title.
		if _, err := other.UpdateTopic(ctx, admin, tv.ID, forum.TopicPatch{Closed: ptr(false), Title: ptr("Renamed on another node")}); err != nil {
			t.Fatal(err)
		}
		w.reply("bob", tv.ID, "the topic is open again", 0)
		if got := lastPostCreated().Payload["topic_title"]; got != "Renamed on another node" {
			t.Fatalf("event's topic title %v", got)
		}

		// Moved elsewhere into a forum where only staff reply: members are
		// refused; staff replies name the new forum.
		if _, err := other.UpdateTopic(ctx, admin, tv.ID, forum.TopicPatch{ForumID: &staffOnly.ID}); err != nil {
			t.Fatal(err)
		}
		refused("cannot_reply")
		if _, err := other.UpdateTopic(ctx, admin, tv.ID, forum.TopicPatch{ForumID: &open.ID}); err != nil {
			t.Fatal(err)
		}
		w.reply("bob", tv.ID, "cached in the open forum again", 0)
		if _, err := other.UpdateTopic(ctx, admin, tv.ID, forum.TopicPatch{ForumID: &staffOnly.ID}); err != nil {
			t.Fatal(err)
		}
		p, err := w.s.CreatePost(ctx, admin, tv.ID, forum.PostInput{Body: "staff reply after the move"})
		if err != nil {
			t.Fatal(err)
		}
		if ev := lastPostCreated(); ev.ForumID == nil || *ev.ForumID != staffOnly.ID || ev.PostID == nil || *ev.PostID != p.ID {
			t.Fatalf("event of the staff reply: forum %v post %v, want forum %d post %d", ev.ForumID, ev.PostID, staffOnly.ID, p.ID)
		}

		// Deleted elsewhere (its opening post): no such topic.
		if _, err := other.UpdateTopic(ctx, admin, tv.ID, forum.TopicPatch{ForumID: &open.ID}); err != nil {
			t.Fatal(err)
		}
		w.reply("bob", tv.ID, "cached once more", 0)
		first := db.Client.Post.Query().Where(post.TopicID(tv.ID), post.PostNumber(1)).OnlyX(ctx)
		if err := other.DeletePost(ctx, admin, first.ID); err != nil {
			t.Fatal(err)
		}
		refused("topic_not_found")
	})
}
