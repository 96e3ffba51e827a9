package group

import (
	"context"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/group"
	"github.com/crn-dev/crn/ent/groupinvite"
	"github.com/crn-dev/crn/ent/groupmember"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// rank orders group roles; admins outrank every group role.
var rank = map[string]int{authz.GroupMember: 1, authz.GroupModerator: 2, authz.GroupOwner: 3}

func actorRank(a authz.Actor, groupID int) int {
	if a.Admin() {
		return 4
	}
	return rank[a.GroupRole(groupID)]
}

func banned() error { return apperr.Forbidden("banned", "you are banned from this group") }

func alreadyMember() error {
	return apperr.Conflict("already_member", "you are a member of this group already")
}

// membership returns a user's row in a group, or nil.
func membership(ctx context.Context, tx *ent.Tx, groupID, userID int) (*ent.GroupMember, error) {
	m, err := tx.GroupMember.Query().Where(groupmember.GroupID(groupID), groupmember.UserID(userID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return m, err
}

// addMember makes userID an active member of g and returns its events.
// The caller has checked there is no row for them.
func (s *Service) addMember(ctx context.Context, tx *ent.Tx, actorID int, g *ent.Group, userID int, how string) ([]event.Event, error) {
	if err := tx.GroupMember.Create().SetGroupID(g.ID).SetUserID(userID).SetRole(groupmember.RoleMember).SetCreatedAt(s.now()).Exec(ctx); err != nil {
		return nil, err
	}
	if err := tx.Group.UpdateOneID(g.ID).AddMemberCount(1).Exec(ctx); err != nil {
		return nil, err
	}
	e := memberEvent(event.GroupMemberJoined, actorID, g, userID, authz.GroupMember, contentVisibility(g))
	e.Payload["via"] = how
	return []event.Event{e}, nil
}

// personalInvite returns a usable invite naming userID to g, or nil.
func (s *Service) personalInvite(ctx context.Context, tx *ent.Tx, groupID, userID int) (*ent.GroupInvite, error) {
	invs, err := tx.GroupInvite.Query().Where(groupinvite.GroupID(groupID), groupinvite.InviteeID(userID), groupinvite.RevokedAtIsNil()).All(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for _, inv := range invs {
		if (inv.ExpiresAt == nil || now.Before(*inv.ExpiresAt)) && (inv.MaxUses == 0 || inv.Uses < inv.MaxUses) {
			return inv, nil
		}
	}
	return nil, nil
}

// Join makes the actor a member: of a public group at once, of any group
// they hold a personal invite to. A restricted group takes a request
// (CreateRequest); a private one is not found without an invite.
func (s *Service) Join(ctx context.Context, a authz.Actor, slug string) (*View, error) {
	if err := authz.WriteRefusal(a); err != nil {
		return nil, err
	}
	var g *ent.Group
	err := s.tx(ctx, "join group", func(tx *ent.Tx) ([]event.Event, error) {
		var err error
		g, err = tx.Group.Query().Where(group.Slug(slug), group.DeletedAtIsNil()).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, notFound("group")
		}
		if err != nil {
			return nil, err
		}
		m, err := membership(ctx, tx, g.ID, a.ID)
		if err != nil {
			return nil, err
		}
		inv, err := s.personalInvite(ctx, tx, g.ID, a.ID)
		if err != nil {
			return nil, err
		}
		visible := authz.CanSeeGroup(a, g.ID, string(g.Visibility))
		switch {
		case !visible && inv == nil && m == nil:
			return nil, notFound("group") // a private group's existence stays hidden
		case m != nil && m.Status == groupmember.StatusBanned:
			if !visible {
				return nil, notFound("group")
			}
			return nil, banned()
		case m != nil:
			return nil, alreadyMember()
		}
		how := "open"
		if inv != nil {
			if err := tx.GroupInvite.UpdateOneID(inv.ID).AddUses(1).Exec(ctx); err != nil {
				return nil, err
			}
			how = "invite"
		} else if g.Visibility != group.VisibilityPublic {
			return nil, apperr.Forbidden("approval_required", "this group takes requests to join: POST its requests")
		}
		return s.addMember(ctx, tx, a.ID, g, a.ID, how)
	})
	if err != nil {
		return nil, err
	}
	return s.joined(ctx, g.ID)
}

// joined is the view of a group its new member gets (their Actor, built
// before the join, does not know the membership yet).
func (s *Service) joined(ctx context.Context, groupID int) (*View, error) {
	g, err := s.db.Group.Get(ctx, groupID)
	if err != nil {
		return nil, apperr.Internal("get group", err)
	}
	return &View{Group: g, Role: authz.GroupMember}, nil
}

// ownerCount counts a group's active owners.
func ownerCount(ctx context.Context, tx *ent.Tx, groupID int) (int, error) {
	return tx.GroupMember.Query().Where(groupmember.GroupID(groupID), groupmember.StatusEQ(groupmember.StatusActive),
		groupmember.RoleEQ(groupmember.RoleOwner)).Count(ctx)
}

func lastOwner() error {
	return apperr.Conflict("last_owner", "a group keeps at least one owner: make someone else an owner first, or delete the group")
}

// Leave ends the actor's membership. The last owner may not leave.
func (s *Service) Leave(ctx context.Context, a authz.Actor, slug string) error {
	if a.Guest() {
		return apperr.Unauthenticated("unauthenticated", "sign in first")
	}
	g, err := s.visible(ctx, s.db, a, slug)
	if err != nil {
		return err
	}
	return s.tx(ctx, "leave group", func(tx *ent.Tx) ([]event.Event, error) {
		m, err := membership(ctx, tx, g.ID, a.ID)
		if err != nil {
			return nil, err
		}
		if m == nil || m.Status != groupmember.StatusActive {
			return nil, apperr.NotFound("not_member", "you are not a member of this group")
		}
		if m.Role == groupmember.RoleOwner {
			if n, err := ownerCount(ctx, tx, g.ID); err != nil {
				return nil, err
			} else if n <= 1 {
				return nil, lastOwner()
			}
		}
		if err := tx.GroupMember.DeleteOneID(m.ID).Exec(ctx); err != nil {
			return nil, err
		}
		if err := tx.Group.UpdateOneID(g.ID).AddMemberCount(-1).Exec(ctx); err != nil {
			return nil, err
		}
		return []event.Event{memberEvent(event.GroupMemberLeft, a.ID, g, a.ID, string(m.Role), contentVisibility(g))}, nil
	})
}

// Member is a member with their account.
type Member struct {
	*ent.GroupMember
	User *ent.User
}

// MemberQuery asks for a page of a group's member directory.
type MemberQuery struct {
	After  int // the last membership id of the previous page
	Limit  int
	Banned bool // the banned list instead (owners, group moderators and admins)
}

// Members lists a group's members (or, for its moderators, the banned),
// in the order they joined, and the cursor of the next page (0 at the end).
func (s *Service) Members(ctx context.Context, a authz.Actor, slug string, q MemberQuery) ([]Member, int, error) {
	g, err := s.readable(ctx, a, slug)
	if err != nil {
		return nil, 0, err
	}
	status := groupmember.StatusActive
	if q.Banned {
		if !authz.CanModerateGroup(a, g.ID) {
			return nil, 0, apperr.Forbidden("forbidden", "only the group's owners and moderators see who is banned")
		}
		status = groupmember.StatusBanned
	}
	limit := pageSize(q.Limit)
	ms, err := s.db.GroupMember.Query().Where(groupmember.GroupID(g.ID), groupmember.StatusEQ(status), groupmember.IDGT(q.After)).
		Order(ent.Asc(groupmember.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, 0, apperr.Internal("list members", err)
	}
	next := 0
	if len(ms) > limit {
		ms = ms[:limit]
		next = ms[limit-1].ID
	}
	ids := make([]int, len(ms))
	for i, m := range ms {
		ids[i] = m.UserID
	}
	us, err := s.db.User.Query().Where(user.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, 0, apperr.Internal("list members", err)
	}
	byID := make(map[int]*ent.User, len(us))
	for _, u := range us {
		byID[u.ID] = u
	}
	out := make([]Member, 0, len(ms))
	for _, m := range ms {
		if u := byID[m.UserID]; u != nil {
			out = append(out, Member{GroupMember: m, User: u})
		}
	}
	return out, next, nil
}

// target resolves the user a member action is about.
func target(ctx context.Context, tx *ent.Tx, username string) (*ent.User, error) {
	u, err := tx.User.Query().Where(user.UsernameKey(strings.ToLower(strings.TrimSpace(username)))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("user")
	}
	return u, err
}

// SetRole changes a member's role (owners and admins). Demoting the last
// owner is refused.
func (s *Service) SetRole(ctx context.Context, a authz.Actor, slug, username, role string) (*Member, error) {
	g, err := s.visible(ctx, s.db, a, slug)
	if err != nil {
		return nil, err
	}
	if !authz.CanManageGroup(a, g.ID) {
		return nil, apperr.Forbidden("forbidden", "only the group's owners change roles")
	}
	if groupmember.RoleValidator(groupmember.Role(role)) != nil {
		return nil, apperr.Validation(map[string]string{"role": "must be owner, moderator or member"})
	}
	var out *Member
	err = s.tx(ctx, "set group role", func(tx *ent.Tx) ([]event.Event, error) {
		u, err := target(ctx, tx, username)
		if err != nil {
			return nil, err
		}
		m, err := membership(ctx, tx, g.ID, u.ID)
		if err != nil {
			return nil, err
		}
		if m == nil || m.Status != groupmember.StatusActive {
			return nil, apperr.NotFound("member_not_found", "that user is not a member of this group")
		}
		if string(m.Role) == role {
			out = &Member{GroupMember: m, User: u}
			return nil, nil
		}
		if m.Role == groupmember.RoleOwner {
			if n, err := ownerCount(ctx, tx, g.ID); err != nil {
				return nil, err
			} else if n <= 1 {
				return nil, lastOwner()
			}
		}
		if m, err = tx.GroupMember.UpdateOneID(m.ID).SetRole(groupmember.Role(role)).Save(ctx); err != nil {
			return nil, err
		}
		out = &Member{GroupMember: m, User: u}
		e := memberEvent(event.GroupMemberRoleChanged, a.ID, g, u.ID, role, event.GroupOnly(g.ID))
		return []event.Event{e}, nil
	})
	return out, err
}

// mayAct checks that a may remove or ban someone of role targetRole:
// moderators act on members, owners on moderators and members, admins on all.
func mayAct(a authz.Actor, groupID int, targetRole string) error {
	if !authz.CanModerateGroup(a, groupID) {
		return apperr.Forbidden("forbidden", "only the group's owners and moderators remove and ban members")
	}
	if actorRank(a, groupID) <= rank[targetRole] {
		return apperr.Forbidden("forbidden", "you may not remove or ban a "+targetRole+" of this group")
	}
	return nil
}

// Remove takes a member out of the group; they may join again as the
// group's visibility allows.
func (s *Service) Remove(ctx context.Context, a authz.Actor, slug, username string) error {
	g, err := s.visible(ctx, s.db, a, slug)
	if err != nil {
		return err
	}
	if !authz.CanModerateGroup(a, g.ID) {
		return apperr.Forbidden("forbidden", "only the group's owners and moderators remove members")
	}
	return s.tx(ctx, "remove group member", func(tx *ent.Tx) ([]event.Event, error) {
		u, err := target(ctx, tx, username)
		if err != nil {
			return nil, err
		}
		if u.ID == a.ID {
			return nil, apperr.Invalid("use_leave", "to leave the group, POST its leave")
		}
		m, err := membership(ctx, tx, g.ID, u.ID)
		if err != nil {
			return nil, err
		}
		if m == nil || m.Status != groupmember.StatusActive {
			return nil, apperr.NotFound("member_not_found", "that user is not a member of this group")
		}
		if err := mayAct(a, g.ID, string(m.Role)); err != nil {
			return nil, err
		}
		if err := tx.GroupMember.DeleteOneID(m.ID).Exec(ctx); err != nil {
			return nil, err
		}
		if err := tx.Group.UpdateOneID(g.ID).AddMemberCount(-1).Exec(ctx); err != nil {
			return nil, err
		}
		return []event.Event{memberEvent(event.GroupMemberRemoved, a.ID, g, u.ID, string(m.Role), event.GroupOnly(g.ID))}, nil
	})
}

// SetBanned bans a user from the group (a member loses their membership;
// anyone else is kept from joining), or lifts a ban.
func (s *Service) SetBanned(ctx context.Context, a authz.Actor, slug, username string, on bool) error {
	g, err := s.visible(ctx, s.db, a, slug)
	if err != nil {
		return err
	}
	if !authz.CanModerateGroup(a, g.ID) {
		return apperr.Forbidden("forbidden", "only the group's owners and moderators ban members")
	}
	return s.tx(ctx, "ban group member", func(tx *ent.Tx) ([]event.Event, error) {
		u, err := target(ctx, tx, username)
		if err != nil {
			return nil, err
		}
		if u.ID == a.ID {
			return nil, apperr.Invalid("cannot_ban_self", "you may not ban yourself")
		}
		m, err := membership(ctx, tx, g.ID, u.ID)
		if err != nil {
			return nil, err
		}
		if !on {
			if m == nil || m.Status != groupmember.StatusBanned {
				return nil, apperr.NotFound("ban_not_found", "that user is not banned from this group")
			}
			if err := tx.GroupMember.DeleteOneID(m.ID).Exec(ctx); err != nil {
				return nil, err
			}
			return []event.Event{memberEvent(event.GroupMemberUnbanned, a.ID, g, u.ID, "", event.GroupOnly(g.ID))}, nil
		}
		role := ""
		switch {
		case m == nil:
			if err := tx.GroupMember.Create().SetGroupID(g.ID).SetUserID(u.ID).SetStatus(groupmember.StatusBanned).SetCreatedAt(s.now()).Exec(ctx); err != nil {
				return nil, err
			}
		case m.Status == groupmember.StatusBanned:
			return nil, nil // banned already
		default:
			role = string(m.Role)
			if err := mayAct(a, g.ID, role); err != nil {
				return nil, err
			}
			if err := tx.GroupMember.UpdateOneID(m.ID).SetStatus(groupmember.StatusBanned).SetRole(groupmember.RoleMember).Exec(ctx); err != nil {
				return nil, err
			}
			if err := tx.Group.UpdateOneID(g.ID).AddMemberCount(-1).Exec(ctx); err != nil {
				return nil, err
			}
		}
		if err := rejectPending(ctx, tx, g.ID, u.ID, a.ID, s.now(), "banned"); err != nil {
			return nil, err
		}
		return []event.Event{memberEvent(event.GroupMemberBanned, a.ID, g, u.ID, role, event.GroupOnly(g.ID))}, nil
	})
}
