package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Notification tells a user something happened that concerns them.
type Notification struct {
	ent.Schema
}

// Fields of the Notification.
func (Notification) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("kind").MaxLen(32).Immutable(),
		field.Int("actor_id").Optional().Nillable().Immutable(),
		field.Int("topic_id").Optional().Nillable().Immutable(),
		field.Int("post_id").Optional().Nillable().Immutable(),
		// event_id is the outbox event that caused it; (user_id, event_id) is
		// unique so that redelivering an event notifies nobody twice.
		field.Int64("event_id").Immutable(),
		field.JSON("data", map[string]any{}).Optional(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("read_at").Optional().Nillable(),
	}
}

// Indexes of the Notification.
func (Notification) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "event_id").Unique(),
		index.Fields("user_id", "read_at"),
		index.Fields("user_id", "id"),
	}
}
