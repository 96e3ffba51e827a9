package resource

import (
	"context"
	"unicode/utf8"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// Moderation hides resources pending review (flags reaching the threshold,
// or a moderator) and shows them again; internal/moderation owns the review
// queue and the audit log, this service the resource and its events. A
// hidden resource is treated as deleted everywhere (get, lists, versions,
// downloads, ratings, search) for all but its owner and resource moderators
// (authz.CanReadResource, authz.ReadableResources).

// HiddenReasonMax is the longest reason kept on a hidden resource, in bytes.
const HiddenReasonMax = 400

// ModerationTarget returns resource id for a flag or a moderator's action
// if the actor may see it; otherwise an apperr NotFound, so flagging what
// one cannot see reveals nothing.
func (s *Service) ModerationTarget(ctx context.Context, a authz.Actor, id int) (*ent.Resource, error) {
	return s.load(ctx, a, id)
}

// SetHidden hides (hidden) or shows resource id in tx, the caller's
// transaction, so the change commits with the caller's audit entry; it
// returns the events for the caller to record. actorID is 0 for the system
// (flags reaching the threshold). Doing what is already so records nothing.
func (s *Service) SetHidden(ctx context.Context, tx *ent.Tx, actorID, id int, hidden bool, reason string) ([]event.Event, error) {
	r, err := tx.Resource.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, notFound()
	}
	if err != nil {
		return nil, err
	}
	if (r.HiddenAt != nil) == hidden {
		return nil, nil
	}
	up := tx.Resource.UpdateOneID(id)
	typ := event.ResourceUnhidden
	if hidden {
		up.SetHiddenAt(s.now()).SetHiddenReason(cut(reason, HiddenReasonMax))
		typ = event.ResourceHidden
	} else {
		up.ClearHiddenAt().SetHiddenReason("")
	}
	if err := up.Exec(ctx); err != nil {
		return nil, err
	}
	// Like post.hidden, the event carries no reason: clients drop or bring
	// back the resource, the owner is notified.
	return []event.Event{{Type: typ, ActorID: actorID, UserID: r.UserID, Visibility: visibility(r),
		Payload: map[string]any{"resource_id": r.ID, "title": r.Title}}}, nil
}

// cut shortens s to at most n bytes without splitting a character.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
