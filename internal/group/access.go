package group

import (
	"context"
	"fmt"
	"slices"

	"github.com/crn-dev/crn/ent"
	entgroup "github.com/crn-dev/crn/ent/group"
	"github.com/crn-dev/crn/internal/authz"
)

// ContentAccess answers, for features that store content with a group id
// (shared resources, the graph), what an actor may do in a group. It reads
// the group's visibility from the database and the actor's roles from the
// Actor, so the rules stay those of authz.
type ContentAccess struct{ db *ent.Client }

// ContentAccess returns the service's ContentAccess.
func (s *Service) ContentAccess() ContentAccess { return ContentAccess{db: s.db} }

func (c ContentAccess) group(ctx context.Context, id int) (*ent.Group, error) {
	g, err := c.db.Group.Query().Where(entgroup.ID(id), entgroup.DeletedAtIsNil()).
		Select(entgroup.FieldID, entgroup.FieldVisibility).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("group %d: %w", id, err)
	}
	return g, nil
}

// CanRead reports whether a may see the group's content.
func (c ContentAccess) CanRead(ctx context.Context, a authz.Actor, groupID int) (bool, error) {
	if a.Admin() {
		return true, nil
	}
	g, err := c.group(ctx, groupID)
	if err != nil || g == nil {
		return false, err
	}
	return authz.CanReadGroup(a, g.ID, string(g.Visibility)), nil
}

// CanContribute reports whether a may add content to the group: its
// members (any role) who may post, and admins.
func (c ContentAccess) CanContribute(ctx context.Context, a authz.Actor, groupID int) (bool, error) {
	if a.Admin() {
		return true, nil
	}
	if !a.CanPost() || !a.MemberOf(groupID) {
		return false, nil
	}
	g, err := c.group(ctx, groupID)
	return g != nil, err
}

// Readable returns the groups whose content a may read: every public group
// and the actor's own; all of them for admins.
func (c ContentAccess) Readable(ctx context.Context, a authz.Actor) (authz.Groups, error) {
	if a.Admin() {
		return authz.Groups{All: true}, nil
	}
	ids, err := c.db.Group.Query().Where(entgroup.DeletedAtIsNil(), entgroup.VisibilityEQ(entgroup.VisibilityPublic)).IDs(ctx)
	if err != nil {
		return authz.Groups{}, fmt.Errorf("readable groups: %w", err)
	}
	for _, id := range a.GroupIDs() {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return authz.Groups{IDs: ids}, nil
}
