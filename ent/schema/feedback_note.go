package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// FeedbackNote is an internal note on a feedback item, visible to staff
// only. It is never indexed for search and never in a public payload.
type FeedbackNote struct {
	ent.Schema
}

// Fields of the FeedbackNote.
func (FeedbackNote) Fields() []ent.Field {
	return []ent.Field{
		field.Int("item_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.Text("body").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the FeedbackNote.
func (FeedbackNote) Indexes() []ent.Index {
	return []ent.Index{index.Fields("item_id", "id")}
}
