package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// TopicUser is one user's relation to one topic: how far they have read and
// how closely they follow it.
type TopicUser struct {
	ent.Schema
}

// Fields of the TopicUser.
func (TopicUser) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Int("topic_id").Immutable(),
		field.Int("last_read_post_number").Default(0),
		field.Enum("level").Values("watching", "tracking", "normal", "muted").Default("normal"),
		field.Bool("posted").Default(false),
		field.Time("first_visited_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the TopicUser.
func (TopicUser) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "topic_id").Unique(), index.Fields("topic_id", "level")}
}

// ForumSubscription is how closely a user follows a whole forum.
type ForumSubscription struct {
	ent.Schema
}

// Fields of the ForumSubscription.
func (ForumSubscription) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Int("forum_id").Immutable(),
		field.Enum("level").Values("watching", "tracking", "normal", "muted").Default("normal"),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the ForumSubscription.
func (ForumSubscription) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "forum_id").Unique(), index.Fields("forum_id", "level")}
}

// UserMute silences another user: their actions notify the muter of nothing.
type UserMute struct {
	ent.Schema
}

// Fields of the UserMute.
func (UserMute) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Int("muted_user_id").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the UserMute.
func (UserMute) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "muted_user_id").Unique()}
}
