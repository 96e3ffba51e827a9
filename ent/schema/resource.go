package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Resource is something a member shares: a file (with versions), a link or
// a guide written in Markdown. Deleted resources are hidden, never removed.
type Resource struct {
	ent.Schema
}

// Mixin of the Resource.
func (Resource) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Resource.
func (Resource) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(), // the owner
		// A group's resource inherits the group's visibility. No edge: the
		// group entity lives on another branch.
		field.Int("group_id").Optional().Nillable(),
		field.Enum("kind").Values("file", "link", "guide").Immutable(),
		// Who may see a resource outside any group.
		field.Enum("visibility").Values("public", "members").Default("public"),
		field.String("title").MaxLen(1000).NotEmpty(),
		field.Text("description").Default(""),
		field.Text("description_html").Default(""),
		field.String("url").MaxLen(2048).Optional(), // links only
		field.Int("topic_id").Optional().Nillable(), // the discussion thread
		field.Int("version_count").Default(0),
		field.Int64("download_count").Default(0),
		field.Int("rating_count").Default(0),
		field.Int("rating_sum").Default(0),
		// The average rating times 1000, kept for sorting by rating.
		field.Int("rating_milli").Default(0),
		field.Time("deleted_at").Optional().Nillable(),
		field.Int("deleted_by_id").Optional().Nillable(),
		// Hidden by moderation pending review: invisible to all but the
		// owner and resource moderators, as if deleted, until shown again.
		field.Time("hidden_at").Optional().Nillable(),
		field.String("hidden_reason").MaxLen(400).Default(""),
	}
}

// Edges of the Resource.
func (Resource) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("owner", User.Type).Field("user_id").Unique().Required().Immutable(),
		edge.To("versions", ResourceVersion.Type),
		edge.To("tags", ResourceTag.Type),
	}
}

// Indexes of the Resource.
func (Resource) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("download_count", "id"),
		index.Fields("rating_milli", "id"),
		index.Fields("user_id", "created_at"),
		index.Fields("group_id"),
	}
}

// ResourceVersion is one uploaded version of a file resource; every version
// stays downloadable.
type ResourceVersion struct {
	ent.Schema
}

// Fields of the ResourceVersion.
func (ResourceVersion) Fields() []ent.Field {
	return []ent.Field{
		field.Int("resource_id").Immutable(),
		field.Int("number").Immutable(),
		field.Int("blob_id").Immutable(),
		field.Int("user_id").Immutable(),                     // who uploaded it
		field.String("filename").MaxLen(1000).Immutable(),    // sanitized base name
		field.String("content_type").MaxLen(255).Immutable(), // the blob's sniffed type
		field.Int64("size").Immutable(),
		field.String("note").MaxLen(2000).Default("").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the ResourceVersion.
func (ResourceVersion) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("resource", Resource.Type).Ref("versions").Field("resource_id").Unique().Required().Immutable(),
		edge.To("blob", Blob.Type).Field("blob_id").Unique().Required().Immutable(),
	}
}

// Indexes of the ResourceVersion.
func (ResourceVersion) Indexes() []ent.Index {
	return []ent.Index{index.Fields("resource_id", "number").Unique(), index.Fields("blob_id")}
}

// ResourceTag labels a resource; tags are lowercase.
type ResourceTag struct {
	ent.Schema
}

// Fields of the ResourceTag.
func (ResourceTag) Fields() []ent.Field {
	return []ent.Field{
		field.Int("resource_id").Immutable(),
		field.String("tag").MaxLen(160).NotEmpty().Immutable(),
	}
}

// Edges of the ResourceTag.
func (ResourceTag) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("resource", Resource.Type).Ref("tags").Field("resource_id").Unique().Required().Immutable(),
	}
}

// Indexes of the ResourceTag.
func (ResourceTag) Indexes() []ent.Index {
	return []ent.Index{index.Fields("resource_id", "tag").Unique(), index.Fields("tag", "resource_id")}
}

// ResourceRating is one member's 1-5 star rating of a resource; they may
// change it.
type ResourceRating struct {
	ent.Schema
}

// Fields of the ResourceRating.
func (ResourceRating) Fields() []ent.Field {
	return []ent.Field{
		field.Int("resource_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.Int("stars").Min(1).Max(5),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the ResourceRating.
func (ResourceRating) Indexes() []ent.Index {
	return []ent.Index{index.Fields("resource_id", "user_id").Unique(), index.Fields("user_id")}
}

// ResourceBookmark is a resource a member saved for later.
type ResourceBookmark struct {
	ent.Schema
}

// Fields of the ResourceBookmark.
func (ResourceBookmark) Fields() []ent.Field {
	return []ent.Field{
		field.Int("resource_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the ResourceBookmark.
func (ResourceBookmark) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "resource_id").Unique(), index.Fields("resource_id")}
}
