// Package discovery is search as the product uses it: an outbox consumer
// that keeps the search index in step with the database, a rebuild that
// refills it from scratch, and queries that apply the caller's access and
// hydrate hits from the database, where access is checked again.
package discovery

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/feedbackitem"
	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/ent/group"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/markup"
	"github.com/crn-dev/crn/internal/search"
)

// Renderer extracts a post's plain text.
type Renderer interface {
	Render(src string) markup.Result
}

// Indexer is the outbox consumer that feeds the search index. If the index
// is down, Handle fails and the relay retries the same events later, so
// writes never wait for search and no update is lost.
type Indexer struct {
	db     *ent.Client
	index  search.Index
	render Renderer
}

// NewIndexer returns the consumer.
func NewIndexer(db *ent.Client, index search.Index, r Renderer) *Indexer {
	return &Indexer{db: db, index: index, render: r}
}

// ConsumerName is the indexer's outbox cursor name.
const ConsumerName = "search"

// Name implements event.Consumer.
func (*Indexer) Name() string { return ConsumerName }

// indexLinger is how long the relay lets events gather before the indexer
// reads them (event.Lingerer): every index write becomes a segment that the
// embedded index later merges, so under a stream of posts fewer, larger
// writes cost far less CPU. Search results lag the database by about this.
const indexLinger = time.Second

// Linger implements event.Lingerer.
func (*Indexer) Linger() time.Duration { return indexLinger }

// batchSize bounds documents per index write.
const batchSize = 500

// Handle implements event.Consumer: it works out which documents the
// events touched and rewrites them from the database's current state.
func (ix *Indexer) Handle(ctx context.Context, evs []event.Event) error {
	posts, topics, users, groups := map[int]bool{}, map[int]bool{}, map[int]bool{}, map[int]bool{}
	var wholeTopics, wholeForums []int
	for _, e := range evs {
		switch e.Type {
		case event.PostCreated, event.PostEdited, event.PostDeleted, event.PostRestored, event.ReactionAdded, event.ReactionRemoved,
			event.PostHidden, event.PostUnhidden, event.PostApproved:
			posts[e.PostID] = true
			topics[e.TopicID] = true // counts, and the opening post is the topic's body
		case event.TopicCreated, event.TopicAccepted:
			topics[e.TopicID] = true
		case event.TopicUpdated, event.TopicMoved:
			// The title, forum and visibility are copied into every post.
			wholeTopics = append(wholeTopics, e.TopicID)
		case event.TopicMerged, event.TopicSplit:
			// Posts moved between the two topics.
			wholeTopics = append(wholeTopics, payloadInt(e.Payload["source_topic_id"]), payloadInt(e.Payload["target_topic_id"]))
		case event.ForumUpdated, event.ForumDeleted:
			wholeForums = append(wholeForums, e.ForumID)
		case event.UserCreated, event.UserUpdated, event.UserSuspended, event.UserUnsuspended:
			users[e.UserID] = true
		case event.GroupCreated:
			groups[e.GroupID] = true
		case event.GroupMemberJoined, event.GroupMemberLeft, event.GroupMemberRemoved, event.GroupMemberBanned:
			groups[e.GroupID] = true // the member count
		case event.GroupUpdated, event.GroupDeleted:
			groups[e.GroupID] = true
			// A group's visibility is copied into its forums' documents.
			ids, err := ix.db.Forum.Query().Where(forum.GroupID(e.GroupID)).IDs(ctx)
			if err != nil {
				return fmt.Errorf("index: %w", err)
			}
			wholeForums = append(wholeForums, ids...)
		case event.FeedbackCreated, event.FeedbackStatusChanged, event.FeedbackVoted, event.FeedbackUnvoted:
			topics[e.TopicID] = true // type, status and vote count
		case event.FeedbackUpdated:
			wholeTopics = append(wholeTopics, e.TopicID) // areas are the tags, copied into posts
		case event.FeedbackMerged, event.FeedbackUnmerged:
			// Votes moved between the item and its target and the
			// target's own targets: refresh the whole chain's counts.
			topics[e.TopicID] = true
			for _, k := range []string{"into", "from"} {
				if id := payloadInt(e.Payload[k]); id > 0 {
					topics[id] = true
				}
			}
			ids, err := feedbackChain(ctx, ix.db, e.TopicID)
			if err != nil {
				return fmt.Errorf("index: %w", err)
			}
			for _, id := range ids {
				topics[id] = true
			}
		}
	}
	if len(wholeForums) > 0 {
		ids, err := ix.db.Topic.Query().Where(topic.ForumIDIn(wholeForums...)).IDs(ctx)
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		wholeTopics = append(wholeTopics, ids...)
	}
	for _, tid := range wholeTopics {
		topics[tid] = true
		ids, err := ix.db.Post.Query().Where(post.TopicID(tid)).IDs(ctx)
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		for _, id := range ids {
			posts[id] = true
		}
	}
	// One index write for the whole batch when it fits (each write is a
	// segment to merge later), otherwise one per batchSize documents.
	var docs []search.Doc
	flush := func() error {
		if len(docs) < batchSize {
			return nil
		}
		err := ix.index.Upsert(ctx, docs...)
		docs = docs[:0]
		return err
	}
	for _, batch := range chunks(keys(topics)) {
		ts, err := ix.db.Topic.Query().Where(topic.IDIn(batch...)).WithForum(withGroup).WithTags().All(ctx)
		if err != nil {
			return fmt.Errorf("index topics: %w", err)
		}
		d, err := ix.topicDocs(ctx, ts)
		if err != nil {
			return err
		}
		docs = append(docs, d...)
		if err := flush(); err != nil {
			return err
		}
	}
	for _, batch := range chunks(keys(posts)) {
		ps, err := ix.db.Post.Query().Where(post.IDIn(batch...)).All(ctx)
		if err != nil {
			return fmt.Errorf("index posts: %w", err)
		}
		d, err := ix.postDocs(ctx, ps)
		if err != nil {
			return err
		}
		docs = append(docs, d...)
		if err := flush(); err != nil {
			return err
		}
	}
	for _, batch := range chunks(keys(groups)) {
		gs, err := ix.db.Group.Query().Where(group.IDIn(batch...)).All(ctx)
		if err != nil {
			return fmt.Errorf("index groups: %w", err)
		}
		docs = append(docs, groupDocs(gs)...)
		if err := flush(); err != nil {
			return err
		}
	}
	for _, batch := range chunks(keys(users)) {
		us, err := ix.db.User.Query().Where(user.IDIn(batch...)).All(ctx)
		if err != nil {
			return fmt.Errorf("index users: %w", err)
		}
		docs = append(docs, userDocs(us)...)
		if err := flush(); err != nil {
			return err
		}
	}
	if len(docs) > 0 {
		if err := ix.index.Upsert(ctx, docs...); err != nil {
			return err
		}
	}
	return ix.indexResources(ctx, evs)
}

// visibility is who may read a forum's content, as the index filters it;
// f's group must be loaded (withGroup).
func visibility(f *ent.Forum) string { return authz.ForumContentVisibility(f) }

// withGroup loads a forum's group with it.
func withGroup(q *ent.ForumQuery) { q.WithGroup() }

func groupOf(f *ent.Forum) int {
	if f.GroupID == nil {
		return 0
	}
	return *f.GroupID
}

func topicDocID(id int) string { return "topic-" + strconv.Itoa(id) }
func postDocID(id int) string  { return "post-" + strconv.Itoa(id) }
func userDocID(id int) string  { return "user-" + strconv.Itoa(id) }
func groupDocID(id int) string { return "group-" + strconv.Itoa(id) }

// topicDocs builds topic documents; ts must have their forum and tags loaded.
func (ix *Indexer) topicDocs(ctx context.Context, ts []*ent.Topic) ([]search.Doc, error) {
	if len(ts) == 0 {
		return nil, nil
	}
	ids := make([]int, len(ts))
	authors := make([]int, len(ts))
	for i, t := range ts {
		ids[i], authors[i] = t.ID, t.UserID
	}
	firsts, err := ix.db.Post.Query().Where(post.TopicIDIn(ids...), post.PostNumber(1)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("index topics: %w", err)
	}
	body := map[int]string{}
	for _, p := range firsts {
		body[p.TopicID] = ix.render.Render(p.Source).Text
	}
	names, err := usernames(ctx, ix.db, authors)
	if err != nil {
		return nil, err
	}
	// Topics that are feedback items are indexed as type feedback with
	// their status and votes. Internal notes, priority and estimates are
	// never read here.
	items, err := ix.db.FeedbackItem.Query().Where(feedbackitem.IDIn(ids...)).
		Select(feedbackitem.FieldID, feedbackitem.FieldStatus, feedbackitem.FieldVoteCount).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("index topics: %w", err)
	}
	feedback := make(map[int]*ent.FeedbackItem, len(items))
	for _, it := range items {
		feedback[it.ID] = it
	}
	out := make([]search.Doc, 0, len(ts))
	for _, t := range ts {
		f := t.Edges.Forum
		tags := make([]string, 0, len(t.Edges.Tags))
		for _, tg := range t.Edges.Tags {
			tags = append(tags, tg.Name)
		}
		doc := search.Doc{
			ID: topicDocID(t.ID), Type: search.TypeTopic, Title: t.Title, Body: body[t.ID],
			Username: names[t.UserID], AuthorID: t.UserID, ForumID: t.ForumID, TopicID: t.ID, GroupID: groupOf(f), Tags: tags,
			Visibility: visibility(f), Deleted: t.DeletedAt != nil || t.HiddenAt != nil || f.DeletedAt != nil,
			Votes: t.ReactionCount, CreatedAt: t.CreatedAt, UpdatedAt: t.LastPostedAt,
		}
		if it := feedback[t.ID]; it != nil {
			doc.Type, doc.Status, doc.Votes = search.TypeFeedback, string(it.Status), it.VoteCount
		}
		out = append(out, doc)
	}
	return out, nil
}

// postDocs builds post documents with their topic's title, forum and tags.
func (ix *Indexer) postDocs(ctx context.Context, ps []*ent.Post) ([]search.Doc, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	tids := make([]int, 0, len(ps))
	authors := make([]int, 0, len(ps))
	for _, p := range ps {
		tids = append(tids, p.TopicID)
		authors = append(authors, p.UserID)
	}
	ts, err := ix.db.Topic.Query().Where(topic.IDIn(tids...)).WithForum(withGroup).WithTags().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("index posts: %w", err)
	}
	byID := make(map[int]*ent.Topic, len(ts))
	for _, t := range ts {
		byID[t.ID] = t
	}
	names, err := usernames(ctx, ix.db, authors)
	if err != nil {
		return nil, err
	}
	out := make([]search.Doc, 0, len(ps))
	for _, p := range ps {
		t := byID[p.TopicID]
		if t == nil {
			continue
		}
		f := t.Edges.Forum
		tags := make([]string, 0, len(t.Edges.Tags))
		for _, tg := range t.Edges.Tags {
			tags = append(tags, tg.Name)
		}
		updated := p.CreatedAt
		if p.EditedAt != nil {
			updated = *p.EditedAt
		}
		out = append(out, search.Doc{
			ID: postDocID(p.ID), Type: search.TypePost, Title: t.Title, Body: ix.render.Render(p.Source).Text,
			Username: names[p.UserID], AuthorID: p.UserID, ForumID: t.ForumID, TopicID: t.ID, GroupID: groupOf(f), Tags: tags,
			// Pending and hidden posts stay out of search like deleted ones.
			Visibility: visibility(f), Deleted: p.DeletedAt != nil || p.Pending || p.HiddenAt != nil || t.DeletedAt != nil || t.HiddenAt != nil || f.DeletedAt != nil,
			Votes: p.ReactionCount, CreatedAt: p.CreatedAt, UpdatedAt: updated,
		})
	}
	return out, nil
}

// userDocs builds profile documents; suspended users are hidden.
func userDocs(us []*ent.User) []search.Doc {
	out := make([]search.Doc, 0, len(us))
	for _, u := range us {
		out = append(out, search.Doc{
			ID: userDocID(u.ID), Type: search.TypeUser, Title: u.DisplayName, Body: u.Bio, Username: u.Username,
			Visibility: event.Public, Deleted: u.Status == user.StatusSuspended, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		})
	}
	return out
}

// groupDocs builds group documents: anyone finds public and restricted
// groups, members only private ones; deleted groups are hidden.
func groupDocs(gs []*ent.Group) []search.Doc {
	out := make([]search.Doc, 0, len(gs))
	for _, g := range gs {
		vis := event.Public
		if string(g.Visibility) == authz.GroupPrivate {
			vis = event.GroupOnly(g.ID)
		}
		out = append(out, search.Doc{
			ID: groupDocID(g.ID), Type: search.TypeGroup, Title: g.Name, Body: g.Description, GroupID: g.ID,
			Visibility: vis, Deleted: g.DeletedAt != nil, Votes: g.MemberCount, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt,
		})
	}
	return out
}

func usernames(ctx context.Context, db *ent.Client, ids []int) (map[int]string, error) {
	us, err := db.User.Query().Where(user.IDIn(dedupe(ids)...)).Select(user.FieldUsername).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("index: usernames: %w", err)
	}
	out := make(map[int]string, len(us))
	for _, u := range us {
		out[u.ID] = u.Username
	}
	return out, nil
}

func keys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		if k != 0 {
			out = append(out, k)
		}
	}
	return out
}

func dedupe(ids []int) []int {
	seen := map[int]bool{}
	out := make([]int, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func chunks(ids []int) [][]int {
	var out [][]int
	for len(ids) > 0 {
		n := min(batchSize, len(ids))
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	return out
}

// feedbackChain returns the items a feedback item is merged into, and those
// merged into it, whose vote counts a merge or unmerge may have changed.
func feedbackChain(ctx context.Context, db *ent.Client, id int) ([]int, error) {
	var out []int
	seen := map[int]bool{id: true}
	frontier := []int{id}
	for len(frontier) > 0 && len(out) < 1000 {
		its, err := db.FeedbackItem.Query().Where(feedbackitem.Or(feedbackitem.IDIn(frontier...), feedbackitem.DuplicateOfIn(frontier...))).
			Select(feedbackitem.FieldID, feedbackitem.FieldDuplicateOf).All(ctx)
		if err != nil {
			return nil, err
		}
		frontier = frontier[:0]
		for _, it := range its {
			for _, x := range []int{it.ID, derefInt(it.DuplicateOf)} {
				if x != 0 && !seen[x] {
					seen[x] = true
					out = append(out, x)
					frontier = append(frontier, x)
				}
			}
		}
	}
	return out, nil
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// payloadInt reads a JSON number from an event payload.
func payloadInt(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case int64:
		return int(n)
	}
	return 0
}
