package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Topic is a conversation in a forum: an opening post and its replies.
type Topic struct {
	ent.Schema
}

// Fields of the Topic.
func (Topic) Fields() []ent.Field {
	return []ent.Field{
		field.Int("forum_id"),
		field.Int("user_id").Immutable(),
		field.String("title").MaxLen(1000).NotEmpty(),
		field.Enum("kind").Values("discussion", "question").Default("discussion"),
		field.Bool("pinned").Default(false),
		field.Bool("pinned_globally").Default(false),
		field.Bool("locked").Default(false),
		field.Bool("closed").Default(false),
		field.Bool("archived").Default(false),
		field.Int("view_count").Default(0),
		// reply_count counts visible replies; highest_post_number is the
		// number the last post got, deleted or not.
		field.Int("reply_count").Default(0),
		field.Int("highest_post_number").Default(0),
		field.Int("participant_count").Default(1),
		field.Int("reaction_count").Default(0),
		field.Int("accepted_post_id").Optional().Nillable(),
		field.Int("last_poster_id").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
		field.Time("last_posted_at").Default(time.Now),
		field.Time("deleted_at").Optional().Nillable(),
		// hidden_at is set while the opening post is pending or hidden: the
		// topic is then seen by its author and the forum's moderators only.
		field.Time("hidden_at").Optional().Nillable(),
	}
}

// Edges of the Topic.
func (Topic) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("forum", Forum.Type).Ref("topics").Field("forum_id").Unique().Required(),
		edge.To("author", User.Type).Field("user_id").Unique().Required().Immutable(),
		edge.To("tags", Tag.Type),
		edge.To("posts", Post.Type),
	}
}

// Indexes of the Topic.
func (Topic) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("forum_id", "last_posted_at", "id"),
		index.Fields("forum_id", "created_at", "id"),
		index.Fields("user_id", "created_at"),
		index.Fields("pinned_globally"),
	}
}

// Tag labels topics; names are lowercase.
type Tag struct {
	ent.Schema
}

// Fields of the Tag.
func (Tag) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").MaxLen(160).NotEmpty().Unique(),
		field.Int("topic_count").Default(0),
	}
}

// Edges of the Tag.
func (Tag) Edges() []ent.Edge {
	return []ent.Edge{edge.From("topics", Topic.Type).Ref("tags")}
}
