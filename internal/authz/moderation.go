package authz

import (
	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent/auditentry"
	"github.com/crn-dev/crn/ent/predicate"
	"github.com/crn-dev/crn/ent/reviewitem"
	"github.com/crn-dev/crn/ent/user"
)

// Moderation scope. Every decision about who may review and act goes
// through these, so extending Actor (group owners and group moderators,
// resource scopes) extends moderation with it.

// CanFlag reports whether the actor may flag content or users: any member
// who may write.
func CanFlag(a Actor) bool { return a.CanPost() }

// CanReview reports whether the actor moderates anything at all, and so may
// open the review queue, subscribe to the moderation channel and read the
// audit log (each filtered to their scope): admins, moderators, and the
// owners and moderators of a group.
func CanReview(a Actor) bool { return CanModerateUsers(a) || len(a.ModeratedGroups()) > 0 }

// ModeratedGroups lists, in order, the groups the actor owns or moderates.
func (a Actor) ModeratedGroups() []int {
	var ids []int
	for _, id := range a.GroupIDs() {
		if r := a.Groups[id]; r == GroupOwner || r == GroupModerator {
			ids = append(ids, id)
		}
	}
	return ids
}

// CanModerateUsers reports whether the actor may act on accounts (warn,
// silence, suspend, trust levels) and review flags on users: admins and
// moderators. Accounts are site-wide, so a forum assignment is not needed.
func CanModerateUsers(a Actor) bool {
	return a.Admin() || a.Role == string(user.RoleModerator)
}

// CanSanction reports whether the actor may warn, silence or suspend a user
// with targetRole: never themselves; admins anyone else; moderators only
// members and staff, never another moderator or an admin.
func CanSanction(a Actor, targetID int, targetRole string) bool {
	if !CanModerateUsers(a) || a.ID == targetID {
		return false
	}
	if a.Admin() {
		return true
	}
	return targetRole != string(user.RoleAdmin) && targetRole != string(user.RoleModerator)
}

// CanManageAutomod reports whether the actor may change auto-moderation
// rules, flag weights and trust thresholds: admins only.
func CanManageAutomod(a Actor) bool { return a.Admin() }

// CanModerateScope reports whether the actor may act on something in
// forumID (0: not in a forum, such as a user or a resource, which site
// moderators review).
func CanModerateScope(a Actor, forumID int) bool { return CanModerateIn(a, forumID, 0) }

// CanModerateIn reports whether the actor may act on something in forumID
// of groupID (either 0 when it is in none). In a forum: its moderators
// (Actor.Moderates, which includes the owners and moderators of the
// forum's group). Outside forums but in a group (a group's resource): site
// moderators and the group's owners and moderators. Outside both (users,
// community resources): site moderators.
func CanModerateIn(a Actor, forumID, groupID int) bool {
	switch {
	case forumID != 0:
		return a.Moderates(forumID)
	case groupID != 0:
		return CanModerateUsers(a) || CanModerateGroup(a, groupID)
	}
	return CanModerateUsers(a)
}

// CanWarnIn reports whether the actor may warn the author (targetID, with
// site role targetRole) of something in forumID of groupID. Site moderators
// warn whom they may sanction; a group's owners and moderators may warn
// the authors of their group's content, but never themselves or site
// moderators and admins. Silencing and suspending accounts are site-wide
// and stay with CanSanction.
func CanWarnIn(a Actor, forumID, groupID, targetID int, targetRole string) bool {
	if CanSanction(a, targetID, targetRole) {
		return true
	}
	if groupID == 0 || a.ID == targetID || !CanModerateIn(a, forumID, groupID) || !CanModerateGroup(a, groupID) {
		return false
	}
	return targetRole != string(user.RoleAdmin) && targetRole != string(user.RoleModerator)
}

// moderatedForumIDs lists the forums the actor moderates: assigned ones for
// moderators, and their groups' forums for group owners and moderators.
func moderatedForumIDs(a Actor) []any {
	var ids []any
	if a.Role == string(user.RoleModerator) {
		for id, ok := range a.ModeratedForums {
			if ok {
				ids = append(ids, id)
			}
		}
	}
	for id, ok := range a.GroupModeratedForums {
		if ok && !(a.Role == string(user.RoleModerator) && a.ModeratedForums[id]) {
			ids = append(ids, id)
		}
	}
	return ids
}

func anyInts(ids []int) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// ReviewableItems is the predicate for the review queue: admins see every
// item; moderators the items of their forums and those outside any forum;
// group owners and moderators the items of their group's forums and of
// their group outside forums (resources).
func ReviewableItems(a Actor) predicate.ReviewItem {
	if a.Admin() {
		return func(*sql.Selector) {}
	}
	if !CanReview(a) {
		return reviewitem.IDLT(0)
	}
	forums, groups := moderatedForumIDs(a), anyInts(a.ModeratedGroups())
	site := CanModerateUsers(a)
	return func(s *sql.Selector) {
		fc := s.C(reviewitem.FieldForumID)
		var ors []*sql.Predicate
		if site {
			ors = append(ors, sql.IsNull(fc))
		} else if len(groups) > 0 {
			ors = append(ors, sql.And(sql.IsNull(fc), sql.In(s.C(reviewitem.FieldGroupID), groups...)))
		}
		if len(forums) > 0 {
			ors = append(ors, sql.In(fc, forums...))
		}
		if len(ors) == 0 {
			s.Where(sql.False())
			return
		}
		s.Where(sql.Or(ors...))
	}
}

// ReadableAudit is the predicate for the audit log: admins read all of it;
// moderators the entries of their forums and their own actions; group
// owners and moderators the entries of their group (recorded with its
// group_id, or in one of its forums) and their own actions.
func ReadableAudit(a Actor) predicate.AuditEntry {
	if a.Admin() {
		return func(*sql.Selector) {}
	}
	if !CanReview(a) {
		return auditentry.IDLT(0)
	}
	forums, groups := moderatedForumIDs(a), anyInts(a.ModeratedGroups())
	return func(s *sql.Selector) {
		ors := []*sql.Predicate{sql.EQ(s.C(auditentry.FieldActorID), a.ID)}
		if len(forums) > 0 {
			ors = append(ors, sql.In(s.C(auditentry.FieldForumID), forums...))
		}
		if len(groups) > 0 {
			ors = append(ors, sql.In(s.C(auditentry.FieldGroupID), groups...))
		}
		s.Where(sql.Or(ors...))
	}
}
