package forum

import (
	"context"
	stdsql "database/sql"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/bookmark"
	"github.com/crn-dev/crn/ent/forumsubscription"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/ent/reaction"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/ent/topicuser"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/ent/usermute"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// ReactionKinds is the fixed set of reactions: a like plus a few emoji.
var ReactionKinds = []string{"like", "heart", "laugh", "hooray", "thinking", "eyes"}

func validReaction(k string) bool {
	for _, r := range ReactionKinds {
		if r == k {
			return true
		}
	}
	return false
}

// React adds (on=true) or withdraws a reaction of kind to a post. Both are
// idempotent; reacting to one's own post is not allowed.
func (s *Service) React(ctx context.Context, a authz.Actor, postID int, kind string, on bool) (*ent.Post, error) {
	if !validReaction(kind) {
		return nil, apperr.Validation(map[string]string{"kind": "must be one of " + strings.Join(ReactionKinds, ", ")})
	}
	p, tv, err := s.postInTopic(ctx, a, postID)
	if err != nil {
		return nil, err
	}
	if err := authz.WriteRefusal(a); err != nil {
		return nil, err
	}
	if p.UserID == a.ID {
		return nil, apperr.Forbidden("own_post", "you cannot react to your own post")
	}
	if p.DeletedAt != nil {
		return nil, apperr.Conflict("post_deleted", "the post is deleted")
	}
	err = s.tx(ctx, "react", func(tx *ent.Tx) ([]event.Event, error) {
		exists, err := tx.Reaction.Query().Where(reaction.PostID(postID), reaction.UserID(a.ID), reaction.Kind(kind)).Exist(ctx)
		if err != nil {
			return nil, err
		}
		if exists == on {
			return nil, nil // already so
		}
		delta := 1
		typ := event.ReactionAdded
		if on {
			if err := tx.Reaction.Create().SetPostID(postID).SetUserID(a.ID).SetKind(kind).Exec(ctx); err != nil {
				return nil, err
			}
		} else {
			delta, typ = -1, event.ReactionRemoved
			if _, err := tx.Reaction.Delete().Where(reaction.PostID(postID), reaction.UserID(a.ID), reaction.Kind(kind)).Exec(ctx); err != nil {
				return nil, err
			}
		}
		// Recount from the reactions themselves so the summary cannot drift.
		counts := map[string]int{}
		rs, err := tx.Reaction.Query().Where(reaction.PostID(postID)).Select(reaction.FieldKind).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			counts[r.Kind]++
		}
		if err := tx.Post.UpdateOneID(postID).SetReactions(counts).SetReactionCount(len(rs)).Exec(ctx); err != nil {
			return nil, err
		}
		if err := tx.Topic.UpdateOneID(p.TopicID).AddReactionCount(delta).Exec(ctx); err != nil {
			return nil, err
		}
		return []event.Event{{Type: typ, ActorID: a.ID, ForumID: tv.ForumID, TopicID: p.TopicID, PostID: postID, UserID: p.UserID,
			Visibility: forumVisibility(tv.Edges.Forum),
			Payload:    map[string]any{"kind": kind, "post_author_id": p.UserID, "post_number": p.PostNumber, "topic_title": tv.Title}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.db.Post.Get(ctx, postID)
}

// Bookmark saves (on=true) or forgets a post for the actor. Idempotent.
func (s *Service) Bookmark(ctx context.Context, a authz.Actor, postID int, on bool) error {
	if a.Guest() {
		return apperr.Unauthenticated("unauthenticated", "sign in first")
	}
	if _, _, err := s.postInTopic(ctx, a, postID); err != nil {
		return err
	}
	if on {
		err := s.db.Bookmark.Create().SetPostID(postID).SetUserID(a.ID).
			OnConflictColumns(bookmark.FieldUserID, bookmark.FieldPostID).Ignore().Exec(ctx)
		if err != nil {
			return apperr.Internal("bookmark", err)
		}
		return nil
	}
	if _, err := s.db.Bookmark.Delete().Where(bookmark.PostID(postID), bookmark.UserID(a.ID)).Exec(ctx); err != nil {
		return apperr.Internal("bookmark", err)
	}
	return nil
}

// Bookmarks lists the posts the actor bookmarked and may still see, newest first.
func (s *Service) Bookmarks(ctx context.Context, a authz.Actor, limit int) ([]*ent.Post, error) {
	bs, err := s.db.Bookmark.Query().Where(bookmark.UserID(a.ID)).Order(ent.Desc(bookmark.FieldID)).Limit(s.pageSize(limit)).All(ctx)
	if err != nil {
		return nil, apperr.Internal("bookmarks", err)
	}
	var out []*ent.Post
	for _, b := range bs {
		if p, _, err := s.postInTopic(ctx, a, b.PostID); err == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// Marks are a reader's own reactions and bookmarks on a page of posts.
type Marks struct {
	Reactions  map[int][]string // post id → the kinds the reader reacted with
	Bookmarked map[int]bool     // post id → bookmarked
}

// ReaderMarks returns the actor's reactions and bookmarks on postIDs, in
// one query (a UNION of the two tables, each by its (user_id, post_id)
// key). Guests have none.
func (s *Service) ReaderMarks(ctx context.Context, a authz.Actor, postIDs []int) (Marks, error) {
	m := Marks{Reactions: map[int][]string{}, Bookmarked: map[int]bool{}}
	if a.Guest() || len(postIDs) == 0 {
		return m, nil
	}
	ids := make([]any, len(postIDs))
	for i, id := range postIDs {
		ids[i] = id
	}
	reactions := sql.Dialect(s.dialect).Select(reaction.FieldPostID, reaction.FieldKind).From(sql.Table(reaction.Table)).
		Where(sql.And(sql.EQ(reaction.FieldUserID, a.ID), sql.In(reaction.FieldPostID, ids...)))
	bookmarks := sql.Dialect(s.dialect).Select(bookmark.FieldPostID).AppendSelectExpr(sql.Expr("NULL")).From(sql.Table(bookmark.Table)).
		Where(sql.And(sql.EQ(bookmark.FieldUserID, a.ID), sql.In(bookmark.FieldPostID, ids...)))
	query, args := reactions.UnionAll(bookmarks).Query()
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return Marks{}, apperr.Internal("reader marks", err)
	}
	defer rows.Close()
	for rows.Next() {
		var postID int
		var kind stdsql.NullString
		if err := rows.Scan(&postID, &kind); err != nil {
			return Marks{}, apperr.Internal("reader marks", err)
		}
		if kind.Valid {
			m.Reactions[postID] = append(m.Reactions[postID], kind.String)
		} else {
			m.Bookmarked[postID] = true
		}
	}
	if err := rows.Err(); err != nil {
		return Marks{}, apperr.Internal("reader marks", err)
	}
	return m, nil
}

// MarkRead moves the actor's read position in a topic forward to postNumber
// (never backwards, never past the last post).
func (s *Service) MarkRead(ctx context.Context, a authz.Actor, topicID, postNumber int) (*TopicView, error) {
	if a.Guest() {
		return nil, apperr.Unauthenticated("unauthenticated", "sign in first")
	}
	if postNumber < 1 {
		return nil, apperr.Validation(map[string]string{"post_number": "must be at least 1"})
	}
	tv, err := s.Topic(ctx, a, topicID, false)
	if err != nil {
		return nil, err
	}
	n := min(postNumber, tv.HighestPostNumber)
	if n <= tv.LastRead {
		return tv, nil
	}
	err = s.tx(ctx, "mark read", func(tx *ent.Tx) ([]event.Event, error) {
		err := tx.TopicUser.Create().SetUserID(a.ID).SetTopicID(topicID).SetLastReadPostNumber(n).
			OnConflictColumns(topicuser.FieldUserID, topicuser.FieldTopicID).
			Update(func(u *ent.TopicUserUpsert) {
				u.UpdateUpdatedAt()
				u.Set(topicuser.FieldLastReadPostNumber, n)
			}).Exec(ctx)
		if err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.TopicRead, ActorID: a.ID, ForumID: tv.ForumID, TopicID: topicID, UserID: a.ID,
			Visibility: event.UserOnly(a.ID), Payload: map[string]any{"post_number": n}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Topic(ctx, a, topicID, false)
}

var levels = map[string]bool{"watching": true, "tracking": true, "normal": true, "muted": true}

// SetTopicLevel sets how closely the actor follows a topic.
func (s *Service) SetTopicLevel(ctx context.Context, a authz.Actor, topicID int, level string) (*TopicView, error) {
	if a.Guest() {
		return nil, apperr.Unauthenticated("unauthenticated", "sign in first")
	}
	if !levels[level] {
		return nil, apperr.Validation(map[string]string{"level": "must be watching, tracking, normal or muted"})
	}
	if _, err := s.Topic(ctx, a, topicID, false); err != nil {
		return nil, err
	}
	err := s.db.TopicUser.Create().SetUserID(a.ID).SetTopicID(topicID).SetLevel(topicuser.Level(level)).
		OnConflictColumns(topicuser.FieldUserID, topicuser.FieldTopicID).UpdateLevel().UpdateUpdatedAt().Exec(ctx)
	if err != nil {
		return nil, apperr.Internal("set topic level", err)
	}
	return s.Topic(ctx, a, topicID, false)
}

// SetForumLevel sets how closely the actor follows a forum.
func (s *Service) SetForumLevel(ctx context.Context, a authz.Actor, forumID int, level string) error {
	if a.Guest() {
		return apperr.Unauthenticated("unauthenticated", "sign in first")
	}
	if !levels[level] {
		return apperr.Validation(map[string]string{"level": "must be watching, tracking, normal or muted"})
	}
	if _, err := s.forum(ctx, a, forumID, false); err != nil {
		return err
	}
	err := s.db.ForumSubscription.Create().SetUserID(a.ID).SetForumID(forumID).SetLevel(forumsubscription.Level(level)).
		OnConflictColumns(forumsubscription.FieldUserID, forumsubscription.FieldForumID).UpdateLevel().UpdateUpdatedAt().Exec(ctx)
	if err != nil {
		return apperr.Internal("set forum level", err)
	}
	return nil
}

// ForumLevels returns the actor's subscription level per forum id (absent: normal).
func (s *Service) ForumLevels(ctx context.Context, a authz.Actor) (map[int]string, error) {
	out := map[int]string{}
	if a.Guest() {
		return out, nil
	}
	subs, err := s.db.ForumSubscription.Query().Where(forumsubscription.UserID(a.ID)).All(ctx)
	if err != nil {
		return nil, apperr.Internal("forum levels", err)
	}
	for _, sub := range subs {
		out[sub.ForumID] = string(sub.Level)
	}
	return out, nil
}

// Mute silences (on=true) or unsilences another user for the actor.
func (s *Service) Mute(ctx context.Context, a authz.Actor, username string, on bool) error {
	if a.Guest() {
		return apperr.Unauthenticated("unauthenticated", "sign in first")
	}
	u, err := s.db.User.Query().Where(user.UsernameKey(strings.ToLower(username))).Only(ctx)
	if ent.IsNotFound(err) {
		return notFound("user")
	}
	if err != nil {
		return apperr.Internal("mute", err)
	}
	if u.ID == a.ID {
		return apperr.Validation(map[string]string{"username": "you cannot mute yourself"})
	}
	if on {
		err = s.db.UserMute.Create().SetUserID(a.ID).SetMutedUserID(u.ID).
			OnConflictColumns(usermute.FieldUserID, usermute.FieldMutedUserID).Ignore().Exec(ctx)
	} else {
		_, err = s.db.UserMute.Delete().Where(usermute.UserID(a.ID), usermute.MutedUserID(u.ID)).Exec(ctx)
	}
	if err != nil {
		return apperr.Internal("mute", err)
	}
	return nil
}

// Unread counts a user's new and unread topics in one forum.
type Unread struct {
	New    int `json:"new_topics"`
	Unread int `json:"unread_topics"`
}

// newWindow is how far back a topic the user never opened still counts as new.
const newWindow = 14 * 24 * time.Hour

// UnreadCounts returns, per forum id, how many topics are new to the actor
// (never opened, created in the last two weeks and since they joined) and
// how many they opened that have posts they have not read.
func (s *Service) UnreadCounts(ctx context.Context, a authz.Actor, joined time.Time) (map[int]Unread, error) {
	out := map[int]Unread{}
	if a.Guest() {
		return out, nil
	}
	since := s.now().Add(-newWindow)
	if joined.After(since) {
		since = joined
	}
	type row struct {
		ForumID int `json:"forum_id"`
		Count   int `json:"count"`
	}
	var fresh []row
	err := s.db.Topic.Query().Where(authz.VisibleTopics(a), topic.CreatedAtGT(since), topic.UserIDNEQ(a.ID),
		authz.ReadableForumIDs(a),
		func(sel *sql.Selector) {
			tu := sql.Table(topicuser.Table)
			sel.Where(sql.NotExists(sql.Select(tu.C(topicuser.FieldID)).From(tu).
				Where(sql.And(sql.ColumnsEQ(tu.C(topicuser.FieldTopicID), sel.C(topic.FieldID)), sql.EQ(tu.C(topicuser.FieldUserID), a.ID)))))
		}).
		GroupBy(topic.FieldForumID).Aggregate(ent.As(ent.Count(), "count")).Scan(ctx, &fresh)
	if err != nil {
		return nil, apperr.Internal("unread counts", err)
	}
	for _, r := range fresh {
		u := out[r.ForumID]
		u.New = r.Count
		out[r.ForumID] = u
	}
	var unread []row
	err = s.db.Topic.Query().Where(authz.VisibleTopics(a), authz.ReadableForumIDs(a),
		func(sel *sql.Selector) {
			tu := sql.Table(topicuser.Table)
			sel.Join(tu).On(tu.C(topicuser.FieldTopicID), sel.C(topic.FieldID)).
				Where(sql.And(
					sql.EQ(tu.C(topicuser.FieldUserID), a.ID),
					sql.NEQ(tu.C(topicuser.FieldLevel), topicuser.LevelMuted),
					sql.ColumnsLT(tu.C(topicuser.FieldLastReadPostNumber), sel.C(topic.FieldHighestPostNumber)),
				))
		}).
		GroupBy(topic.FieldForumID).Aggregate(ent.As(ent.Count(), "count")).Scan(ctx, &unread)
	if err != nil {
		return nil, apperr.Internal("unread counts", err)
	}
	for _, r := range unread {
		u := out[r.ForumID]
		u.Unread = r.Count
		out[r.ForumID] = u
	}
	return out, nil
}

// UserPosts lists a user's visible posts in forums the actor may read, newest first.
func (s *Service) UserPosts(ctx context.Context, a authz.Actor, userID int, before int, limit int) ([]*ent.Post, error) {
	q := s.db.Post.Query().Where(post.UserID(userID), post.DeletedAtIsNil(),
		post.HasTopicWith(authz.VisibleTopics(a), authz.ReadableForumIDs(a)))
	if !a.Admin() && a.ID != userID {
		q = q.Where(post.Pending(false), post.HiddenAtIsNil())
	}
	if before > 0 {
		q = q.Where(post.IDLT(before))
	}
	ps, err := q.Order(ent.Desc(post.FieldID)).Limit(s.pageSize(limit)).All(ctx)
	if err != nil {
		return nil, apperr.Internal("user posts", err)
	}
	return ps, nil
}

// UserTopics lists topics a user started, in forums the actor may read, newest first.
func (s *Service) UserTopics(ctx context.Context, a authz.Actor, userID int, before int, limit int) ([]*TopicView, error) {
	q := s.db.Topic.Query().Where(topic.UserID(userID), authz.VisibleTopics(a), authz.ReadableForumIDs(a))
	if before > 0 {
		q = q.Where(topic.IDLT(before))
	}
	ts, err := q.Order(ent.Desc(topic.FieldID)).Limit(s.pageSize(limit)).WithTags().All(ctx)
	if err != nil {
		return nil, apperr.Internal("user topics", err)
	}
	return s.views_(ctx, a, ts)
}
