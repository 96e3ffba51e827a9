package feedback

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/feedbackitem"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// ChangeStatus moves an item along the state machine (Transitions) with an
// official response, which is required and public. The author, the voters
// and the topic's followers are notified.
func (s *Service) ChangeStatus(ctx context.Context, a authz.Actor, id int, to, response string) (*Item, error) {
	if a.Guest() {
		return nil, signInFirst()
	}
	if !authz.CanTriageFeedback(a) {
		return nil, apperr.Forbidden("forbidden", "only staff change the status of feedback")
	}
	response = strings.TrimSpace(response)
	problems := map[string]string{}
	switch {
	case to == StatusDuplicate:
		problems["status"] = "items become duplicates by merging: POST /feedback/{id}/merge"
	case !validStatus(to):
		problems["status"] = "must be one of " + oneOf(Statuses[:len(Statuses)-1])
	}
	checkText("response", response, 1, s.limits.ResponseMax, true, problems)
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	_, t, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, "change feedback status", func(tx *ent.Tx) ([]event.Event, error) {
		it, err := s.lockItem(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		from := string(it.Status)
		switch {
		case it.DuplicateOf != nil:
			return nil, duplicateErr(*it.DuplicateOf)
		case from == to:
			return nil, apperr.Conflict("status_unchanged", "the item is "+to+" already")
		case !CanTransition(from, to):
			e := apperr.Conflict("illegal_transition", "an item that is "+from+" cannot become "+to+"; it may become "+oneOf(Transitions[from]))
			return nil, e
		}
		ev, err := s.setStatus(ctx, tx, a, t, from, to, response)
		if err != nil {
			return nil, err
		}
		return []event.Event{ev}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Item(ctx, a, id)
}

// setStatus writes a status change and its history entry inside tx and
// returns its event.
func (s *Service) setStatus(ctx context.Context, tx *ent.Tx, a authz.Actor, t *ent.Topic, from, to, response string) (event.Event, error) {
	now := s.now()
	if err := tx.FeedbackItem.UpdateOneID(t.ID).SetStatus(feedbackitem.Status(to)).SetStatusChangedAt(now).SetUpdatedAt(now).Exec(ctx); err != nil {
		return event.Event{}, err
	}
	if err := tx.FeedbackStatusChange.Create().SetItemID(t.ID).SetUserID(a.ID).SetFromStatus(from).SetToStatus(to).
		SetResponse(response).SetCreatedAt(now).Exec(ctx); err != nil {
		return event.Event{}, err
	}
	return event.Event{Type: event.FeedbackStatusChanged, ActorID: a.ID, ForumID: t.ForumID, TopicID: t.ID,
		Visibility: visibilityOf(t.Edges.Forum),
		Payload: map[string]any{
			"item_id": t.ID, "from_status": from, "status": to, "response": response,
			"excerpt": excerpt(response, 200), "topic_title": t.Title,
		}}, nil
}

// excerpt cuts s to at most n characters on a character boundary.
func excerpt(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
