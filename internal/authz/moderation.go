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
// audit log (each filtered to their scope).
func CanReview(a Actor) bool { return CanModerateUsers(a) }

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
func CanModerateScope(a Actor, forumID int) bool {
	if forumID == 0 {
		return CanModerateUsers(a)
	}
	return a.Moderates(forumID)
}

func forumIDs(a Actor) []any {
	ids := make([]any, 0, len(a.ModeratedForums))
	for id, ok := range a.ModeratedForums {
		if ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// ReviewableItems is the predicate for the review queue: admins see every
// item; moderators the items of their forums and those outside any forum.
func ReviewableItems(a Actor) predicate.ReviewItem {
	if a.Admin() {
		return func(*sql.Selector) {}
	}
	if !CanReview(a) {
		return reviewitem.IDLT(0)
	}
	return func(s *sql.Selector) {
		s.Where(sql.Or(sql.IsNull(s.C(reviewitem.FieldForumID)), sql.In(s.C(reviewitem.FieldForumID), forumIDs(a)...)))
	}
}

// ReadableAudit is the predicate for the audit log: admins read all of it;
// moderators the entries of their forums and their own actions.
func ReadableAudit(a Actor) predicate.AuditEntry {
	if a.Admin() {
		return func(*sql.Selector) {}
	}
	if !CanReview(a) {
		return auditentry.IDLT(0)
	}
	return func(s *sql.Selector) {
		s.Where(sql.Or(sql.EQ(s.C(auditentry.FieldActorID), a.ID), sql.In(s.C(auditentry.FieldForumID), forumIDs(a)...)))
	}
}
