package moderation

import (
	"context"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// reasonFlagged is why the community's flags hid something; dismissing
// the flags shows it again.
const reasonFlagged = "flagged by the community"

// resourceTarget loads a resource a resource moderator acts on.
func (s *Service) resourceTarget(ctx context.Context, a authz.Actor, id int) (*target, error) {
	if s.resources == nil {
		return nil, notFound("resource")
	}
	tg, err := s.resolve(ctx, a, TargetResource, id)
	if err != nil {
		return nil, err
	}
	if err := requireActor(a, authz.CanHideResource(a), "only moderators hide resources"); err != nil {
		return nil, err
	}
	return tg, nil
}

// HideResource hides a shared resource from everyone but its owner and
// resource moderators, pending review, and tells the owner.
func (s *Service) HideResource(ctx context.Context, a authz.Actor, id int, reason string) error {
	return s.setResourceHidden(ctx, a, id, true, reason, 0)
}

// UnhideResource shows a hidden resource again and dismisses its open flags.
func (s *Service) UnhideResource(ctx context.Context, a authz.Actor, id int, reason string) error {
	return s.setResourceHidden(ctx, a, id, false, reason, 0)
}

func (s *Service) setResourceHidden(ctx context.Context, a authz.Actor, id int, hide bool, reason string, reverts int) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	tg, err := s.resourceTarget(ctx, a, id)
	if err != nil {
		return err
	}
	if tg.hidden() == hide {
		return nil // already so
	}
	if hide && tg.Resource.DeletedAt != nil {
		return apperr.Conflict("resource_deleted", "the resource is deleted already")
	}
	action := hideAction(tg, hide)
	return s.tx(ctx, action, func(tx *ent.Tx) ([]event.Event, error) {
		evs, err := s.setHidden(ctx, tx, a.ID, tg, hide, reason)
		if err != nil {
			return nil, err
		}
		if _, err := s.appendAudit(ctx, tx, entry{actor: a.ID, action: action, targetType: TargetResource, targetID: id,
			reason: reason, before: map[string]any{"hidden": !hide}, after: map[string]any{"hidden": hide}, reverts: reverts}); err != nil {
			return nil, err
		}
		if !hide {
			more, err := s.resolveItems(ctx, tx, a.ID, TargetResource, id, "unhidden", "dismissed")
			if err != nil {
				return nil, err
			}
			evs = append(evs, more...)
		}
		return evs, nil
	})
}
