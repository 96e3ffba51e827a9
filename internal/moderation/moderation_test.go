package moderation_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	entevent "github.com/crn-dev/crn/ent/event"
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
	"github.com/crn-dev/crn/internal/moderation"
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

type world struct {
	t      *testing.T
	ctx    context.Context
	db     *database.DB
	f      *forum.Service
	m      *moderation.Service
	clock  *clock
	users  map[string]*ent.User
	forums map[string]int
	cursor int64
	kicked []int
}

func newWorld(t *testing.T, db *database.DB) *world {
	t.Helper()
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	r := markup.New(markup.Options{UserURL: func(u string) string { return "/u/" + u }, TagURL: func(t string) string { return "/tags/" + t }})
	w := &world{t: t, ctx: context.Background(), db: db, clock: c, users: map[string]*ent.User{}, forums: map[string]int{}}
	sc := &moderation.Screener{}
	w.f = forum.New(db, r, forum.Options{Now: c.now, Screen: sc})
	w.m = moderation.New(db, w.f, moderation.Options{Now: c.now, DisconnectUser: func(id int) { w.kicked = append(w.kicked, id) }})
	sc.S = w.m
	for _, u := range []struct {
		name, role string
		trust      int
	}{{"admin", "admin", 4}, {"admin2", "admin", 4}, {"mod", "moderator", 3}, {"othermod", "moderator", 3}, {"alice", "member", 2}, {"bob", "member", 1}, {"carol", "member", 3}, {"newbie", "member", 0}} {
		w.users[u.name] = db.Client.User.Create().SetUsername(u.name).SetUsernameKey(u.name).
			SetEmail(u.name + "@example.com").SetEmailKey(u.name + "@example.com").SetDisplayName(u.name).
			SetRole(user.Role(u.role)).SetTrustLevel(u.trust).SetPasswordHash("x").SaveX(w.ctx)
	}
	for _, name := range []string{"help", "ideas"} {
		f, err := w.f.CreateForum(w.ctx, w.actor("admin"), forum.ForumInput{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		w.forums[name] = f.ID
	}
	db.Client.Forum.UpdateOneID(w.forums["help"]).AddModeratorIDs(w.users["mod"].ID).ExecX(w.ctx)
	db.Client.Forum.UpdateOneID(w.forums["ideas"]).AddModeratorIDs(w.users["othermod"].ID).ExecX(w.ctx)
	return w
}

func (w *world) actor(name string) authz.Actor {
	w.t.Helper()
	u, err := w.db.Client.User.Get(w.ctx, w.users[name].ID)
	if err != nil {
		w.t.Fatal(err)
	}
	a, err := w.f.Actor(w.ctx, u)
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

func (w *world) topic(author, forumName, title, body string) (*forum.TopicView, *ent.Post) {
	w.t.Helper()
	tv, p, err := w.f.CreateTopic(w.ctx, w.actor(author), w.forums[forumName], forum.TopicInput{Title: title, Body: body})
	if err != nil {
		w.t.Fatalf("create topic: %v", err)
	}
	w.clock.add(time.Minute)
	return tv, p
}

func (w *world) reply(author string, topicID int, body string) *ent.Post {
	w.t.Helper()
	p, err := w.f.CreatePost(w.ctx, w.actor(author), topicID, forum.PostInput{Body: body})
	if err != nil {
		w.t.Fatalf("reply: %v", err)
	}
	w.clock.add(time.Minute)
	return p
}

// drain hands new outbox events to the moderation consumer, as the relay would.
func (w *world) drain() []event.Event {
	w.t.Helper()
	rows, err := w.db.Client.Event.Query().Where(entevent.IDGT(w.cursor)).Order(ent.Asc(entevent.FieldID)).All(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	if len(rows) == 0 {
		return nil
	}
	evs := make([]event.Event, len(rows))
	d := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	for i, r := range rows {
		evs[i] = event.Event{ID: r.ID, Type: event.Type(r.Type), ActorID: d(r.ActorID), ForumID: d(r.ForumID), TopicID: d(r.TopicID),
			PostID: d(r.PostID), UserID: d(r.UserID), Visibility: r.Visibility, Payload: r.Payload, CreatedAt: r.CreatedAt}
	}
	w.cursor = rows[len(rows)-1].ID
	for _, c := range []event.TxConsumer{moderation.Consumer{S: w.m}, notify.Consumer{Postgres: w.db.Dialect == database.Postgres}} {
		tx, err := w.db.Client.Tx(w.ctx)
		if err != nil {
			w.t.Fatal(err)
		}
		if err := c.HandleTx(w.ctx, tx, evs); err != nil {
			_ = tx.Rollback()
			w.t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			w.t.Fatal(err)
		}
	}
	return evs
}

func wantKind(t *testing.T, err error, k apperr.Kind, code string) {
	t.Helper()
	if !apperr.Is(err, k) {
		t.Fatalf("got %v, want %s", err, k)
	}
	if code != "" && apperr.As(err).Code != code {
		t.Fatalf("code %q, want %q", apperr.As(err).Code, code)
	}
}

func (w *world) visible(name string, topicID, postID int) bool {
	w.t.Helper()
	a := authz.Actor{}
	if name != "" {
		a = w.actor(name)
	}
	page, err := w.f.Posts(w.ctx, a, topicID, forum.PostQuery{})
	if err != nil {
		return false
	}
	for _, p := range page.Posts {
		if p.ID == postID {
			return true
		}
	}
	return false
}

func TestFlagsHideAtThresholdAndModeratorsDecide(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		tv, _ := w.topic("alice", "help", "Printer setup", "How do I set up the printer?")
		spam := w.reply("newbie", tv.ID, "Buy cheap watches now")

		_, err := w.m.Flag(w.ctx, w.actor("newbie"), moderation.FlagInput{TargetType: "post", TargetID: spam.ID, Reason: "spam"})
		wantKind(t, err, apperr.KindConflict, "own_content")
		_, err = w.m.Flag(w.ctx, w.actor("bob"), moderation.FlagInput{TargetType: "post", TargetID: spam.ID, Reason: "other"})
		wantKind(t, err, apperr.KindUnprocessable, "")
		_, err = w.m.Flag(w.ctx, w.actor("bob"), moderation.FlagInput{TargetType: "post", TargetID: spam.ID, Reason: "spam"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.m.Flag(w.ctx, w.actor("bob"), moderation.FlagInput{TargetType: "post", TargetID: spam.ID, Reason: "spam"})
		wantKind(t, err, apperr.KindConflict, "already_flagged")
		if !w.visible("", tv.ID, spam.ID) {
			t.Fatal("one trust-1 flag (weight 1) must not hide the post")
		}
		// Alice (trust 2, weight 2) brings the weight to 3, the default threshold.
		if _, err := w.m.Flag(w.ctx, w.actor("alice"), moderation.FlagInput{TargetType: "post", TargetID: spam.ID, Reason: "spam"}); err != nil {
			t.Fatal(err)
		}
		for _, who := range []string{"", "bob", "othermod"} {
			if w.visible(who, tv.ID, spam.ID) {
				t.Fatalf("%q still sees the hidden post", who)
			}
		}
		for _, who := range []string{"newbie", "mod", "admin"} {
			if !w.visible(who, tv.ID, spam.ID) {
				t.Fatalf("%q must see the hidden post", who)
			}
		}
		if _, err := w.f.UserPosts(w.ctx, authz.Actor{}, w.users["newbie"].ID, 0, 0); err != nil {
			t.Fatal(err)
		}
		if ps, _ := w.f.UserPosts(w.ctx, authz.Actor{}, w.users["newbie"].ID, 0, 0); len(ps) != 0 {
			t.Fatalf("the profile shows a hidden post to guests: %d", len(ps))
		}
		evs := w.drain()
		var hidden bool
		for _, e := range evs {
			if e.Type == event.PostHidden && e.PostID == spam.ID && e.UserID == w.users["newbie"].ID {
				hidden = true
			}
		}
		if !hidden {
			t.Fatal("no post.hidden event for the author")
		}
		if n := db.Client.Notification.Query().Where(notification.UserID(w.users["newbie"].ID), notification.Kind(notify.KindPostHidden)).CountX(w.ctx); n != 1 {
			t.Fatalf("the author got %d post_hidden notifications", n)
		}

		// The queue shows it with context to the forum's moderator, not another forum's.
		page, err := w.m.Queue(w.ctx, w.actor("mod"), moderation.QueueQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].Score != 3 || len(page.Items[0].Flags) != 2 || page.Items[0].Post.ID != spam.ID {
			t.Fatalf("queue: %+v", page.Items)
		}
		item := page.Items[0]
		other, err := w.m.Queue(w.ctx, w.actor("othermod"), moderation.QueueQuery{})
		if err != nil || len(other.Items) != 0 {
			t.Fatalf("the moderator of another forum sees %d items (%v)", len(other.Items), err)
		}
		_, err = w.m.Act(w.ctx, w.actor("othermod"), item.ID, "delete", moderation.ActInput{})
		wantKind(t, err, apperr.KindForbidden, "")
		_, err = w.m.Act(w.ctx, w.actor("bob"), item.ID, "delete", moderation.ActInput{})
		wantKind(t, err, apperr.KindForbidden, "")
		if _, err := w.m.Queue(w.ctx, w.actor("bob"), moderation.QueueQuery{}); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("a member reads the queue: %v", err)
		}

		// Notes and assignment, then dismissing shows the post again.
		if _, err := w.m.Act(w.ctx, w.actor("mod"), item.ID, "note", moderation.ActInput{Body: "looks like a real question"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.m.Act(w.ctx, w.actor("mod"), item.ID, "assign", moderation.ActInput{UserID: w.users["mod"].ID}); err != nil {
			t.Fatal(err)
		}
		w.clock.add(10 * time.Minute)
		got, err := w.m.Act(w.ctx, w.actor("mod"), item.ID, "dismiss", moderation.ActInput{Reason: "not spam"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != "resolved" || len(got.Notes) != 1 || got.AssignedToID == nil {
			t.Fatalf("item after dismiss: %+v", got.ReviewItem)
		}
		if !w.visible("", tv.ID, spam.ID) {
			t.Fatal("dismissing the flags did not show the post again")
		}
		page, _ = w.m.Queue(w.ctx, w.actor("mod"), moderation.QueueQuery{})
		if len(page.Items) != 0 || page.MedianFirstAction <= 0 {
			t.Fatalf("queue after dismiss: %d items, median %v", len(page.Items), page.MedianFirstAction)
		}
	})
}

func TestWatchedWordsHoldsAndRateLimits(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		adm := w.actor("admin")
		st := moderation.DefaultSettings()
		st.Words = []moderation.WordRule{{Pattern: "(a+)+$", Regex: true, Action: "block"}, {Pattern: "x{1000}{1000}", Regex: true, Action: "flag"}}
		_, err := w.m.PutSettings(w.ctx, adm, st, "")
		wantKind(t, err, apperr.KindUnprocessable, "")
		if !strings.Contains(apperr.As(err).Fields["watched_words[1].pattern"], "") || apperr.As(err).Fields["watched_words[1].pattern"] == "" {
			t.Fatalf("no complaint about the huge pattern: %v", apperr.As(err).Fields)
		}
		st.Words = []moderation.WordRule{{Pattern: "(unclosed", Regex: true, Action: "block"}}
		_, err = w.m.PutSettings(w.ctx, adm, st, "")
		wantKind(t, err, apperr.KindUnprocessable, "")
		if _, err := w.m.PutSettings(w.ctx, w.actor("mod"), st, ""); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("a moderator changed automod: %v", err)
		}

		st.Words = []moderation.WordRule{
			{Pattern: "垃圾", Action: "replace", Replacement: "**"},
			{Pattern: "casino", Action: "block"},
			{Pattern: "crypto", Action: "hold"},
			{Pattern: `(?i)free\s+money`, Regex: true, Action: "flag"},
		}
		st.Duplicates.Action = "block"
		if _, err := w.m.PutSettings(w.ctx, adm, st, "spam wave"); err != nil {
			t.Fatal(err)
		}
		tv, _ := w.topic("alice", "help", "Printer setup", "How do I set up the printer?")
		// CJK matches inside a sentence without spaces; Latin only as a word.
		p := w.reply("bob", tv.ID, "这是垃圾邮件吗？ my class is fine")
		if p.Source != "这是**邮件吗？ my class is fine" {
			t.Fatalf("replace: %q", p.Source)
		}
		_, err = w.f.CreatePost(w.ctx, w.actor("bob"), tv.ID, forum.PostInput{Body: "Visit my Casino!"})
		wantKind(t, err, apperr.KindUnprocessable, "blocked_by_rule")
		if p := w.reply("bob", tv.ID, "casinos are words too"); p.Pending {
			t.Fatal("a longer word matched the rule")
		}
		held := w.reply("bob", tv.ID, "Buy CRYPTO here")
		if !held.Pending || w.visible("", tv.ID, held.ID) || !w.visible("bob", tv.ID, held.ID) || !w.visible("mod", tv.ID, held.ID) {
			t.Fatal("a held post must be pending and seen by its author and moderators only")
		}
		flagged := w.reply("bob", tv.ID, "FREE   money for all")
		if flagged.Pending || !w.visible("", tv.ID, flagged.ID) {
			t.Fatal("a flag rule publishes the post")
		}
		w.drain()
		page, err := w.m.Queue(w.ctx, w.actor("mod"), moderation.QueueQuery{})
		if err != nil || len(page.Items) != 2 || page.Items[0].Kind != "held" || page.Items[1].Kind != "automod" {
			t.Fatalf("queue: %v %+v", err, page)
		}
		before, _ := w.f.Topic(w.ctx, w.actor("admin"), tv.ID, false)
		if _, err := w.m.Act(w.ctx, w.actor("mod"), page.Items[0].ID, "approve", moderation.ActInput{}); err != nil {
			t.Fatal(err)
		}
		after, _ := w.f.Topic(w.ctx, w.actor("admin"), tv.ID, false)
		if !w.visible("", tv.ID, held.ID) || after.ReplyCount != before.ReplyCount+1 {
			t.Fatalf("approved post: visible %v, replies %d -> %d", w.visible("", tv.ID, held.ID), before.ReplyCount, after.ReplyCount)
		}
		var created bool
		for _, e := range w.drain() {
			created = created || (e.Type == event.PostCreated && e.PostID == held.ID)
		}
		if !created {
			t.Fatal("approving did not publish post.created")
		}

		// Rate limit: bob (trust 1) may post 15 a minute, then 429 and nothing stored.
		w.clock.add(time.Hour)
		for i := 0; i < 15; i++ {
			if _, err := w.f.CreatePost(w.ctx, w.actor("bob"), tv.ID, forum.PostInput{Body: "reply number " + strings.Repeat("x", i+1)}); err != nil {
				t.Fatalf("post %d: %v", i, err)
			}
		}
		n := db.Client.Post.Query().CountX(w.ctx)
		_, err = w.f.CreatePost(w.ctx, w.actor("bob"), tv.ID, forum.PostInput{Body: "one too many"})
		wantKind(t, err, apperr.KindRateLimited, "")
		if apperr.As(err).RetryAfter <= 0 {
			t.Fatal("no Retry-After")
		}
		if db.Client.Post.Query().CountX(w.ctx) != n {
			t.Fatal("a rate-limited post was stored")
		}
		// Duplicates across topics are refused within the window.
		w.clock.add(time.Hour)
		other, _ := w.topic("alice", "help", "Another one", "Another question here")
		w.reply("bob", tv.ID, "Have you tried turning it off and on?")
		_, err = w.f.CreatePost(w.ctx, w.actor("bob"), other.ID, forum.PostInput{Body: "have you tried  turning it off and on?"})
		wantKind(t, err, apperr.KindConflict, "duplicate_post")
		// What counts is the text as it is now: after an edit, the new
		// text is a duplicate and the old one is free again.
		edited := w.reply("bob", tv.ID, "The export works again since the update")
		if _, err := w.f.EditPost(w.ctx, w.actor("bob"), edited.ID, "Exports still fail for date ranges here"); err != nil {
			t.Fatal(err)
		}
		_, err = w.f.CreatePost(w.ctx, w.actor("bob"), other.ID, forum.PostInput{Body: "EXPORTS still fail for date ranges here"})
		wantKind(t, err, apperr.KindConflict, "duplicate_post")
		if _, err := w.f.CreatePost(w.ctx, w.actor("bob"), other.ID, forum.PostInput{Body: "The export works again since the update"}); err != nil {
			t.Fatalf("the text a post had before its edit: %v", err)
		}
		// New users: links are limited, first posts can be held.
		st.NewUsers.HoldFirstPosts = 1
		if _, err := w.m.PutSettings(w.ctx, adm, st, ""); err != nil {
			t.Fatal(err)
		}
		_, err = w.f.CreatePost(w.ctx, w.actor("newbie"), tv.ID, forum.PostInput{Body: "see https://a.example http://b.example www.c.example"})
		wantKind(t, err, apperr.KindUnprocessable, "too_many_links")
		tv2, first, err := w.f.CreateTopic(w.ctx, w.actor("newbie"), w.forums["help"], forum.TopicInput{Title: "Hello all", Body: "my first topic"})
		if err != nil {
			t.Fatal(err)
		}
		if !first.Pending || tv2.HiddenAt == nil {
			t.Fatal("a new member's first topic must be held")
		}
		if _, err := w.f.Topic(w.ctx, w.actor("bob"), tv2.ID, false); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatalf("others see a held topic: %v", err)
		}
		list, _ := w.f.Topics(w.ctx, authz.Actor{}, w.forums["help"], forum.ListQuery{})
		for _, tv := range list.Topics {
			if tv.ID == tv2.ID {
				t.Fatal("the held topic is listed")
			}
		}
	})
}

func TestModeratorScopeAndSanctions(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		tv, _ := w.topic("alice", "ideas", "Dark mode", "Please add dark mode")
		p := w.reply("bob", tv.ID, "Yes please")
		// mod moderates help, not ideas.
		wantKind(t, w.m.HidePost(w.ctx, w.actor("mod"), p.ID, "no"), apperr.KindForbidden, "")
		wantKind(t, w.m.TopicAction(w.ctx, w.actor("mod"), tv.ID, "lock", ""), apperr.KindForbidden, "")
		wantKind(t, w.m.MoveTopic(w.ctx, w.actor("othermod"), tv.ID, w.forums["help"], ""), apperr.KindForbidden, "")
		if err := w.m.TopicAction(w.ctx, w.actor("othermod"), tv.ID, "lock", "heated"); err != nil {
			t.Fatal(err)
		}
		wantKind(t, w.m.TopicAction(w.ctx, w.actor("alice"), tv.ID, "unlock", ""), apperr.KindForbidden, "")

		// Sanctions: moderators cannot touch admins or other moderators; nobody themselves.
		wantKind(t, w.m.Suspend(w.ctx, w.actor("mod"), "admin", time.Hour, "no"), apperr.KindForbidden, "")
		wantKind(t, w.m.Silence(w.ctx, w.actor("mod"), "othermod", time.Hour, "no"), apperr.KindForbidden, "")
		wantKind(t, w.m.Suspend(w.ctx, w.actor("admin"), "admin", time.Hour, "no"), apperr.KindForbidden, "")
		wantKind(t, w.m.Warn(w.ctx, w.actor("alice"), "bob", "no"), apperr.KindForbidden, "")
		wantKind(t, w.m.Silence(w.ctx, w.actor("mod"), "bob", time.Hour, ""), apperr.KindUnprocessable, "")

		if err := w.m.Silence(w.ctx, w.actor("mod"), "bob", 2*time.Hour, "cool down"); err != nil {
			t.Fatal(err)
		}
		if w.actor("bob").CanPost() {
			t.Fatal("a silenced user may post")
		}
		_, err := w.f.CreatePost(w.ctx, w.actor("bob"), tv.ID, forum.PostInput{Body: "still here"})
		wantKind(t, err, apperr.KindForbidden, "account_silenced")
		_, err = w.f.React(w.ctx, w.actor("bob"), tv.Edges.Forum.ID, "like", true)
		if err == nil {
			t.Fatal("a silenced user reacted")
		}
		// Expiry lifts it.
		w.clock.add(3 * time.Hour)
		if n, err := w.m.LiftExpired(w.ctx); err != nil || n != 1 {
			t.Fatalf("lift expired: %d %v", n, err)
		}
		if !w.actor("bob").CanPost() {
			t.Fatal("the silence did not expire")
		}

		tok := db.Client.AuthToken.Create().SetKind("session").SetTokenHash(strings.Repeat("a", 64)).SetUserID(w.users["bob"].ID).SetCreatedAt(w.clock.now()).SaveX(w.ctx)
		if err := w.m.Suspend(w.ctx, w.actor("admin"), "bob", 0, "spam"); err != nil {
			t.Fatal(err)
		}
		if db.Client.AuthToken.GetX(w.ctx, tok.ID).RevokedAt == nil {
			t.Fatal("suspension left a session alive")
		}
		if db.Client.User.GetX(w.ctx, w.users["bob"].ID).Status != user.StatusSuspended || len(w.kicked) != 1 {
			t.Fatal("not suspended or sockets not closed")
		}
		wantKind(t, w.m.Unsilence(w.ctx, w.actor("admin"), "bob", ""), apperr.KindConflict, "not_sanctioned")
		if err := w.m.Warn(w.ctx, w.actor("mod"), "alice", "be kind"); err != nil {
			t.Fatal(err)
		}
		var warned bool
		for _, e := range w.drain() {
			warned = warned || (e.Type == event.UserWarned && e.Visibility == event.UserOnly(w.users["alice"].ID))
		}
		if !warned {
			t.Fatal("no private user.warned event")
		}
		// The warned user is notified with the reason, even if they muted the moderator.
		db.Client.UserMute.Create().SetUserID(w.users["alice"].ID).SetMutedUserID(w.users["mod"].ID).ExecX(w.ctx)
		if err := w.m.Warn(w.ctx, w.actor("mod"), "alice", "second warning"); err != nil {
			t.Fatal(err)
		}
		w.drain()
		ns := db.Client.Notification.Query().Where(notification.UserID(w.users["alice"].ID), notification.Kind(notify.KindWarning)).Order(ent.Asc(notification.FieldID)).AllX(w.ctx)
		if len(ns) != 2 || ns[1].Data["reason"] != "second warning" {
			t.Fatalf("warning notifications: %+v", ns)
		}
	})
}

func TestEveryActionIsAuditedAndReversible(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		adm := w.actor("admin")
		a, _ := w.topic("alice", "help", "Export fails", "Export fails with an error")
		a2 := w.reply("bob", a.ID, "Same here")
		a3 := w.reply("carol", a.ID, "Unrelated: how do I print?")
		a4 := w.reply("alice", a.ID, "Printing is under File")
		b, _ := w.topic("bob", "help", "Export broken", "Exporting is broken for me")
		b2 := w.reply("alice", b.ID, "Duplicate of the other topic")

		lastEntry := func() *ent.AuditEntry {
			page, err := w.m.Audit(w.ctx, adm, moderation.AuditQuery{Limit: 1})
			if err != nil || len(page.Entries) == 0 {
				t.Fatalf("audit: %v", err)
			}
			return page.Entries[0]
		}
		revert := func() {
			t.Helper()
			e := lastEntry()
			if _, err := w.m.Revert(w.ctx, adm, e.ID, "mistake"); err != nil {
				t.Fatalf("revert %s: %v", e.Action, err)
			}
			if _, err := w.m.Revert(w.ctx, adm, e.ID, "again"); !apperr.Is(err, apperr.KindConflict) {
				t.Fatalf("reverting twice: %v", err)
			}
		}
		numbers := func(topicID int) []int {
			page, err := w.f.Posts(w.ctx, adm, topicID, forum.PostQuery{})
			if err != nil {
				t.Fatal(err)
			}
			var out []int
			for _, p := range page.Posts {
				out = append(out, p.ID)
			}
			return out
		}
		eq := func(got, want []int) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("posts %v, want %v", got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("posts %v, want %v", got, want)
				}
			}
		}
		origA, origB := numbers(a.ID), numbers(b.ID)

		// Merge b into a, then revert.
		if _, err := w.m.MergeTopic(w.ctx, adm, b.ID, a.ID, "duplicate"); err != nil {
			t.Fatal(err)
		}
		eq(numbers(a.ID), append(append([]int{}, origA...), origB...))
		if _, err := w.f.Topic(w.ctx, w.actor("bob"), b.ID, false); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatal("the merged topic is still there")
		}
		if e := lastEntry(); e.Action != moderation.ActTopicMerge || e.ActorID == nil || *e.ActorID != adm.ID {
			t.Fatalf("audit entry %+v", e)
		}
		revert()
		eq(numbers(a.ID), origA)
		eq(numbers(b.ID), origB)
		if tb, err := w.f.Topic(w.ctx, w.actor("bob"), b.ID, false); err != nil || tb.ReplyCount != 1 {
			t.Fatalf("the topic did not come back whole: %v", err)
		}

		// Split a3 and a4 into a new topic, then revert.
		newID, err := w.m.SplitTopic(w.ctx, adm, a.ID, moderation.SplitInput{PostIDs: []int{a4.ID, a3.ID}, Title: "Printing"})
		if err != nil {
			t.Fatal(err)
		}
		eq(numbers(newID), []int{a3.ID, a4.ID})
		eq(numbers(a.ID), origA[:2])
		_, err = w.m.SplitTopic(w.ctx, adm, a.ID, moderation.SplitInput{PostIDs: []int{origA[0]}, Title: "Nope"})
		wantKind(t, err, apperr.KindUnprocessable, "")
		revert()
		eq(numbers(a.ID), origA)
		if _, err := w.f.Topic(w.ctx, w.actor("bob"), newID, false); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatal("the emptied split topic is still visible")
		}
		_ = a2

		// Move and back.
		if err := w.m.MoveTopic(w.ctx, adm, b.ID, w.forums["ideas"], "belongs there"); err != nil {
			t.Fatal(err)
		}
		revert()
		if tb, _ := w.f.Topic(w.ctx, adm, b.ID, false); tb.ForumID != w.forums["help"] {
			t.Fatal("move not reverted")
		}
		// Hide and back.
		if err := w.m.HidePost(w.ctx, adm, b2.ID, "rude"); err != nil {
			t.Fatal(err)
		}
		if w.visible("", b.ID, b2.ID) {
			t.Fatal("hidden post visible")
		}
		revert()
		if !w.visible("", b.ID, b2.ID) {
			t.Fatal("hide not reverted")
		}
		// Lock, pin, edit, delete and back.
		for _, act := range []string{"lock", "pin"} {
			if err := w.m.TopicAction(w.ctx, adm, b.ID, act, ""); err != nil {
				t.Fatal(err)
			}
			revert()
		}
		if tb, _ := w.f.Topic(w.ctx, adm, b.ID, false); tb.Locked || tb.Pinned {
			t.Fatal("lock or pin not reverted")
		}
		if err := w.m.EditPost(w.ctx, adm, b2.ID, "[removed by a moderator]", "rude"); err != nil {
			t.Fatal(err)
		}
		revert()
		if p, _ := w.f.Post(w.ctx, adm, b2.ID); p.Source != "Duplicate of the other topic" {
			t.Fatalf("edit not reverted: %q", p.Source)
		}
		if err := w.m.DeletePost(w.ctx, adm, b2.ID, "spam"); err != nil {
			t.Fatal(err)
		}
		revert()
		if !w.visible("", b.ID, b2.ID) {
			t.Fatal("delete not reverted")
		}
		// Suspend and back; trust level and back.
		if err := w.m.Suspend(w.ctx, w.actor("mod"), "carol", 24*time.Hour, "spam"); err != nil {
			t.Fatal(err)
		}
		revert()
		if db.Client.User.GetX(w.ctx, w.users["carol"].ID).Status != user.StatusActive {
			t.Fatal("suspension not reverted")
		}
		if _, err := w.m.SetTrustLevel(w.ctx, w.actor("mod"), "carol", 0, true, "probation"); err != nil {
			t.Fatal(err)
		}
		revert()
		if u := db.Client.User.GetX(w.ctx, w.users["carol"].ID); u.TrustLevel != 3 || u.TrustLevelLocked {
			t.Fatalf("trust not reverted: %d %v", u.TrustLevel, u.TrustLevelLocked)
		}

		// The log is append-only, filtered, and moderators see their scope only.
		e := lastEntry()
		if err := db.Client.AuditEntry.UpdateOneID(e.ID).Exec(w.ctx); err == nil {
			t.Fatal("an audit entry was updated")
		}
		if _, err := db.Client.AuditEntry.Delete().Exec(w.ctx); err == nil {
			t.Fatal("audit entries were deleted")
		}
		moves, _ := w.m.Audit(w.ctx, adm, moderation.AuditQuery{Action: moderation.ActTopicMove})
		if len(moves.Entries) != 2 || moves.Entries[0].RevertsID == nil {
			t.Fatalf("move entries: %d", len(moves.Entries))
		}
		mine, _ := w.m.Audit(w.ctx, w.actor("othermod"), moderation.AuditQuery{})
		for _, e := range mine.Entries {
			if e.ForumID == nil || *e.ForumID != w.forums["ideas"] {
				if e.ActorID == nil || *e.ActorID != w.users["othermod"].ID {
					t.Fatalf("othermod sees entry %d (%s) of another forum", e.ID, e.Action)
				}
			}
		}
		if _, err := w.m.Audit(w.ctx, w.actor("alice"), moderation.AuditQuery{}); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatal("a member reads the audit log")
		}

		// Moderator actions through the core forum API are logged from their
		// events, once, and revertible where the event says enough.
		w.drain()
		before := db.Client.AuditEntry.Query().CountX(w.ctx)
		pinned := true
		if _, err := w.f.UpdateTopic(w.ctx, w.actor("mod"), b.ID, forum.TopicPatch{Pinned: &pinned}); err != nil {
			t.Fatal(err)
		}
		if err := w.f.DeletePost(w.ctx, w.actor("mod"), b2.ID); err != nil {
			t.Fatal(err)
		}
		if err := w.f.DeletePost(w.ctx, w.actor("alice"), a4.ID); err != nil { // her own: not moderation
			t.Fatal(err)
		}
		w.drain()
		w.drain()
		if got := db.Client.AuditEntry.Query().CountX(w.ctx) - before; got != 2 {
			t.Fatalf("%d entries for a pin and a moderator's delete, want 2", got)
		}
		del, _ := w.m.Audit(w.ctx, adm, moderation.AuditQuery{Action: moderation.ActPostDelete, Limit: 1})
		if e := del.Entries[0]; e.ActorID == nil || *e.ActorID != w.users["mod"].ID || *e.TargetID != b2.ID {
			t.Fatalf("delete entry: %+v", e)
		}
		if _, err := w.m.Revert(w.ctx, adm, del.Entries[0].ID, "not spam"); err != nil {
			t.Fatal(err)
		}
		if !w.visible("", b.ID, b2.ID) {
			t.Fatal("the forum delete was not reverted")
		}
	})
}

func TestTrustPromotionRespectsLocksAndSanctions(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		tv, _ := w.topic("alice", "help", "Welcome", "Say hello")
		for i := 0; i < 5; i++ {
			w.reply("alice", tv.ID, "reply "+strings.Repeat("z", i+1))
		}
		nb := w.users["newbie"].ID
		st := moderation.DefaultSettings()
		st.Trust.Levels[0].PostsRead = 10
		if _, err := w.m.PutSettings(w.ctx, w.actor("admin"), st, "smaller community"); err != nil {
			t.Fatal(err)
		}
		// Not enough yet: newbie has read nothing.
		if n, err := w.m.EvaluateTrust(w.ctx); err != nil || n != 0 {
			t.Fatalf("promoted %d (%v)", n, err)
		}
		db.Client.User.UpdateOneID(nb).SetDaysVisited(2).ExecX(w.ctx)
		for i := 0; i < 5; i++ {
			tvi, _ := w.topic("alice", "help", "Topic number "+strings.Repeat("i", i+1), "body of the topic "+strings.Repeat("j", i+1))
			if _, err := w.f.MarkRead(w.ctx, w.actor("newbie"), tvi.ID, 1); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.f.MarkRead(w.ctx, w.actor("newbie"), tv.ID, 100); err != nil {
			t.Fatal(err)
		}
		// The outbox consumer promotes on the read events, with an audit entry.
		w.drain()
		if got := db.Client.User.GetX(w.ctx, nb).TrustLevel; got != 1 {
			t.Fatalf("trust level %d, want 1", got)
		}
		// A locked level stays where a moderator put it.
		if _, err := w.m.SetTrustLevel(w.ctx, w.actor("mod"), "newbie", 0, true, "probation"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.m.EvaluateTrust(w.ctx); err != nil {
			t.Fatal(err)
		}
		if got := db.Client.User.GetX(w.ctx, nb).TrustLevel; got != 0 {
			t.Fatalf("a locked level moved to %d", got)
		}
		if _, err := w.m.SetTrustLevel(w.ctx, w.actor("bob"), "newbie", 4, true, ""); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatal("a member set a trust level")
		}
		if _, err := w.m.SetTrustLevel(w.ctx, w.actor("mod"), "newbie", 5, true, ""); !apperr.Is(err, apperr.KindUnprocessable) {
			t.Fatal("level 5 accepted")
		}
	})
}

// Concurrent posts from one account never get past the rate limit.
func TestRateLimitHoldsUnderConcurrency(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		st := moderation.DefaultSettings()
		st.RateLimits[1].PostsPerMinute = 5
		st.Duplicates.WindowMinutes = 0
		if _, err := w.m.PutSettings(w.ctx, w.actor("admin"), st, ""); err != nil {
			t.Fatal(err)
		}
		tv, _ := w.topic("alice", "help", "Busy topic", "Reply here")
		bob := w.actor("bob")
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, limited := 0, 0
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := w.f.CreatePost(w.ctx, bob, tv.ID, forum.PostInput{Body: "concurrent reply " + strings.Repeat("!", i+1)})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case apperr.Is(err, apperr.KindRateLimited):
					limited++
				default:
					t.Errorf("post: %v", err)
				}
			}()
		}
		wg.Wait()
		stored := db.Client.Post.Query().Where(post.UserID(w.users["bob"].ID)).CountX(w.ctx)
		if ok != 5 || limited != 7 || stored != 5 {
			t.Fatalf("%d stored (%d in the database), %d limited; want 5 and 7", ok, stored, limited)
		}
	})
}
