package authz

import (
	"github.com/crn-dev/crn/ent/group"
	"github.com/crn-dev/crn/ent/predicate"
)

// ReadableGroups is the predicate for groups whose content (member
// directory included) the actor may read, as CanReadGroup decides one:
// live public groups and the actor's own; every live group for admins.
func ReadableGroups(a Actor) predicate.Group {
	if a.Admin() {
		return group.DeletedAtIsNil()
	}
	return group.And(group.DeletedAtIsNil(), group.Or(group.VisibilityEQ(group.VisibilityPublic), group.IDIn(a.GroupIDs()...)))
}
