package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// FeedbackSatisfaction is one CSAT answer: a 1–5 score with a comment, given
// once per person on a feedback item that was done or declined, or on a
// question that got an accepted answer.
type FeedbackSatisfaction struct {
	ent.Schema
}

// Fields of the FeedbackSatisfaction.
func (FeedbackSatisfaction) Fields() []ent.Field {
	return []ent.Field{
		field.Int("topic_id").Immutable(),
		field.Int("forum_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.Int("score").Min(1).Max(5).Immutable(),
		field.Text("comment").Default("").Immutable(),
		// outcome is what was rated: done, declined or answered.
		field.String("outcome").MaxLen(32).Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the FeedbackSatisfaction.
func (FeedbackSatisfaction) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("topic_id", "user_id").Unique(),
		index.Fields("forum_id", "created_at"),
	}
}
