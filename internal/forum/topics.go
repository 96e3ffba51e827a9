package forum

import (
	"context"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/ent/tag"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/ent/topicuser"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
)

// TopicInput opens a topic.
type TopicInput struct {
	Title string
	Body  string
	Tags  []string
	Kind  string // discussion (default) or question
	// Attach runs inside the transaction that creates the topic, after it;
	// its events are recorded with the topic's. The feedback service opens
	// items this way, and topics of feedback boards must be opened so.
	Attach func(ctx context.Context, tx *ent.Tx, t *ent.Topic, first *ent.Post) ([]event.Event, error)
}

// TopicView is a topic with what a reader needs around it.
type TopicView struct {
	*ent.Topic
	Tags []string
	// LastRead is the reader's last read post number (0: never opened);
	// Level their subscription level; both zero for guests.
	LastRead int
	Level    string
}

// CreateTopic opens a topic with its first post.
func (s *Service) CreateTopic(ctx context.Context, a authz.Actor, forumID int, in TopicInput) (*TopicView, *ent.Post, error) {
	f, err := s.forum(ctx, a, forumID, false)
	if err != nil {
		return nil, nil, err
	}
	if !authz.CanStartTopic(a, f) {
		switch {
		case a.Guest():
			return nil, nil, apperr.Unauthenticated("unauthenticated", "sign in first")
		case !a.CanPost():
			return nil, nil, apperr.Forbidden("account_silenced", "your account may not post right now")
		}
		return nil, nil, apperr.Forbidden("cannot_start_topic", "you may not start topics in this forum")
	}
	if f.Kind == forum.KindFeedback && in.Attach == nil {
		return nil, nil, apperr.Conflict("feedback_board", "this is a feedback board: open items through /api/v1/feedback")
	}
	problems := map[string]string{}
	in.Title = strings.TrimSpace(in.Title)
	checkText("title", in.Title, s.limits.TitleMin, s.limits.TitleMax, false, problems)
	checkText("body", in.Body, s.limits.BodyMin, s.limits.BodyMax, true, problems)
	if in.Kind == "" {
		in.Kind = string(topic.KindDiscussion)
	}
	if topic.KindValidator(topic.Kind(in.Kind)) != nil {
		problems["kind"] = "must be discussion or question"
	}
	tags := s.normalizeTags(in.Tags, problems)
	if len(problems) > 0 {
		return nil, nil, apperr.Validation(problems)
	}
	v, err := s.screen(ctx, a, Draft{Kind: DraftTopic, ForumID: f.ID, Title: in.Title, Body: in.Body})
	if err != nil {
		return nil, nil, err
	}
	in.Title, in.Body = v.Title, v.Body
	r := s.render.Render(in.Body)
	var t *ent.Topic
	var p *ent.Post
	err = s.tx(ctx, "create topic", func(tx *ent.Tx) ([]event.Event, error) {
		now := s.now()
		tagIDs, err := ensureTags(ctx, tx, tags)
		if err != nil {
			return nil, err
		}
		tc := tx.Topic.Create().SetForumID(f.ID).SetUserID(a.ID).SetTitle(in.Title).SetKind(topic.Kind(in.Kind)).
			SetHighestPostNumber(1).SetLastPostedAt(now).SetLastPosterID(a.ID).SetCreatedAt(now).
			AddTagIDs(tagIDs...)
		if v.Hold {
			tc.SetHiddenAt(now)
		}
		t, err = tc.Save(ctx)
		if err != nil {
			return nil, err
		}
		refs, err := resolveRefs(ctx, tx, r)
		if err != nil {
			return nil, err
		}
		p, err = tx.Post.Create().SetTopicID(t.ID).SetUserID(a.ID).SetPostNumber(1).
			SetSource(in.Body).SetHTML(r.HTML).SetExcerpt(r.Excerpt).SetCreatedAt(now).SetPending(v.Hold).Save(ctx)
		if err != nil {
			return nil, err
		}
		// The author watches their own topic and has read it.
		if err := tx.TopicUser.Create().SetUserID(a.ID).SetTopicID(t.ID).SetLastReadPostNumber(1).
			SetLevel(topicuser.LevelWatching).SetPosted(true).Exec(ctx); err != nil {
			return nil, err
		}
		// What the caller attaches (a feedback item) exists whether or not
		// the topic is held; its events go out when the topic is published.
		var attached []event.Event
		if in.Attach != nil {
			more, err := in.Attach(ctx, tx, t, p)
			if err != nil {
				return nil, err
			}
			attached = more
		}
		var evs []event.Event
		if v.Hold || v.Review {
			evs = append(evs, event.Event{Type: event.PostScreened, ActorID: a.ID, ForumID: f.ID, TopicID: t.ID, PostID: p.ID,
				UserID: a.ID, Visibility: event.Staff, Payload: screenedPayload(p, v, DraftTopic, t.Title)})
		}
		if v.Hold {
			// Published on approval (PublishPost), counters and events then.
			return evs, nil
		}
		if err := tx.Forum.UpdateOneID(f.ID).AddTopicCount(1).AddPostCount(1).SetLastPostedAt(now).Exec(ctx); err != nil {
			return nil, err
		}
		vis := forumVisibility(f)
		evs = append(evs, []event.Event{
			{Type: event.TopicCreated, ActorID: a.ID, ForumID: f.ID, TopicID: t.ID, PostID: p.ID, Visibility: vis,
				Payload: map[string]any{"title": t.Title, "kind": string(t.Kind), "tags": tags}},
			{Type: event.PostCreated, ActorID: a.ID, ForumID: f.ID, TopicID: t.ID, PostID: p.ID, Visibility: vis,
				Payload: postPayload(p, refs, t.Title)},
		}...)
		return append(evs, attached...), nil
	})
	if err != nil {
		return nil, nil, err
	}
	tv, err := s.Topic(ctx, a, t.ID, false)
	return tv, p, err
}

func ensureTags(ctx context.Context, tx *ent.Tx, names []string) ([]int, error) {
	if len(names) == 0 {
		return nil, nil
	}
	for _, n := range names {
		if err := tx.Tag.Create().SetName(n).OnConflictColumns(tag.FieldName).Ignore().Exec(ctx); err != nil {
			return nil, err
		}
	}
	ids, err := tx.Tag.Query().Where(tag.NameIn(names...)).IDs(ctx)
	if err != nil {
		return nil, err
	}
	if err := tx.Tag.Update().Where(tag.IDIn(ids...)).AddTopicCount(1).Exec(ctx); err != nil {
		return nil, err
	}
	return ids, nil
}

// Topic returns a topic the actor may read; view counts it as a view.
func (s *Service) Topic(ctx context.Context, a authz.Actor, id int, view bool) (*TopicView, error) {
	return s.topicView(ctx, a, id, view, true)
}

// topicView is Topic; without full, it leaves out the tags and the
// reader's state (PostQuery.Bare).
func (s *Service) topicView(ctx context.Context, a authz.Actor, id int, view, full bool) (*TopicView, error) {
	q := s.db.Topic.Query().Where(topic.ID(id))
	if full {
		q.WithTags()
	}
	t, err := s.readableTopic(ctx, a, q)
	if err != nil {
		return nil, err
	}
	if view {
		s.views.add(t.ID)
	}
	t.ViewCount += s.views.pending(t.ID)
	tv := &TopicView{Topic: t}
	if !full {
		return tv, nil
	}
	for _, tg := range t.Edges.Tags {
		tv.Tags = append(tv.Tags, tg.Name)
	}
	if !a.Guest() {
		tu, err := s.db.TopicUser.Query().Where(topicuser.UserID(a.ID), topicuser.TopicID(id)).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, apperr.Internal("get topic", err)
		}
		if tu != nil {
			tv.LastRead, tv.Level = tu.LastReadPostNumber, string(tu.Level)
		} else {
			tv.Level = string(topicuser.LevelNormal)
		}
	}
	return tv, nil
}

// TopicPage is one page of a topic listing.
type TopicPage struct {
	Pinned []*TopicView // pinned topics, on the first page only
	Topics []*TopicView
	Next   string // cursor of the next page; empty at the end
}

// Sorts of topic listings.
const (
	SortLatest = "latest" // by last activity
	SortNew    = "new"    // by creation
	SortTop    = "top"    // by replies + reactions, among topics created in a period
)

// topPeriods maps the period parameter of the top listing to its length.
var topPeriods = map[string]time.Duration{
	"day": 24 * time.Hour, "week": 7 * 24 * time.Hour, "month": 30 * 24 * time.Hour,
	"year": 365 * 24 * time.Hour, "all": 0,
}

// ListQuery asks for a page of a forum's topics.
type ListQuery struct {
	Sort   string
	Period string // for SortTop: day, week, month (default), year, all
	Cursor string
	Limit  int
	Tag    string
}

// Topics lists a forum's topics, pinned ones first on the first page.
func (s *Service) Topics(ctx context.Context, a authz.Actor, forumID int, q ListQuery) (*TopicPage, error) {
	f, err := s.forum(ctx, a, forumID, false)
	if err != nil {
		return nil, err
	}
	if q.Sort == "" {
		q.Sort = SortLatest
	}
	if q.Sort != SortLatest && q.Sort != SortNew && q.Sort != SortTop {
		return nil, apperr.Validation(map[string]string{"sort": "must be latest, new or top"})
	}
	if q.Period == "" {
		q.Period = "month"
	}
	period, ok := topPeriods[q.Period]
	if !ok {
		return nil, apperr.Validation(map[string]string{"period": "must be day, week, month, year or all"})
	}
	limit := s.pageSize(q.Limit)
	base := s.db.Topic.Query().Where(topic.ForumID(f.ID))
	if !a.Moderates(f.ID) {
		base = base.Where(authz.VisibleTopics(a))
	}
	if q.Tag != "" {
		base = base.Where(topic.HasTagsWith(tag.Name(strings.ToLower(q.Tag))))
	}
	page := &TopicPage{}
	var cur cursor
	if q.Cursor != "" {
		if cur, err = decodeCursor(q.Cursor, q.Sort); err != nil {
			return nil, err
		}
	} else if q.Sort == SortLatest {
		pinned, err := base.Clone().Where(topic.Or(topic.Pinned(true), topic.PinnedGlobally(true))).
			Order(ent.Desc(topic.FieldLastPostedAt), ent.Desc(topic.FieldID)).Limit(50).WithTags().All(ctx)
		if err != nil {
			return nil, apperr.Internal("list topics", err)
		}
		if page.Pinned, err = s.views_(ctx, a, pinned); err != nil {
			return nil, err
		}
	}
	lq := base.Clone()
	switch q.Sort {
	case SortLatest:
		lq = lq.Where(topic.Pinned(false), topic.PinnedGlobally(false))
		if q.Cursor != "" {
			at := time.Unix(0, cur.Key)
			lq = lq.Where(topic.Or(topic.LastPostedAtLT(at), topic.And(topic.LastPostedAt(at), topic.IDLT(cur.ID))))
		}
		lq = lq.Order(ent.Desc(topic.FieldLastPostedAt), ent.Desc(topic.FieldID))
	case SortNew:
		if q.Cursor != "" {
			at := time.Unix(0, cur.Key)
			lq = lq.Where(topic.Or(topic.CreatedAtLT(at), topic.And(topic.CreatedAt(at), topic.IDLT(cur.ID))))
		}
		lq = lq.Order(ent.Desc(topic.FieldCreatedAt), ent.Desc(topic.FieldID))
	case SortTop:
		since := int64(0)
		if q.Cursor != "" {
			since = cur.Since
		} else if period > 0 {
			since = s.now().Add(-period).UnixNano()
		}
		if since > 0 {
			lq = lq.Where(topic.CreatedAtGTE(time.Unix(0, since)))
		}
		cur.Since = since
		if q.Cursor != "" {
			k, id := cur.Key, cur.ID
			lq = lq.Where(func(sel *sql.Selector) {
				score := "(" + sel.C(topic.FieldReplyCount) + " + " + sel.C(topic.FieldReactionCount) + ")"
				cmp := func(op string) *sql.Predicate {
					return sql.P(func(b *sql.Builder) { b.WriteString(score + " " + op + " ").Arg(k) })
				}
				sel.Where(sql.Or(cmp("<"), sql.And(cmp("="), sql.LT(sel.C(topic.FieldID), id))))
			})
		}
		lq = lq.Order(func(sel *sql.Selector) {
			sel.OrderExpr(sql.Expr("(" + sel.C(topic.FieldReplyCount) + " + " + sel.C(topic.FieldReactionCount) + ") DESC"))
		}, ent.Desc(topic.FieldID))
	}
	ts, err := lq.Limit(limit + 1).WithTags().All(ctx)
	if err != nil {
		return nil, apperr.Internal("list topics", err)
	}
	if len(ts) > limit {
		ts = ts[:limit]
		last := ts[len(ts)-1]
		next := cursor{Sort: q.Sort, ID: last.ID, Since: cur.Since}
		switch q.Sort {
		case SortLatest:
			next.Key = last.LastPostedAt.UnixNano()
		case SortNew:
			next.Key = last.CreatedAt.UnixNano()
		case SortTop:
			next.Key = int64(last.ReplyCount + last.ReactionCount)
		}
		page.Next = next.encode()
	}
	if page.Topics, err = s.views_(ctx, a, ts); err != nil {
		return nil, err
	}
	return page, nil
}

// views_ wraps topics with tags and the actor's read state, in one query.
func (s *Service) views_(ctx context.Context, a authz.Actor, ts []*ent.Topic) ([]*TopicView, error) {
	out := make([]*TopicView, len(ts))
	ids := make([]int, len(ts))
	for i, t := range ts {
		t.ViewCount += s.views.pending(t.ID)
		out[i] = &TopicView{Topic: t}
		for _, tg := range t.Edges.Tags {
			out[i].Tags = append(out[i].Tags, tg.Name)
		}
		ids[i] = t.ID
	}
	if a.Guest() || len(ts) == 0 {
		return out, nil
	}
	tus, err := s.db.TopicUser.Query().Where(topicuser.UserID(a.ID), topicuser.TopicIDIn(ids...)).All(ctx)
	if err != nil {
		return nil, apperr.Internal("read state", err)
	}
	byTopic := make(map[int]*ent.TopicUser, len(tus))
	for _, tu := range tus {
		byTopic[tu.TopicID] = tu
	}
	for _, v := range out {
		v.Level = string(topicuser.LevelNormal)
		if tu := byTopic[v.ID]; tu != nil {
			v.LastRead, v.Level = tu.LastReadPostNumber, string(tu.Level)
		}
	}
	return out, nil
}

// TopicPatch changes a topic; nil fields are left alone. Authors may change
// title, tags and kind within the edit window; the rest is for moderators.
type TopicPatch struct {
	Title          *string
	Tags           *[]string
	Kind           *string
	Pinned         *bool
	PinnedGlobally *bool
	Locked         *bool
	Closed         *bool
	Archived       *bool
	ForumID        *int
}

// UpdateTopic applies p to a topic.
func (s *Service) UpdateTopic(ctx context.Context, a authz.Actor, id int, p TopicPatch) (*TopicView, error) {
	tv, err := s.Topic(ctx, a, id, false)
	if err != nil {
		return nil, err
	}
	t := tv.Topic
	mod := authz.CanModerateTopic(a, t.ForumID)
	problems := map[string]string{}
	if p.Title != nil {
		*p.Title = strings.TrimSpace(*p.Title)
		checkText("title", *p.Title, s.limits.TitleMin, s.limits.TitleMax, false, problems)
	}
	var tags []string
	if p.Tags != nil {
		tags = s.normalizeTags(*p.Tags, problems)
	}
	if p.Kind != nil && topic.KindValidator(topic.Kind(*p.Kind)) != nil {
		problems["kind"] = "must be discussion or question"
	}
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	authorEdit := p.Title != nil || p.Tags != nil || p.Kind != nil
	modEdit := p.Pinned != nil || p.PinnedGlobally != nil || p.Locked != nil || p.Closed != nil || p.Archived != nil || p.ForumID != nil
	if !mod {
		if modEdit {
			return nil, apperr.Forbidden("forbidden", "only moderators pin, lock, close, archive or move topics")
		}
		first, err := s.db.Post.Query().Where(post.TopicID(id), post.PostNumber(1)).Only(ctx)
		if err != nil {
			return nil, apperr.Internal("update topic", err)
		}
		if authorEdit && !authz.CanEditPost(a, t.ForumID, t, first, s.now(), s.limits.EditWindow) {
			return nil, apperr.Forbidden("forbidden", "you may not edit this topic")
		}
	}
	if p.PinnedGlobally != nil && !a.Admin() {
		return nil, apperr.Forbidden("forbidden", "only administrators pin topics globally")
	}
	var dest *ent.Forum
	if p.ForumID != nil && *p.ForumID != t.ForumID {
		if dest, err = s.forum(ctx, a, *p.ForumID, false); err != nil {
			return nil, apperr.Validation(map[string]string{"forum_id": "no such forum"})
		}
		if !a.Moderates(dest.ID) {
			return nil, apperr.Forbidden("forbidden", "you do not moderate the destination forum")
		}
		if dest.Kind == forum.KindFeedback || tv.Edges.Forum.Kind == forum.KindFeedback {
			return nil, apperr.Conflict("feedback_board", "topics do not move into or out of feedback boards")
		}
	}
	err = s.tx(ctx, "update topic", func(tx *ent.Tx) ([]event.Event, error) {
		u := tx.Topic.UpdateOneID(id)
		var changes []string
		set := func(name string, v *bool, fn func(bool) *ent.TopicUpdateOne) {
			if v != nil {
				fn(*v)
				changes = append(changes, name)
			}
		}
		if p.Title != nil && *p.Title != t.Title {
			u.SetTitle(*p.Title)
			changes = append(changes, "title")
		}
		if p.Kind != nil {
			u.SetKind(topic.Kind(*p.Kind))
			changes = append(changes, "kind")
		}
		set("pinned", p.Pinned, u.SetPinned)
		set("pinned_globally", p.PinnedGlobally, u.SetPinnedGlobally)
		set("locked", p.Locked, u.SetLocked)
		set("closed", p.Closed, u.SetClosed)
		set("archived", p.Archived, u.SetArchived)
		if p.Tags != nil {
			old, err := tx.Topic.QueryTags(t).IDs(ctx)
			if err != nil {
				return nil, err
			}
			if len(old) > 0 {
				if err := tx.Tag.Update().Where(tag.IDIn(old...)).AddTopicCount(-1).Exec(ctx); err != nil {
					return nil, err
				}
			}
			ids, err := ensureTags(ctx, tx, tags)
			if err != nil {
				return nil, err
			}
			u.ClearTags().AddTagIDs(ids...)
			changes = append(changes, "tags")
		}
		vis := forumVisibility(tv.Edges.Forum)
		var evs []event.Event
		if dest != nil {
			u.SetForumID(dest.ID)
			posts := t.ReplyCount + 1
			if err := tx.Forum.UpdateOneID(t.ForumID).AddTopicCount(-1).AddPostCount(-posts).Exec(ctx); err != nil {
				return nil, err
			}
			if err := tx.Forum.UpdateOneID(dest.ID).AddTopicCount(1).AddPostCount(posts).Exec(ctx); err != nil {
				return nil, err
			}
			evs = append(evs, event.Event{Type: event.TopicMoved, ActorID: a.ID, ForumID: dest.ID, TopicID: id, Visibility: strictest(vis, forumVisibility(dest)),
				Payload: map[string]any{"from_forum_id": t.ForumID, "to_forum_id": dest.ID}})
		}
		if err := u.Exec(ctx); err != nil {
			return nil, err
		}
		if len(changes) > 0 {
			evs = append(evs, event.Event{Type: event.TopicUpdated, ActorID: a.ID, ForumID: t.ForumID, TopicID: id, Visibility: vis,
				Payload: map[string]any{"changes": changes}})
		}
		return evs, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Topic(ctx, a, id, false)
}

// strictest returns the narrower of two visibilities.
func strictest(a, b string) string {
	switch {
	case a == b || b == event.Public:
		return a
	case a == event.Public, a == event.Members:
		return b
	case b == event.Members:
		return a
	}
	// Two different scopes (say two groups): a topic that moves goes to
	// the destination's audience; the source's loses it anyway.
	return b
}

// AcceptAnswer marks postID as the accepted answer of a question topic (the
// topic's author or a moderator); postID 0 clears it.
func (s *Service) AcceptAnswer(ctx context.Context, a authz.Actor, topicID, postID int) (*TopicView, error) {
	tv, err := s.Topic(ctx, a, topicID, false)
	if err != nil {
		return nil, err
	}
	t := tv.Topic
	if !authz.CanAcceptAnswer(a, t, t.ForumID) {
		if a.Guest() {
			return nil, apperr.Unauthenticated("unauthenticated", "sign in first")
		}
		return nil, apperr.Forbidden("forbidden", "only the topic's author or a moderator accepts answers")
	}
	if t.Kind != topic.KindQuestion {
		return nil, apperr.Conflict("not_a_question", "only question topics have accepted answers")
	}
	var answer *ent.Post
	if postID != 0 {
		answer, err = s.db.Post.Get(ctx, postID)
		switch {
		case ent.IsNotFound(err):
			return nil, apperr.Validation(map[string]string{"post_id": "no such post"})
		case err != nil:
			return nil, apperr.Internal("accept answer", err)
		case answer.TopicID != topicID:
			return nil, apperr.Validation(map[string]string{"post_id": "the post belongs to another topic"})
		case answer.PostNumber == 1:
			return nil, apperr.Validation(map[string]string{"post_id": "the opening post cannot be the answer"})
		case answer.DeletedAt != nil:
			return nil, apperr.Validation(map[string]string{"post_id": "the post is deleted"})
		}
	}
	err = s.tx(ctx, "accept answer", func(tx *ent.Tx) ([]event.Event, error) {
		u := tx.Topic.UpdateOneID(topicID)
		payload := map[string]any{"post_id": postID}
		if answer == nil {
			u.ClearAcceptedPostID()
		} else {
			u.SetAcceptedPostID(answer.ID)
			payload["answerer_id"] = answer.UserID
			payload["post_number"] = answer.PostNumber
			payload["topic_title"] = t.Title
		}
		if err := u.Exec(ctx); err != nil {
			return nil, err
		}
		return []event.Event{{Type: event.TopicAccepted, ActorID: a.ID, ForumID: t.ForumID, TopicID: topicID, PostID: postID,
			UserID: payloadUser(answer), Visibility: forumVisibility(tv.Edges.Forum), Payload: payload}}, nil
	})
	if err != nil {
		return nil, err
	}
	return s.Topic(ctx, a, topicID, false)
}

func payloadUser(p *ent.Post) int {
	if p == nil {
		return 0
	}
	return p.UserID
}
