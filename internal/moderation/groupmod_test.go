package moderation_test

import (
	"testing"

	"github.com/crn-dev/crn/ent/auditentry"
	"github.com/crn-dev/crn/ent/groupmember"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/moderation"
)

// A post held by auto-moderation in a group's forum reaches the group's
// moderators through the consumer, with the group recorded on the item and
// on the audit entries of what they do with it.
func TestHeldPostInGroupForumGoesToGroupModerators(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		adm := w.actor("admin")
		g := db.Client.Group.Create().SetName("Alpha").SetSlug("alpha").SaveX(w.ctx)
		db.Client.Forum.UpdateOneID(w.forums["ideas"]).SetGroupID(g.ID).ExecX(w.ctx)
		for name, role := range map[string]groupmember.Role{"carol": groupmember.RoleModerator, "bob": groupmember.RoleMember, "alice": groupmember.RoleMember} {
			db.Client.GroupMember.Create().SetGroupID(g.ID).SetUserID(w.users[name].ID).SetRole(role).ExecX(w.ctx)
		}
		st := moderation.DefaultSettings()
		st.Words = []moderation.WordRule{{Pattern: "crypto", Action: "hold"}}
		if _, err := w.m.PutSettings(w.ctx, adm, st, ""); err != nil {
			t.Fatal(err)
		}
		tv, _ := w.topic("alice", "ideas", "Group idea", "Let us talk about it")
		held := w.reply("bob", tv.ID, "Buy CRYPTO here")
		if !held.Pending {
			t.Fatal("not held")
		}
		helpTopic, _ := w.topic("alice", "help", "Community", "A community topic")
		w.reply("bob", helpTopic.ID, "More CRYPTO here")
		w.drain()

		page, err := w.m.Queue(w.ctx, w.actor("carol"), moderation.QueueQuery{})
		if err != nil || len(page.Items) != 1 || page.Items[0].TargetID != held.ID || page.Items[0].GroupID == nil || *page.Items[0].GroupID != g.ID {
			t.Fatalf("the group moderator's queue: %v %+v", err, page)
		}
		item := page.Items[0].ID
		if _, err := w.m.Queue(w.ctx, w.actor("alice"), moderation.QueueQuery{}); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("a group member opened the queue: %v", err)
		}
		modPage, err := w.m.Queue(w.ctx, w.actor("mod"), moderation.QueueQuery{})
		if err != nil || len(modPage.Items) != 1 || modPage.Items[0].TargetID == held.ID {
			t.Fatalf("the help moderator's queue: %v %+v", err, modPage)
		}
		if _, err := w.m.Act(w.ctx, w.actor("carol"), modPage.Items[0].ID, "approve", moderation.ActInput{}); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("the group moderator approved a community post: %v", err)
		}
		if _, err := w.m.Act(w.ctx, w.actor("mod"), item, "approve", moderation.ActInput{}); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("the help moderator approved a group post: %v", err)
		}
		if _, err := w.m.Act(w.ctx, w.actor("carol"), item, "silence", moderation.ActInput{Reason: "spam"}); !apperr.Is(err, apperr.KindForbidden) {
			t.Fatalf("the group moderator silenced an account: %v", err)
		}
		if _, err := w.m.Act(w.ctx, w.actor("carol"), item, "approve", moderation.ActInput{Reason: "fine in context"}); err != nil {
			t.Fatal(err)
		}
		if !w.visible("", tv.ID, held.ID) {
			t.Fatal("the approved post is not published")
		}
		e := db.Client.AuditEntry.Query().Where(auditentry.Action(moderation.ActPostApprove)).OnlyX(w.ctx)
		if e.GroupID == nil || *e.GroupID != g.ID || e.ForumID == nil || *e.ForumID != w.forums["ideas"] {
			t.Fatalf("audit entry: %+v", e)
		}
		log, err := w.m.Audit(w.ctx, w.actor("carol"), moderation.AuditQuery{})
		if err != nil || len(log.Entries) == 0 {
			t.Fatalf("the group moderator's log: %v %+v", err, log)
		}
		for _, e := range log.Entries {
			if e.GroupID == nil || *e.GroupID != g.ID {
				t.Fatalf("an entry outside the group: %+v", e)
			}
		}
	})
}
