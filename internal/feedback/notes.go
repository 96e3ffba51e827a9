package feedback

import (
	"context"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/feedbacknote"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

func (s *Service) internalsOnly(a authz.Actor) error {
	if a.Guest() {
		return signInFirst()
	}
	if !authz.CanSeeFeedbackInternals(a) {
		return apperr.Forbidden("forbidden", "internal notes are for staff only")
	}
	return nil
}

// Notes lists an item's internal notes, oldest first (staff only).
func (s *Service) Notes(ctx context.Context, a authz.Actor, id int) ([]*ent.FeedbackNote, error) {
	if err := s.internalsOnly(a); err != nil {
		return nil, err
	}
	if _, _, err := s.load(ctx, a, id); err != nil {
		return nil, err
	}
	ns, err := s.db.FeedbackNote.Query().Where(feedbacknote.ItemID(id)).Order(ent.Asc(feedbacknote.FieldID)).All(ctx)
	if err != nil {
		return nil, apperr.Internal("list notes", err)
	}
	return ns, nil
}

// AddNote adds an internal note (staff only). Its event is visible to staff
// and carries no text.
func (s *Service) AddNote(ctx context.Context, a authz.Actor, id int, body string) (*ent.FeedbackNote, error) {
	if err := s.internalsOnly(a); err != nil {
		return nil, err
	}
	body = strings.TrimSpace(body)
	problems := map[string]string{}
	checkText("body", body, 1, s.limits.NoteMax, true, problems)
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	_, t, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	var n *ent.FeedbackNote
	err = s.tx(ctx, "add note", func(tx *ent.Tx) ([]event.Event, error) {
		var err error
		n, err = tx.FeedbackNote.Create().SetItemID(id).SetUserID(a.ID).SetBody(body).SetCreatedAt(s.now()).Save(ctx)
		if err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.FeedbackNoteAdded, ActorID: a.ID, ForumID: t.ForumID, TopicID: id,
			Visibility: event.Staff, Payload: map[string]any{"item_id": id, "note_id": n.ID}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}
