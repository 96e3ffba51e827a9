// Package event is crn's domain event model and its transactional outbox.
//
// A service that changes something others may see records an Event in the
// same database transaction as the change (Record). After commit, the Relay
// hands events to consumers (notifications, the realtime fan-out, search
// indexing, webhooks, the graph) in commit order and at least once, each
// consumer at its own durable cursor. See docs/events.md.
package event

import (
	"context"
	"fmt"
	"time"

	"github.com/crn-dev/crn/ent"
)

// Type names what happened, as "<subject>.<verb>".
type Type string

// The event types. Payload keys are documented in docs/events.md.
const (
	ForumCreated Type = "forum.created"
	ForumUpdated Type = "forum.updated"
	ForumDeleted Type = "forum.deleted"
	// ForumCountsUpdated: new replies were added to the forum's counters,
	// shortly after their post.created (forum.CountsConsumer).
	ForumCountsUpdated Type = "forum.counts_updated"
	TopicCreated       Type = "topic.created"
	TopicUpdated       Type = "topic.updated" // title, tags, pin, lock, close, archive
	TopicMoved         Type = "topic.moved"
	TopicAccepted      Type = "topic.answer_accepted"
	PostCreated        Type = "post.created"
	PostEdited         Type = "post.edited"
	PostDeleted        Type = "post.deleted"
	PostRestored       Type = "post.restored"
	ReactionAdded      Type = "reaction.added"
	ReactionRemoved    Type = "reaction.removed"
	TopicRead          Type = "topic.read" // a user's read position moved; visible to that user only

	NotificationCreated Type = "notification.created" // written by the notification consumer; visible to its recipient only

	GroupCreated           Type = "group.created"
	GroupUpdated           Type = "group.updated"
	GroupDeleted           Type = "group.deleted"
	GroupMemberJoined      Type = "group.member_joined" // UserID is the member
	GroupMemberLeft        Type = "group.member_left"
	GroupMemberRemoved     Type = "group.member_removed"
	GroupMemberBanned      Type = "group.member_banned"
	GroupMemberUnbanned    Type = "group.member_unbanned"
	GroupMemberRoleChanged Type = "group.member_role_changed"
	GroupRequestCreated    Type = "group.request_created"
	GroupRequestApproved   Type = "group.request_approved"
	GroupRequestRejected   Type = "group.request_rejected"
	GroupInviteCreated     Type = "group.invite_created"
	GroupInviteRevoked     Type = "group.invite_revoked"

	UserCreated Type = "user.created" // an account was created
	UserUpdated Type = "user.updated" // a public profile field changed

	// Moderation (docs/moderation.md).
	PostScreened          Type = "post.screened" // auto-moderation held a post for approval or queued it for review; staff only
	PostHidden            Type = "post.hidden"
	PostUnhidden          Type = "post.unhidden"
	PostApproved          Type = "post.approved"
	TopicMerged           Type = "topic.merged"
	TopicSplit            Type = "topic.split"
	FlagCreated           Type = "flag.created"             // staff only
	ModerationQueueUpdate Type = "moderation.queue_updated" // staff only
	UserWarned            Type = "user.warned"              // the warned user only
	UserSilenced          Type = "user.silenced"
	UserUnsilenced        Type = "user.unsilenced"
	UserSuspended         Type = "user.suspended"
	UserUnsuspended       Type = "user.unsuspended"
	UserTrustChanged      Type = "user.trust_changed"
	AutomodUpdated        Type = "moderation.settings_updated" // staff only
	// Shared resources; payload resource_id names the resource, UserID its owner.
	ResourceCreated      Type = "resource.created"
	ResourceUpdated      Type = "resource.updated"
	ResourceDeleted      Type = "resource.deleted"
	ResourceRestored     Type = "resource.restored"
	ResourceHidden       Type = "resource.hidden"   // by moderation, pending review; the owner is told
	ResourceUnhidden     Type = "resource.unhidden" // shown again by a moderator
	ResourceVersionAdded Type = "resource.version_added"
	ResourceRated        Type = "resource.rated"      // payload stars
	ResourceDownloaded   Type = "resource.downloaded" // ActorID the downloader, UserID the owner
	UserFollowed         Type = "user.followed"       // ActorID started following UserID
	UserUnfollowed       Type = "user.unfollowed"     // ActorID stopped following UserID
	// Feedback items (internal/feedback); TopicID is the item's id.
	FeedbackCreated       Type = "feedback.created"
	FeedbackUpdated       Type = "feedback.updated" // type, areas, priority or estimate changed
	FeedbackStatusChanged Type = "feedback.status_changed"
	FeedbackVoted         Type = "feedback.voted" // ActorID is the voter (also when staff recorded it)
	FeedbackUnvoted       Type = "feedback.unvoted"
	FeedbackMerged        Type = "feedback.merged"
	FeedbackUnmerged      Type = "feedback.unmerged"
	FeedbackCSAT          Type = "feedback.csat"
	FeedbackNoteAdded     Type = "feedback.note_added" // staff visibility; the note's text is never in the payload
)

// Visibility values. A group or a single user is "group:<id>" / "user:<id>".
const (
	Public  = "public"
	Members = "members"
	Staff   = "staff"
)

// UserOnly is the visibility of an event meant for one user.
func UserOnly(userID int) string { return fmt.Sprintf("user:%d", userID) }

// GroupOnly is the visibility of an event meant for a group's members.
func GroupOnly(groupID int) string { return fmt.Sprintf("group:%d", groupID) }

// Event is one domain event. Zero ids mean "not about such a thing".
type Event struct {
	ID         int64          `json:"id"`
	Type       Type           `json:"type"`
	ActorID    int            `json:"actor_id,omitempty"`
	ForumID    int            `json:"forum_id,omitempty"`
	TopicID    int            `json:"topic_id,omitempty"`
	PostID     int            `json:"post_id,omitempty"`
	UserID     int            `json:"user_id,omitempty"`
	GroupID    int            `json:"group_id,omitempty"`
	Visibility string         `json:"visibility"`
	Payload    map[string]any `json:"payload,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
}

func fromEnt(e *ent.Event) Event {
	return Event{
		ID: e.ID, Type: Type(e.Type), ActorID: deref(e.ActorID), ForumID: deref(e.ForumID), TopicID: deref(e.TopicID),
		PostID: deref(e.PostID), UserID: deref(e.UserID), GroupID: deref(e.GroupID), Visibility: e.Visibility, Payload: e.Payload, CreatedAt: e.CreatedAt,
	}
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func nonZero(v int) *int {
	if v == 0 {
		return nil
	}
	return &v
}

// Record writes events in tx. Ids come from a sequence, so on PostgreSQL
// a transaction can take id 10, be overtaken by one that takes 11 and
// commits first, and commit 10 later: the relay holds back at such a gap
// until the transactions that could still fill it have finished (see
// Relay). For that it needs every transaction that takes an event id to
// have a transaction id already, so on PostgreSQL Record first makes sure
// of one (pg_current_xact_id). No lock is taken: concurrent writers commit
// in parallel. (SQLite serialises writers already.)
func Record(ctx context.Context, tx *ent.Tx, postgres bool, evs ...Event) error {
	return record(ctx, tx, postgres, evs)
}

// RecordAfterWrite is Record for a transaction that has already changed a
// row before it: PostgreSQL gave it a transaction id then, so the round
// trip that makes sure of one is skipped. (A write hot path saves a
// statement while it holds its row locks.)
func RecordAfterWrite(ctx context.Context, tx *ent.Tx, evs ...Event) error {
	return record(ctx, tx, false, evs)
}

func record(ctx context.Context, tx *ent.Tx, needXID bool, evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	if needXID {
		if _, err := tx.ExecContext(ctx, "SELECT pg_current_xact_id()"); err != nil {
			return fmt.Errorf("record events: transaction id: %w", err)
		}
	}
	now := time.Now()
	builders := make([]*ent.EventCreate, len(evs))
	for i, e := range evs {
		if e.Visibility == "" {
			return fmt.Errorf("record events: %s has no visibility", e.Type)
		}
		builders[i] = tx.Event.Create().
			SetType(string(e.Type)).SetNillableActorID(nonZero(e.ActorID)).SetNillableForumID(nonZero(e.ForumID)).
			SetNillableTopicID(nonZero(e.TopicID)).SetNillablePostID(nonZero(e.PostID)).SetNillableUserID(nonZero(e.UserID)).
			SetNillableGroupID(nonZero(e.GroupID)).
			SetVisibility(e.Visibility).SetPayload(e.Payload).SetCreatedAt(now)
	}
	if err := tx.Event.CreateBulk(builders...).Exec(ctx); err != nil {
		return fmt.Errorf("record events: %w", err)
	}
	return nil
}
