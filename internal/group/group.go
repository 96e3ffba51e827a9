// Package group holds the rules of groups: spaces of their own with
// members, forums, resources and an activity feed. A group is public,
// restricted or private (docs/groups.md); who sees what is decided in
// authz, and every change records its domain event in the same transaction.
package group

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/group"
	"github.com/crn-dev/crn/ent/groupmember"
	"github.com/crn-dev/crn/ent/grouprequest"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/event"
)

// Limits of what groups take.
const (
	NameMax        = 100  // characters
	DescriptionMax = 2000 // characters
	AvatarURLMax   = 2048 // bytes
	MessageMax     = 1000 // characters of a join request's message or a decision's reason
	PageSize       = 20
	PageMax        = 100
	// InviteTTLDefault and InviteTTLMax bound how long an invite lasts.
	InviteTTLDefault = 7 * 24 * time.Hour
	InviteTTLMax     = 90 * 24 * time.Hour
	// InviteUsesMax bounds a link invite's uses; 0 means unlimited (until it expires).
	InviteUsesMax = 1000
)

// Service implements the group rules.
type Service struct {
	db       *ent.Client
	postgres bool
	notify   func()
	now      func() time.Time
	// membershipChanged: Options.MembershipChanged.
	membershipChanged func(userID int)
}

// Options configure a Service.
type Options struct {
	// Committed is called after every transaction that recorded events.
	Committed func()
	Now       func() time.Time
	// MembershipChanged is called after a commit that changed userID's
	// memberships or roles (0: many users', say a deleted group), so that
	// caches of who may do what on this node can drop them at once.
	MembershipChanged func(userID int)
}

// New returns a Service over db.
func New(db *database.DB, opts Options) *Service {
	if opts.Committed == nil {
		opts.Committed = func() {}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MembershipChanged == nil {
		opts.MembershipChanged = func(int) {}
	}
	return &Service{db: db.Client, postgres: db.Dialect == database.Postgres, notify: opts.Committed, now: opts.Now,
		membershipChanged: opts.MembershipChanged}
}

// tx runs fn in a transaction; the events it returns are recorded last, and
// the relay is woken after commit.
func (s *Service) tx(ctx context.Context, op string, fn func(tx *ent.Tx) ([]event.Event, error)) error {
	tx, err := s.db.Tx(ctx)
	if err != nil {
		return apperr.Internal(op, err)
	}
	evs, err := fn(tx)
	if err == nil {
		err = event.Record(ctx, tx, s.postgres, evs...)
	}
	if err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			err = errors.Join(err, rerr)
		}
		if apperr.As(err) != nil {
			return err
		}
		return apperr.Internal(op, err)
	}
	if err := tx.Commit(); err != nil {
		return apperr.Internal(op, fmt.Errorf("commit: %w", err))
	}
	if len(evs) > 0 {
		s.notify()
	}
	for _, e := range evs {
		switch e.Type {
		case event.GroupMemberJoined, event.GroupMemberLeft, event.GroupMemberRemoved, event.GroupMemberBanned,
			event.GroupMemberUnbanned, event.GroupMemberRoleChanged, event.GroupRequestApproved:
			s.membershipChanged(e.UserID)
		case event.GroupDeleted:
			s.membershipChanged(0)
		}
	}
	return nil
}

// View is a group as one actor sees it.
type View struct {
	*ent.Group
	Role           string // the actor's role; "" when not a member
	Banned         bool   // the actor is banned from the group
	RequestPending bool   // the actor has a pending join request
}

// Input creates a group; on update, nil fields are left alone.
type Input struct {
	Name        *string
	Slug        *string
	Description *string
	AvatarURL   *string
	Visibility  *string
}

func notFound(what string) error { return apperr.NotFound(what+"_not_found", "no such "+what) }

// groupVisibility is the event visibility of news about the group itself:
// everyone may know of public and restricted groups, members only of private ones.
func groupVisibility(g *ent.Group) string {
	if g.Visibility == group.VisibilityPrivate {
		return event.GroupOnly(g.ID)
	}
	return event.Public
}

// contentVisibility is the event visibility of what happens inside the group.
func contentVisibility(g *ent.Group) string {
	return authz.GroupContentVisibility(g.ID, string(g.Visibility), event.Public)
}

// Create makes a group; its creator is its first owner. Any member who may
// post may create one.
func (s *Service) Create(ctx context.Context, a authz.Actor, in Input) (*View, error) {
	if err := authz.WriteRefusal(a); err != nil {
		return nil, err
	}
	if problems := checkInput(in, true); len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	var g *ent.Group
	err := s.tx(ctx, "create group", func(tx *ent.Tx) ([]event.Event, error) {
		slug, err := freeSlug(ctx, tx, in)
		if err != nil {
			return nil, err
		}
		c := tx.Group.Create().SetName(strings.TrimSpace(*in.Name)).SetSlug(slug).SetCreatedBy(a.ID).SetMemberCount(1)
		if in.Description != nil {
			c.SetDescription(strings.TrimSpace(*in.Description))
		}
		if in.AvatarURL != nil {
			c.SetAvatarURL(*in.AvatarURL)
		}
		if in.Visibility != nil {
			c.SetVisibility(group.Visibility(*in.Visibility))
		}
		if g, err = c.Save(ctx); err != nil {
			return nil, err
		}
		if err := tx.GroupMember.Create().SetGroupID(g.ID).SetUserID(a.ID).SetRole(groupmember.RoleOwner).SetCreatedAt(s.now()).Exec(ctx); err != nil {
			return nil, err
		}
		return []event.Event{
			{Type: event.GroupCreated, ActorID: a.ID, GroupID: g.ID, Visibility: groupVisibility(g),
				Payload: map[string]any{"slug": g.Slug, "name": g.Name, "visibility": string(g.Visibility)}},
			memberEvent(event.GroupMemberJoined, a.ID, g, a.ID, authz.GroupOwner, contentVisibility(g)),
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return &View{Group: g, Role: authz.GroupOwner}, nil
}

// freeSlug returns the slug asked for, which must be free, or one derived
// from the name with a number added until it is free. Deleted groups keep
// their slugs.
func freeSlug(ctx context.Context, tx *ent.Tx, in Input) (string, error) {
	taken := func(slug string) (bool, error) { return tx.Group.Query().Where(group.Slug(slug)).Exist(ctx) }
	if in.Slug != nil {
		t, err := taken(*in.Slug)
		if err != nil {
			return "", err
		}
		if t {
			return "", slugTaken()
		}
		return *in.Slug, nil
	}
	base := slugify(*in.Name)
	slug := base
	for n := 2; ; n++ {
		t, err := taken(slug)
		if err != nil || !t {
			return slug, err
		}
		slug = fmt.Sprintf("%s-%d", base, n)
	}
}

func memberEvent(typ event.Type, actorID int, g *ent.Group, userID int, role, vis string) event.Event {
	return event.Event{Type: typ, ActorID: actorID, GroupID: g.ID, UserID: userID, Visibility: vis,
		Payload: map[string]any{"slug": g.Slug, "role": role}}
}

// visible loads a live group the actor may know of by slug; otherwise it
// does not exist.
func (s *Service) visible(ctx context.Context, c *ent.Client, a authz.Actor, slug string) (*ent.Group, error) {
	g, err := c.Group.Query().Where(group.Slug(slug), group.DeletedAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("group")
	}
	if err != nil {
		return nil, apperr.Internal("get group", err)
	}
	if !authz.CanSeeGroup(a, g.ID, string(g.Visibility)) {
		return nil, notFound("group")
	}
	return g, nil
}

// readable loads a group whose content the actor may read: a private group
// is not found, a restricted one forbidden, to non-members.
func (s *Service) readable(ctx context.Context, a authz.Actor, slug string) (*ent.Group, error) {
	g, err := s.visible(ctx, s.db, a, slug)
	if err != nil {
		return nil, err
	}
	if !authz.CanReadGroup(a, g.ID, string(g.Visibility)) {
		if a.Guest() {
			return nil, apperr.Unauthenticated("unauthenticated", "sign in and join the group first")
		}
		return nil, apperr.Forbidden("members_only", "only the group's members see this")
	}
	return g, nil
}

// Space returns a group whose content (forums, resources, members, feed)
// the actor may read.
func (s *Service) Space(ctx context.Context, a authz.Actor, slug string) (*ent.Group, error) {
	return s.readable(ctx, a, slug)
}

// Get returns a group the actor may know of, with their standing in it.
func (s *Service) Get(ctx context.Context, a authz.Actor, slug string) (*View, error) {
	g, err := s.visible(ctx, s.db, a, slug)
	if err != nil {
		return nil, err
	}
	v := &View{Group: g}
	if a.Guest() {
		return v, nil
	}
	m, err := s.db.GroupMember.Query().Where(groupmember.GroupID(g.ID), groupmember.UserID(a.ID)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, apperr.Internal("get group", err)
	}
	if m != nil {
		if m.Status == groupmember.StatusBanned {
			v.Banned = true
		} else {
			v.Role = string(m.Role)
		}
	}
	if v.Role == "" && !v.Banned {
		if v.RequestPending, err = s.db.GroupRequest.Query().Where(grouprequest.GroupID(g.ID), grouprequest.UserID(a.ID),
			grouprequest.StatusEQ(grouprequest.StatusPending)).Exist(ctx); err != nil {
			return nil, apperr.Internal("get group", err)
		}
	}
	return v, nil
}

// ListQuery asks for a page of groups.
type ListQuery struct {
	After int  // the last id of the previous page
	Limit int  // default PageSize, at most PageMax
	Mine  bool // only groups the actor is a member of
}

// List returns groups the actor may know of, oldest first, and the cursor
// of the next page (0 at the end).
func (s *Service) List(ctx context.Context, a authz.Actor, q ListQuery) ([]*View, int, error) {
	limit := pageSize(q.Limit)
	query := s.db.Group.Query().Where(authz.VisibleGroups(a), group.IDGT(q.After))
	if q.Mine {
		query = query.Where(group.IDIn(a.GroupIDs()...))
	}
	gs, err := query.Order(ent.Asc(group.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return nil, 0, apperr.Internal("list groups", err)
	}
	next := 0
	if len(gs) > limit {
		gs = gs[:limit]
		next = gs[limit-1].ID
	}
	out := make([]*View, len(gs))
	for i, g := range gs {
		out[i] = &View{Group: g, Role: a.GroupRole(g.ID)}
	}
	return out, next, nil
}

func pageSize(limit int) int {
	switch {
	case limit <= 0:
		return PageSize
	case limit > PageMax:
		return PageMax
	}
	return limit
}

// Update changes a group (its owners and admins).
func (s *Service) Update(ctx context.Context, a authz.Actor, slug string, in Input) (*View, error) {
	g, err := s.visible(ctx, s.db, a, slug)
	if err != nil {
		return nil, err
	}
	if !authz.CanManageGroup(a, g.ID) {
		return nil, apperr.Forbidden("forbidden", "only the group's owners change it")
	}
	if problems := checkInput(in, false); len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	err = s.tx(ctx, "update group", func(tx *ent.Tx) ([]event.Event, error) {
		before := g
		u := tx.Group.UpdateOneID(g.ID)
		var changes []string
		if in.Name != nil {
			u.SetName(strings.TrimSpace(*in.Name))
			changes = append(changes, "name")
		}
		if in.Slug != nil && *in.Slug != g.Slug {
			if t, err := tx.Group.Query().Where(group.Slug(*in.Slug)).Exist(ctx); err != nil {
				return nil, err
			} else if t {
				return nil, slugTaken()
			}
			u.SetSlug(*in.Slug)
			changes = append(changes, "slug")
		}
		if in.Description != nil {
			u.SetDescription(strings.TrimSpace(*in.Description))
			changes = append(changes, "description")
		}
		if in.AvatarURL != nil {
			u.SetAvatarURL(*in.AvatarURL)
			changes = append(changes, "avatar_url")
		}
		if in.Visibility != nil && *in.Visibility != string(g.Visibility) {
			u.SetVisibility(group.Visibility(*in.Visibility))
			changes = append(changes, "visibility")
		}
		var err error
		if g, err = u.Save(ctx); err != nil {
			return nil, err
		}
		if len(changes) == 0 {
			return nil, nil
		}
		// The narrower of the old and new audiences: a group turning
		// private must not announce it to the public, nor one turning
		// public have told outsiders what it was.
		vis := groupVisibility(g)
		if before.Visibility == group.VisibilityPrivate {
			vis = event.GroupOnly(g.ID)
		}
		return []event.Event{{Type: event.GroupUpdated, ActorID: a.ID, GroupID: g.ID, Visibility: vis,
			Payload: map[string]any{"slug": g.Slug, "changes": changes, "visibility": string(g.Visibility)}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, g.Slug)
}

// Delete hides a group and its forums (its owners and admins); nothing is
// removed from the database, and the slug stays taken.
func (s *Service) Delete(ctx context.Context, a authz.Actor, slug string) error {
	g, err := s.visible(ctx, s.db, a, slug)
	if err != nil {
		return err
	}
	if !authz.CanManageGroup(a, g.ID) {
		return apperr.Forbidden("forbidden", "only the group's owners delete it")
	}
	return s.tx(ctx, "delete group", func(tx *ent.Tx) ([]event.Event, error) {
		now := s.now()
		n, err := tx.Group.Update().Where(group.ID(g.ID), group.DeletedAtIsNil()).SetDeletedAt(now).Save(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, notFound("group")
		}
		forums, err := tx.Forum.Query().Where(forumInGroup(g.ID)).All(ctx)
		if err != nil {
			return nil, err
		}
		vis := event.GroupOnly(g.ID)
		evs := []event.Event{{Type: event.GroupDeleted, ActorID: a.ID, GroupID: g.ID, Visibility: groupVisibility(g),
			Payload: map[string]any{"slug": g.Slug}}}
		for _, f := range forums {
			if err := tx.Forum.UpdateOneID(f.ID).SetDeletedAt(now).Exec(ctx); err != nil {
				return nil, err
			}
			evs = append(evs, event.Event{Type: event.ForumDeleted, ActorID: a.ID, ForumID: f.ID, GroupID: g.ID, Visibility: vis,
				Payload: map[string]any{"slug": f.Slug}})
		}
		return evs, nil
	})
}

// ByID returns a group the actor may know of by id (for search hits).
func (s *Service) ByID(ctx context.Context, a authz.Actor, id int) (*View, error) {
	g, err := s.db.Group.Query().Where(group.ID(id), group.DeletedAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("group")
	}
	if err != nil {
		return nil, apperr.Internal("get group", err)
	}
	if !authz.CanSeeGroup(a, g.ID, string(g.Visibility)) {
		return nil, notFound("group")
	}
	return &View{Group: g, Role: a.GroupRole(g.ID)}, nil
}
