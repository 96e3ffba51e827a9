package moderation_test

import (
	"testing"

	"github.com/crn-dev/crn/ent/auditentry"
	entevent "github.com/crn-dev/crn/ent/event"
	"github.com/crn-dev/crn/ent/notification"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/markup"
	"github.com/crn-dev/crn/internal/moderation"
	"github.com/crn-dev/crn/internal/notify"
	"github.com/crn-dev/crn/internal/resource"
	"github.com/crn-dev/crn/internal/storage"
)

// Flags hide resources past the threshold, moderators act on them through
// the queue, every change is audited and revertible, and a hidden resource
// is invisible to all but its owner and resource moderators.
func TestResourceFlagsAndHiding(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		store, err := storage.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		rs := resource.New(db, store, markup.New(markup.Options{}), resource.Options{Now: w.clock.now})
		w.m = moderation.New(db, w.f, moderation.Options{Now: w.clock.now, Resources: rs})
		r, err := rs.Create(w.ctx, w.actor("alice"), resource.Input{Kind: strp(resource.KindLink), Title: strp("Miracle cures"), URL: strp("https://example.com/x")}, nil)
		if err != nil {
			t.Fatal(err)
		}
		sees := func(who string) bool {
			t.Helper()
			_, err := rs.Get(w.ctx, w.actor(who), r.ID)
			if err != nil && !apperr.Is(err, apperr.KindNotFound) {
				t.Fatal(err)
			}
			page, lerr := rs.List(w.ctx, w.actor(who), resource.ListQuery{})
			if lerr != nil {
				t.Fatal(lerr)
			}
			listed := false
			for _, v := range page.Resources {
				listed = listed || v.ID == r.ID
			}
			if listed != (err == nil) {
				t.Fatalf("%s: get and list disagree (listed %v, get %v)", who, listed, err)
			}
			return err == nil
		}
		flag := func(who string) error {
			_, err := w.m.Flag(w.ctx, w.actor(who), moderation.FlagInput{TargetType: moderation.TargetResource, TargetID: r.ID, Reason: "spam"})
			return err
		}
		if err := flag("bob"); err != nil { // weight 1 of 3: stays visible
			t.Fatal(err)
		}
		if !sees("newbie") {
			t.Fatal("one light flag hid the resource")
		}
		if err := flag("carol"); err != nil { // weight 3: hidden
			t.Fatal(err)
		}
		for who, want := range map[string]bool{"newbie": false, "bob": false, "alice": true, "mod": true, "admin": true} {
			if got := sees(who); got != want {
				t.Fatalf("%s sees the hidden resource: %v, want %v", who, got, want)
			}
		}
		if _, err := rs.Rate(w.ctx, w.actor("bob"), r.ID, 1); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatalf("rating a hidden resource: %v", err)
		}
		if err := flag("newbie"); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatalf("flagging a hidden resource one cannot see: %v", err)
		}
		hidden := db.Client.Event.Query().Where(entevent.Type(string(event.ResourceHidden))).AllX(w.ctx)
		if len(hidden) != 1 || hidden[0].UserID == nil || *hidden[0].UserID != w.users["alice"].ID || hidden[0].Visibility != event.Public {
			t.Fatalf("resource.hidden events: %v", hidden)
		}
		w.drain()
		if n := db.Client.Notification.Query().Where(notification.UserID(w.users["alice"].ID), notification.Kind(notify.KindResourceHidden)).CountX(w.ctx); n != 1 {
			t.Fatalf("the owner got %d notices", n)
		}
		if n := db.Client.AuditEntry.Query().Where(auditentry.Action(moderation.ActResourceHide), auditentry.ActorIDIsNil()).CountX(w.ctx); n != 1 {
			t.Fatalf("%d automatic hides audited", n)
		}

		// Dismissing the flags shows it again.
		page, err := w.m.Queue(w.ctx, w.actor("mod"), moderation.QueueQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || string(page.Items[0].TargetType) != moderation.TargetResource {
			t.Fatalf("queue: %v", page.Items)
		}
		item := page.Items[0].ID
		if _, err := w.m.Act(w.ctx, w.actor("alice"), item, "dismiss", moderation.ActInput{}); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("a member dismissing: %v", err)
		}
		if _, err := w.m.Act(w.ctx, w.actor("mod"), item, "edit", moderation.ActInput{Body: "x"}); !apperr.Is(err, apperr.KindConflict) {
			t.Fatalf("editing a resource through the queue: %v", err)
		}
		if _, err := w.m.Act(w.ctx, w.actor("mod"), item, "dismiss", moderation.ActInput{Reason: "fine"}); err != nil {
			t.Fatal(err)
		}
		if !sees("newbie") {
			t.Fatal("dismissed flags left the resource hidden")
		}

		// A moderator hides it by hand; the owner cannot undo that; a revert can.
		if err := w.m.HideResource(w.ctx, w.actor("alice"), r.ID, "mine"); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("the owner hiding: %v", err)
		}
		if err := w.m.HideResource(w.ctx, w.actor("mod"), r.ID, "spam"); err != nil {
			t.Fatal(err)
		}
		if sees("newbie") {
			t.Fatal("hidden by a moderator, still seen")
		}
		entry := db.Client.AuditEntry.Query().Where(auditentry.Action(moderation.ActResourceHide), auditentry.ActorID(w.users["mod"].ID)).OnlyX(w.ctx)
		if entry.TargetType != moderation.TargetResource || entry.TargetID == nil || *entry.TargetID != r.ID {
			t.Fatalf("audit entry: %+v", entry)
		}
		if _, err := w.m.Revert(w.ctx, w.actor("mod"), entry.ID, "hasty"); err != nil {
			t.Fatal(err)
		}
		if !sees("newbie") {
			t.Fatal("reverting the hide left the resource hidden")
		}
		if n := db.Client.Event.Query().Where(entevent.Type(string(event.ResourceUnhidden))).CountX(w.ctx); n != 2 {
			t.Fatalf("%d resource.unhidden events, want 2 (dismiss, revert)", n)
		}
	})
}

func strp(s string) *string { return &s }
