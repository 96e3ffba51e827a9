package group

import (
	"context"
	"strings"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/group"
	"github.com/crn-dev/crn/ent/groupmember"
	"github.com/crn-dev/crn/ent/grouprequest"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// Request is a join request with the account that made it.
type Request struct {
	*ent.GroupRequest
	User *ent.User
}

// CreateRequest asks to join a restricted group. Public groups are joined
// directly; private ones only by invitation (and stay not found).
func (s *Service) CreateRequest(ctx context.Context, a authz.Actor, slug, message string) (*Request, error) {
	if err := authz.WriteRefusal(a); err != nil {
		return nil, err
	}
	problems := map[string]string{}
	checkText("message", message, MessageMax, false, true, problems)
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	g, err := s.visible(ctx, s.db, a, slug)
	if err != nil {
		return nil, err
	}
	var r *ent.GroupRequest
	err = s.tx(ctx, "request to join group", func(tx *ent.Tx) ([]event.Event, error) {
		m, err := membership(ctx, tx, g.ID, a.ID)
		if err != nil {
			return nil, err
		}
		switch {
		case m != nil && m.Status == groupmember.StatusBanned:
			return nil, banned()
		case m != nil:
			return nil, alreadyMember()
		case g.Visibility == group.VisibilityPublic:
			return nil, apperr.Conflict("approval_not_needed", "anyone may join this group: POST its join")
		case g.Visibility == group.VisibilityPrivate:
			return nil, notFound("group") // only members see it, and they need no request
		}
		if pending, err := tx.GroupRequest.Query().Where(grouprequest.GroupID(g.ID), grouprequest.UserID(a.ID),
			grouprequest.StatusEQ(grouprequest.StatusPending)).Exist(ctx); err != nil {
			return nil, err
		} else if pending {
			return nil, apperr.Conflict("request_pending", "you have asked to join this group already")
		}
		if r, err = tx.GroupRequest.Create().SetGroupID(g.ID).SetUserID(a.ID).SetMessage(strings.TrimSpace(message)).
			SetCreatedAt(s.now()).Save(ctx); err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.GroupRequestCreated, ActorID: a.ID, GroupID: g.ID, UserID: a.ID,
			Visibility: event.GroupOnly(g.ID), Payload: map[string]any{"slug": g.Slug, "request_id": r.ID}}}, nil
	})
	if err != nil {
		return nil, err
	}
	u, err := s.db.User.Get(ctx, a.ID)
	if err != nil {
		return nil, apperr.Internal("request to join group", err)
	}
	return &Request{GroupRequest: r, User: u}, nil
}

// Requests lists a group's join requests in a status (default pending),
// oldest first, for its owners, moderators and admins.
func (s *Service) Requests(ctx context.Context, a authz.Actor, slug, status string, after, limit int) ([]Request, int, error) {
	g, err := s.visible(ctx, s.db, a, slug)
	if err != nil {
		return nil, 0, err
	}
	if !authz.CanModerateGroup(a, g.ID) {
		return nil, 0, apperr.Forbidden("forbidden", "only the group's owners and moderators see its requests")
	}
	if status == "" {
		status = string(grouprequest.StatusPending)
	}
	if grouprequest.StatusValidator(grouprequest.Status(status)) != nil {
		return nil, 0, apperr.Validation(map[string]string{"status": "must be pending, approved or rejected"})
	}
	limit = pageSize(limit)
	rs, err := s.db.GroupRequest.Query().Where(grouprequest.GroupID(g.ID), grouprequest.StatusEQ(grouprequest.Status(status)), grouprequest.IDGT(after)).
		Order(ent.Asc(grouprequest.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, 0, apperr.Internal("list requests", err)
	}
	next := 0
	if len(rs) > limit {
		rs = rs[:limit]
		next = rs[limit-1].ID
	}
	ids := make([]int, len(rs))
	for i, r := range rs {
		ids[i] = r.UserID
	}
	us, err := s.db.User.Query().Where(user.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, 0, apperr.Internal("list requests", err)
	}
	byID := make(map[int]*ent.User, len(us))
	for _, u := range us {
		byID[u.ID] = u
	}
	out := make([]Request, 0, len(rs))
	for _, r := range rs {
		out = append(out, Request{GroupRequest: r, User: byID[r.UserID]})
	}
	return out, next, nil
}

// Decide approves or rejects a pending request of the group (owners, group
// moderators, admins). A rejection needs a reason, which only the
// requester is shown.
func (s *Service) Decide(ctx context.Context, a authz.Actor, slug string, id int, approve bool, reason string) (*Request, error) {
	g, err := s.visible(ctx, s.db, a, slug)
	if err != nil {
		return nil, err
	}
	if !authz.CanModerateGroup(a, g.ID) {
		return nil, apperr.Forbidden("forbidden", "only the group's owners and moderators decide requests")
	}
	reason = strings.TrimSpace(reason)
	problems := map[string]string{}
	checkText("reason", reason, MessageMax, !approve, true, problems)
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	var r *ent.GroupRequest
	err = s.tx(ctx, "decide group request", func(tx *ent.Tx) ([]event.Event, error) {
		var err error
		// A request of another group is not found here.
		r, err = tx.GroupRequest.Query().Where(grouprequest.ID(id), grouprequest.GroupID(g.ID)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, notFound("request")
		}
		if err != nil {
			return nil, err
		}
		if r.Status != grouprequest.StatusPending {
			return nil, apperr.Conflict("request_decided", "this request was "+string(r.Status)+" already")
		}
		now := s.now()
		status := grouprequest.StatusRejected
		if approve {
			status = grouprequest.StatusApproved
		}
		// Compare-and-set on the status: two moderators deciding at once
		// cannot both win.
		n, err := tx.GroupRequest.Update().Where(grouprequest.ID(r.ID), grouprequest.StatusEQ(grouprequest.StatusPending)).
			SetStatus(status).SetReason(reason).SetDecidedBy(a.ID).SetDecidedAt(now).Save(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, apperr.Conflict("request_decided", "this request was decided already")
		}
		if r, err = tx.GroupRequest.Get(ctx, r.ID); err != nil {
			return nil, err
		}
		payload := map[string]any{"slug": g.Slug, "request_id": r.ID}
		if !approve {
			payload["reason"] = reason
			return []event.Event{{Type: event.GroupRequestRejected, ActorID: a.ID, GroupID: g.ID, UserID: r.UserID,
				Visibility: event.UserOnly(r.UserID), Payload: payload}}, nil
		}
		evs := []event.Event{{Type: event.GroupRequestApproved, ActorID: a.ID, GroupID: g.ID, UserID: r.UserID,
			Visibility: event.GroupOnly(g.ID), Payload: payload}}
		m, err := membership(ctx, tx, g.ID, r.UserID)
		if err != nil {
			return nil, err
		}
		switch {
		case m != nil && m.Status == groupmember.StatusBanned:
			return nil, apperr.Conflict("user_banned", "that user is banned from this group; lift the ban first")
		case m != nil:
			return evs, nil // joined meanwhile, by an invite
		}
		joined, err := s.addMember(ctx, tx, a.ID, g, r.UserID, "request")
		return append(evs, joined...), err
	})
	if err != nil {
		return nil, err
	}
	u, err := s.db.User.Get(ctx, r.UserID)
	if err != nil {
		return nil, apperr.Internal("decide group request", err)
	}
	return &Request{GroupRequest: r, User: u}, nil
}

// rejectPending rejects a user's pending requests to a group, e.g. on a ban.
func rejectPending(ctx context.Context, tx *ent.Tx, groupID, userID, by int, now time.Time, reason string) error {
	return tx.GroupRequest.Update().Where(grouprequest.GroupID(groupID), grouprequest.UserID(userID), grouprequest.StatusEQ(grouprequest.StatusPending)).
		SetStatus(grouprequest.StatusRejected).SetReason(reason).SetDecidedBy(by).SetDecidedAt(now).Exec(ctx)
}
