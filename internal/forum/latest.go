package forum

import (
	"time"

	"context"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/predicate"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
)

// LatestTopics lists the most recently active topics across every forum
// the actor may read (the community's front page), without deleted ones.
func (s *Service) LatestTopics(ctx context.Context, a authz.Actor, limit int) ([]*TopicView, error) {
	ts, err := s.db.Topic.Query().
		Where(topic.DeletedAtIsNil(), predicate.Topic(authz.ReadableForumIDs(a))).
		Order(ent.Desc(topic.FieldLastPostedAt), ent.Desc(topic.FieldID)).
		Limit(s.pageSize(limit)).WithTags().All(ctx)
	if err != nil {
		return nil, apperr.Internal("latest topics", err)
	}
	return s.views_(ctx, a, ts)
}

// NewSince is when topics start to count as new for a reader who joined at
// joined: a topic they never opened, started by someone else after this
// moment, is new (the rule UnreadCounts counts by).
func (s *Service) NewSince(joined time.Time) time.Time {
	since := s.now().Add(-newWindow)
	if joined.After(since) {
		since = joined
	}
	return since
}
