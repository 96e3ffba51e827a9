package graph

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/markup"
)

// rows reads graph_edges as "src>dst kind scope forum count".
func (f *fixture) rows() []string {
	var out []string
	for _, r := range f.db.Client.GraphEdge.Query().AllX(context.Background()) {
		fid := ""
		if r.ForumID != 0 {
			fid = " forum"
		}
		out = append(out, fmt.Sprintf("%s>%s %s %d%s ×%d", f.names[r.SrcID], f.names[r.DstID], r.Kind, r.Scope, fid, r.Count))
	}
	sort.Strings(out)
	return out
}

func (f *fixture) actor(name string) authz.Actor {
	u := f.db.Client.User.GetX(context.Background(), f.users[name])
	return authz.ActorOf(u, nil)
}

func TestConsumerDerivesEdgesFromForumActivity(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, "admin", "alice", "bob", "carol")
		ctx := context.Background()
		fs := forum.New(db, markup.New(markup.Options{}), forum.Options{})
		fr, err := fs.CreateForum(ctx, f.actor("admin"), forum.ForumInput{Name: ptr("General")})
		if err != nil {
			t.Fatal(err)
		}
		tv, first, err := fs.CreateTopic(ctx, f.actor("alice"), fr.ID, forum.TopicInput{Title: "How do I?", Body: "Help me @carol", Kind: "question"})
		if err != nil {
			t.Fatal(err)
		}
		answer, err := fs.CreatePost(ctx, f.actor("bob"), tv.ID, forum.PostInput{Body: "Like this, @alice", ReplyTo: first.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fs.CreatePost(ctx, f.actor("carol"), tv.ID, forum.PostInput{Body: fmt.Sprintf("[quote=bob post=%d]\nLike this\n[/quote]\nagreed", answer.ID)}); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.React(ctx, f.actor("alice"), answer.ID, "heart", true); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.React(ctx, f.actor("alice"), answer.ID, "like", true); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.React(ctx, f.actor("alice"), answer.ID, "like", false); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.AcceptAnswer(ctx, f.actor("alice"), tv.ID, answer.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Follow(ctx, f.actor("carol"), "alice", true); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Follow(ctx, f.actor("carol"), "bob", true); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Follow(ctx, f.actor("carol"), "bob", false); err != nil {
			t.Fatal(err)
		}
		f.drain()
		want := []string{
			"alice>bob answer 0 forum ×1",
			"alice>bob reaction 0 forum ×1",
			"alice>carol mention 0 forum ×1",
			"bob>alice reply 0 forum ×1", // the reply also mentions alice: counted once, as a reply
			"carol>alice follow 0 ×1",
			"carol>bob follow 0 ×0", // unfollowed: kept as a zero row so refreshes see it go
			"carol>bob quote 0 forum ×1",
		}
		if got := f.rows(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("edges\n got %q\nwant %q", got, want)
		}
		// Memory mirrors the table; carol no longer follows bob there either.
		net, err := f.s.Neighbors(ctx, f.viewer("carol"), "carol", NeighborQuery{Kinds: 1 << Follow})
		if err != nil || len(net.Edges) != 1 || net.Edges[0].Counts["follow"] != 1 {
			t.Fatalf("follows in memory: %v %+v", err, net)
		}
		// Redelivery is harmless (the relay would not, but HandleTx must
		// not be the only guard of the table's consistency with memory).
		f.drain()
		if got := f.rows(); len(got) != len(want) {
			t.Fatalf("after a second drain: %q", got)
		}

		// A rebuild from the outbox gives the same table.
		before := f.rows()
		sum, err := f.s.Rebuild(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		after := f.rows()
		// The rebuild does not keep zero rows.
		if fmt.Sprint(after) != fmt.Sprint(without(before, "carol>bob follow 0 ×0")) || sum.Edges != 6 {
			t.Fatalf("rebuild: %v\n got %q\nwant %q", sum, after, before)
		}
		// The memory reloads after a rebuild and still agrees.
		f.drain()
		if st := f.s.mem.Stats(); st.Accumulators != 6 {
			t.Fatalf("memory after rebuild: %+v", st)
		}
	})
}

func without(l []string, x string) []string {
	var out []string
	for _, s := range l {
		if s != x {
			out = append(out, s)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestConsumerHandlesGroupResourceAndFeedbackEvents(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, "alice", "bob", "carol", "dave")
		u := f.users
		join := func(name string, group int, vis string) event.Event {
			return event.Event{Type: "group.member_joined", ActorID: u[name], UserID: u[name], Visibility: vis, Payload: map[string]any{"group_id": group}}
		}
		f.record(
			join("alice", 1, event.Public), join("bob", 1, event.Public), join("carol", 1, event.Public),
			join("alice", 2, "group:2"), // private group 2
			// group id only in the visibility: handled defensively
			event.Event{Type: "group.member_joined", ActorID: u["dave"], UserID: u["dave"], Visibility: "group:2"},
			event.Event{Type: "group.member_left", ActorID: u["carol"], UserID: u["carol"], Visibility: event.Public, Payload: map[string]any{"group_id": 1}},
			event.Event{Type: "resource.rated", ActorID: u["bob"], UserID: u["alice"], Visibility: event.Public, Payload: map[string]any{"resource_id": 5, "stars": 4}},
			event.Event{Type: "resource.downloaded", ActorID: u["carol"], UserID: u["alice"], Visibility: event.Public},
			event.Event{Type: "resource.downloaded", ActorID: u["alice"], UserID: u["alice"], Visibility: event.Public}, // own: nothing
			event.Event{Type: "feedback.voted", ActorID: u["alice"], Visibility: event.Public, Payload: map[string]any{"item_id": 9}},
			event.Event{Type: "feedback.voted", ActorID: u["bob"], Visibility: event.Public, Payload: map[string]any{"item_id": 9}},
			event.Event{Type: "feedback.unvoted", ActorID: u["alice"], Visibility: event.Public, Payload: map[string]any{"item_id": 9}},
			event.Event{Type: "feedback.voted", ActorID: u["carol"], TopicID: 9, Visibility: event.Public}, // the item as the topic
			event.Event{Type: "topic.read", ActorID: u["bob"], UserID: u["bob"], Visibility: event.UserOnly(u["bob"])},
			event.Event{Type: "something.new", ActorID: u["bob"], Visibility: event.Public},
		)
		f.drain()
		want := []string{
			"bob>alice covote 0 ×1",
			"bob>alice group 0 ×1",
			"bob>alice rating 0 ×1",
			"carol>alice download 0 ×1",
			"carol>alice group 0 ×0",
			"carol>bob covote 0 ×1", // alice had unvoted by then
			"carol>bob group 0 ×0",
			"dave>alice group 2 ×1",
		}
		if got := f.rows(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("edges\n got %q\nwant %q", got, want)
		}
		// The private group's tie is for its members.
		if net, _ := f.s.Neighbors(context.Background(), f.viewer("bob"), "dave", NeighborQuery{}); len(net.Edges) != 0 {
			t.Fatalf("bob sees the private group: %+v", net.Edges)
		}
		// Groups to join: bob's ties belong to group 2 (private: never suggested) and 1 (bob is in it).
		r, err := f.s.Recommend(context.Background(), f.viewer("carol"), "carol")
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Groups) != 1 || r.Groups[0].GroupID != 1 {
			t.Fatalf("carol should be offered group 1 back: %+v", r.Groups)
		}
		n, err := f.db.Client.GraphAffiliation.Query().Count(context.Background())
		if err != nil || n != 6 {
			t.Fatalf("affiliations %d %v", n, err)
		}
		_ = ent.Asc
	})
}
