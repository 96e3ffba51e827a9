package httpapi

import (
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/group"
)

// Group is a group as the API shows it.
type Group struct {
	ID             int       `json:"id"`
	Name           string    `json:"name"`
	Slug           string    `json:"slug"`
	Description    string    `json:"description"`
	AvatarURL      string    `json:"avatar_url"`
	Visibility     string    `json:"visibility"`
	MemberCount    int       `json:"member_count"`
	CreatedAt      time.Time `json:"created_at"`
	Role           *string   `json:"role"` // the caller's role; null when not a member
	Banned         bool      `json:"banned,omitempty"`
	RequestPending bool      `json:"request_pending,omitempty"`
}

func groupView(v *group.View) Group {
	g := Group{
		ID: v.ID, Name: v.Name, Slug: v.Slug, Description: v.Description, AvatarURL: v.AvatarURL,
		Visibility: string(v.Visibility), MemberCount: v.MemberCount, CreatedAt: v.CreatedAt.UTC(),
		Banned: v.Banned, RequestPending: v.RequestPending,
	}
	if v.Role != "" {
		role := v.Role
		g.Role = &role
	}
	return g
}

// GroupMember is one entry of a member directory.
type GroupMember struct {
	User     *UserRef  `json:"user"`
	Role     string    `json:"role"`
	Status   string    `json:"status"`
	JoinedAt time.Time `json:"joined_at"`
}

func groupMemberView(m group.Member) GroupMember {
	return GroupMember{User: userRef(m.User), Role: string(m.Role), Status: string(m.GroupMember.Status), JoinedAt: m.CreatedAt.UTC()}
}

// GroupRequest is a join request.
type GroupRequest struct {
	ID        int        `json:"id"`
	User      *UserRef   `json:"user"`
	Message   string     `json:"message"`
	Status    string     `json:"status"`
	Reason    string     `json:"reason"`
	CreatedAt time.Time  `json:"created_at"`
	DecidedAt *time.Time `json:"decided_at"`
}

func groupRequestView(r group.Request) GroupRequest {
	return GroupRequest{ID: r.ID, User: userRef(r.User), Message: r.Message, Status: string(r.Status), Reason: r.Reason,
		CreatedAt: r.CreatedAt.UTC(), DecidedAt: utc(r.DecidedAt)}
}

// GroupInvite is an invite; its token is shown once, when it is created.
type GroupInvite struct {
	ID        int        `json:"id"`
	Token     string     `json:"token,omitempty"`
	Invitee   *UserRef   `json:"invitee"`
	ExpiresAt *time.Time `json:"expires_at"`
	MaxUses   int        `json:"max_uses"`
	Uses      int        `json:"uses"`
	CreatedAt time.Time  `json:"created_at"`
}

func inviteView(inv *ent.GroupInvite, token string, invitee *ent.User) GroupInvite {
	return GroupInvite{ID: inv.ID, Token: token, Invitee: userRef(invitee), ExpiresAt: utc(inv.ExpiresAt),
		MaxUses: inv.MaxUses, Uses: inv.Uses, CreatedAt: inv.CreatedAt.UTC()}
}

// FeedItem is one event of a group's activity feed.
type FeedItem struct {
	ID        int64          `json:"id"`
	Event     string         `json:"event"`
	ActorID   int            `json:"actor_id,omitempty"`
	ForumID   int            `json:"forum_id,omitempty"`
	TopicID   int            `json:"topic_id,omitempty"`
	PostID    int            `json:"post_id,omitempty"`
	UserID    int            `json:"user_id,omitempty"`
	Payload   map[string]any `json:"payload,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
}

func feedItem(e event.Event) FeedItem {
	return FeedItem{ID: e.ID, Event: string(e.Type), ActorID: e.ActorID, ForumID: e.ForumID, TopicID: e.TopicID,
		PostID: e.PostID, UserID: e.UserID, Payload: e.Payload, CreatedAt: e.CreatedAt.UTC()}
}
