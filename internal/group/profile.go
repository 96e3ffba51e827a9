package group

import (
	"context"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/group"
	"github.com/crn-dev/crn/ent/groupmember"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
)

// UserGroupsMax bounds the groups a profile lists.
const UserGroupsMax = 50

// UserGroups lists the groups userID is an active member of, as far as the
// actor may read each group's member directory (CanReadGroup): a
// restricted or private group's membership stays with its members. By
// name, at most UserGroupsMax.
func (s *Service) UserGroups(ctx context.Context, a authz.Actor, userID int) ([]*View, error) {
	ids, err := s.db.GroupMember.Query().
		Where(groupmember.UserID(userID), groupmember.StatusEQ(groupmember.StatusActive)).
		Select(groupmember.FieldGroupID).Ints(ctx)
	if err != nil {
		return nil, apperr.Internal("user groups", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	gs, err := s.db.Group.Query().Where(authz.ReadableGroups(a), group.IDIn(ids...)).
		Order(ent.Asc(group.FieldName), ent.Asc(group.FieldID)).Limit(UserGroupsMax).All(ctx)
	if err != nil {
		return nil, apperr.Internal("user groups", err)
	}
	out := make([]*View, len(gs))
	for i, g := range gs {
		out[i] = &View{Group: g, Role: a.GroupRole(g.ID)}
	}
	return out, nil
}
