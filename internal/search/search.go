// Package search finds topics, posts and people. The Index interface has two
// implementations: an embedded full-text index stored under the data
// directory (the default) and Meilisearch. The index is derived from the
// database and fed by the outbox, so it can always be rebuilt; results are
// ids that callers hydrate from the database, where access is checked again.
package search

import (
	"context"
	"time"
)

// Document types.
const (
	TypeTopic = "topic"
	TypePost  = "post"
	TypeUser  = "user"
	TypeGroup = "group"

	TypeResource = "resource" // a shared resource; Status holds its kind
	// TypeFeedback is a topic that is a feedback item (doc id "topic-<id>"),
	// with its status and vote count.
	TypeFeedback = "feedback"
)

// Doc is one searchable document. IDs are "<type>-<id>" (e.g. "post-12"),
// which both backends accept as primary keys.
type Doc struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Title      string    `json:"title"`      // topic title; for posts, their topic's; for users, the display name
	Body       string    `json:"body"`       // plain text: a post's text, a topic's opening post, a user's bio
	Username   string    `json:"username"`   // the author (or the user)
	AuthorID   int       `json:"author_id"`  // 0 for users
	ForumID    int       `json:"forum_id"`   // 0 when not in a forum
	TopicID    int       `json:"topic_id"`   // for topics and posts
	GroupID    int       `json:"group_id"`   // 0 when not in a group
	Tags       []string  `json:"tags"`       // lowercase
	Status     string    `json:"status"`     // free-form state to filter on (e.g. a feedback item's status); may be empty
	Visibility string    `json:"visibility"` // "public", "members", "staff" or "group:<id>"
	Deleted    bool      `json:"deleted"`    // deleted or hidden: only those who may see deleted content find it
	Votes      int       `json:"votes"`      // reactions on posts and topics, votes on feedback
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Access is what the caller may see, enforced inside the engine so that
// totals and facets are right.
type Access struct {
	// Visibilities the caller may read, e.g. ["public"] for guests,
	// ["public", "members"] for members, plus "group:<id>" per group.
	Visibilities []string
	// DeletedInForums lists forums whose deleted documents the caller may
	// see (forums they moderate); AllDeleted lets an admin see every one.
	DeletedInForums []int
	AllDeleted      bool
	// AllGroups lets an admin see the documents of every group (those with
	// a group_id), whatever their visibility, besides Visibilities.
	AllGroups bool
}

// Sorts of a query.
const (
	SortRelevance = "relevance"
	SortNewest    = "newest"
	SortVotes     = "votes"
)

// Query asks the index for documents. Zero values filter nothing.
type Query struct {
	Text     string
	Types    []string
	ForumIDs []int
	GroupIDs []int
	AuthorID int
	Tags     []string // documents with any of these tags
	Statuses []string
	From, To time.Time // created_at range, inclusive; zero: open
	Sort     string    // relevance (default), newest, votes
	Limit    int       // 1..100
	Offset   int
	Access   Access
	// Prefix matches the last word of Text as a prefix (as-you-type).
	Prefix bool
	// Facets asks for counts per type, forum_id and tag over all matches.
	Facets bool
}

// Hit is one matching document.
type Hit struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Highlights maps "title" and "body" to snippets of safe HTML: the text
	// is escaped and matches are wrapped in <mark>…</mark>, nothing else.
	Highlights map[string]string `json:"highlights"`
}

// Result is a page of hits.
type Result struct {
	Hits           []Hit
	EstimatedTotal int
	// Facets maps "type", "forum_id" and "tags" to value → count; nil
	// unless the query asked for facets.
	Facets map[string]map[string]int
	Took   time.Duration
}

// Index is a search backend.
type Index interface {
	// Upsert adds or replaces documents by ID.
	Upsert(ctx context.Context, docs ...Doc) error
	// Delete removes documents by ID; unknown IDs are ignored.
	Delete(ctx context.Context, ids ...string) error
	// Search runs a query.
	Search(ctx context.Context, q Query) (Result, error)
	// Rebuild starts a fresh generation of the index; the live index keeps
	// serving (and taking writes) until the builder's Commit swaps the new
	// one in atomically.
	Rebuild(ctx context.Context) (Builder, error)
	// Ping reports whether the backend is reachable and ready.
	Ping(ctx context.Context) error
	// Close releases the index.
	Close() error
}

// Builder fills a new generation of the index.
type Builder interface {
	Upsert(ctx context.Context, docs ...Doc) error
	// Commit swaps the new generation in and drops the old one.
	Commit(ctx context.Context) error
	// Abort drops the new generation; the live index is untouched.
	Abort(ctx context.Context) error
}
