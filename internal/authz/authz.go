// Package authz decides who may see and do what. Every surface (HTTP
// handlers, the WebSocket, search hydration, the graph, exports) asks it, and
// list queries take their visibility predicates from it, so a rule is written
// once.
package authz

import (
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/ent/predicate"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
)

// Actor is whoever makes a request. The zero Actor is a guest.
type Actor struct {
	ID         int
	Role       string
	TrustLevel int
	Status     string
	// ModeratedForums are the forums the actor is assigned to moderate.
	ModeratedForums map[int]bool
	// Groups maps each group the actor is an active member of (not banned,
	// group not deleted) to their role there: owner, moderator or member.
	Groups map[int]string
	// GroupModeratedForums are the forums of the groups the actor owns or
	// moderates; group owners and moderators moderate their group's forums.
	GroupModeratedForums map[int]bool
}

// ActorOf builds the Actor for a signed-in user; moderated lists the forums
// assigned to them.
func ActorOf(u *ent.User, moderated []int) Actor {
	if u == nil {
		return Actor{}
	}
	a := Actor{ID: u.ID, Role: string(u.Role), TrustLevel: u.TrustLevel, Status: string(u.Status)}
	if len(moderated) > 0 {
		a.ModeratedForums = make(map[int]bool, len(moderated))
		for _, id := range moderated {
			a.ModeratedForums[id] = true
		}
	}
	return a
}

// Guest reports an anonymous caller.
func (a Actor) Guest() bool { return a.ID == 0 }

// Admin reports an administrator, who may do everything.
func (a Actor) Admin() bool { return a.Role == string(user.RoleAdmin) }

// Staff reports admins, moderators and staff: the company's people.
func (a Actor) Staff() bool {
	return a.Role == string(user.RoleAdmin) || a.Role == string(user.RoleModerator) || a.Role == string(user.RoleStaff)
}

// Moderates reports whether the actor may moderate forumID: admins
// everywhere, moderators in the forums they are assigned to, group owners
// and group moderators in their group's forums.
func (a Actor) Moderates(forumID int) bool {
	return a.Admin() || (a.Role == string(user.RoleModerator) && a.ModeratedForums[forumID]) || a.GroupModeratedForums[forumID]
}

// CanPost reports whether the account may write at all (silenced users read only).
func (a Actor) CanPost() bool { return !a.Guest() && a.Status == string(user.StatusActive) }

// WriteRefusal says why the actor may not write anything at all, or nil
// when they may: guests are asked to sign in (401), silenced accounts are
// refused (403 account_silenced). Every write surface asks it first
// (resources, uploads, ratings, feedback, CSAT, reactions, groups, follows;
// posts and topics through CanStartTopic and CanReply), so a sanction is
// enforced by one rule. Suspended accounts never get this far: they cannot
// authenticate.
func WriteRefusal(a Actor) error {
	switch {
	case a.Guest():
		return apperr.Unauthenticated("unauthenticated", "sign in first")
	case !a.CanPost():
		return apperr.Forbidden(CodeSilenced, "your account is silenced: you may read but not write right now")
	}
	return nil
}

// CodeSilenced is the error code of a write refused because the account is
// silenced.
const CodeSilenced = "account_silenced"

// CanReadForum reports whether the actor may see f and its topics. A group
// forum also needs its group's content to be readable (CanReadGroup); its
// group must be loaded (f.Edges.Group), or only members and admins read it.
func CanReadForum(a Actor, f *ent.Forum) bool {
	if f.DeletedAt != nil {
		return a.Admin()
	}
	if f.GroupID != nil && !canReadGroupForum(a, f) {
		return false
	}
	switch f.ReadVisibility {
	case forum.ReadVisibilityPublic:
		return true
	case forum.ReadVisibilityMembers:
		return !a.Guest()
	}
	return false
}

// ReadableForums is the predicate for listing forums the actor may read.
func ReadableForums(a Actor) predicate.Forum {
	switch {
	case a.Admin():
		return forum.DeletedAtIsNil()
	case a.Guest():
		return forum.And(forum.DeletedAtIsNil(), forum.ReadVisibilityEQ(forum.ReadVisibilityPublic), readableGroupForums(a))
	default:
		return forum.And(forum.DeletedAtIsNil(), forum.ReadVisibilityIn(forum.ReadVisibilityPublic, forum.ReadVisibilityMembers), readableGroupForums(a))
	}
}

// ReadableForumIDs is a SQL predicate selecting the ids of forums the actor
// may read, for queries over topics and posts.
func ReadableForumIDs(a Actor) func(*sql.Selector) {
	return func(s *sql.Selector) {
		t := sql.Table(forum.Table)
		sub := sql.Select(t.C(forum.FieldID)).From(t).Where(sql.IsNull(t.C(forum.FieldDeletedAt)))
		if a.Guest() {
			sub.Where(sql.EQ(t.C(forum.FieldReadVisibility), forum.ReadVisibilityPublic))
		}
		if !a.Admin() {
			sub.Where(readableGroupColumn(a, t.C(forum.FieldGroupID)))
		}
		s.Where(sql.In(s.C("forum_id"), sub))
	}
}

func policyAllows(a Actor, policy string, minTrust int) bool {
	switch policy {
	case "everyone":
		return true
	case "trust":
		return a.Staff() || a.TrustLevel >= minTrust
	case "staff":
		return a.Staff()
	}
	return false
}

// CanStartTopic reports whether the actor may open a topic in f.
func CanStartTopic(a Actor, f *ent.Forum) bool {
	return a.CanPost() && CanReadForum(a, f) && f.DeletedAt == nil &&
		(a.Moderates(f.ID) || policyAllows(a, string(f.TopicPolicy), f.TopicMinTrust))
}

// CanReply reports whether the actor may reply to t in f. Locked, closed
// and archived topics take replies from their forum's moderators only.
func CanReply(a Actor, f *ent.Forum, t *ent.Topic) bool {
	if !a.CanPost() || !CanReadForum(a, f) || t.DeletedAt != nil {
		return false
	}
	if a.Moderates(f.ID) {
		return true
	}
	if t.Locked || t.Closed || t.Archived {
		return false
	}
	return policyAllows(a, string(f.ReplyPolicy), f.ReplyMinTrust)
}

// CanSeePost reports whether the actor may see p in a forum they can read:
// deleted posts are visible to their forum's moderators only; posts pending
// approval or hidden by moderation to those moderators and their author.
func CanSeePost(a Actor, forumID int, p *ent.Post) bool {
	switch {
	case a.Moderates(forumID):
		return true
	case p.DeletedAt != nil:
		return false
	case p.Pending || p.HiddenAt != nil:
		return !a.Guest() && a.ID == p.UserID
	}
	return true
}

// CanSeeTopic reports whether the actor may see t in a forum they can read:
// deleted topics are for the forum's moderators; topics whose opening post
// is pending or hidden for those moderators and the topic's author.
func CanSeeTopic(a Actor, t *ent.Topic) bool {
	switch {
	case a.Moderates(t.ForumID):
		return true
	case t.DeletedAt != nil:
		return false
	case t.HiddenAt != nil:
		return !a.Guest() && a.ID == t.UserID
	}
	return true
}

// VisiblePosts is the predicate for listing posts of a topic in forumID:
// everything for its moderators; otherwise posts that are not deleted and
// either published or the actor's own.
func VisiblePosts(a Actor, forumID int) predicate.Post {
	if a.Moderates(forumID) {
		return func(*sql.Selector) {}
	}
	published := post.And(post.Pending(false), post.HiddenAtIsNil())
	if a.Guest() {
		return post.And(post.DeletedAtIsNil(), published)
	}
	return post.And(post.DeletedAtIsNil(), post.Or(published, post.UserID(a.ID)))
}

// VisibleTopics is the predicate for listing topics outside one forum's
// moderation (profiles, unread counts): not deleted, and not hidden unless
// they are the actor's own. Admins see hidden topics too.
func VisibleTopics(a Actor) predicate.Topic {
	switch {
	case a.Admin():
		return topic.DeletedAtIsNil()
	case a.Guest():
		return topic.And(topic.DeletedAtIsNil(), topic.HiddenAtIsNil())
	}
	return topic.And(topic.DeletedAtIsNil(), topic.Or(topic.HiddenAtIsNil(), topic.UserID(a.ID)))
}

// CanEditPost reports whether the actor may edit p: its author within the
// edit window (and while the topic is not locked or archived), or a
// moderator of the forum at any time.
func CanEditPost(a Actor, forumID int, t *ent.Topic, p *ent.Post, now time.Time, window time.Duration) bool {
	if a.Moderates(forumID) {
		return true
	}
	if !a.CanPost() || a.ID != p.UserID || p.DeletedAt != nil || t.Locked || t.Archived {
		return false
	}
	return window <= 0 || now.Sub(p.CreatedAt) <= window
}

// CanDeletePost reports whether the actor may soft-delete p: its author or a moderator.
func CanDeletePost(a Actor, forumID int, p *ent.Post) bool {
	return a.Moderates(forumID) || (a.CanPost() && a.ID == p.UserID)
}

// CanRestorePost reports whether the actor may restore a deleted post: moderators only.
func CanRestorePost(a Actor, forumID int) bool { return a.Moderates(forumID) }

// CanAcceptAnswer reports whether the actor may mark an answer in a question
// topic: its author or a moderator.
func CanAcceptAnswer(a Actor, t *ent.Topic, forumID int) bool {
	return a.Moderates(forumID) || (a.CanPost() && a.ID == t.UserID)
}

// CanModerateTopic reports whether the actor may pin, lock, close, archive or move t.
func CanModerateTopic(a Actor, forumID int) bool { return a.Moderates(forumID) }

// CanManageForums reports whether the actor may create, change and delete forums.
func CanManageForums(a Actor) bool { return a.Admin() }
