package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// FeedbackStatusChange is one entry of an item's public status history,
// with the official response given at the change.
type FeedbackStatusChange struct {
	ent.Schema
}

// Fields of the FeedbackStatusChange.
func (FeedbackStatusChange) Fields() []ent.Field {
	return []ent.Field{
		field.Int("item_id").Immutable(),
		field.Int("user_id").Immutable(), // who changed it
		field.String("from_status").MaxLen(32).Immutable(),
		field.String("to_status").MaxLen(32).Immutable(),
		field.Text("response").Default("").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the FeedbackStatusChange.
func (FeedbackStatusChange) Indexes() []ent.Index {
	return []ent.Index{index.Fields("item_id", "created_at")}
}
