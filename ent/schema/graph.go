package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// UserFollow is one customer following another.
type UserFollow struct {
	ent.Schema
}

// Fields of the UserFollow.
func (UserFollow) Fields() []ent.Field {
	return []ent.Field{
		field.Int("follower_id").Immutable(),
		field.Int("followee_id").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the UserFollow.
func (UserFollow) Indexes() []ent.Index {
	return []ent.Index{index.Fields("follower_id", "followee_id").Unique(), index.Fields("followee_id", "created_at")}
}

// GraphEdge is the accumulated, decaying strength of one kind of interaction
// from one customer to another within one scope. It is derived data: the
// graph consumer writes it from the outbox and `crn graph rebuild` recomputes
// it. score is exact under exponential decay as of as_of; readers decay it to
// their own time.
type GraphEdge struct {
	ent.Schema
}

// Fields of the GraphEdge.
func (GraphEdge) Fields() []ent.Field {
	return []ent.Field{
		field.Int("src_id").Immutable(),
		field.Int("dst_id").Immutable(),
		field.String("kind").MaxLen(32).Immutable(),
		// scope is who may see the contribution: 0 every member, a group id
		// that private group's members (and staff), -1 staff only.
		field.Int("scope").Immutable(),
		// forum_id is the forum the interactions happened in, 0 elsewhere,
		// so analytics can be restricted to one forum.
		field.Int("forum_id").Default(0).Immutable(),
		field.Int("count").Default(0),
		field.Float("score").Default(0),
		field.Time("as_of"),
		// last_event_id is the outbox event that last changed the row:
		// serving nodes refresh their in-memory graph by it.
		field.Int64("last_event_id").Default(0),
	}
}

// Indexes of the GraphEdge.
func (GraphEdge) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("src_id", "dst_id", "kind", "scope", "forum_id").Unique(),
		index.Fields("last_event_id"),
	}
}

// GraphAffiliation is a customer's tie to something others share: a group
// they belong to, or a feedback item they voted on. The graph consumer keeps
// it from the outbox to derive shared-group and co-vote edges.
type GraphAffiliation struct {
	ent.Schema
}

// Fields of the GraphAffiliation.
func (GraphAffiliation) Fields() []ent.Field {
	return []ent.Field{
		field.String("kind").MaxLen(16).Immutable(), // "group" or "item"
		field.Int("ref_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.Int("scope").Default(0), // as GraphEdge.scope
		field.Time("created_at").Immutable(),
	}
}

// Indexes of the GraphAffiliation.
func (GraphAffiliation) Indexes() []ent.Index {
	return []ent.Index{index.Fields("kind", "ref_id", "user_id").Unique(), index.Fields("user_id")}
}
