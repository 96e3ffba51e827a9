package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Post is one message in a topic. The Markdown source and the sanitized HTML
// rendered from it are both stored; deleted posts are hidden, never removed.
type Post struct {
	ent.Schema
}

// Fields of the Post.
func (Post) Fields() []ent.Field {
	return []ent.Field{
		// topic_id and post_number change only when moderators merge or split topics.
		field.Int("topic_id"),
		field.Int("user_id").Immutable(),
		field.Int("post_number"),
		field.Int("reply_to_post_id").Optional().Nillable().Immutable(),
		field.Int("reply_to_user_id").Optional().Nillable().Immutable(),
		field.Text("source"),
		field.Text("html"),
		field.String("excerpt").MaxLen(1000).Default(""),
		field.Int("version").Default(1),
		field.Int("reaction_count").Default(0),
		field.JSON("reactions", map[string]int{}).Optional(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("edited_at").Optional().Nillable(),
		field.Time("deleted_at").Optional().Nillable(),
		field.Int("deleted_by_id").Optional().Nillable(),
		// Moderation: a pending post waits for approval; a hidden one was
		// hidden by flags or a moderator. Both are seen by their author and
		// the forum's moderators only.
		field.Bool("pending").Default(false),
		field.Time("hidden_at").Optional().Nillable(),
		field.String("hidden_reason").MaxLen(400).Default(""),
		// A hash of the source with case and spacing folded, kept by the
		// forum service on every write: the duplicate-post check finds an
		// author's recent identical text by index instead of reading their
		// recent posts. 0 on posts stored before it existed.
		field.Int64("body_hash").Default(0),
	}
}

// Edges of the Post.
func (Post) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("topic", Topic.Type).Ref("posts").Field("topic_id").Unique().Required(),
		edge.To("author", User.Type).Field("user_id").Unique().Required().Immutable(),
		edge.To("revisions", PostRevision.Type),
	}
}

// Indexes of the Post.
func (Post) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("topic_id", "post_number").Unique(),
		index.Fields("user_id", "created_at"),
		index.Fields("user_id", "body_hash", "created_at"),
	}
}

// PostRevision keeps every earlier version of an edited post.
type PostRevision struct {
	ent.Schema
}

// Fields of the PostRevision.
func (PostRevision) Fields() []ent.Field {
	return []ent.Field{
		field.Int("post_id").Immutable(),
		field.Int("user_id").Immutable(), // who made this version
		field.Int("version").Immutable(),
		field.Text("source").Immutable(),
		field.String("title").MaxLen(1000).Optional().Immutable(), // the topic title, when the opening post's edit changed it
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the PostRevision.
func (PostRevision) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("post", Post.Type).Ref("revisions").Field("post_id").Unique().Required().Immutable(),
	}
}

// Indexes of the PostRevision.
func (PostRevision) Indexes() []ent.Index {
	return []ent.Index{index.Fields("post_id", "version").Unique()}
}

// Reaction is one user's reaction of one kind to one post.
type Reaction struct {
	ent.Schema
}

// Fields of the Reaction.
func (Reaction) Fields() []ent.Field {
	return []ent.Field{
		field.Int("post_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.String("kind").MaxLen(32).Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Reaction.
func (Reaction) Indexes() []ent.Index {
	return []ent.Index{index.Fields("post_id", "user_id", "kind").Unique(), index.Fields("user_id")}
}

// Bookmark is a post a user saved for later.
type Bookmark struct {
	ent.Schema
}

// Fields of the Bookmark.
func (Bookmark) Fields() []ent.Field {
	return []ent.Field{
		field.Int("post_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Bookmark.
func (Bookmark) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "post_id").Unique()}
}
