package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Event is a row of the transactional outbox: a domain event written in the
// same transaction as the change it describes. Its id orders events in
// commit order (see docs/events.md).
type Event struct {
	ent.Schema
}

// Fields of the Event.
func (Event) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id").Immutable(),
		field.String("type").MaxLen(64).Immutable(),
		field.Int("actor_id").Optional().Nillable().Immutable(),
		field.Int("forum_id").Optional().Nillable().Immutable(),
		field.Int("topic_id").Optional().Nillable().Immutable(),
		field.Int("post_id").Optional().Nillable().Immutable(),
		field.Int("user_id").Optional().Nillable().Immutable(),
		// group_id is the group the event happened in, for the group's feed
		// and its realtime channel.
		field.Int("group_id").Optional().Nillable().Immutable(),
		// visibility says who may see the event: "public", "members", "staff",
		// "group:<id>" for a group's members, or "user:<id>" for one user's eyes only.
		field.String("visibility").MaxLen(64).Immutable(),
		field.JSON("payload", map[string]any{}).Optional().Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Event.
func (Event) Indexes() []ent.Index {
	return []ent.Index{index.Fields("topic_id", "id"), index.Fields("created_at"), index.Fields("group_id", "id")}
}

// EventCursor is how far one consumer of the outbox has got.
type EventCursor struct {
	ent.Schema
}

// Fields of the EventCursor.
func (EventCursor) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").MaxLen(64).NotEmpty().Unique(),
		field.Int64("position").Default(0),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}
