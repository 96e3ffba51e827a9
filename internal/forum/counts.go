package forum

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/forum"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/internal/event"
)

// countsDeferred is the post.created payload key by which a reply says the
// forum's counters do not include it yet: CountsConsumer adds it.
const countsDeferred = "forum_counts_deferred"

// CountsConsumer keeps forums' post_count and last_posted_at, and topics'
// last_posted_at and last_poster_id, for new replies, off the request (for
// topics, see bumpTopic): every reply in a forum would otherwise update
// the forum's one row, and on PostgreSQL hold its lock until its commit, so
// a forum's replies committed one at a time, each waiting for the one
// before (measured: 10 of 16 writers queued on it in the load test, and
// PostgreSQL's CPU per post halved without it). It is a TxConsumer, so each
// reply is counted exactly once, in the transaction that moves the
// consumer's position; a batch makes one update per forum. The counts
// follow the replies by the relay's delay (its linger, 250 ms, plus the
// poll); then forum.counts_updated tells caches and clients. Topics, moves,
// deletions and approvals still change the counters in their own
// transactions: they are rare. A topic moved in the moment between a reply
// and its counting takes the reply's count along at once, and the reply is
// added to the forum it was posted in a moment later: the old forum reads
// one less for that moment, then both are right.
type CountsConsumer struct {
	Postgres bool
	// DB, when set on PostgreSQL, takes the topics' last-activity updates each in a
	// statement of its own before the batch's transaction (they are
	// idempotent: a later time only). In the transaction, a busy topic's
	// row would stay locked, and its replies queued, while the consumer
	// waited for the next topic's lock and then for its commit (p99 of
	// the write load test: 137 ms instead of 70).
	DB *ent.Client
}

// Name implements event.Consumer.
func (CountsConsumer) Name() string { return "forum-counts" }

// Linger implements event.Lingerer: a busy forum gets one update for a
// quarter second's replies.
func (CountsConsumer) Linger() time.Duration { return 250 * time.Millisecond }

// Handle implements event.Consumer; the relay uses HandleTx.
func (CountsConsumer) Handle(context.Context, []event.Event) error {
	return fmt.Errorf("forum counts: use HandleTx")
}

// topicActivity is a topic's latest deferred reply in a batch.
type topicActivity struct {
	last   time.Time
	poster int
	forum  int // the forum whose counts_updated event names the topic
}

type forumCounts struct {
	posts      int
	last       time.Time
	visibility string
	groupID    int
}

// HandleTx implements event.TxConsumer.
func (c CountsConsumer) HandleTx(ctx context.Context, tx *ent.Tx, evs []event.Event) error {
	by := map[int]*forumCounts{}
	topics := map[int]*topicActivity{}
	for _, e := range evs {
		if e.Type != event.PostCreated || e.ForumID == 0 || e.Payload[countsDeferred] != true {
			continue
		}
		fc := by[e.ForumID]
		if fc == nil {
			fc = &forumCounts{}
			by[e.ForumID] = fc
		}
		fc.posts++
		if at := postedAt(e); at.After(fc.last) {
			fc.last = at
		}
		fc.visibility, fc.groupID = e.Visibility, e.GroupID
		if e.TopicID != 0 {
			ta := topics[e.TopicID]
			if ta == nil {
				ta = &topicActivity{}
				topics[e.TopicID] = ta
			}
			if at := postedAt(e); !at.Before(ta.last) {
				ta.last, ta.poster, ta.forum = at, e.ActorID, e.ForumID
			}
		}
	}
	if len(by) == 0 {
		return nil
	}
	// Topics first, in id order, then forums: the order a topic move
	// takes its locks in, so the two never deadlock (when DB is set, the
	// topics' updates commit one by one before any forum is touched).
	tids := make([]int, 0, len(topics))
	for id := range topics {
		tids = append(tids, id)
	}
	slices.Sort(tids)
	topicRows := tx.Topic
	if c.DB != nil && c.Postgres { // SQLite's one writer is this transaction
		topicRows = c.DB.Topic
	}
	touched := map[int][]int{} // forum -> topics whose activity moved
	for _, id := range tids {
		ta := topics[id]
		n, err := topicRows.Update().Where(topic.ID(id), topic.LastPostedAtLT(ta.last)).
			SetLastPostedAt(ta.last).SetLastPosterID(ta.poster).Save(ctx)
		if err != nil {
			return fmt.Errorf("forum counts: topic %d: %w", id, err)
		}
		if n > 0 {
			touched[ta.forum] = append(touched[ta.forum], id)
		}
	}
	ids := make([]int, 0, len(by))
	for id := range by {
		ids = append(ids, id)
	}
	slices.Sort(ids) // one lock order for every batch
	var out []event.Event
	for _, id := range ids {
		fc := by[id]
		n, err := tx.Forum.Update().Where(forum.ID(id)).AddPostCount(fc.posts).Save(ctx)
		if err != nil {
			return fmt.Errorf("forum counts: forum %d: %w", id, err)
		}
		if n == 0 {
			continue // the forum is gone
		}
		if err := tx.Forum.Update().Where(forum.ID(id), forum.Or(forum.LastPostedAtIsNil(), forum.LastPostedAtLT(fc.last))).
			SetLastPostedAt(fc.last).Exec(ctx); err != nil {
			return fmt.Errorf("forum counts: forum %d: %w", id, err)
		}
		out = append(out, event.Event{Type: event.ForumCountsUpdated, ForumID: id, GroupID: fc.groupID,
			Visibility: fc.visibility, Payload: map[string]any{"posts_added": fc.posts, "topic_ids": touched[id]}})
	}
	return event.Record(ctx, tx, c.Postgres, out...)
}

// postedAt is when the reply was posted: its payload says so; the event's
// own time (a moment later, at most) stands in for older events.
func postedAt(e event.Event) time.Time {
	if s, ok := e.Payload["posted_at"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t
		}
	}
	return e.CreatedAt
}
