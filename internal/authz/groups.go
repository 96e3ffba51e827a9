package authz

import (
	"slices"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/ent/group"
	"github.com/crn-dev/crn/ent/predicate"
	"github.com/crn-dev/crn/internal/event"
)

// Group visibilities (docs/groups.md).
const (
	// GroupPublic: anyone sees the group and its content and may join.
	GroupPublic = "public"
	// GroupRestricted: anyone sees the group (name, description, size);
	// its content (forums, resources, members, feed) is for members, and
	// joining takes a request an owner or group moderator approves.
	GroupRestricted = "restricted"
	// GroupPrivate: the group and everything in it is for members only;
	// joining takes an invitation. Non-members are told it does not exist.
	GroupPrivate = "private"
)

// Group roles, from the most to the least powerful.
const (
	GroupOwner     = "owner"
	GroupModerator = "moderator"
	GroupMember    = "member"
)

// GroupRole is the actor's role in groupID, or "" when not an active member.
func (a Actor) GroupRole(groupID int) string { return a.Groups[groupID] }

// MemberOf reports an active membership of groupID.
func (a Actor) MemberOf(groupID int) bool { return a.Groups[groupID] != "" }

// GroupIDs lists the groups the actor is an active member of, in order.
func (a Actor) GroupIDs() []int {
	ids := make([]int, 0, len(a.Groups))
	for id := range a.Groups {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// WithGroups returns a copy of a with its group memberships: roles by group
// id, and the forums of the groups it owns or moderates.
func (a Actor) WithGroups(roles map[int]string, moderatedForums []int) Actor {
	a.Groups, a.GroupModeratedForums = nil, nil
	if len(roles) > 0 {
		a.Groups = make(map[int]string, len(roles))
		for id, r := range roles {
			a.Groups[id] = r
		}
	}
	if len(moderatedForums) > 0 {
		a.GroupModeratedForums = make(map[int]bool, len(moderatedForums))
		for _, id := range moderatedForums {
			a.GroupModeratedForums[id] = true
		}
	}
	return a
}

// CanSeeGroup reports whether the actor may know that the group exists:
// anyone for public and restricted groups, members and admins for private ones.
func CanSeeGroup(a Actor, groupID int, visibility string) bool {
	return a.Admin() || visibility != GroupPrivate || a.MemberOf(groupID)
}

// CanReadGroup reports whether the actor may read the group's content: its
// forums, resources, member directory and feed. Anyone for public groups;
// members and admins for restricted and private ones. Code that stores
// content with a group_id (forums, resources) asks this, or filters lists
// with ReadableGroupContent.
func CanReadGroup(a Actor, groupID int, visibility string) bool {
	return a.Admin() || visibility == GroupPublic || a.MemberOf(groupID)
}

// CanManageGroup reports whether the actor may change or delete the group,
// change roles and create its forums: its owners and admins.
func CanManageGroup(a Actor, groupID int) bool {
	return a.Admin() || a.GroupRole(groupID) == GroupOwner
}

// CanModerateGroup reports whether the actor may decide join requests,
// invite, remove and ban members: owners, group moderators and admins.
func CanModerateGroup(a Actor, groupID int) bool {
	r := a.GroupRole(groupID)
	return a.Admin() || r == GroupOwner || r == GroupModerator
}

// GroupContentVisibility is the event visibility of content in a group:
// what it would be outside a group (base) in a public group, and the
// group's members only in restricted and private ones.
func GroupContentVisibility(groupID int, visibility, base string) string {
	if visibility == GroupPublic {
		return base
	}
	return event.GroupOnly(groupID)
}

// ForumContentVisibility is who may see a forum's topics and posts, as
// events and the search index carry it: "public" or "members" by the
// forum's setting, and "group:<id>" in a restricted or private (or deleted)
// group. A group forum's group must be loaded (f.Edges.Group); without it
// the answer is the group's members only, which fails closed.
func ForumContentVisibility(f *ent.Forum) string {
	base := event.Public
	if f.ReadVisibility == forum.ReadVisibilityMembers {
		base = event.Members
	}
	if f.GroupID == nil {
		return base
	}
	if g := f.Edges.Group; g != nil && g.DeletedAt == nil {
		return GroupContentVisibility(*f.GroupID, string(g.Visibility), base)
	}
	return event.GroupOnly(*f.GroupID)
}

// VisibleGroups is the predicate for listing groups the actor may know of.
func VisibleGroups(a Actor) predicate.Group {
	if a.Admin() {
		return group.DeletedAtIsNil()
	}
	return group.And(group.DeletedAtIsNil(), group.Or(group.VisibilityNEQ(group.VisibilityPrivate), group.IDIn(a.GroupIDs()...)))
}

// ReadableGroupContent is a SQL predicate on a nullable group_id column
// (forums, resources): rows outside any group, or in a group whose content
// the actor may read (CanReadGroup). Admins read everything.
func ReadableGroupContent(a Actor, column string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		if !a.Admin() {
			s.Where(readableGroupColumn(a, s.C(column)))
		}
	}
}

// readableGroupColumn: col IS NULL, or a live public group, or one of the
// actor's groups.
func readableGroupColumn(a Actor, col string) *sql.Predicate {
	g := sql.Table(group.Table)
	public := sql.Select(g.C(group.FieldID)).From(g).
		Where(sql.And(sql.EQ(g.C(group.FieldVisibility), GroupPublic), sql.IsNull(g.C(group.FieldDeletedAt))))
	ors := []*sql.Predicate{sql.IsNull(col), sql.In(col, public)}
	if ids := a.GroupIDs(); len(ids) > 0 {
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		ors = append(ors, sql.In(col, args...))
	}
	return sql.Or(ors...)
}

// readableGroupForums restricts a forum listing to community forums and the
// forums of groups whose content the actor may read.
func readableGroupForums(a Actor) predicate.Forum {
	ors := []predicate.Forum{forum.GroupIDIsNil(), forum.HasGroupWith(group.VisibilityEQ(group.VisibilityPublic), group.DeletedAtIsNil())}
	if ids := a.GroupIDs(); len(ids) > 0 {
		ors = append(ors, forum.GroupIDIn(ids...))
	}
	return forum.Or(ors...)
}

// canReadGroupForum checks the group side of a group forum. Without its
// group loaded it fails closed: only members and admins read it.
func canReadGroupForum(a Actor, f *ent.Forum) bool {
	gid := *f.GroupID
	if a.Admin() || a.MemberOf(gid) {
		return true
	}
	g := f.Edges.Group
	return g != nil && g.DeletedAt == nil && CanReadGroup(a, gid, string(g.Visibility))
}
