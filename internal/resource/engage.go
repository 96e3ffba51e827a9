package resource

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/resource"
	"github.com/crn-dev/crn/ent/resourcebookmark"
	"github.com/crn-dev/crn/ent/resourcerating"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// Star ratings.
const (
	StarsMin = 1
	StarsMax = 5
)

// Rate sets the actor's rating of a resource (one per member, changeable;
// owners do not rate their own) and keeps the average and count current.
func (s *Service) Rate(ctx context.Context, a authz.Actor, id, stars int) (*View, error) {
	if stars < StarsMin || stars > StarsMax {
		return nil, apperr.Validation(map[string]string{"stars": "must be a whole number from 1 to 5"})
	}
	r, err := s.load(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !authz.CanRateResource(a, r) {
		if a.ID == r.UserID && !a.Guest() {
			return nil, apperr.Forbidden("own_resource", "you cannot rate your own resource")
		}
		return nil, forbidden(a, "cannot_rate", "you may not rate this resource")
	}
	err = s.tx(ctx, "rate resource", func(tx *ent.Tx) ([]event.Event, error) {
		old, err := tx.ResourceRating.Query().Where(resourcerating.ResourceID(id), resourcerating.UserID(a.ID)).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, err
		}
		previous := 0
		sumDelta, countDelta := stars, 1
		if old != nil {
			if old.Stars == stars {
				return nil, nil
			}
			previous = old.Stars
			sumDelta, countDelta = stars-old.Stars, 0
			err = tx.ResourceRating.UpdateOne(old).SetStars(stars).Exec(ctx)
		} else {
			err = tx.ResourceRating.Create().SetResourceID(id).SetUserID(a.ID).SetStars(stars).Exec(ctx)
		}
		if err != nil {
			return nil, err
		}
		// The increment locks the row; the average is then computed from
		// the totals this transaction sees, so concurrent raters agree.
		if err := s.bump(ctx, tx, id, func(u *sql.UpdateBuilder) {
			u.Add(resource.FieldRatingSum, sumDelta).Add(resource.FieldRatingCount, countDelta)
		}); err != nil {
			return nil, err
		}
		now, err := tx.Resource.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		milli := 0
		if now.RatingCount > 0 {
			milli = now.RatingSum * 1000 / now.RatingCount
		}
		if err := s.bump(ctx, tx, id, func(u *sql.UpdateBuilder) { u.Set(resource.FieldRatingMilli, milli) }); err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.ResourceRated, ActorID: a.ID, UserID: r.UserID, Visibility: visibility(r), GroupID: groupOf(r),
			Payload: map[string]any{"resource_id": id, "stars": stars, "previous": previous}}}, nil
	})
	if err != nil {
		if ent.IsConstraintError(err) {
			return nil, apperr.Conflict("rating_conflict", "another rating of yours arrived at the same time; try again")
		}
		return nil, err
	}
	return s.Get(ctx, a, id)
}

// Bookmark saves (on) or forgets a resource for the actor. Bookmarks are
// private, so they record no event (as post bookmarks).
func (s *Service) Bookmark(ctx context.Context, a authz.Actor, id int, on bool) error {
	if a.Guest() {
		return apperr.Unauthenticated("unauthenticated", "sign in first")
	}
	if _, err := s.load(ctx, a, id); err != nil {
		return err
	}
	if on {
		err := s.db.ResourceBookmark.Create().SetResourceID(id).SetUserID(a.ID).
			OnConflictColumns(resourcebookmark.FieldUserID, resourcebookmark.FieldResourceID).Ignore().Exec(ctx)
		if err != nil {
			return apperr.Internal("bookmark resource", err)
		}
		return nil
	}
	if _, err := s.db.ResourceBookmark.Delete().Where(resourcebookmark.ResourceID(id), resourcebookmark.UserID(a.ID)).Exec(ctx); err != nil {
		return apperr.Internal("bookmark resource", err)
	}
	return nil
}
