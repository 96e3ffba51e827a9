package moderation

import (
	"context"
	"strings"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/authtoken"
	"github.com/crn-dev/crn/ent/sanction"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// MaxSanction is the longest silence or suspension with an end.
const MaxSanction = 10 * 365 * 24 * time.Hour

// sanctionTarget loads a user the actor may sanction.
func (s *Service) sanctionTarget(ctx context.Context, a authz.Actor, username string) (*ent.User, error) {
	if a.Guest() {
		return nil, apperr.Unauthenticated("unauthenticated", "sign in first")
	}
	if !authz.CanModerateUsers(a) {
		return nil, forbidden("only moderators act on accounts")
	}
	u, err := s.db.User.Query().Where(user.UsernameKey(strings.ToLower(username))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, apperr.Internal("load user", err)
	}
	if !authz.CanSanction(a, u.ID, string(u.Role)) {
		if u.ID == a.ID {
			return nil, forbidden("you cannot act on your own account")
		}
		return nil, forbidden("moderators cannot act on administrators or other moderators")
	}
	return u, nil
}

func requireReason(reason string) (string, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return "", err
	}
	if reason == "" {
		return "", apperr.Validation(map[string]string{"reason": "is required: the user is told why"})
	}
	return reason, nil
}

// Warn sends a user a private warning from the moderators.
func (s *Service) Warn(ctx context.Context, a authz.Actor, username, reason string) error {
	reason, err := requireReason(reason)
	if err != nil {
		return err
	}
	u, err := s.sanctionTarget(ctx, a, username)
	if err != nil {
		return err
	}
	return s.warn(ctx, a, u, reason, 0, 0)
}

// warnFromItem warns the author of a review item's content: site
// moderators as Warn does, and a group's owners and moderators the authors
// of their group's content (authz.CanWarnIn). The audit entry carries the
// item's forum and group, so the group's moderators read it.
func (s *Service) warnFromItem(ctx context.Context, a authz.Actor, it *ent.ReviewItem, username, reason string) error {
	reason, err := requireReason(reason)
	if err != nil {
		return err
	}
	forumID, groupID := deref(it.ForumID), deref(it.GroupID)
	if authz.CanModerateUsers(a) {
		u, err := s.sanctionTarget(ctx, a, username)
		if err != nil {
			return err
		}
		return s.warn(ctx, a, u, reason, forumID, groupID)
	}
	u, err := s.db.User.Query().Where(user.UsernameKey(strings.ToLower(username))).Only(ctx)
	if ent.IsNotFound(err) {
		return notFound("user")
	}
	if err != nil {
		return apperr.Internal("load user", err)
	}
	if !authz.CanWarnIn(a, forumID, groupID, u.ID, string(u.Role)) {
		if u.ID == a.ID {
			return forbidden("you cannot act on your own account")
		}
		return forbidden("group moderators warn the members who wrote their group's content, never site moderators or administrators")
	}
	return s.warn(ctx, a, u, reason, forumID, groupID)
}

func (s *Service) warn(ctx context.Context, a authz.Actor, u *ent.User, reason string, forumID, groupID int) error {
	return s.tx(ctx, ActUserWarn, func(tx *ent.Tx) ([]event.Event, error) {
		sn, err := tx.Sanction.Create().SetUserID(u.ID).SetKind(sanction.KindWarn).SetActorID(a.ID).SetReason(reason).SetCreatedAt(s.now()).Save(ctx)
		if err != nil {
			return nil, err
		}
		id, err := s.appendAudit(ctx, tx, entry{actor: a.ID, action: ActUserWarn, targetType: TargetUser, targetID: u.ID, reason: reason,
			forumID: forumID, groupID: groupID, after: map[string]any{"sanction_id": sn.ID}})
		if err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.UserWarned, ActorID: a.ID, UserID: u.ID, Visibility: event.UserOnly(u.ID),
			Payload: map[string]any{"reason": reason, "sanction_id": sn.ID, "audit_id": id}}}, nil
	})
}

// Silence keeps a user from writing (they can still read) for d, or until
// lifted when d is 0.
func (s *Service) Silence(ctx context.Context, a authz.Actor, username string, d time.Duration, reason string) error {
	return s.sanction(ctx, a, username, sanction.KindSilence, d, reason, 0)
}

// Suspend keeps a user from signing in for d (0: until lifted): their
// sessions and API tokens are revoked and their sockets closed.
func (s *Service) Suspend(ctx context.Context, a authz.Actor, username string, d time.Duration, reason string) error {
	return s.sanction(ctx, a, username, sanction.KindSuspend, d, reason, 0)
}

func (s *Service) sanction(ctx context.Context, a authz.Actor, username string, kind sanction.Kind, d time.Duration, reason string, reverts int) error {
	reason, err := requireReason(reason)
	if err != nil {
		return err
	}
	if d < 0 || d > MaxSanction {
		return apperr.Validation(map[string]string{"duration_hours": "must be 0 (until lifted) to 87600 (ten years)"})
	}
	u, err := s.sanctionTarget(ctx, a, username)
	if err != nil {
		return err
	}
	action, typ := ActUserSilence, event.UserSilenced
	if kind == sanction.KindSuspend {
		action, typ = ActUserSuspend, event.UserSuspended
	}
	err = s.tx(ctx, action, func(tx *ent.Tx) ([]event.Event, error) {
		now := s.now()
		// A new sanction of a kind replaces the running one.
		if err := tx.Sanction.Update().Where(sanction.UserID(u.ID), sanction.KindEQ(kind), sanction.LiftedAtIsNil()).
			SetLiftedAt(now).SetLiftedByID(a.ID).Exec(ctx); err != nil {
			return nil, err
		}
		c := tx.Sanction.Create().SetUserID(u.ID).SetKind(kind).SetActorID(a.ID).SetReason(reason).SetCreatedAt(now)
		var ends *time.Time
		if d > 0 {
			e := now.Add(d)
			ends = &e
			c.SetEndsAt(e)
		}
		sn, err := c.Save(ctx)
		if err != nil {
			return nil, err
		}
		status, err := s.applyStatus(ctx, tx, u.ID)
		if err != nil {
			return nil, err
		}
		if kind == sanction.KindSuspend {
			if _, err := tx.AuthToken.Update().Where(authtoken.UserID(u.ID), authtoken.RevokedAtIsNil()).SetRevokedAt(now).Save(ctx); err != nil {
				return nil, err
			}
		}
		after := map[string]any{"status": status, "sanction_id": sn.ID, "ends_at": ends}
		id, err := s.appendAudit(ctx, tx, entry{actor: a.ID, action: action, targetType: TargetUser, targetID: u.ID, reason: reason,
			before: map[string]any{"status": string(u.Status)}, after: after, reverts: reverts})
		if err != nil {
			return nil, err
		}
		return []event.Event{{Type: typ, ActorID: a.ID, UserID: u.ID, Visibility: event.Staff,
			Payload: map[string]any{"reason": reason, "ends_at": ends, "status": status, "audit_id": id}}}, nil
	})
	if err == nil && kind == sanction.KindSuspend {
		s.kick(u.ID) // this node at once; others when the event reaches them
	}
	return err
}

// Unsilence lifts a user's silence.
func (s *Service) Unsilence(ctx context.Context, a authz.Actor, username, reason string) error {
	return s.lift(ctx, a, username, sanction.KindSilence, reason, 0)
}

// Unsuspend lifts a user's suspension.
func (s *Service) Unsuspend(ctx context.Context, a authz.Actor, username, reason string) error {
	return s.lift(ctx, a, username, sanction.KindSuspend, reason, 0)
}

func (s *Service) lift(ctx context.Context, a authz.Actor, username string, kind sanction.Kind, reason string, reverts int) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	u, err := s.sanctionTarget(ctx, a, username)
	if err != nil {
		return err
	}
	return s.tx(ctx, "lift sanction", func(tx *ent.Tx) ([]event.Event, error) {
		return s.liftIn(ctx, tx, a.ID, u, kind, reason, reverts)
	})
}

// liftIn lifts the running sanction of kind in tx; actorID 0 is the expiry job.
func (s *Service) liftIn(ctx context.Context, tx *ent.Tx, actorID int, u *ent.User, kind sanction.Kind, reason string, reverts int) ([]event.Event, error) {
	running, err := tx.Sanction.Query().Where(sanction.UserID(u.ID), sanction.KindEQ(kind), sanction.LiftedAtIsNil()).All(ctx)
	if err != nil {
		return nil, err
	}
	if len(running) == 0 {
		return nil, apperr.Conflict("not_sanctioned", "the user is not "+map[sanction.Kind]string{sanction.KindSilence: "silenced", sanction.KindSuspend: "suspended"}[kind])
	}
	up := tx.Sanction.Update().Where(sanction.UserID(u.ID), sanction.KindEQ(kind), sanction.LiftedAtIsNil()).SetLiftedAt(s.now())
	if actorID != 0 {
		up.SetLiftedByID(actorID)
	}
	if err := up.Exec(ctx); err != nil {
		return nil, err
	}
	status, err := s.applyStatus(ctx, tx, u.ID)
	if err != nil {
		return nil, err
	}
	action, typ := ActUserUnsilence, event.UserUnsilenced
	if kind == sanction.KindSuspend {
		action, typ = ActUserUnsuspend, event.UserUnsuspended
	}
	last := running[len(running)-1]
	id, err := s.appendAudit(ctx, tx, entry{actor: actorID, action: action, targetType: TargetUser, targetID: u.ID, reason: reason,
		before: map[string]any{"status": string(u.Status), "sanction_id": last.ID, "ends_at": last.EndsAt, "sanction_reason": last.Reason},
		after:  map[string]any{"status": status}, reverts: reverts})
	if err != nil {
		return nil, err
	}
	return []event.Event{{Type: typ, ActorID: actorID, UserID: u.ID, Visibility: event.Staff,
		Payload: map[string]any{"reason": reason, "status": status, "audit_id": id}}}, nil
}

// applyStatus sets a user's status from their running sanctions:
// suspended wins over silenced over active.
func (s *Service) applyStatus(ctx context.Context, tx *ent.Tx, userID int) (string, error) {
	running, err := tx.Sanction.Query().Where(sanction.UserID(userID), sanction.LiftedAtIsNil(), sanction.KindNEQ(sanction.KindWarn)).All(ctx)
	if err != nil {
		return "", err
	}
	status := user.StatusActive
	for _, sn := range running {
		switch {
		case sn.Kind == sanction.KindSuspend:
			status = user.StatusSuspended
		case sn.Kind == sanction.KindSilence && status == user.StatusActive:
			status = user.StatusSilenced
		}
	}
	return string(status), tx.User.UpdateOneID(userID).SetStatus(status).Exec(ctx)
}

// LiftExpired lifts every silence and suspension whose time is up; the
// background job calls it every minute. It returns how many it lifted.
func (s *Service) LiftExpired(ctx context.Context) (int, error) {
	due, err := s.db.Sanction.Query().Where(sanction.LiftedAtIsNil(), sanction.EndsAtNotNil(), sanction.EndsAtLTE(s.now())).Limit(500).All(ctx)
	if err != nil {
		return 0, apperr.Internal("lift expired", err)
	}
	n := 0
	for _, sn := range due {
		u, err := s.db.User.Get(ctx, sn.UserID)
		if err != nil {
			return n, apperr.Internal("lift expired", err)
		}
		err = s.tx(ctx, "lift expired", func(tx *ent.Tx) ([]event.Event, error) {
			return s.liftIn(ctx, tx, 0, u, sn.Kind, "expired", 0)
		})
		if err != nil && !apperr.Is(err, apperr.KindConflict) {
			return n, err
		}
		n++
	}
	return n, nil
}
