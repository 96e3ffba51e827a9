package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// FeedbackItem is the feedback side of a topic in a feedback board: its
// type, status, vote count and triage fields. Its id is the topic's id (one
// to one), so the topic table stays as it is.
type FeedbackItem struct {
	ent.Schema
}

// Fields of the FeedbackItem.
func (FeedbackItem) Fields() []ent.Field {
	return []ent.Field{
		field.Int("id").Positive().Immutable(), // the topic's id
		field.Int("forum_id"),                  // the board; the name lets authz's forum predicates apply
		field.Int("user_id").Immutable(),       // the author
		field.Enum("type").Values("idea", "bug", "complaint", "question", "praise").Default("idea"),
		field.Enum("status").Values("open", "under_review", "planned", "in_progress", "done", "declined", "duplicate").Default("open"),
		// vote_count counts the active votes that count for this item now
		// (kept in step with feedback_votes in every write transaction).
		field.Int("vote_count").Default(0),
		// Triage, visible to staff only.
		field.Enum("priority").Values("none", "low", "medium", "high", "urgent").Default("none"),
		field.String("estimate").MaxLen(160).Default(""),
		// duplicate_of is the item this one was merged into.
		field.Int("duplicate_of").Optional().Nillable(),
		field.Time("status_changed_at").Default(time.Now),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the FeedbackItem.
func (FeedbackItem) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("forum_id", "vote_count", "id"),
		index.Fields("forum_id", "created_at", "id"),
		index.Fields("status"),
		index.Fields("duplicate_of"),
		index.Fields("user_id"),
	}
}
