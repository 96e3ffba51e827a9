package group

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/group"
	"github.com/crn-dev/crn/ent/groupinvite"
	"github.com/crn-dev/crn/ent/groupmember"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// InviteInput creates an invite: a personal one when Username is set,
// otherwise a link anyone holding the token may use.
type InviteInput struct {
	Username  string
	ExpiresIn time.Duration // 0: InviteTTLDefault
	MaxUses   *int          // link invites: nil means 1, 0 unlimited; personal invites are single-use
}

// Invite is a new invite and its token, which is shown once and never stored.
type Invite struct {
	*ent.GroupInvite
	Token   string
	Invitee *ent.User // personal invites
}

// invitePrefix marks crn invite tokens, so they are recognisable when leaked.
const invitePrefix = "crn_inv_"

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateInvite invites someone into the group (owners, group moderators,
// admins).
func (s *Service) CreateInvite(ctx context.Context, a authz.Actor, slug string, in InviteInput) (*Invite, error) {
	g, err := s.visible(ctx, s.db, a, slug)
	if err != nil {
		return nil, err
	}
	if !authz.CanModerateGroup(a, g.ID) {
		return nil, apperr.Forbidden("forbidden", "only the group's owners and moderators invite")
	}
	problems := map[string]string{}
	if in.ExpiresIn == 0 {
		in.ExpiresIn = InviteTTLDefault
	}
	if in.ExpiresIn < time.Minute || in.ExpiresIn > InviteTTLMax {
		problems["expires_in"] = "must be between 60 seconds and 90 days (in seconds)"
	}
	uses := 1
	if in.MaxUses != nil {
		uses = *in.MaxUses
		if uses < 0 || uses > InviteUsesMax || (in.Username != "" && uses != 1) {
			problems["max_uses"] = "must be 0 (unlimited) to 1000 for a link, and 1 for a personal invite"
		}
	}
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, apperr.Internal("create invite", err)
	}
	token := invitePrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	out := &Invite{Token: token}
	err = s.tx(ctx, "create invite", func(tx *ent.Tx) ([]event.Event, error) {
		c := tx.GroupInvite.Create().SetGroupID(g.ID).SetTokenHash(hashToken(token)).SetCreatedBy(a.ID).
			SetExpiresAt(s.now().Add(in.ExpiresIn)).SetMaxUses(uses).SetCreatedAt(s.now())
		if in.Username != "" {
			u, err := target(ctx, tx, in.Username)
			if apperr.Is(err, apperr.KindNotFound) {
				return nil, apperr.Validation(map[string]string{"username": "no such user"})
			}
			if err != nil {
				return nil, err
			}
			m, err := membership(ctx, tx, g.ID, u.ID)
			if err != nil {
				return nil, err
			}
			switch {
			case m != nil && m.Status == groupmember.StatusBanned:
				return nil, apperr.Conflict("user_banned", "that user is banned from this group; lift the ban first")
			case m != nil:
				return nil, apperr.Conflict("already_member", "that user is a member already")
			}
			c.SetInviteeID(u.ID)
			out.Invitee = u
		}
		inv, err := c.Save(ctx)
		if err != nil {
			return nil, err
		}
		out.GroupInvite = inv
		return []event.Event{{Type: event.GroupInviteCreated, ActorID: a.ID, GroupID: g.ID, UserID: inviteeOf(inv),
			Visibility: event.GroupOnly(g.ID), Payload: map[string]any{
				"slug": g.Slug, "invite_id": inv.ID, "personal": inv.InviteeID != nil, "max_uses": inv.MaxUses,
				"expires_at": inv.ExpiresAt.UTC().Format(time.RFC3339),
			}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func inviteeOf(inv *ent.GroupInvite) int {
	if inv.InviteeID == nil {
		return 0
	}
	return *inv.InviteeID
}

// AcceptInvite joins the group an invite is for. Unknown tokens, personal
// invites naming someone else and invites of deleted groups are not found;
// expired, revoked and used-up invites are not found either, with the
// codes invite_expired and invite_used_up (docs/groups.md).
func (s *Service) AcceptInvite(ctx context.Context, a authz.Actor, token string) (*View, error) {
	if err := authz.WriteRefusal(a); err != nil {
		return nil, err
	}
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, invitePrefix) || len(token) > 100 {
		return nil, notFound("invite")
	}
	var g *ent.Group
	err := s.tx(ctx, "accept invite", func(tx *ent.Tx) ([]event.Event, error) {
		inv, err := tx.GroupInvite.Query().Where(groupinvite.TokenHash(hashToken(token))).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, notFound("invite")
		}
		if err != nil {
			return nil, err
		}
		if inv.InviteeID != nil && *inv.InviteeID != a.ID {
			return nil, notFound("invite")
		}
		if g, err = tx.Group.Query().Where(group.ID(inv.GroupID), group.DeletedAtIsNil()).Only(ctx); ent.IsNotFound(err) {
			return nil, notFound("invite")
		} else if err != nil {
			return nil, err
		}
		if inv.RevokedAt != nil || (inv.ExpiresAt != nil && !s.now().Before(*inv.ExpiresAt)) {
			return nil, apperr.NotFound("invite_expired", "this invite has expired")
		}
		m, err := membership(ctx, tx, g.ID, a.ID)
		if err != nil {
			return nil, err
		}
		switch {
		case m != nil && m.Status == groupmember.StatusBanned:
			return nil, banned()
		case m != nil:
			return nil, alreadyMember()
		}
		// Count the use only if one is left, in one statement, so that
		// concurrent accepts never exceed the limit.
		n, err := tx.GroupInvite.Update().Where(groupinvite.ID(inv.ID),
			groupinvite.Or(groupinvite.MaxUses(0), func(sel *sql.Selector) {
				sel.Where(sql.ColumnsLT(sel.C(groupinvite.FieldUses), sel.C(groupinvite.FieldMaxUses)))
			})).
			AddUses(1).Save(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, apperr.NotFound("invite_used_up", "this invite has been used up")
		}
		return s.addMember(ctx, tx, a.ID, g, a.ID, "invite")
	})
	if err != nil {
		return nil, err
	}
	return s.joined(ctx, g.ID)
}

// InviteEntry is an invite as its group's moderators list it: never its token.
type InviteEntry struct {
	*ent.GroupInvite
	Invitee *ent.User // personal invites
}

// Invites lists a group's usable invites, newest first (owners, group
// moderators, admins): not revoked, not expired, not used up.
func (s *Service) Invites(ctx context.Context, a authz.Actor, slug string) ([]InviteEntry, error) {
	g, err := s.visible(ctx, s.db, a, slug)
	if err != nil {
		return nil, err
	}
	if !authz.CanModerateGroup(a, g.ID) {
		return nil, apperr.Forbidden("forbidden", "only the group's owners and moderators see its invites")
	}
	invs, err := s.db.GroupInvite.Query().Where(groupinvite.GroupID(g.ID), groupinvite.RevokedAtIsNil(),
		groupinvite.Or(groupinvite.ExpiresAtIsNil(), groupinvite.ExpiresAtGT(s.now())),
		groupinvite.Or(groupinvite.MaxUses(0), func(sel *sql.Selector) {
			sel.Where(sql.ColumnsLT(sel.C(groupinvite.FieldUses), sel.C(groupinvite.FieldMaxUses)))
		})).Order(ent.Desc(groupinvite.FieldID)).Limit(PageMax).All(ctx)
	if err != nil {
		return nil, apperr.Internal("list invites", err)
	}
	var ids []int
	for _, inv := range invs {
		if inv.InviteeID != nil {
			ids = append(ids, *inv.InviteeID)
		}
	}
	us, err := s.db.User.Query().Where(user.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, apperr.Internal("list invites", err)
	}
	byID := make(map[int]*ent.User, len(us))
	for _, u := range us {
		byID[u.ID] = u
	}
	out := make([]InviteEntry, len(invs))
	for i, inv := range invs {
		out[i] = InviteEntry{GroupInvite: inv, Invitee: byID[inviteeOf(inv)]}
	}
	return out, nil
}

// RevokeInvite stops an invite of the group from working (owners, group
// moderators, admins), e.g. a link that leaked. Revoking twice is a no-op.
func (s *Service) RevokeInvite(ctx context.Context, a authz.Actor, slug string, id int) error {
	g, err := s.visible(ctx, s.db, a, slug)
	if err != nil {
		return err
	}
	if !authz.CanModerateGroup(a, g.ID) {
		return apperr.Forbidden("forbidden", "only the group's owners and moderators revoke invites")
	}
	return s.tx(ctx, "revoke invite", func(tx *ent.Tx) ([]event.Event, error) {
		// An invite of another group is not found here.
		inv, err := tx.GroupInvite.Query().Where(groupinvite.ID(id), groupinvite.GroupID(g.ID)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, notFound("invite")
		}
		if err != nil {
			return nil, err
		}
		if inv.RevokedAt != nil {
			return nil, nil
		}
		if err := tx.GroupInvite.UpdateOneID(inv.ID).SetRevokedAt(s.now()).Exec(ctx); err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.GroupInviteRevoked, ActorID: a.ID, GroupID: g.ID, UserID: inviteeOf(inv),
			Visibility: event.GroupOnly(g.ID), Payload: map[string]any{"slug": g.Slug, "invite_id": inv.ID}}}, nil
	})
}
