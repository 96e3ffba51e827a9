package forum

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/ent/postrevision"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/ent/topicuser"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/markup"
)

// PostInput is a reply.
type PostInput struct {
	Body    string
	ReplyTo int // post id replied to; 0 for none
}

// refs are the users a post points at, resolved to ids.
type refs struct {
	mentioned []int
	quoted    []int
}

// resolveRefs turns @mentions and quotes into user ids of existing users.
func resolveRefs(ctx context.Context, tx *ent.Tx, r markup.Result) (refs, error) {
	var out refs
	if len(r.Mentions) > 0 {
		keys := make([]string, len(r.Mentions))
		for i, m := range r.Mentions {
			keys[i] = strings.ToLower(m)
		}
		ids, err := tx.User.Query().Where(user.UsernameKeyIn(keys...)).IDs(ctx)
		if err != nil {
			return out, err
		}
		out.mentioned = ids
	}
	if len(r.Quotes) > 0 {
		postIDs := make([]int, 0, len(r.Quotes))
		for _, q := range r.Quotes {
			postIDs = append(postIDs, q.PostID)
		}
		ps, err := tx.Post.Query().Where(post.IDIn(postIDs...)).Select(post.FieldUserID).All(ctx)
		if err != nil {
			return out, err
		}
		seen := map[int]bool{}
		for _, p := range ps {
			if !seen[p.UserID] {
				seen[p.UserID] = true
				out.quoted = append(out.quoted, p.UserID)
			}
		}
	}
	return out, nil
}

func postPayload(p *ent.Post, rf refs, title string) map[string]any {
	m := map[string]any{
		"post_number": p.PostNumber, "excerpt": p.Excerpt, "topic_title": title,
		"mentioned_user_ids": nonNil(rf.mentioned), "quoted_user_ids": nonNil(rf.quoted),
	}
	if p.ReplyToPostID != nil {
		m["reply_to_post_id"] = *p.ReplyToPostID
		m["reply_to_user_id"] = *p.ReplyToUserID
	}
	return m
}

func nonNil(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

// CreatePost adds a reply to a topic.
//
// It is the busiest write, so it takes care over its statements (see
// docs/BENCHMARKS.md): the transaction bumps the topic's counters and
// takes the post number in one UPDATE … RETURNING, reads back no row it
// wrote, and updates the forum's row last, so that on PostgreSQL the
// forum's row lock, which every reply in the forum needs, is held only
// until the commit right after.
func (s *Service) CreatePost(ctx context.Context, a authz.Actor, topicID int, in PostInput) (*ent.Post, error) {
	p, err := s.createPost(ctx, a, topicID, in, s.topicForReply)
	if errors.Is(err, errTopicMoved) {
		// The cached row named another forum: once more from the database.
		p, err = s.createPost(ctx, a, topicID, in, s.topicForWrite)
		if errors.Is(err, errTopicMoved) {
			return nil, apperr.Conflict("topic_moved", "the topic moved while you replied; try again")
		}
	}
	return p, err
}

// errTopicMoved says a reply's topic is in another forum than the one it
// was authorized and screened for.
var errTopicMoved = errors.New("topic moved")

// replyDenied is the error for an actor who may not reply to t in f.
func replyDenied(a authz.Actor, t *ent.Topic) error {
	switch {
	case a.Guest():
		return apperr.Unauthenticated("unauthenticated", "sign in first")
	case !a.CanPost():
		return apperr.Forbidden("account_silenced", "your account may not post right now")
	case t.Locked || t.Closed || t.Archived:
		return apperr.Forbidden("topic_locked", "this topic is locked, closed or archived")
	default:
		return apperr.Forbidden("cannot_reply", "you may not reply in this forum")
	}
}

// createPost is CreatePost with the topic read by load.
func (s *Service) createPost(ctx context.Context, a authz.Actor, topicID int, in PostInput,
	load func(context.Context, authz.Actor, int) (*ent.Topic, error)) (*ent.Post, error) {
	t, err := load(ctx, a, topicID)
	if err != nil {
		return nil, err
	}
	f := t.Edges.Forum
	if !authz.CanReply(a, f, t) {
		return nil, replyDenied(a, t)
	}
	problems := map[string]string{}
	checkText("body", in.Body, s.limits.BodyMin, s.limits.BodyMax, true, problems)
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	var parent *ent.Post
	if in.ReplyTo != 0 {
		parent, err = s.db.Post.Get(ctx, in.ReplyTo)
		if ent.IsNotFound(err) || (err == nil && (parent.TopicID != topicID || !authz.CanSeePost(a, f.ID, parent))) {
			return nil, apperr.Validation(map[string]string{"reply_to": "no such post in this topic"})
		}
		if err != nil {
			return nil, apperr.Internal("create post", err)
		}
	}
	v, err := s.screen(ctx, a, Draft{Kind: DraftReply, ForumID: f.ID, TopicID: topicID, Body: in.Body})
	if err != nil {
		return nil, err
	}
	in.Body = v.Body
	r := s.render.Render(in.Body)
	groupID := 0
	if f.GroupID != nil {
		groupID = *f.GroupID
	}
	var p *ent.Post
	now := s.now()
	// Every path that returns events has bumped the topic first.
	err = s.txRun(ctx, "create post", false, true, func(tx *ent.Tx) ([]event.Event, error) {
		rf, err := resolveRefs(ctx, tx, r)
		if err != nil {
			return nil, err
		}
		// Take the topic's next number (and count the reply, unless it is
		// held). The update takes the row lock (on PostgreSQL) or holds
		// the write lock (SQLite), so concurrent replies get distinct
		// numbers.
		cur, err := s.bumpTopic(ctx, tx, topicID, !v.Hold)
		if err != nil {
			return nil, err
		}
		// Decide again on the row as locked: t may be from the cache,
		// and in any case it was read before this transaction.
		if cur.forumID != f.ID {
			return nil, errTopicMoved
		}
		cur.apply(t)
		if !authz.CanSeeTopic(a, t) {
			return nil, notFound("topic")
		}
		if !authz.CanReply(a, f, t) {
			return nil, replyDenied(a, t)
		}
		c := tx.Post.Create().SetTopicID(topicID).SetUserID(a.ID).SetPostNumber(cur.number).
			SetSource(in.Body).SetHTML(r.HTML).SetExcerpt(r.Excerpt).SetCreatedAt(now).SetPending(v.Hold)
		if parent != nil {
			c.SetReplyToPostID(parent.ID).SetReplyToUserID(parent.UserID)
		}
		if p, err = c.Save(ctx); err != nil {
			return nil, err
		}
		firstPost, err := s.markPosted(ctx, tx, a.ID, topicID, p.PostNumber)
		if err != nil {
			return nil, err
		}
		var evs []event.Event
		if v.Hold || v.Review {
			evs = append(evs, event.Event{Type: event.PostScreened, ActorID: a.ID, ForumID: f.ID, TopicID: topicID, PostID: p.ID,
				UserID: a.ID, GroupID: groupID, Visibility: event.Staff, Payload: screenedPayload(p, v, DraftReply, t.Title)})
		}
		if v.Hold {
			return evs, nil // published on approval (PublishPost)
		}
		if firstPost {
			if err := tx.Topic.Update().Where(topic.ID(topicID)).AddParticipantCount(1).Exec(ctx); err != nil {
				return nil, err
			}
		}
		// The forum's counters follow from this event (CountsConsumer).
		payload := postPayload(p, rf, t.Title)
		payload[countsDeferred] = true
		payload["posted_at"] = now.UTC().Format(time.RFC3339Nano)
		return append(evs, event.Event{Type: event.PostCreated, ActorID: a.ID, ForumID: f.ID, TopicID: topicID, PostID: p.ID,
			GroupID: groupID, Visibility: forumVisibility(f), Payload: payload}), nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// markPosted records in the author's topic_users row that they posted in
// the topic and have read up to their post (creating it, at tracking level,
// if they had none) and reports whether it is their first post there. The
// caller holds the topic's row lock (bumpTopic), so two replies of one
// author at once count them as a participant once. On PostgreSQL the read
// and the upsert are one statement: a round trip less while the topic's
// lock is held, for which every other reply to the topic waits.
func (s *Service) markPosted(ctx context.Context, tx *ent.Tx, userID, topicID, number int) (first bool, err error) {
	if !s.postgres {
		tu, err := tx.TopicUser.Query().Where(topicuser.UserID(userID), topicuser.TopicID(topicID)).
			Select(topicuser.FieldPosted).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return false, err
		}
		first = tu == nil || !tu.Posted
		return first, tx.TopicUser.Create().SetUserID(userID).SetTopicID(topicID).SetLastReadPostNumber(number).
			SetPosted(true).SetLevel(topicuser.LevelTracking).
			OnConflictColumns(topicuser.FieldUserID, topicuser.FieldTopicID).
			UpdateLastReadPostNumber().UpdatePosted().UpdateUpdatedAt().Exec(ctx)
	}
	// The statement's snapshot is taken after bumpTopic took the lock, so
	// prev sees any earlier reply of this author to the topic.
	const q = `WITH prev AS (SELECT ` + topicuser.FieldPosted + ` FROM ` + topicuser.Table +
		` WHERE ` + topicuser.FieldUserID + ` = $1 AND ` + topicuser.FieldTopicID + ` = $2)
INSERT INTO ` + topicuser.Table + ` (` + topicuser.FieldUserID + `, ` + topicuser.FieldTopicID + `, ` +
		topicuser.FieldLastReadPostNumber + `, ` + topicuser.FieldPosted + `, ` + topicuser.FieldLevel + `, ` +
		topicuser.FieldFirstVisitedAt + `, ` + topicuser.FieldUpdatedAt + `)
VALUES ($1, $2, $3, true, $4, $5, $6)
ON CONFLICT (` + topicuser.FieldUserID + `, ` + topicuser.FieldTopicID + `) DO UPDATE SET ` +
		topicuser.FieldLastReadPostNumber + ` = excluded.` + topicuser.FieldLastReadPostNumber + `, ` +
		topicuser.FieldPosted + ` = true, ` + topicuser.FieldUpdatedAt + ` = excluded.` + topicuser.FieldUpdatedAt + `
RETURNING NOT coalesce((SELECT bool_or(` + topicuser.FieldPosted + `) FROM prev), false)`
	rows, err := tx.QueryContext(ctx, q, userID, topicID, number, string(topicuser.LevelTracking),
		topicuser.DefaultFirstVisitedAt(), topicuser.DefaultUpdatedAt())
	if err != nil {
		return false, fmt.Errorf("mark posted: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return false, fmt.Errorf("mark posted: %w", err)
		}
		return false, errors.New("mark posted: no row returned")
	}
	if err := rows.Scan(&first); err != nil {
		return false, fmt.Errorf("mark posted: %w", err)
	}
	return first, rows.Close()
}

// topicForWrite loads a topic with its forum (and the forum's group) and
// checks the actor may see it: Topic without the tags and the reader's
// state, which a write does not need.
func (s *Service) topicForWrite(ctx context.Context, a authz.Actor, id int) (*ent.Topic, error) {
	return s.readableTopic(ctx, a, s.db.Topic.Query().Where(topic.ID(id)))
}

// readableTopic runs q for one topic, attaches its forum (forumOf) and
// answers not found unless the actor may see it.
func (s *Service) readableTopic(ctx context.Context, a authz.Actor, q *ent.TopicQuery) (*ent.Topic, error) {
	t, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("topic")
	}
	if err != nil {
		return nil, apperr.Internal("get topic", err)
	}
	if t.Edges.Forum, err = s.forumOf(ctx, t.ForumID); err != nil {
		return nil, apperr.Internal("get topic", err)
	}
	if !authz.CanReadForum(a, t.Edges.Forum) || !authz.CanSeeTopic(a, t) {
		return nil, notFound("topic")
	}
	return t, nil
}

// bumped is what bumpTopic read back: the new post's number and, from
// the locked row, what may decide whether the actor may reply.
type bumped struct {
	number                   int
	forumID                  int
	title                    string
	locked, closed, archived bool
	deleted, hidden          bool
}

// apply copies the row's state into t, a topic read earlier.
func (b bumped) apply(t *ent.Topic) {
	t.Title, t.Locked, t.Closed, t.Archived = b.title, b.locked, b.closed, b.archived
	t.HighestPostNumber = b.number
	t.DeletedAt = keepSet(t.DeletedAt, b.deleted)
	t.HiddenAt = keepSet(t.HiddenAt, b.hidden)
}

// keepSet returns at if set says the column is set and at has a time, the
// current time if it is set and at has none, and nil if it is not set.
func keepSet(at *time.Time, set bool) *time.Time {
	switch {
	case !set:
		return nil
	case at != nil:
		return at
	}
	now := time.Now()
	return &now
}

// bumpTopic takes a topic's next post number and, when count is set,
// counts a reply, in one statement (UPDATE … RETURNING; SQLite has it
// since 3.35).
func (s *Service) bumpTopic(ctx context.Context, tx *ent.Tx, topicID int, count bool) (bumped, error) {
	ph := func(i int) string {
		if s.postgres {
			return "$" + strconv.Itoa(i)
		}
		return "?"
	}
	q := "UPDATE " + topic.Table + " SET " + topic.FieldHighestPostNumber + " = " + topic.FieldHighestPostNumber + " + 1, " +
		topic.FieldUpdatedAt + " = " + ph(1)
	args := []any{topic.UpdateDefaultUpdatedAt()} // as ent's updates set it
	if count {
		// last_posted_at and last_poster_id follow from the event
		// (CountsConsumer): last_posted_at is indexed (the "latest"
		// order), so setting it here made every reply a non-HOT update on
		// PostgreSQL, a new entry in each of the topic's five indexes and
		// a chain of dead versions that every lookup of a busy topic
		// walked. Without it the update is HOT.
		q += ", " + topic.FieldReplyCount + " = " + topic.FieldReplyCount + " + 1"
	}
	args = append(args, topicID)
	q += " WHERE " + topic.FieldID + " = " + ph(len(args)) + " RETURNING " + topic.FieldHighestPostNumber + ", " +
		topic.FieldForumID + ", " + topic.FieldTitle + ", " + topic.FieldLocked + ", " + topic.FieldClosed + ", " +
		topic.FieldArchived + ", " + topic.FieldDeletedAt + " IS NOT NULL, " + topic.FieldHiddenAt + " IS NOT NULL"
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return bumped{}, fmt.Errorf("bump topic: %w", err)
	}
	defer rows.Close()
	var b bumped
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return bumped{}, fmt.Errorf("bump topic: %w", err)
		}
		return bumped{}, notFound("topic")
	}
	if err := rows.Scan(&b.number, &b.forumID, &b.title, &b.locked, &b.closed, &b.archived, &b.deleted, &b.hidden); err != nil {
		return bumped{}, fmt.Errorf("bump topic: %w", err)
	}
	return b, rows.Close()
}

// PostPage is a window of a topic's posts in post-number order.
type PostPage struct {
	Topic *TopicView
	Posts []*ent.Post
	// Prev and Next are cursors to the windows before and after; empty at the ends.
	Prev, Next string
}

// PostQuery asks for a window of posts: after a cursor (either direction),
// around post number Near, or from the start.
type PostQuery struct {
	Cursor string
	Near   int
	Limit  int
	// Bare leaves out of the page's Topic what only a topic's own view
	// shows: its tags and the reader's state (last read, level). Two
	// queries less for callers that render the posts alone.
	Bare bool
}

// Posts returns a window of a topic's posts the actor may see. Paging is
// by post number on the (topic_id, post_number) index, so a topic with
// 100,000 replies pages as fast as a short one.
func (s *Service) Posts(ctx context.Context, a authz.Actor, topicID int, q PostQuery) (*PostPage, error) {
	tv, err := s.topicView(ctx, a, topicID, q.Cursor == "", !q.Bare)
	if err != nil {
		return nil, err
	}
	limit := s.pageSize(q.Limit)
	base := s.db.Post.Query().Where(post.TopicID(topicID), authz.VisiblePosts(a, tv.ForumID))
	var (
		posts    []*ent.Post
		backward bool
	)
	switch {
	case q.Cursor != "":
		var c cursor
		if c, err = decodeCursor(q.Cursor, "posts"); err != nil {
			if c, err = decodeCursor(q.Cursor, "posts-before"); err != nil {
				return nil, err
			}
			backward = true
		}
		if backward {
			posts, err = base.Where(post.PostNumberLT(int(c.Key))).Order(ent.Desc(post.FieldPostNumber)).Limit(limit + 1).All(ctx)
		} else {
			posts, err = base.Where(post.PostNumberGT(int(c.Key))).Order(ent.Asc(post.FieldPostNumber)).Limit(limit + 1).All(ctx)
		}
	case q.Near > 0:
		// Half the window before the post, the rest from it on.
		half := limit / 2
		before, err2 := base.Clone().Where(post.PostNumberLT(q.Near)).Order(ent.Desc(post.FieldPostNumber)).Limit(half + 1).All(ctx)
		if err2 != nil {
			return nil, apperr.Internal("list posts", err2)
		}
		after, err2 := base.Clone().Where(post.PostNumberGTE(q.Near)).Order(ent.Asc(post.FieldPostNumber)).Limit(limit - min(len(before), half) + 1).All(ctx)
		if err2 != nil {
			return nil, apperr.Internal("list posts", err2)
		}
		page := s.nearPage(before, after, half, limit)
		page.Topic = tv
		return page, nil
	default:
		posts, err = base.Order(ent.Asc(post.FieldPostNumber)).Limit(limit + 1).All(ctx)
	}
	if err != nil {
		return nil, apperr.Internal("list posts", err)
	}
	more := len(posts) > limit
	if more {
		posts = posts[:limit]
	}
	page := &PostPage{Topic: tv}
	if backward {
		for i, j := 0, len(posts)-1; i < j; i, j = i+1, j-1 {
			posts[i], posts[j] = posts[j], posts[i]
		}
		if more {
			page.Prev = postCursor("posts-before", posts[0])
		}
		if len(posts) > 0 {
			page.Next = postCursor("posts", posts[len(posts)-1])
		}
	} else {
		if more {
			page.Next = postCursor("posts", posts[len(posts)-1])
		}
		if q.Cursor != "" && len(posts) > 0 {
			page.Prev = postCursor("posts-before", posts[0])
		}
	}
	page.Posts = posts
	return page, nil
}

func (s *Service) nearPage(before, after []*ent.Post, half, limit int) *PostPage {
	page := &PostPage{}
	moreBefore := len(before) > half
	if moreBefore {
		before = before[:half]
	}
	n := limit - len(before)
	moreAfter := len(after) > n
	if moreAfter {
		after = after[:n]
	}
	for i := len(before) - 1; i >= 0; i-- {
		page.Posts = append(page.Posts, before[i])
	}
	page.Posts = append(page.Posts, after...)
	if moreBefore {
		page.Prev = postCursor("posts-before", page.Posts[0])
	}
	if moreAfter {
		page.Next = postCursor("posts", page.Posts[len(page.Posts)-1])
	}
	return page
}

func postCursor(sort string, p *ent.Post) string {
	return cursor{Sort: sort, Key: int64(p.PostNumber), ID: p.ID}.encode()
}

// postInTopic loads a post with its topic and forum and checks the actor may see it.
func (s *Service) postInTopic(ctx context.Context, a authz.Actor, postID int) (*ent.Post, *TopicView, error) {
	p, err := s.db.Post.Get(ctx, postID)
	if ent.IsNotFound(err) {
		return nil, nil, notFound("post")
	}
	if err != nil {
		return nil, nil, apperr.Internal("get post", err)
	}
	tv, err := s.Topic(ctx, a, p.TopicID, false)
	if err != nil {
		if apperr.Is(err, apperr.KindNotFound) {
			return nil, nil, notFound("post")
		}
		return nil, nil, err
	}
	if !authz.CanSeePost(a, tv.ForumID, p) {
		return nil, nil, notFound("post")
	}
	return p, tv, nil
}

// Post returns one post the actor may see.
func (s *Service) Post(ctx context.Context, a authz.Actor, postID int) (*ent.Post, error) {
	p, _, err := s.postInTopic(ctx, a, postID)
	return p, err
}

// EditPost replaces a post's Markdown, keeping the previous version as a revision.
func (s *Service) EditPost(ctx context.Context, a authz.Actor, postID int, body string) (*ent.Post, error) {
	p, tv, err := s.postInTopic(ctx, a, postID)
	if err != nil {
		return nil, err
	}
	if !authz.CanEditPost(a, tv.ForumID, tv.Topic, p, s.now(), s.limits.EditWindow) {
		if a.Guest() {
			return nil, apperr.Unauthenticated("unauthenticated", "sign in first")
		}
		return nil, apperr.Forbidden("cannot_edit", "you may not edit this post (only its author, within the edit window, or a moderator)")
	}
	problems := map[string]string{}
	checkText("body", body, s.limits.BodyMin, s.limits.BodyMax, true, problems)
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	if body == p.Source {
		return p, nil
	}
	v, err := s.screen(ctx, a, Draft{Kind: DraftEdit, ForumID: tv.ForumID, TopicID: p.TopicID, PostID: p.ID, Body: body})
	if err != nil {
		return nil, err
	}
	body = v.Body
	r := s.render.Render(body)
	err = s.tx(ctx, "edit post", func(tx *ent.Tx) ([]event.Event, error) {
		// Revisions hold every version with who wrote it and when: the
		// original is recorded on the first edit, then each new version.
		now := s.now()
		if p.Version == 1 {
			if err := tx.PostRevision.Create().SetPostID(p.ID).SetUserID(p.UserID).SetVersion(1).
				SetSource(p.Source).SetCreatedAt(p.CreatedAt).Exec(ctx); err != nil {
				return nil, err
			}
		}
		if err := tx.PostRevision.Create().SetPostID(p.ID).SetUserID(a.ID).SetVersion(p.Version + 1).
			SetSource(body).SetCreatedAt(now).Exec(ctx); err != nil {
			return nil, err
		}
		n, err := tx.Post.Update().Where(post.ID(p.ID), post.Version(p.Version)).
			SetSource(body).SetHTML(r.HTML).SetExcerpt(r.Excerpt).SetVersion(p.Version + 1).SetEditedAt(now).Save(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, apperr.Conflict("edit_conflict", "the post changed while you edited it; reload and try again")
		}
		rf, err := resolveRefs(ctx, tx, r)
		if err != nil {
			return nil, err
		}
		payload := map[string]any{"version": p.Version + 1, "post_number": p.PostNumber, "mentioned_user_ids": nonNil(rf.mentioned)}
		vis := forumVisibility(tv.Edges.Forum)
		if p.Pending || p.HiddenAt != nil {
			vis = event.Staff // nobody else sees the post yet
		}
		evs := []event.Event{{Type: event.PostEdited, ActorID: a.ID, ForumID: tv.ForumID, TopicID: p.TopicID, PostID: p.ID,
			Visibility: vis, Payload: payload}}
		if v.Hold || v.Review {
			// An edit is never unpublished by a rule; it is queued for review.
			v.Hold = false
			p.Excerpt = r.Excerpt
			evs = append(evs, event.Event{Type: event.PostScreened, ActorID: a.ID, ForumID: tv.ForumID, TopicID: p.TopicID, PostID: p.ID,
				UserID: p.UserID, Visibility: event.Staff, Payload: screenedPayload(p, v, DraftEdit, tv.Title)})
		}
		return evs, nil
	})
	if err != nil {
		return nil, err
	}
	return s.db.Post.Get(ctx, postID)
}

// Revision is one version of a post.
type Revision = ent.PostRevision

// Revisions lists every version of an edited post, oldest first (none for an unedited post).
func (s *Service) Revisions(ctx context.Context, a authz.Actor, postID int) ([]*Revision, error) {
	p, _, err := s.postInTopic(ctx, a, postID)
	if err != nil {
		return nil, err
	}
	rs, err := s.db.PostRevision.Query().Where(postrevision.PostID(p.ID)).Order(ent.Asc(postrevision.FieldVersion)).All(ctx)
	if err != nil {
		return nil, apperr.Internal("list revisions", err)
	}
	return rs, nil
}

// DeletePost hides a post (its author or a moderator). Deleting the opening
// post hides the whole topic. Nothing is removed.
func (s *Service) DeletePost(ctx context.Context, a authz.Actor, postID int) error {
	p, tv, err := s.postInTopic(ctx, a, postID)
	if err != nil {
		return err
	}
	if !authz.CanDeletePost(a, tv.ForumID, p) {
		if a.Guest() {
			return apperr.Unauthenticated("unauthenticated", "sign in first")
		}
		return apperr.Forbidden("cannot_delete", "only the author or a moderator may delete this post")
	}
	if p.DeletedAt != nil {
		return nil
	}
	return s.tx(ctx, "delete post", func(tx *ent.Tx) ([]event.Event, error) {
		now := s.now()
		n, err := tx.Post.Update().Where(post.ID(p.ID), post.DeletedAtIsNil()).SetDeletedAt(now).SetDeletedByID(a.ID).Save(ctx)
		if err != nil || n == 0 {
			return nil, err
		}
		if p.Pending {
			// A post held for approval was never counted.
			if p.PostNumber == 1 {
				if err := tx.Topic.UpdateOneID(p.TopicID).SetDeletedAt(now).Exec(ctx); err != nil {
					return nil, err
				}
			}
			return []event.Event{{Type: event.PostDeleted, ActorID: a.ID, ForumID: tv.ForumID, TopicID: p.TopicID, PostID: p.ID,
				Visibility: event.Staff, Payload: map[string]any{"post_number": p.PostNumber}}}, nil
		}
		if p.PostNumber == 1 {
			if err := tx.Topic.UpdateOneID(p.TopicID).SetDeletedAt(now).Exec(ctx); err != nil {
				return nil, err
			}
			if err := tx.Forum.UpdateOneID(tv.ForumID).AddTopicCount(-1).Exec(ctx); err != nil {
				return nil, err
			}
		} else if err := tx.Topic.UpdateOneID(p.TopicID).AddReplyCount(-1).Exec(ctx); err != nil {
			return nil, err
		}
		if err := tx.Forum.UpdateOneID(tv.ForumID).AddPostCount(-1).Exec(ctx); err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.PostDeleted, ActorID: a.ID, ForumID: tv.ForumID, TopicID: p.TopicID, PostID: p.ID,
			Visibility: forumVisibility(tv.Edges.Forum), Payload: map[string]any{"post_number": p.PostNumber}}}, nil
	})
}

// RestorePost brings a deleted post (and, for an opening post, its topic) back (moderators).
func (s *Service) RestorePost(ctx context.Context, a authz.Actor, postID int) (*ent.Post, error) {
	p, tv, err := s.postInTopic(ctx, a, postID)
	if err != nil {
		return nil, err
	}
	if !authz.CanRestorePost(a, tv.ForumID) {
		if a.Guest() {
			return nil, apperr.Unauthenticated("unauthenticated", "sign in first")
		}
		return nil, apperr.Forbidden("forbidden", "only moderators restore posts")
	}
	if p.DeletedAt == nil {
		return p, nil
	}
	err = s.tx(ctx, "restore post", func(tx *ent.Tx) ([]event.Event, error) {
		n, err := tx.Post.Update().Where(post.ID(p.ID), post.DeletedAtNotNil()).ClearDeletedAt().ClearDeletedByID().Save(ctx)
		if err != nil || n == 0 {
			return nil, err
		}
		if p.Pending {
			if p.PostNumber == 1 {
				if err := tx.Topic.UpdateOneID(p.TopicID).ClearDeletedAt().Exec(ctx); err != nil {
					return nil, err
				}
			}
			return []event.Event{{Type: event.PostRestored, ActorID: a.ID, ForumID: tv.ForumID, TopicID: p.TopicID, PostID: p.ID,
				Visibility: event.Staff, Payload: map[string]any{"post_number": p.PostNumber}}}, nil
		}
		if p.PostNumber == 1 {
			if err := tx.Topic.UpdateOneID(p.TopicID).ClearDeletedAt().Exec(ctx); err != nil {
				return nil, err
			}
			if err := tx.Forum.UpdateOneID(tv.ForumID).AddTopicCount(1).Exec(ctx); err != nil {
				return nil, err
			}
		} else if err := tx.Topic.UpdateOneID(p.TopicID).AddReplyCount(1).Exec(ctx); err != nil {
			return nil, err
		}
		if err := tx.Forum.UpdateOneID(tv.ForumID).AddPostCount(1).Exec(ctx); err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.PostRestored, ActorID: a.ID, ForumID: tv.ForumID, TopicID: p.TopicID, PostID: p.ID,
			Visibility: forumVisibility(tv.Edges.Forum), Payload: map[string]any{"post_number": p.PostNumber}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.db.Post.Get(ctx, postID)
}
