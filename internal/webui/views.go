package webui

import (
	"context"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/forum"
)

// topicRow is a topic in a listing.
type topicRow struct {
	*forum.TopicView
	Author, LastPoster *ent.User
	Forum              *ent.Forum // set where listings span forums
	Unread             int        // posts the reader has not read (0 for guests and unopened topics)
	New                bool       // the reader never opened it
}

// postItem is a post as the topic page shows it.
type postItem struct {
	*ent.Post
	Author, ReplyTo *ent.User
	TopicID         int
	Mine            map[string]bool // the reader's reactions
	Bookmarked      bool
	Accepted        bool
	CanAccept       bool
	CanEdit         bool
	CanDelete       bool
	Unread          bool // after the reader's last read position
	FirstUnread     bool
	Reactions       []reaction
	topic           *ent.Topic
}

type reaction struct {
	Kind  string
	Count int
	Mine  bool
}

// usersOf batch-loads users by id, once each.
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

// topicRows decorates topics with their people and the reader's read state,
// loading every user in one query. A topic is new to a reader who never
// opened it and joined before it was started (as forum.UnreadCounts counts).
func (s *server) topicRows(ctx context.Context, rq *request, tvs []*forum.TopicView, forums map[int]*ent.Forum) ([]topicRow, error) {
	a := rq.actor
	var since time.Time
	if rq.user != nil {
		since = s.Forums.NewSince(rq.user.CreatedAt)
	}
	var ids []int
	for _, tv := range tvs {
		ids = append(ids, tv.UserID)
		if tv.LastPosterID != nil {
			ids = append(ids, *tv.LastPosterID)
		}
	}
	users, err := s.usersOf(ctx, ids...)
	if err != nil {
		return nil, err
	}
	rows := make([]topicRow, len(tvs))
	for i, tv := range tvs {
		r := topicRow{TopicView: tv, Author: users[tv.UserID], Forum: forums[tv.ForumID]}
		if tv.LastPosterID != nil {
			r.LastPoster = users[*tv.LastPosterID]
		}
		if !a.Guest() {
			r.New = tv.LastRead == 0 && tv.UserID != a.ID && tv.CreatedAt.After(since)
			if tv.LastRead > 0 {
				r.Unread = max(0, tv.HighestPostNumber-tv.LastRead)
			}
		}
		rows[i] = r
	}
	return rows, nil
}

// postItems decorates posts with authors, the reader's reactions and
// bookmarks: two queries for the whole page.
func (s *server) postItems(ctx context.Context, a authz.Actor, tv *forum.TopicView, ps []*ent.Post) ([]postItem, error) {
	ids := make([]int, 0, len(ps))
	userIDs := make([]int, 0, 2*len(ps))
	for _, p := range ps {
		ids = append(ids, p.ID)
		userIDs = append(userIDs, p.UserID)
		if p.ReplyToUserID != nil {
			userIDs = append(userIDs, *p.ReplyToUserID)
		}
	}
	users, err := s.usersOf(ctx, userIDs...)
	if err != nil {
		return nil, err
	}
	marks, err := s.Forums.ReaderMarks(ctx, a, ids)
	if err != nil {
		return nil, err
	}
	canAccept := tv.Kind == "question" && authz.CanAcceptAnswer(a, tv.Topic, tv.ForumID)
	now, window := time.Now(), s.Forums.Limits().EditWindow
	out := make([]postItem, len(ps))
	firstUnread := true
	for i, p := range ps {
		it := postItem{Post: p, Author: users[p.UserID], TopicID: tv.ID, Mine: map[string]bool{}, Bookmarked: marks.Bookmarked[p.ID], topic: tv.Topic}
		it.CanEdit = authz.CanEditPost(a, tv.ForumID, tv.Topic, p, now, window)
		it.CanDelete = p.DeletedAt == nil && authz.CanDeletePost(a, tv.ForumID, p)
		if p.ReplyToUserID != nil {
			it.ReplyTo = users[*p.ReplyToUserID]
		}
		for _, k := range marks.Reactions[p.ID] {
			it.Mine[k] = true
		}
		it.Accepted = tv.AcceptedPostID != nil && *tv.AcceptedPostID == p.ID
		it.CanAccept = canAccept && p.PostNumber > 1 && !it.Accepted
		if !a.Guest() && tv.LastRead > 0 && p.PostNumber > tv.LastRead {
			it.Unread, it.FirstUnread = true, firstUnread
			firstUnread = false
		}
		it.Reactions = reactionsOf(p, it.Mine)
		out[i] = it
	}
	return out, nil
}

func reactionsOf(p *ent.Post, mine map[string]bool) []reaction {
	out := make([]reaction, len(forum.ReactionKinds))
	for i, k := range forum.ReactionKinds {
		out[i] = reaction{Kind: k, Count: p.Reactions[k], Mine: mine[k]}
	}
	return out
}
