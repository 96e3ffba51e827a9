package group_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	entevent "github.com/crn-dev/crn/ent/event"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/group"
	"github.com/crn-dev/crn/internal/markup"
)

type world struct {
	t      *testing.T
	db     *database.DB
	groups *group.Service
	forums *forum.Service
	now    time.Time
	users  map[string]*ent.User
}

func newWorld(t *testing.T, db *database.DB) *world {
	w := &world{t: t, db: db, now: time.Now().UTC().Truncate(time.Second), users: map[string]*ent.User{}}
	w.groups = group.New(db, group.Options{Now: func() time.Time { return w.now }})
	w.forums = forum.New(db, markup.New(markup.Options{UserURL: func(u string) string { return "/u/" + u }, TagURL: func(t string) string { return "/t/" + t }}), forum.Options{})
	for _, name := range []string{"admin", "owner", "mod", "ann", "ben", "cat", "dan", "eve"} {
		role := user.RoleMember
		if name == "admin" {
			role = user.RoleAdmin
		}
		w.users[name] = db.Client.User.Create().SetUsername(name).SetUsernameKey(name).SetEmail(name + "@example.com").
			SetEmailKey(name + "@example.com").SetPasswordHash("x").SetRole(role).SaveX(context.Background())
	}
	return w
}

// actor loads name's current authorization view, memberships included.
func (w *world) actor(name string) authz.Actor {
	w.t.Helper()
	a, err := w.forums.Actor(context.Background(), w.users[name])
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

func wantKind(t *testing.T, err error, k apperr.Kind, code string) {
	t.Helper()
	e := apperr.As(err)
	if e == nil || e.Kind != k || (code != "" && e.Code != code) {
		t.Fatalf("got %v, want %s %s", err, k, code)
	}
}

func ptr[T any](v T) *T { return &v }

// events returns the outbox events of a group, oldest first.
func (w *world) events(groupID int) []*ent.Event {
	return w.db.Client.Event.Query().Where(entevent.GroupID(groupID)).Order(ent.Asc(entevent.FieldID)).AllX(context.Background())
}

func TestEveryChangeRecordsItsEvent(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		g, err := w.groups.Create(ctx, w.actor("owner"), group.Input{Name: ptr("Beta testers"), Visibility: ptr("restricted")})
		if err != nil {
			t.Fatal(err)
		}
		r, err := w.groups.CreateRequest(ctx, w.actor("ann"), g.Slug, "please")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.groups.Decide(ctx, w.actor("owner"), g.Slug, r.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		r2, err := w.groups.CreateRequest(ctx, w.actor("ben"), g.Slug, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.groups.Decide(ctx, w.actor("owner"), g.Slug, r2.ID, false, "not yet"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.groups.SetRole(ctx, w.actor("owner"), g.Slug, "ann", "moderator"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.groups.CreateInvite(ctx, w.actor("ann"), g.Slug, group.InviteInput{Username: "cat"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.groups.Join(ctx, w.actor("cat"), g.Slug); err != nil {
			t.Fatal(err)
		}
		if err := w.groups.Leave(ctx, w.actor("cat"), g.Slug); err != nil {
			t.Fatal(err)
		}
		if _, err := w.groups.Join(ctx, w.actor("cat"), g.Slug); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("the invite was single-use: %v", err)
		}
		if err := w.groups.SetBanned(ctx, w.actor("ann"), g.Slug, "dan", true); err != nil {
			t.Fatal(err)
		}
		if err := w.groups.SetBanned(ctx, w.actor("ann"), g.Slug, "dan", false); err != nil {
			t.Fatal(err)
		}
		if _, err := w.groups.Update(ctx, w.actor("owner"), g.Slug, group.Input{Visibility: ptr("private")}); err != nil {
			t.Fatal(err)
		}
		if err := w.groups.Remove(ctx, w.actor("owner"), g.Slug, "ann"); err != nil {
			t.Fatal(err)
		}
		if err := w.groups.Delete(ctx, w.actor("owner"), g.Slug); err != nil {
			t.Fatal(err)
		}
		gid, owner, ann, ben, cat, dan := g.ID, w.users["owner"].ID, w.users["ann"].ID, w.users["ben"].ID, w.users["cat"].ID, w.users["dan"].ID
		grp := event.GroupOnly(gid)
		want := []struct {
			typ  event.Type
			user int
			vis  string
		}{
			{event.GroupCreated, 0, event.Public},
			{event.GroupMemberJoined, owner, grp},
			{event.GroupRequestCreated, ann, grp},
			{event.GroupRequestApproved, ann, grp},
			{event.GroupMemberJoined, ann, grp},
			{event.GroupRequestCreated, ben, grp},
			{event.GroupRequestRejected, ben, event.UserOnly(ben)},
			{event.GroupMemberRoleChanged, ann, grp},
			{event.GroupInviteCreated, cat, grp},
			{event.GroupMemberJoined, cat, grp},
			{event.GroupMemberLeft, cat, grp},
			{event.GroupMemberBanned, dan, grp},
			{event.GroupMemberUnbanned, dan, grp},
			{event.GroupUpdated, 0, grp},
			{event.GroupMemberRemoved, ann, grp},
			{event.GroupDeleted, 0, grp},
		}
		got := w.events(gid)
		if len(got) != len(want) {
			for _, e := range got {
				t.Logf("%s %v %s", e.Type, e.UserID, e.Visibility)
			}
			t.Fatalf("%d events, want %d", len(got), len(want))
		}
		for i, e := range got {
			uid := 0
			if e.UserID != nil {
				uid = *e.UserID
			}
			if event.Type(e.Type) != want[i].typ || uid != want[i].user || e.Visibility != want[i].vis {
				t.Errorf("event %d: %s user %d %s, want %s user %d %s", i, e.Type, uid, e.Visibility, want[i].typ, want[i].user, want[i].vis)
			}
		}
		if got[0].Payload["slug"] != g.Slug || got[1].Payload["role"] != "owner" {
			t.Errorf("payloads: %v %v", got[0].Payload, got[1].Payload)
		}
	})
}

// A link invite's use limit holds under concurrent accepts, and it stops
// working once it expires.
func TestLinkInviteLimits(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		g, err := w.groups.Create(ctx, w.actor("owner"), group.Input{Name: ptr("Insiders"), Visibility: ptr("private")})
		if err != nil {
			t.Fatal(err)
		}
		inv, err := w.groups.CreateInvite(ctx, w.actor("owner"), g.Slug, group.InviteInput{MaxUses: ptr(3), ExpiresIn: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		names := []string{"ann", "ben", "cat", "dan", "eve", "mod"}
		errs := make([]error, len(names))
		var wg sync.WaitGroup
		for i, n := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = w.groups.AcceptInvite(ctx, w.actor(n), inv.Token)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case apperr.As(err) != nil && apperr.As(err).Code == "invite_used_up":
			case db.Dialect == database.SQLite && apperr.Is(err, apperr.KindInternal):
				// SQLite may refuse a concurrent writer as busy; it joined no one.
			default:
				t.Fatalf("accept: %v", err)
			}
		}
		if ok > 3 || ok == 0 {
			t.Fatalf("%d joined through a 3-use invite", ok)
		}
		v, err := w.groups.Get(ctx, w.actor("owner"), g.Slug)
		if err != nil {
			t.Fatal(err)
		}
		if v.MemberCount != 1+ok {
			t.Fatalf("member count %d, joined %d", v.MemberCount, ok)
		}
		// Expiry, measured on the service's clock.
		inv, err = w.groups.CreateInvite(ctx, w.actor("owner"), g.Slug, group.InviteInput{MaxUses: ptr(0), ExpiresIn: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		w.now = w.now.Add(time.Hour)
		wantKind(t, func() error { _, err := w.groups.AcceptInvite(ctx, w.actor("admin"), inv.Token); return err }(), apperr.KindNotFound, "invite_expired")
	})
}

// Group owners and moderators moderate their group's forums; members and
// outsiders do not, and a private group's forum is not found by outsiders.
func TestGroupForumModeration(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		g, err := w.groups.Create(ctx, w.actor("owner"), group.Input{Name: ptr("Crew"), Visibility: ptr("private")})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"mod", "ann"} {
			inv, err := w.groups.CreateInvite(ctx, w.actor("owner"), g.Slug, group.InviteInput{Username: n})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.groups.AcceptInvite(ctx, w.actor(n), inv.Token); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.groups.SetRole(ctx, w.actor("owner"), g.Slug, "mod", "moderator"); err != nil {
			t.Fatal(err)
		}
		_, err = w.forums.CreateForum(ctx, w.actor("mod"), forum.ForumInput{Name: ptr("Nope"), GroupID: g.ID})
		wantKind(t, err, apperr.KindForbidden, "")
		f, err := w.forums.CreateForum(ctx, w.actor("owner"), forum.ForumInput{Name: ptr("Crew room"), GroupID: g.ID})
		if err != nil {
			t.Fatal(err)
		}
		// A community forum cannot be the parent of a group forum.
		community, err := w.forums.CreateForum(ctx, w.actor("admin"), forum.ForumInput{Name: ptr("Community")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.forums.CreateForum(ctx, w.actor("owner"), forum.ForumInput{Name: ptr("Sub"), GroupID: g.ID, ParentID: ptr(community.ID)})
		wantKind(t, err, apperr.KindUnprocessable, "")
		tv, p, err := w.forums.CreateTopic(ctx, w.actor("ann"), f.ID, forum.TopicInput{Title: "Crew matters", Body: "hello"})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"owner", "mod"} {
			if !w.actor(n).Moderates(f.ID) {
				t.Fatalf("%s does not moderate the group's forum", n)
			}
		}
		if w.actor("ann").Moderates(f.ID) || w.actor("ann").Moderates(community.ID) || w.actor("mod").Moderates(community.ID) {
			t.Fatal("moderation leaks beyond the group's forums")
		}
		if _, err := w.forums.UpdateTopic(ctx, w.actor("mod"), tv.ID, forum.TopicPatch{Locked: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if err := w.forums.DeletePost(ctx, w.actor("mod"), p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.forums.UpdateForum(ctx, w.actor("owner"), f.ID, forum.ForumInput{Description: ptr("ours")}); err != nil {
			t.Fatal(err)
		}
		_, err = w.forums.UpdateForum(ctx, w.actor("mod"), f.ID, forum.ForumInput{Description: ptr("mine")})
		wantKind(t, err, apperr.KindForbidden, "")
		_, err = w.forums.UpdateForum(ctx, w.actor("ben"), f.ID, forum.ForumInput{Description: ptr("mine")})
		wantKind(t, err, apperr.KindNotFound, "")
		_, err = w.forums.Topic(ctx, w.actor("ben"), tv.ID, false)
		wantKind(t, err, apperr.KindNotFound, "")
		// Forum events of the private group carry its visibility and id.
		for _, e := range w.events(g.ID) {
			if e.ForumID != nil && e.Visibility != event.GroupOnly(g.ID) {
				t.Errorf("%s: %s", e.Type, e.Visibility)
			}
		}
		if n := len(w.db.Client.Event.Query().Where(entevent.ForumID(f.ID), entevent.GroupIDIsNil()).AllX(ctx)); n != 0 {
			t.Fatalf("%d forum events without the group", n)
		}
	})
}
