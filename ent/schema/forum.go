package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Forum is a category of topics, optionally under one parent forum.
type Forum struct {
	ent.Schema
}

// Mixin of the Forum.
func (Forum) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Forum.
func (Forum) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").MaxLen(400).NotEmpty(),
		field.String("slug").MaxLen(64).NotEmpty().Unique(),
		field.Text("description").Default(""),
		field.Int("position").Default(0),
		field.Int("parent_id").Optional().Nillable(),
		// The group whose space the forum belongs to; its readers follow the
		// group's visibility (docs/groups.md). Nil for community forums.
		field.Int("group_id").Optional().Nillable(),
		// Who may read: anyone, or signed-in members only.
		field.Enum("read_visibility").Values("public", "members").Default("public"),
		// Who may start topics and who may reply: any signed-in member, members
		// of at least a trust level, or staff (admins, moderators, staff).
		field.Enum("topic_policy").Values("everyone", "trust", "staff").Default("everyone"),
		field.Int("topic_min_trust").Default(0).Min(0).Max(4),
		field.Enum("reply_policy").Values("everyone", "trust", "staff").Default("everyone"),
		field.Int("reply_min_trust").Default(0).Min(0).Max(4),
		field.Int("topic_count").Default(0),
		field.Int("post_count").Default(0),
		field.Time("last_posted_at").Optional().Nillable(),
		field.Time("deleted_at").Optional().Nillable(),
		// A feedback board holds feedback items (internal/feedback) instead
		// of discussions; its topics are opened through the feedback API.
		field.Enum("kind").Values("discussion", "feedback").Default("discussion"),
	}
}

// Edges of the Forum.
func (Forum) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("children", Forum.Type).From("parent").Field("parent_id").Unique(),
		edge.To("moderators", User.Type),
		edge.To("topics", Topic.Type),
		edge.From("group", Group.Type).Ref("forums").Field("group_id").Unique(),
	}
}

// Indexes of the Forum.
func (Forum) Indexes() []ent.Index {
	return []ent.Index{index.Fields("parent_id", "position"), index.Fields("group_id")}
}
