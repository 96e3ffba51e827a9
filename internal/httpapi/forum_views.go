package httpapi

import (
	"context"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/forum"
)

// UserRef is how a user appears next to what they wrote.
type UserRef struct {
	ID          int    `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	AvatarURL   string `json:"avatar_url"`
}

func userRef(u *ent.User) *UserRef {
	if u == nil {
		return nil
	}
	return &UserRef{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, AvatarURL: u.AvatarURL}
}

// Forum is a forum as the API shows it.
type Forum struct {
	ID             int        `json:"id"`
	Name           string     `json:"name"`
	Slug           string     `json:"slug"`
	Kind           string     `json:"kind"`
	Description    string     `json:"description"`
	Position       int        `json:"position"`
	ParentID       *int       `json:"parent_id"`
	GroupID        *int       `json:"group_id"` // the group whose space the forum is in
	ReadVisibility string     `json:"read_visibility"`
	TopicPolicy    string     `json:"topic_policy"`
	TopicMinTrust  int        `json:"topic_min_trust"`
	ReplyPolicy    string     `json:"reply_policy"`
	ReplyMinTrust  int        `json:"reply_min_trust"`
	TopicCount     int        `json:"topic_count"`
	PostCount      int        `json:"post_count"`
	LastPostedAt   *time.Time `json:"last_posted_at"`
	Moderators     []UserRef  `json:"moderators,omitempty"`
	Level          string     `json:"subscription_level,omitempty"`
	NewTopics      int        `json:"new_topics"`
	UnreadTopics   int        `json:"unread_topics"`
	CanStartTopic  bool       `json:"can_start_topic"`
}

func forumView(a authz.Actor, f *ent.Forum, level string, unread forum.Unread) Forum {
	v := Forum{
		ID: f.ID, Name: f.Name, Slug: f.Slug, Kind: string(f.Kind), Description: f.Description, Position: f.Position, ParentID: f.ParentID, GroupID: f.GroupID,
		ReadVisibility: string(f.ReadVisibility), TopicPolicy: string(f.TopicPolicy), TopicMinTrust: f.TopicMinTrust,
		ReplyPolicy: string(f.ReplyPolicy), ReplyMinTrust: f.ReplyMinTrust, TopicCount: f.TopicCount, PostCount: f.PostCount,
		LastPostedAt: utc(f.LastPostedAt), Level: level, NewTopics: unread.New, UnreadTopics: unread.Unread,
		CanStartTopic: authz.CanStartTopic(a, f),
	}
	if !a.Guest() && v.Level == "" {
		v.Level = "normal"
	}
	for _, m := range f.Edges.Moderators {
		v.Moderators = append(v.Moderators, *userRef(m))
	}
	return v
}

// Topic is a topic as the API shows it.
type Topic struct {
	ID                 int        `json:"id"`
	ForumID            int        `json:"forum_id"`
	Title              string     `json:"title"`
	Kind               string     `json:"kind"`
	Tags               []string   `json:"tags"`
	Author             *UserRef   `json:"author"`
	Pinned             bool       `json:"pinned"`
	PinnedGlobally     bool       `json:"pinned_globally"`
	Locked             bool       `json:"locked"`
	Closed             bool       `json:"closed"`
	Archived           bool       `json:"archived"`
	Deleted            bool       `json:"deleted"`
	ViewCount          int        `json:"view_count"`
	ReplyCount         int        `json:"reply_count"`
	HighestPostNumber  int        `json:"highest_post_number"`
	ParticipantCount   int        `json:"participant_count"`
	ReactionCount      int        `json:"reaction_count"`
	AcceptedPostID     *int       `json:"accepted_post_id"`
	LastPoster         *UserRef   `json:"last_poster"`
	CreatedAt          time.Time  `json:"created_at"`
	LastPostedAt       time.Time  `json:"last_posted_at"`
	LastReadPostNumber *int       `json:"last_read_post_number,omitempty"`
	UnreadPosts        *int       `json:"unread_posts,omitempty"`
	Level              string     `json:"subscription_level,omitempty"`
	DeletedAt          *time.Time `json:"deleted_at,omitempty"`
}

func topicView(tv *forum.TopicView, users map[int]*ent.User, signedIn bool) Topic {
	t := tv.Topic
	v := Topic{
		ID: t.ID, ForumID: t.ForumID, Title: t.Title, Kind: string(t.Kind), Tags: tv.Tags, Author: userRef(users[t.UserID]),
		Pinned: t.Pinned, PinnedGlobally: t.PinnedGlobally, Locked: t.Locked, Closed: t.Closed, Archived: t.Archived,
		Deleted: t.DeletedAt != nil, DeletedAt: utc(t.DeletedAt), ViewCount: t.ViewCount, ReplyCount: t.ReplyCount,
		HighestPostNumber: t.HighestPostNumber, ParticipantCount: t.ParticipantCount, ReactionCount: t.ReactionCount,
		AcceptedPostID: t.AcceptedPostID, CreatedAt: t.CreatedAt.UTC(), LastPostedAt: t.LastPostedAt.UTC(),
	}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	if t.LastPosterID != nil {
		v.LastPoster = userRef(users[*t.LastPosterID])
	}
	if signedIn {
		lr, unread := tv.LastRead, max(0, t.HighestPostNumber-tv.LastRead)
		if tv.LastRead == 0 {
			unread = 0 // never opened: the topic is new, not unread
		}
		v.LastReadPostNumber, v.UnreadPosts, v.Level = &lr, &unread, tv.Level
	}
	return v
}

// Post is a post as the API shows it.
type Post struct {
	ID            int            `json:"id"`
	TopicID       int            `json:"topic_id"`
	PostNumber    int            `json:"post_number"`
	Author        *UserRef       `json:"author"`
	ReplyToPostID *int           `json:"reply_to_post_id"`
	ReplyToUser   *UserRef       `json:"reply_to_user"`
	HTML          string         `json:"html"`
	Source        string         `json:"source"`
	Version       int            `json:"version"`
	Reactions     map[string]int `json:"reactions"`
	ReactionCount int            `json:"reaction_count"`
	MyReactions   []string       `json:"my_reactions,omitempty"`
	Bookmarked    bool           `json:"bookmarked,omitempty"`
	Accepted      bool           `json:"accepted_answer"`
	CreatedAt     time.Time      `json:"created_at"`
	EditedAt      *time.Time     `json:"edited_at"`
	DeletedAt     *time.Time     `json:"deleted_at,omitempty"`
	// Only the author and moderators see posts pending approval or hidden.
	Pending      bool       `json:"pending,omitempty"`
	HiddenAt     *time.Time `json:"hidden_at,omitempty"`
	HiddenReason string     `json:"hidden_reason,omitempty"`
}

func postView(p *ent.Post, users map[int]*ent.User, mine []string, bookmarked bool, accepted *int) Post {
	v := Post{
		ID: p.ID, TopicID: p.TopicID, PostNumber: p.PostNumber, Author: userRef(users[p.UserID]),
		ReplyToPostID: p.ReplyToPostID, HTML: p.HTML, Source: p.Source, Version: p.Version, Reactions: p.Reactions,
		ReactionCount: p.ReactionCount, MyReactions: mine, Bookmarked: bookmarked, CreatedAt: p.CreatedAt.UTC(),
		EditedAt: utc(p.EditedAt), DeletedAt: utc(p.DeletedAt), Accepted: accepted != nil && *accepted == p.ID,
		Pending: p.Pending, HiddenAt: utc(p.HiddenAt), HiddenReason: p.HiddenReason,
	}
	if v.Reactions == nil {
		v.Reactions = map[string]int{}
	}
	if p.ReplyToUserID != nil {
		v.ReplyToUser = userRef(users[*p.ReplyToUserID])
	}
	return v
}

// usersOf batch-loads the users named by ids.
func (s *server) usersOf(ctx context.Context, ids ...int) (map[int]*ent.User, error) {
	seen := map[int]bool{}
	uniq := make([]int, 0, len(ids))
	for _, id := range ids {
		if id != 0 && !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	return s.Accounts.ByIDs(ctx, uniq)
}

func topicUserIDs(tvs ...*forum.TopicView) []int {
	var ids []int
	for _, tv := range tvs {
		ids = append(ids, tv.UserID)
		if tv.LastPosterID != nil {
			ids = append(ids, *tv.LastPosterID)
		}
	}
	return ids
}
