package feedback

import (
	"context"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/feedbacksatisfaction"
	"github.com/crn-dev/crn/ent/feedbackvote"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// Outcomes a satisfaction score rates.
const (
	OutcomeDone     = "done"
	OutcomeDeclined = "declined"
	OutcomeAnswered = "answered"
)

// Rate records a satisfaction score (1–5, with an optional comment) once per
// person, on a feedback item that is done or declined, or on a question
// (a question item or any question topic) with an accepted answer. The
// author may rate, and so may anyone whose vote counts or counted for it.
func (s *Service) Rate(ctx context.Context, a authz.Actor, id, score int, comment string) (*ent.FeedbackSatisfaction, error) {
	if a.Guest() {
		return nil, signInFirst()
	}
	if err := authz.WriteRefusal(a); err != nil {
		return nil, err
	}
	comment = strings.TrimSpace(comment)
	problems := map[string]string{}
	if score < 1 || score > 5 {
		problems["score"] = "must be a whole number from 1 to 5"
	}
	checkText("comment", comment, 0, s.limits.CommentMax, true, problems)
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	t, err := s.db.Topic.Query().Where(topic.ID(id)).WithForum().Only(ctx)
	if ent.IsNotFound(err) || (err == nil && (!authz.CanReadForum(a, t.Edges.Forum) || t.DeletedAt != nil)) {
		return nil, notFound()
	}
	if err != nil {
		return nil, apperr.Internal("rate", err)
	}
	it, err := s.db.FeedbackItem.Get(ctx, id)
	if err != nil && !ent.IsNotFound(err) {
		return nil, apperr.Internal("rate", err)
	}
	outcome := ""
	switch {
	case it != nil && Closed(string(it.Status)):
		outcome = string(it.Status)
	case t.Kind == topic.KindQuestion && t.AcceptedPostID != nil:
		outcome = OutcomeAnswered
	default:
		return nil, apperr.Conflict("not_closed", "satisfaction is asked once an item is done or declined, or a question has an accepted answer")
	}
	eligible := t.UserID == a.ID
	if !eligible && it != nil {
		if eligible, err = s.db.FeedbackVote.Query().Where(feedbackvote.UserID(a.ID),
			feedbackvote.Or(feedbackvote.ItemID(id), feedbackvote.OriginItemID(id))).Exist(ctx); err != nil {
			return nil, apperr.Internal("rate", err)
		}
	}
	if !eligible {
		return nil, apperr.Forbidden("not_eligible", "only the author and the voters rate the outcome")
	}
	var r *ent.FeedbackSatisfaction
	err = s.tx(ctx, "rate", func(tx *ent.Tx) ([]event.Event, error) {
		if done, err := tx.FeedbackSatisfaction.Query().Where(feedbacksatisfaction.TopicID(id), feedbacksatisfaction.UserID(a.ID)).Exist(ctx); err != nil {
			return nil, err
		} else if done {
			return nil, apperr.Conflict("already_rated", "you rated this already")
		}
		r, err = tx.FeedbackSatisfaction.Create().SetTopicID(id).SetForumID(t.ForumID).SetUserID(a.ID).SetScore(score).
			SetComment(comment).SetOutcome(outcome).SetCreatedAt(s.now()).Save(ctx)
		if err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.FeedbackCSAT, ActorID: a.ID, ForumID: t.ForumID, TopicID: id, Visibility: event.Staff,
			Payload: map[string]any{"item_id": id, "score": score, "outcome": outcome}}}, nil
	})
	if err != nil {
		if isUnique(err) {
			return nil, apperr.Conflict("already_rated", "you rated this already")
		}
		return nil, err
	}
	return r, nil
}
