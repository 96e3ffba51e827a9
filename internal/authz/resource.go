package authz

import (
	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/predicate"
	"github.com/crn-dev/crn/ent/resource"
	"github.com/crn-dev/crn/ent/user"
)

// Groups is the set of groups an actor may read, as list queries need it:
// every group, or the listed ones.
type Groups struct {
	All bool
	IDs []int
}

// ModeratesResources reports whether the actor moderates shared resources:
// admins and moderators (resources belong to no forum, so a moderator's
// forum assignment does not matter).
func (a Actor) ModeratesResources() bool {
	return a.Admin() || a.Role == string(user.RoleModerator)
}

// CanReadResource reports whether the actor may see r. groupReadable says
// whether the actor may read r's group (ignored for resources outside any
// group). Deleted resources are visible to resource moderators only;
// resources hidden by moderation to them and their owner.
func CanReadResource(a Actor, r *ent.Resource, groupReadable bool) bool {
	if r.DeletedAt != nil && !a.ModeratesResources() {
		return false
	}
	if r.HiddenAt != nil && !a.ModeratesResources() && (a.Guest() || a.ID != r.UserID) {
		return false
	}
	if r.GroupID != nil {
		return groupReadable || a.Admin()
	}
	switch r.Visibility {
	case resource.VisibilityPublic:
		return true
	case resource.VisibilityMembers:
		return !a.Guest()
	}
	return false
}

// ReadableResources is the predicate for listing resources the actor may
// see: outside groups by visibility, inside groups the readable ones.
// Deleted resources are included only when deleted is true and the actor
// moderates resources; hidden ones only for resource moderators and their
// owner.
func ReadableResources(a Actor, groups Groups, deleted bool) predicate.Resource {
	var scope predicate.Resource
	ungrouped := resource.GroupIDIsNil()
	if a.Guest() {
		ungrouped = resource.And(ungrouped, resource.VisibilityEQ(resource.VisibilityPublic))
	}
	switch {
	case groups.All || a.Admin():
		scope = resource.Or(ungrouped, resource.GroupIDNotNil())
	case len(groups.IDs) > 0:
		scope = resource.Or(ungrouped, resource.GroupIDIn(groups.IDs...))
	default:
		scope = ungrouped
	}
	switch {
	case a.ModeratesResources():
	case a.Guest():
		scope = resource.And(scope, resource.HiddenAtIsNil())
	default:
		scope = resource.And(scope, resource.Or(resource.HiddenAtIsNil(), resource.UserID(a.ID)))
	}
	if deleted && a.ModeratesResources() {
		return resource.And(scope, resource.DeletedAtNotNil())
	}
	return resource.And(scope, resource.DeletedAtIsNil())
}

// CanCreateResource reports whether the actor may share resources at all;
// sharing into a group also needs the group's permission.
func CanCreateResource(a Actor) bool { return a.CanPost() }

// CanEditResource reports whether the actor may change r, upload versions
// of it or delete it: its owner, or a resource moderator.
// Nobody silenced may, moderators included: a sanction stops every write.
func CanEditResource(a Actor, r *ent.Resource) bool {
	if !a.CanPost() {
		return false
	}
	return a.ModeratesResources() || (a.ID == r.UserID && r.DeletedAt == nil)
}

// CanRestoreResource reports whether the actor may restore a deleted resource.
func CanRestoreResource(a Actor) bool { return a.ModeratesResources() }

// CanRateResource reports whether the actor may rate r: any member who can
// post, except its owner, while it is neither deleted nor hidden.
func CanRateResource(a Actor, r *ent.Resource) bool {
	return a.CanPost() && a.ID != r.UserID && r.DeletedAt == nil && r.HiddenAt == nil
}

// CanHideResource reports whether the actor may hide a resource pending
// review or show it again: resource moderators.
func CanHideResource(a Actor) bool { return a.ModeratesResources() }
