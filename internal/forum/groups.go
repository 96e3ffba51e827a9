package forum

import (
	"context"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// Group forums: a forum with a group_id belongs to that group's space. Its
// readers follow the group (authz.CanReadForum), and its events carry the
// group's id and, unless the group is public, the group's visibility.

// forumVisibility is who may see events about f's content. A group forum's
// group must be loaded; without it the group's members only (fail closed).
func forumVisibility(f *ent.Forum) string { return authz.ForumContentVisibility(f) }

// groupEvents stamps events about group forums with their group's id, so
// the group's feed and realtime channel find them.
func groupEvents(ctx context.Context, tx *ent.Tx, evs []event.Event) error {
	var ids []int
	for _, e := range evs {
		if e.ForumID != 0 && e.GroupID == 0 {
			ids = append(ids, e.ForumID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	fs, err := tx.Forum.Query().Where(forum.IDIn(ids...), forum.GroupIDNotNil()).Select(forum.FieldID, forum.FieldGroupID).All(ctx)
	if err != nil || len(fs) == 0 {
		return err
	}
	groupOf := make(map[int]int, len(fs))
	for _, f := range fs {
		groupOf[f.ID] = *f.GroupID
	}
	for i := range evs {
		if evs[i].GroupID == 0 {
			evs[i].GroupID = groupOf[evs[i].ForumID]
		}
	}
	return nil
}

// CanReadGroup reports whether a may read the content of group groupID
// (for subscriptions to its channel).
func (s *Service) CanReadGroup(ctx context.Context, a authz.Actor, groupID int) bool {
	g, err := s.db.Group.Get(ctx, groupID)
	return err == nil && g.DeletedAt == nil && authz.CanReadGroup(a, g.ID, string(g.Visibility))
}
