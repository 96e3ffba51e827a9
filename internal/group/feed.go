package group

import (
	"context"

	entevent "github.com/crn-dev/crn/ent/event"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// Feed returns a page of the group's activity, newest first: its own
// events (members joining, settings changing...) and the topics, posts and
// reactions of its forums, as far as the actor may see each one. before is
// the last id of the previous page (0: the newest); next is 0 at the end.
func (s *Service) Feed(ctx context.Context, a authz.Actor, slug string, before int64, limit int) ([]event.Event, int64, error) {
	g, err := s.readable(ctx, a, slug)
	if err != nil {
		return nil, 0, err
	}
	limit = pageSize(limit)
	q := s.db.Event.Query().Where(entevent.GroupID(g.ID), entevent.VisibilityIn(feedVisibilities(a, g.ID)...))
	if before > 0 {
		q = q.Where(entevent.IDLT(before))
	}
	rows, err := q.Order(ent.Desc(entevent.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, 0, apperr.Internal("group feed", err)
	}
	var next int64
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].ID
	}
	out := make([]event.Event, len(rows))
	for i, e := range rows {
		out[i] = event.Event{ID: e.ID, Type: event.Type(e.Type), ActorID: deref(e.ActorID), ForumID: deref(e.ForumID),
			TopicID: deref(e.TopicID), PostID: deref(e.PostID), UserID: deref(e.UserID), GroupID: g.ID,
			Visibility: e.Visibility, Payload: e.Payload, CreatedAt: e.CreatedAt}
	}
	return out, next, nil
}

// feedVisibilities are the event visibilities the actor may see in a
// group's feed.
func feedVisibilities(a authz.Actor, groupID int) []string {
	vis := []string{event.Public}
	if !a.Guest() {
		vis = append(vis, event.Members, event.UserOnly(a.ID))
	}
	if a.Staff() {
		vis = append(vis, event.Staff)
	}
	if a.Admin() || a.MemberOf(groupID) {
		vis = append(vis, event.GroupOnly(groupID))
	}
	return vis
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
