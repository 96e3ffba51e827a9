package forum_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/notification"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/markup"
	"github.com/crn-dev/crn/internal/notify"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// world is a community to test in: a service, a clock and some people.
type world struct {
	t     *testing.T
	db    *database.DB
	s     *forum.Service
	clock *clock
	users map[string]*ent.User
}

func newWorld(t *testing.T, db *database.DB) *world {
	t.Helper()
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	r := testRenderer()
	w := &world{t: t, db: db, clock: c, users: map[string]*ent.User{}}
	w.s = forum.New(db, r, forum.Options{Now: c.now})
	for _, u := range []struct {
		name, role string
		trust      int
	}{{"admin", "admin", 4}, {"mod", "moderator", 3}, {"othermod", "moderator", 3}, {"staffer", "staff", 2}, {"alice", "member", 1}, {"bob", "member", 0}, {"carol", "member", 2}} {
		w.users[u.name] = db.Client.User.Create().SetUsername(u.name).SetUsernameKey(u.name).
			SetEmail(u.name + "@example.com").SetEmailKey(u.name + "@example.com").SetDisplayName(u.name).
			SetRole(user.Role(u.role)).SetTrustLevel(u.trust).SetPasswordHash("x").SaveX(context.Background())
	}
	return w
}

// testRenderer is the Markdown renderer the tests' services use.
func testRenderer() *markup.Renderer {
	return markup.New(markup.Options{
		UserURL: func(u string) string { return "/u/" + u },
		TagURL:  func(t string) string { return "/tags/" + t },
	})
}

// node returns another forum service on the world's database and clock:
// another server, whose caches hear nothing of this one's writes.
func (w *world) node(db *database.DB) *forum.Service {
	return forum.New(db, testRenderer(), forum.Options{Now: w.clock.now})
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
	a, err := w.s.Actor(context.Background(), u)
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

func ptr[T any](v T) *T { return &v }

func (w *world) forum(name string, in forum.ForumInput) *ent.Forum {
	w.t.Helper()
	in.Name = ptr(name)
	f, err := w.s.CreateForum(context.Background(), w.actor("admin"), in)
	if err != nil {
		w.t.Fatal(err)
	}
	return f
}

func (w *world) topic(as string, f *ent.Forum, title string) (*forum.TopicView, *ent.Post) {
	w.t.Helper()
	tv, p, err := w.s.CreateTopic(context.Background(), w.actor(as), f.ID, forum.TopicInput{Title: title, Body: "Opening post of " + title})
	if err != nil {
		w.t.Fatal(err)
	}
	return tv, p
}

func (w *world) reply(as string, topicID int, body string, replyTo int) *ent.Post {
	w.t.Helper()
	p, err := w.s.CreatePost(context.Background(), w.actor(as), topicID, forum.PostInput{Body: body, ReplyTo: replyTo})
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

func wantKind(t *testing.T, err error, k apperr.Kind) *apperr.Error {
	t.Helper()
	if !apperr.Is(err, k) {
		t.Fatalf("want %s error, got %v", k, err)
	}
	return apperr.As(err)
}

func TestVisibilityAndPostingRules(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		pub := w.forum("Public", forum.ForumInput{})
		priv := w.forum("Members only", forum.ForumInput{ReadVisibility: ptr("members")})
		staffOnly := w.forum("Announcements", forum.ForumInput{TopicPolicy: ptr("staff")})
		trusted := w.forum("Trusted", forum.ForumInput{TopicPolicy: ptr("trust"), TopicMinTrust: ptr(2), ReplyPolicy: ptr("trust"), ReplyMinTrust: ptr(1)})

		// Guests see public forums only, and nothing inside members-only ones.
		guest := authz.Actor{}
		fs, err := w.s.Forums(ctx, guest)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if f.ID == priv.ID {
				t.Fatal("guest sees a members-only forum")
			}
		}
		pt, _ := w.topic("alice", priv, "Secret plans")
		w.reply("bob", pt.ID, "a members-only reply", 0)
		_, err = w.s.Forum(ctx, guest, priv.ID)
		wantKind(t, err, apperr.KindNotFound)
		_, err = w.s.Topics(ctx, guest, priv.ID, forum.ListQuery{})
		wantKind(t, err, apperr.KindNotFound)
		_, err = w.s.Topic(ctx, guest, pt.ID, true)
		wantKind(t, err, apperr.KindNotFound)
		_, err = w.s.Posts(ctx, guest, pt.ID, forum.PostQuery{})
		wantKind(t, err, apperr.KindNotFound)
		if ps, _ := w.s.UserPosts(ctx, guest, w.users["bob"].ID, 0, 0); len(ps) != 0 {
			t.Fatal("a guest sees members-only posts on a profile")
		}
		if ts, _ := w.s.UserTopics(ctx, guest, w.users["alice"].ID, 0, 0); len(ts) != 0 {
			t.Fatal("a guest sees members-only topics on a profile")
		}
		if _, err := w.s.Topic(ctx, w.actor("bob"), pt.ID, false); err != nil {
			t.Fatalf("a member cannot read a members-only topic: %v", err)
		}

		// Guests cannot post; staff-only and trust policies hold.
		_, _, err = w.s.CreateTopic(ctx, guest, pub.ID, forum.TopicInput{Title: "Hello", Body: "hi"})
		wantKind(t, err, apperr.KindUnauthenticated)
		_, _, err = w.s.CreateTopic(ctx, w.actor("alice"), staffOnly.ID, forum.TopicInput{Title: "Hello", Body: "hi"})
		wantKind(t, err, apperr.KindForbidden)
		w.topic("staffer", staffOnly, "Release notes")
		_, _, err = w.s.CreateTopic(ctx, w.actor("alice"), trusted.ID, forum.TopicInput{Title: "Hello", Body: "hi"})
		wantKind(t, err, apperr.KindForbidden)
		tt, _ := w.topic("carol", trusted, "Trusted talk")
		_, err = w.s.CreatePost(ctx, w.actor("bob"), tt.ID, forum.PostInput{Body: "trust 0 reply"})
		wantKind(t, err, apperr.KindForbidden)
		w.reply("alice", tt.ID, "trust 1 may reply", 0)

		// Silenced members read but cannot write.
		db.Client.User.UpdateOneID(w.users["bob"].ID).SetStatus(user.StatusSilenced).ExecX(ctx)
		_, err = w.s.CreatePost(ctx, w.actor("bob"), pt.ID, forum.PostInput{Body: "let me speak"})
		if e := wantKind(t, err, apperr.KindForbidden); e.Code != "account_silenced" {
			t.Fatal(e.Code)
		}

		// Sub-forums are one level deep.
		child := w.forum("Child", forum.ForumInput{ParentID: &pub.ID})
		_, err = w.s.CreateForum(ctx, w.actor("admin"), forum.ForumInput{Name: ptr("Grandchild"), ParentID: &child.ID})
		wantKind(t, err, apperr.KindUnprocessable)
		_, err = w.s.UpdateForum(ctx, w.actor("admin"), pub.ID, forum.ForumInput{ParentID: &staffOnly.ID})
		wantKind(t, err, apperr.KindUnprocessable) // it has a child, so it stays top-level
		if _, err := w.s.UpdateForum(ctx, w.actor("admin"), child.ID, forum.ForumInput{ParentID: ptr(0)}); err != nil {
			t.Fatal(err)
		}

		// Only admins manage forums.
		_, err = w.s.CreateForum(ctx, w.actor("mod"), forum.ForumInput{Name: ptr("Nope")})
		wantKind(t, err, apperr.KindForbidden)
	})
}

func TestModeratorsActOnlyInTheirForums(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		x := w.forum("X", forum.ForumInput{Moderators: &[]string{"mod"}})
		y := w.forum("Y", forum.ForumInput{Moderators: &[]string{"othermod"}})
		if len(x.Edges.Moderators) != 1 || x.Edges.Moderators[0].Username != "mod" {
			t.Fatalf("moderators: %v", x.Edges.Moderators)
		}
		// One moderator may look after several forums.
		z := w.forum("Z", forum.ForumInput{Moderators: &[]string{"mod", "othermod"}})
		if a := w.actor("mod"); !a.Moderates(x.ID) || !a.Moderates(z.ID) || a.Moderates(y.ID) {
			t.Fatalf("mod moderates %v", a.ModeratedForums)
		}
		_, err := w.s.CreateForum(ctx, w.actor("admin"), forum.ForumInput{Name: ptr("Z"), Moderators: &[]string{"alice"}})
		wantKind(t, err, apperr.KindUnprocessable)

		tx, px := w.topic("alice", x, "In X")
		ty, py := w.topic("alice", y, "In Y")
		mod := w.actor("mod")
		if _, err := w.s.UpdateTopic(ctx, mod, tx.ID, forum.TopicPatch{Locked: ptr(true), Pinned: ptr(true)}); err != nil {
			t.Fatalf("moderator of X cannot lock in X: %v", err)
		}
		_, err = w.s.UpdateTopic(ctx, mod, ty.ID, forum.TopicPatch{Locked: ptr(true)})
		wantKind(t, err, apperr.KindForbidden)
		if _, err := w.s.EditPost(ctx, mod, px.ID, "edited by the moderator"); err != nil {
			t.Fatal(err)
		}
		_, err = w.s.EditPost(ctx, mod, py.ID, "not my forum")
		wantKind(t, err, apperr.KindForbidden)
		wantKind(t, w.s.DeletePost(ctx, mod, py.ID), apperr.KindForbidden)
		// Members cannot moderate; admins can everywhere.
		_, err = w.s.UpdateTopic(ctx, w.actor("alice"), tx.ID, forum.TopicPatch{Locked: ptr(false)})
		wantKind(t, err, apperr.KindForbidden)
		if _, err := w.s.UpdateTopic(ctx, w.actor("admin"), ty.ID, forum.TopicPatch{Closed: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		// A locked topic takes no replies from members, but from its moderators.
		_, err = w.s.CreatePost(ctx, w.actor("bob"), tx.ID, forum.PostInput{Body: "can I?"})
		if e := wantKind(t, err, apperr.KindForbidden); e.Code != "topic_locked" {
			t.Fatal(e.Code)
		}
		w.reply("mod", tx.ID, "moderator note", 0)
		// The counts consumer adds the reply to x; a move right after
		// it, before the consumer ran, would leave x at -1 until it ran.
		runCounts(t, db)
		// Moving needs moderation rights in both forums.
		_, err = w.s.UpdateTopic(ctx, mod, tx.ID, forum.TopicPatch{ForumID: &y.ID})
		wantKind(t, err, apperr.KindForbidden)
		if _, err := w.s.UpdateTopic(ctx, w.actor("admin"), tx.ID, forum.TopicPatch{ForumID: &y.ID}); err != nil {
			t.Fatal(err)
		}
		fy, _ := w.s.Forum(ctx, w.actor("admin"), y.ID)
		fx, _ := w.s.Forum(ctx, w.actor("admin"), x.ID)
		if fy.TopicCount != 2 || fx.TopicCount != 0 || fy.PostCount != 3 || fx.PostCount != 0 {
			t.Fatalf("counts after move: x %d/%d y %d/%d", fx.TopicCount, fx.PostCount, fy.TopicCount, fy.PostCount)
		}
	})
}

func TestEditWindowRevisionsDeleteRestore(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		f := w.forum("General", forum.ForumInput{Moderators: &[]string{"mod"}})
		tv, _ := w.topic("alice", f, "Editing")
		p := w.reply("bob", tv.ID, "first version", 0)
		_, err := w.s.EditPost(ctx, w.actor("alice"), p.ID, "not mine")
		wantKind(t, err, apperr.KindForbidden)
		p2, err := w.s.EditPost(ctx, w.actor("bob"), p.ID, "second version **bold**")
		if err != nil {
			t.Fatal(err)
		}
		if p2.Version != 2 || !strings.Contains(p2.HTML, "<strong>bold</strong>") || p2.EditedAt == nil {
			t.Fatalf("edit: %+v", p2)
		}
		w.clock.add(25 * time.Hour)
		_, err = w.s.EditPost(ctx, w.actor("bob"), p.ID, "too late")
		wantKind(t, err, apperr.KindForbidden)
		if _, err := w.s.EditPost(ctx, w.actor("mod"), p.ID, "moderators may always edit"); err != nil {
			t.Fatal(err)
		}
		revs, err := w.s.Revisions(ctx, w.actor(""), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(revs) != 3 || revs[0].Source != "first version" || revs[0].UserID != w.users["bob"].ID ||
			revs[2].Source != "moderators may always edit" || revs[2].UserID != w.users["mod"].ID {
			t.Fatalf("revisions: %+v", revs)
		}

		// Soft delete: hidden from readers, kept, restorable by moderators only.
		if err := w.s.DeletePost(ctx, w.actor("bob"), p.ID); err != nil {
			t.Fatal(err)
		}
		page, _ := w.s.Posts(ctx, w.actor("alice"), tv.ID, forum.PostQuery{})
		if len(page.Posts) != 1 {
			t.Fatalf("readers see %d posts, want the opening post only", len(page.Posts))
		}
		_, err = w.s.Post(ctx, w.actor("alice"), p.ID)
		wantKind(t, err, apperr.KindNotFound)
		page, _ = w.s.Posts(ctx, w.actor("mod"), tv.ID, forum.PostQuery{})
		if len(page.Posts) != 2 {
			t.Fatal("moderators should see deleted posts")
		}
		_, err = w.s.RestorePost(ctx, w.actor("bob"), p.ID)
		wantKind(t, err, apperr.KindNotFound) // the author can no longer see it
		if _, err := w.s.RestorePost(ctx, w.actor("mod"), p.ID); err != nil {
			t.Fatal(err)
		}
		got, err := w.s.Topic(ctx, w.actor("alice"), tv.ID, false)
		if err != nil || got.ReplyCount != 1 {
			t.Fatalf("reply count after restore: %v %+v", err, got)
		}
		if n := db.Client.Post.Query().CountX(ctx); n != 2 {
			t.Fatalf("posts in the database: %d", n)
		}
		// Deleting the opening post hides the topic.
		first, _ := w.s.Posts(ctx, w.actor("alice"), tv.ID, forum.PostQuery{})
		if err := w.s.DeletePost(ctx, w.actor("alice"), first.Posts[0].ID); err != nil {
			t.Fatal(err)
		}
		_, err = w.s.Topic(ctx, w.actor("bob"), tv.ID, false)
		wantKind(t, err, apperr.KindNotFound)
	})
}

func TestBadInputStoresNothing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		f := w.forum("General", forum.ForumInput{})
		other := w.forum("Other", forum.ForumInput{})
		alice := w.actor("alice")
		for name, in := range map[string]forum.TopicInput{
			"empty title":   {Title: "", Body: "x"},
			"short title":   {Title: "ab", Body: "x"},
			"long title":    {Title: strings.Repeat("题", 201), Body: "x"},
			"empty body":    {Title: "A title", Body: "   "},
			"long body":     {Title: "A title", Body: strings.Repeat("x", 32001)},
			"bad kind":      {Title: "A title", Body: "x", Kind: "poll"},
			"bad tag":       {Title: "A title", Body: "x", Tags: []string{"no spaces allowed"}},
			"too many tags": {Title: "A title", Body: "x", Tags: []string{"a", "b", "c", "d", "e", "f"}},
			"control chars": {Title: "A\x00title", Body: "x"},
		} {
			_, _, err := w.s.CreateTopic(ctx, alice, f.ID, in)
			if !apperr.Is(err, apperr.KindUnprocessable) {
				t.Errorf("%s: want 422, got %v", name, err)
			}
		}
		if n := db.Client.Topic.Query().CountX(ctx); n != 0 {
			t.Fatalf("bad input stored %d topics", n)
		}
		tv, _ := w.topic("alice", f, "Question?")
		tvOther, pOther := w.topic("bob", other, "Elsewhere")
		_, err := w.s.CreatePost(ctx, w.actor("bob"), tv.ID, forum.PostInput{Body: "reply", ReplyTo: pOther.ID})
		wantKind(t, err, apperr.KindUnprocessable)
		_, err = w.s.CreatePost(ctx, w.actor("bob"), 999999, forum.PostInput{Body: "reply"})
		wantKind(t, err, apperr.KindNotFound)
		p := w.reply("bob", tv.ID, "an answer", 0)
		_, err = w.s.React(ctx, alice, p.ID, "thumbs_sideways", true)
		wantKind(t, err, apperr.KindUnprocessable)
		_, err = w.s.React(ctx, w.actor("bob"), p.ID, "like", true)
		wantKind(t, err, apperr.KindForbidden) // own post
		// Accepting: question topics only, posts of this topic only.
		_, err = w.s.AcceptAnswer(ctx, alice, tv.ID, p.ID)
		wantKind(t, err, apperr.KindConflict)
		if _, err := w.s.UpdateTopic(ctx, alice, tv.ID, forum.TopicPatch{Kind: ptr("question")}); err != nil {
			t.Fatal(err)
		}
		_, err = w.s.AcceptAnswer(ctx, alice, tv.ID, pOther.ID)
		wantKind(t, err, apperr.KindUnprocessable)
		_, err = w.s.AcceptAnswer(ctx, w.actor("bob"), tv.ID, p.ID)
		wantKind(t, err, apperr.KindForbidden)
		got, err := w.s.AcceptAnswer(ctx, alice, tv.ID, p.ID)
		if err != nil || got.AcceptedPostID == nil || *got.AcceptedPostID != p.ID {
			t.Fatalf("accept: %v %+v", err, got)
		}
		p3 := w.reply("carol", tv.ID, "a better answer", 0)
		if got, _ = w.s.AcceptAnswer(ctx, w.actor("admin"), tv.ID, p3.ID); *got.AcceptedPostID != p3.ID {
			t.Fatal("the accepted answer can be changed")
		}
		// Stale or foreign cursors are a 400, not a 500.
		for _, c := range []string{"garbage", "eyJzIjoibmV3IiwiayI6MSwiaSI6MX0"} {
			_, err = w.s.Topics(ctx, alice, f.ID, forum.ListQuery{Sort: "latest", Cursor: c})
			wantKind(t, err, apperr.KindInvalid)
			_, err = w.s.Posts(ctx, alice, tv.ID, forum.PostQuery{Cursor: c})
			wantKind(t, err, apperr.KindInvalid)
		}
		_ = tvOther
		// HTML in text fields is stored as source and rendered inert.
		x := w.reply("carol", tv.ID, `<img src=x onerror=alert(1)><script>alert(2)</script>[a](javascript:alert(3))`, 0)
		if strings.Contains(x.HTML, "<img") || strings.Contains(x.HTML, "<script") || strings.Contains(x.HTML, `href="javascript`) {
			t.Fatalf("unsafe HTML stored: %s", x.HTML)
		}
	})
}

func TestListingsPaginateCompletely(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		f := w.forum("Busy", forum.ForumInput{})
		var ids []int
		for i := range 23 {
			w.clock.add(time.Minute)
			tv, _ := w.topic("alice", f, fmt.Sprintf("Topic number %02d", i))
			ids = append(ids, tv.ID)
			for range i % 4 {
				w.reply("bob", tv.ID, "reply", 0)
			}
		}
		// Pin one: it comes first on the first page of "latest" only.
		if _, err := w.s.UpdateTopic(ctx, w.actor("admin"), ids[3], forum.TopicPatch{Pinned: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		for _, sort := range []string{"latest", "new", "top"} {
			seen := map[int]bool{}
			cursor, pages, pinned := "", 0, 0
			for {
				page, err := w.s.Topics(ctx, w.actor("bob"), f.ID, forum.ListQuery{Sort: sort, Cursor: cursor, Limit: 5, Period: "all"})
				if err != nil {
					t.Fatalf("%s: %v", sort, err)
				}
				pages++
				pinned += len(page.Pinned)
				for _, tv := range append(page.Pinned, page.Topics...) {
					if seen[tv.ID] {
						t.Fatalf("%s: topic %d listed twice", sort, tv.ID)
					}
					seen[tv.ID] = true
				}
				if page.Next == "" {
					break
				}
				cursor = page.Next
			}
			if len(seen) != 23 {
				t.Fatalf("%s: listed %d of 23 topics in %d pages", sort, len(seen), pages)
			}
			if sort == "latest" && pinned != 1 {
				t.Fatalf("pinned listed %d times", pinned)
			}
		}
		first, _ := w.s.Topics(ctx, w.actor("bob"), f.ID, forum.ListQuery{Sort: "new", Limit: 2})
		if first.Topics[0].ID != ids[22] || first.Topics[1].ID != ids[21] {
			t.Fatal("new: newest first")
		}
		top, _ := w.s.Topics(ctx, w.actor("bob"), f.ID, forum.ListQuery{Sort: "top", Limit: 3, Period: "all"})
		for _, tv := range top.Topics {
			if tv.ReplyCount != 3 {
				t.Fatalf("top: most replied first, got %d replies", tv.ReplyCount)
			}
		}
		_, err := w.s.Topics(ctx, w.actor("bob"), f.ID, forum.ListQuery{Sort: "hot"})
		wantKind(t, err, apperr.KindUnprocessable)
	})
}

func TestPostsPageBothWaysAndJump(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		f := w.forum("Long", forum.ForumInput{})
		tv, _ := w.topic("alice", f, "A long topic")
		for i := 2; i <= 45; i++ {
			w.reply("bob", tv.ID, fmt.Sprintf("reply %d", i), 0)
		}
		a := w.actor("carol")
		numbers := func(ps []*ent.Post) []int {
			out := make([]int, len(ps))
			for i, p := range ps {
				out[i] = p.PostNumber
			}
			return out
		}
		page, err := w.s.Posts(ctx, a, tv.ID, forum.PostQuery{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var all []int
		for {
			all = append(all, numbers(page.Posts)...)
			if page.Next == "" {
				break
			}
			if page, err = w.s.Posts(ctx, a, tv.ID, forum.PostQuery{Cursor: page.Next, Limit: 10}); err != nil {
				t.Fatal(err)
			}
		}
		if len(all) != 45 || all[0] != 1 || all[44] != 45 {
			t.Fatalf("forward: %v", all)
		}
		// Backwards from the end.
		var back []int
		for page.Prev != "" {
			if page, err = w.s.Posts(ctx, a, tv.ID, forum.PostQuery{Cursor: page.Prev, Limit: 10}); err != nil {
				t.Fatal(err)
			}
			back = append(numbers(page.Posts), back...)
		}
		if len(back) != 40 || back[0] != 1 || back[39] != 40 {
			t.Fatalf("backward: %v", back)
		}
		near, err := w.s.Posts(ctx, a, tv.ID, forum.PostQuery{Near: 30, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		got := numbers(near.Posts)
		if len(got) != 10 || got[0] != 25 || got[9] != 34 || near.Prev == "" || near.Next == "" {
			t.Fatalf("near 30: %v prev=%q next=%q", got, near.Prev, near.Next)
		}
	})
}

func TestConcurrentRepliesGetDistinctNumbers(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		f := w.forum("Race", forum.ForumInput{})
		tv, _ := w.topic("alice", f, "Everyone reply at once")
		writers := []string{"alice", "bob", "carol", "mod"}
		actors := map[string]authz.Actor{}
		for _, n := range writers {
			actors[n] = w.actor(n)
		}
		const each = 4
		var wg sync.WaitGroup
		errs := make(chan error, len(writers)*each)
		for _, n := range writers {
			for range each {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := w.s.CreatePost(ctx, actors[n], tv.ID, forum.PostInput{Body: "me too"})
					errs <- err
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, _ := w.s.Topic(ctx, actors["alice"], tv.ID, false)
		if got.ReplyCount != 16 || got.HighestPostNumber != 17 || got.ParticipantCount != 4 {
			t.Fatalf("counts: replies %d highest %d participants %d", got.ReplyCount, got.HighestPostNumber, got.ParticipantCount)
		}
		// Every number from 1 to 17 exactly once, and the forum counted each reply.
		nums, err := db.Client.Post.Query().Where(post.TopicID(tv.ID)).Order(ent.Asc(post.FieldPostNumber)).
			Select(post.FieldPostNumber).Ints(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range nums {
			if n != i+1 || len(nums) != 17 {
				t.Fatalf("post numbers %v, want 1 to 17", nums)
			}
		}
		if fr := db.Client.Forum.GetX(ctx, f.ID); fr.PostCount != 1 {
			t.Fatalf("forum post count %d before the counts consumer ran, want 1 (the opening post)", fr.PostCount)
		}
		runCounts(t, db)
		if fr := db.Client.Forum.GetX(ctx, f.ID); fr.PostCount != 17 {
			t.Fatalf("forum post count %d, want 17", fr.PostCount)
		}
	})
}

// runCounts runs forum.CountsConsumer through a relay until it has
// delivered every event in the outbox.
func runCounts(t *testing.T, db *database.DB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := forum.CountsConsumer{Postgres: db.Dialect == database.Postgres, DB: db.Client}
	r := event.NewRelay(db.Client, slog.New(slog.DiscardHandler), event.RelayOptions{PollInterval: 5 * time.Millisecond}, c)
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	last, err := db.Client.Event.Query().Aggregate(ent.Max("id")).Int(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		pos, err := event.Position(ctx, db.Client, c.Name())
		if err != nil {
			t.Fatal(err)
		}
		if pos >= int64(last) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("counts consumer at %d of %d after 10s", pos, last)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A forum's counters follow its new replies through the outbox, exactly
// once each: the latest reply's time, counts_updated events with the
// forum's visibility, and a new relay adds nothing twice.
func TestForumCountsFollowReplies(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		open := w.forum("Open", forum.ForumInput{})
		members := w.forum("Members", forum.ForumInput{ReadVisibility: ptr("members")})
		t1, _ := w.topic("alice", open, "First")
		t2, _ := w.topic("alice", members, "Second")
		var bobs *ent.Post
		for range 3 {
			w.clock.add(time.Minute)
			p, err := w.s.CreatePost(ctx, w.actor("bob"), t1.ID, forum.PostInput{Body: "a reply"})
			if err != nil {
				t.Fatal(err)
			}
			bobs = p
		}
		w.clock.add(time.Minute)
		last, err := w.s.CreatePost(ctx, w.actor("carol"), t2.ID, forum.PostInput{Body: "a reply in the members forum"})
		if err != nil {
			t.Fatal(err)
		}
		// The reply's own transaction leaves the topic's last activity
		// (an indexed column) to the consumer.
		if tr := db.Client.Topic.GetX(ctx, t1.ID); !tr.LastPostedAt.Equal(t1.CreatedAt) || tr.ReplyCount != 3 {
			t.Fatalf("topic before the consumer: last posted %v, %d replies; want the opening post's time and 3", tr.LastPostedAt, tr.ReplyCount)
		}
		runCounts(t, db)
		for _, want := range []*ent.Post{bobs, last} {
			tr := db.Client.Topic.GetX(ctx, want.TopicID)
			if !tr.LastPostedAt.Equal(want.CreatedAt) || tr.LastPosterID == nil || *tr.LastPosterID != want.UserID {
				t.Fatalf("topic %d: last posted %v by %v, want %v by %d", tr.ID, tr.LastPostedAt, tr.LastPosterID, want.CreatedAt, want.UserID)
			}
		}
		fo, fm := db.Client.Forum.GetX(ctx, open.ID), db.Client.Forum.GetX(ctx, members.ID)
		if fo.PostCount != 4 || fm.PostCount != 2 || fo.TopicCount != 1 || fm.TopicCount != 1 {
			t.Fatalf("counts: open %d posts %d topics, members %d posts %d topics", fo.PostCount, fo.TopicCount, fm.PostCount, fm.TopicCount)
		}
		if fm.LastPostedAt == nil || !fm.LastPostedAt.Equal(last.CreatedAt) {
			t.Fatalf("members forum last posted %v, want the reply's %v", fm.LastPostedAt, last.CreatedAt)
		}
		if fo.LastPostedAt == nil || !fo.LastPostedAt.Before(*fm.LastPostedAt) {
			t.Fatalf("open forum last posted %v, want its last reply's, before %v", fo.LastPostedAt, fm.LastPostedAt)
		}
		evs, err := db.Client.Event.Query().Where(func(s *sql.Selector) { s.Where(sql.EQ(s.C("type"), string(event.ForumCountsUpdated))) }).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		vis := map[int]string{}
		added := 0
		topics := map[int]bool{}
		for _, e := range evs {
			vis[*e.ForumID] = e.Visibility
			added += int(e.Payload["posts_added"].(float64))
			ids, _ := e.Payload["topic_ids"].([]any)
			for _, id := range ids {
				topics[int(id.(float64))] = true
			}
		}
		if !topics[t1.ID] || !topics[t2.ID] || len(topics) != 2 {
			t.Fatalf("counts_updated events name topics %v, want %d and %d (their pages show the last activity)", topics, t1.ID, t2.ID)
		}
		if vis[open.ID] != event.Public || vis[members.ID] != event.Members || added != 4 {
			t.Fatalf("counts_updated events: visibility %v, %d posts added; want public, members and 4", vis, added)
		}
		// Delivered again by a new relay: the position holds, nothing moves.
		runCounts(t, db)
		if db.Client.Forum.GetX(ctx, open.ID).PostCount != 4 {
			t.Fatal("a second relay counted the replies again")
		}
	})
}

func TestReactionsBookmarksReadState(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		f := w.forum("General", forum.ForumInput{})
		tv, _ := w.topic("alice", f, "React to me")
		p := w.reply("alice", tv.ID, "a reply", 0)
		bob, carol := w.actor("bob"), w.actor("carol")
		for range 2 { // idempotent
			if _, err := w.s.React(ctx, bob, p.ID, "like", true); err != nil {
				t.Fatal(err)
			}
		}
		w.s.React(ctx, bob, p.ID, "heart", true)
		got, _ := w.s.React(ctx, carol, p.ID, "like", true)
		if got.ReactionCount != 3 || got.Reactions["like"] != 2 || got.Reactions["heart"] != 1 {
			t.Fatalf("reactions: %d %v", got.ReactionCount, got.Reactions)
		}
		w.s.React(ctx, bob, p.ID, "like", false)
		got, _ = w.s.React(ctx, bob, p.ID, "like", false) // withdrawing twice is a no-op
		if got.ReactionCount != 2 || got.Reactions["like"] != 1 {
			t.Fatalf("after withdrawal: %d %v", got.ReactionCount, got.Reactions)
		}
		_, other := w.topic("carol", w.forum("Elsewhere", forum.ForumInput{}), "A post bob neither reacts to nor bookmarks")
		marks, err := w.s.ReaderMarks(ctx, bob, []int{p.ID, other.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(marks.Reactions) != 1 || len(marks.Reactions[p.ID]) != 1 || marks.Reactions[p.ID][0] != "heart" || len(marks.Bookmarked) != 0 {
			t.Fatalf("bob's marks before bookmarking: %+v", marks)
		}
		if tvv, _ := w.s.Topic(ctx, bob, tv.ID, false); tvv.ReactionCount != 2 {
			t.Fatalf("topic reaction count %d", tvv.ReactionCount)
		}

		for range 2 {
			if err := w.s.Bookmark(ctx, bob, p.ID, true); err != nil {
				t.Fatal(err)
			}
		}
		if bs, _ := w.s.Bookmarks(ctx, bob, 0); len(bs) != 1 || bs[0].ID != p.ID {
			t.Fatalf("bookmarks: %v", bs)
		}
		// One query answers both, for this reader only.
		w.s.React(ctx, carol, other.ID, "eyes", true)
		if err := w.s.Bookmark(ctx, carol, other.ID, true); err != nil {
			t.Fatal(err)
		}
		marks, err = w.s.ReaderMarks(ctx, bob, []int{p.ID, other.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(marks.Reactions) != 1 || marks.Reactions[p.ID][0] != "heart" || len(marks.Bookmarked) != 1 || !marks.Bookmarked[p.ID] {
			t.Fatalf("bob's marks after bookmarking: %+v", marks)
		}
		if guest, err := w.s.ReaderMarks(ctx, authz.Actor{}, []int{p.ID}); err != nil || len(guest.Reactions)+len(guest.Bookmarked) != 0 {
			t.Fatalf("a guest's marks: %+v %v", guest, err)
		}
		w.s.Bookmark(ctx, bob, p.ID, false)
		if bs, _ := w.s.Bookmarks(ctx, bob, 0); len(bs) != 0 {
			t.Fatal("bookmark not removed")
		}

		// Read state: new until opened, unread when posts follow the last read one.
		bobUser := w.users["bob"]
		bobUser.CreatedAt = time.Now().Add(-time.Hour)
		counts, err := w.s.UnreadCounts(ctx, bob, bobUser.CreatedAt)
		if err != nil {
			t.Fatal(err)
		}
		if counts[f.ID].New != 1 || counts[f.ID].Unread != 0 {
			t.Fatalf("before reading: %+v", counts[f.ID])
		}
		if _, err := w.s.MarkRead(ctx, bob, tv.ID, 1); err != nil {
			t.Fatal(err)
		}
		counts, _ = w.s.UnreadCounts(ctx, bob, bobUser.CreatedAt)
		if counts[f.ID].New != 0 || counts[f.ID].Unread != 1 {
			t.Fatalf("after reading post 1 of 2: %+v", counts[f.ID])
		}
		tvv, _ := w.s.MarkRead(ctx, bob, tv.ID, 99) // clamps to the last post
		if tvv.LastRead != 2 {
			t.Fatalf("last read %d", tvv.LastRead)
		}
		tvv, _ = w.s.MarkRead(ctx, bob, tv.ID, 1) // never backwards
		if tvv.LastRead != 2 {
			t.Fatalf("read position moved back to %d", tvv.LastRead)
		}
		counts, _ = w.s.UnreadCounts(ctx, bob, bobUser.CreatedAt)
		if counts[f.ID].Unread != 0 {
			t.Fatalf("all read: %+v", counts[f.ID])
		}
		_, err = w.s.MarkRead(ctx, bob, tv.ID, 0)
		wantKind(t, err, apperr.KindUnprocessable)
	})
}

// relayOnce delivers every committed event to the notification consumer.
func relayOnce(t *testing.T, db *database.DB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := event.NewRelay(db.Client, slog.New(slog.DiscardHandler), event.RelayOptions{PollInterval: 5 * time.Millisecond}, notify.Consumer{Postgres: db.Dialect == database.Postgres})
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	latest, err := event.Latest(ctx, db.Client)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		pos, err := event.Position(ctx, db.Client, notify.Consumer{}.Name())
		if err != nil {
			t.Fatal(err)
		}
		if pos >= latest {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("relay did not catch up")
}

func TestNotifications(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		ns := notify.NewService(db.Client)
		f := w.forum("General", forum.ForumInput{})
		// carol watches the forum; mod mutes the topic; staffer muted bob.
		if err := w.s.SetForumLevel(ctx, w.actor("carol"), f.ID, "watching"); err != nil {
			t.Fatal(err)
		}
		tv, first := w.topic("alice", f, "Notify me")
		relayOnce(t, db)
		if _, err := ns.MarkRead(ctx, w.users["carol"].ID, nil); err != nil { // the new-topic notice
			t.Fatal(err)
		}
		if _, err := w.s.SetTopicLevel(ctx, w.actor("mod"), tv.ID, "muted"); err != nil {
			t.Fatal(err)
		}
		if err := w.s.Mute(ctx, w.actor("staffer"), "bob", true); err != nil {
			t.Fatal(err)
		}
		// bob replies to alice, mentions mod (muted topic) and staffer (muted bob), quotes nobody.
		w.reply("bob", tv.ID, "@mod @staffer @nobody hello", first.ID)
		relayOnce(t, db)
		relayOnce(t, db) // redelivery would notify nobody twice

		kinds := func(name string) []string {
			p, err := ns.List(ctx, w.users[name].ID, 0, 0, false)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, n := range p.Items {
				out = append(out, n.Kind)
			}
			return out
		}
		if got := kinds("alice"); len(got) != 1 || got[0] != "reply" {
			t.Fatalf("alice (replied to, watching her topic): %v", got)
		}
		if got := kinds("carol"); len(got) != 2 || got[0] != "watching" || got[1] != "new_topic" {
			t.Fatalf("carol (watching the forum): %v", got)
		}
		if got := kinds("mod"); len(got) != 0 {
			t.Fatalf("mod muted the topic: %v", got)
		}
		if got := kinds("staffer"); len(got) != 0 {
			t.Fatalf("staffer muted bob: %v", got)
		}
		if got := kinds("bob"); len(got) != 0 {
			t.Fatalf("nobody notifies themselves: %v", got)
		}
		// Quoting notifies the quoted author.
		w.reply("carol", tv.ID, fmt.Sprintf("[quote=alice post=%d]\nNotify me\n[/quote]\nAgreed.", first.ID), 0)
		relayOnce(t, db)
		if got := kinds("alice"); len(got) != 2 || got[0] != "quote" {
			t.Fatalf("alice after being quoted: %v", got)
		}
		// The watched forum's new topics notify carol as new_topic.
		w.topic("bob", f, "Second topic")
		relayOnce(t, db)
		if got := kinds("carol"); len(got) != 3 || got[0] != "new_topic" {
			t.Fatalf("carol after a new topic: %v", got)
		}
		// Mark read: one, then all.
		p, _ := ns.List(ctx, w.users["carol"].ID, 0, 0, false)
		if p.UnreadCount != 2 {
			t.Fatalf("unread %d", p.UnreadCount)
		}
		if n, _ := ns.MarkRead(ctx, w.users["carol"].ID, []int{p.Items[0].ID}); n != 1 {
			t.Fatalf("after one: %d", n)
		}
		// Marking someone else's notification changes nothing.
		if n, _ := ns.MarkRead(ctx, w.users["alice"].ID, []int{p.Items[1].ID}); n != 2 { // her reply and quote stay unread
			t.Fatalf("alice's unread: %d", n)
		}
		if n, _ := ns.MarkRead(ctx, w.users["carol"].ID, nil); n != 0 {
			t.Fatalf("after all: %d", n)
		}
		// The counters the consumer and MarkRead keep match a count of
		// the rows, for everyone.
		for name, u := range w.users {
			got, err := ns.UnreadCount(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := db.Client.Notification.Query().Where(notification.UserID(u.ID), notification.ReadAtIsNil()).CountX(ctx)
			if got != want {
				t.Errorf("%s: unread counter %d, but %d notifications are unread", name, got, want)
			}
		}
	})
}

// Topic reads and writes take the forum from a short cache: a change made
// through the service applies at once; one made elsewhere (another node)
// applies when its event reaches the node and ForgetForums runs.
func TestForumChangesReachTopicReadsAtOnce(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		f := w.forum("Cached", forum.ForumInput{})
		tv, _ := w.topic("alice", f, "Seen by guests, for now")
		guest := authz.Actor{}
		if _, err := w.s.Topic(ctx, guest, tv.ID, false); err != nil {
			t.Fatalf("guest reads a public topic: %v", err)
		}
		if _, err := w.s.UpdateForum(ctx, w.actor("admin"), f.ID, forum.ForumInput{ReadVisibility: ptr("members")}); err != nil {
			t.Fatal(err)
		}
		_, err := w.s.Topic(ctx, guest, tv.ID, false)
		wantKind(t, err, apperr.KindNotFound)
		// Made public again by "another node": a direct write, no event here.
		db.Client.Forum.UpdateOneID(f.ID).SetReadVisibility("public").ExecX(ctx)
		if _, err := w.s.Topic(ctx, w.actor("bob"), tv.ID, false); err != nil {
			t.Fatal(err) // members could read it all along
		}
		_, err = w.s.Topic(ctx, guest, tv.ID, false)
		wantKind(t, err, apperr.KindNotFound) // this node has not heard yet
		w.s.ForgetForums()                    // its forum.updated arrived
		if _, err := w.s.Topic(ctx, guest, tv.ID, false); err != nil {
			t.Fatalf("guest after the event: %v", err)
		}
		for _, tc := range []struct {
			t    event.Type
			want bool
		}{{event.ForumUpdated, true}, {event.ForumDeleted, true}, {event.GroupUpdated, false}, {event.GroupDeleted, true},
			{event.ForumCountsUpdated, false}, {event.PostCreated, false}, {event.GroupMemberJoined, false}} {
			if forum.ChangesForums(tc.t) != tc.want {
				t.Errorf("ChangesForums(%s) = %v", tc.t, !tc.want)
			}
		}
	})
}
