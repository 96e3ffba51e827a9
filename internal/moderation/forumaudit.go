package moderation

import (
	"context"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/postrevision"
	"github.com/crn-dev/crn/internal/event"
)

// Moderators and admins also act through the core forum API (PATCH a
// topic, delete or edit someone else's post, restore, manage forums). Those
// changes are appended to the audit log from their committed events by the
// moderation consumer, in the consumer's transaction, so each is logged
// exactly once. Events of actions moderation made itself carry "audit_id"
// or "audited" and are skipped: they were logged with the change.

// moderatorFields are topic changes only moderators make.
var moderatorFields = map[string]bool{"pinned": true, "pinned_globally": true, "locked": true, "closed": true, "archived": true}

// auditForumEvent appends the audit entry an event from the forum calls
// for, if any.
func (s *Service) auditForumEvent(ctx context.Context, tx *ent.Tx, e event.Event) error {
	if _, done := e.Payload["audit_id"]; done {
		return nil
	}
	if audited, _ := e.Payload["audited"].(bool); audited || e.ActorID == 0 {
		return nil
	}
	base := entry{actor: e.ActorID, forumID: e.ForumID, at: e.CreatedAt}
	switch e.Type {
	case event.ForumCreated, event.ForumUpdated, event.ForumDeleted:
		base.action = map[event.Type]string{event.ForumCreated: "forum.create", event.ForumUpdated: "forum.update", event.ForumDeleted: "forum.delete"}[e.Type]
		base.targetType, base.targetID, base.after = "forum", e.ForumID, e.Payload
	case event.TopicMoved:
		base.action, base.targetType, base.targetID = ActTopicMove, TargetTopic, e.TopicID
		base.forumID = intOf(e.Payload["from_forum_id"])
		base.before = map[string]any{"forum_id": intOf(e.Payload["from_forum_id"])}
		base.after = map[string]any{"forum_id": intOf(e.Payload["to_forum_id"])}
	case event.TopicUpdated:
		t, err := tx.Topic.Get(ctx, e.TopicID)
		if err != nil {
			return ignoreMissing(err)
		}
		changes, _ := e.Payload["changes"].([]any)
		mod := t.UserID != e.ActorID
		for _, c := range changes {
			if name, _ := c.(string); moderatorFields[name] {
				mod = true
			}
		}
		if !mod {
			return nil
		}
		after := map[string]any{"changes": changes, "pinned": t.Pinned, "pinned_globally": t.PinnedGlobally, "locked": t.Locked,
			"closed": t.Closed, "archived": t.Archived, "title": t.Title}
		base.action, base.targetType, base.targetID, base.after = "topic.update", TargetTopic, e.TopicID, after
	case event.PostDeleted, event.PostRestored, event.PostEdited:
		p, err := tx.Post.Get(ctx, e.PostID)
		if err != nil {
			return ignoreMissing(err)
		}
		if p.UserID == e.ActorID && e.Type != event.PostRestored {
			return nil // authors deleting or editing their own posts
		}
		base.targetType, base.targetID = TargetPost, e.PostID
		switch e.Type {
		case event.PostDeleted:
			base.action, base.before, base.after = ActPostDelete, map[string]any{"deleted": false}, map[string]any{"deleted": true}
		case event.PostRestored:
			base.action, base.before, base.after = ActPostRestore, map[string]any{"deleted": true}, map[string]any{"deleted": false}
		case event.PostEdited:
			v := intOf(e.Payload["version"])
			revs, err := tx.PostRevision.Query().Where(postrevision.PostID(p.ID), postrevision.VersionIn(v-1, v)).All(ctx)
			if err != nil {
				return err
			}
			base.action, base.before, base.after = ActPostEdit, map[string]any{}, map[string]any{}
			for _, r := range revs {
				if r.Version == v-1 {
					base.before["source"] = r.Source
				} else {
					base.after["source"] = r.Source
				}
			}
		}
	default:
		return nil
	}
	_, err := s.appendAudit(ctx, tx, base)
	return err
}

func ignoreMissing(err error) error {
	if ent.IsNotFound(err) {
		return nil
	}
	return err
}
