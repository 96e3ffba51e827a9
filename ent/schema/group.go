package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Group is a space of its own inside the community: members, forums,
// resources and an activity feed. Its visibility decides who sees it and
// how one joins (docs/groups.md).
type Group struct {
	ent.Schema
}

// Mixin of the Group.
func (Group) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Group.
func (Group) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").MaxLen(400).NotEmpty(),
		field.String("slug").MaxLen(64).NotEmpty().Unique(),
		field.Text("description").Default(""),
		field.String("avatar_url").MaxLen(2048).Default(""),
		// public: anyone sees and joins; restricted: anyone sees, joining
		// takes an approved request; private: members only, by invitation.
		field.Enum("visibility").Values("public", "restricted", "private").Default("public"),
		field.Int("member_count").Default(0),
		field.Int("created_by").Optional().Nillable(),
		field.Time("deleted_at").Optional().Nillable(),
	}
}

// Edges of the Group.
func (Group) Edges() []ent.Edge {
	return []ent.Edge{
		// Restrict: removing a group row must never turn its forums into
		// community forums, which would publish private content.
		edge.To("forums", Forum.Type).Annotations(entsql.OnDelete(entsql.Restrict)),
	}
}

// GroupMember is one user's place in a group: a role while active, or a
// ban that keeps them out.
type GroupMember struct {
	ent.Schema
}

// Fields of the GroupMember.
func (GroupMember) Fields() []ent.Field {
	return []ent.Field{
		field.Int("group_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.Enum("role").Values("owner", "moderator", "member").Default("member"),
		field.Enum("status").Values("active", "banned").Default("active"),
		field.Time("created_at").Default(time.Now),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the GroupMember.
func (GroupMember) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("group_id", "user_id").Unique(),
		index.Fields("user_id", "status"),
		index.Fields("group_id", "status", "role"),
	}
}

// GroupRequest asks to join a restricted group; an owner or a group
// moderator approves or rejects it.
type GroupRequest struct {
	ent.Schema
}

// Fields of the GroupRequest.
func (GroupRequest) Fields() []ent.Field {
	return []ent.Field{
		field.Int("group_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.Text("message").Default(""),
		field.Enum("status").Values("pending", "approved", "rejected").Default("pending"),
		field.Text("reason").Default(""),
		field.Int("decided_by").Optional().Nillable(),
		field.Time("decided_at").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the GroupRequest.
func (GroupRequest) Indexes() []ent.Index {
	return []ent.Index{index.Fields("group_id", "status", "id"), index.Fields("user_id", "group_id")}
}

// GroupInvite lets someone join a group without asking: a personal invite
// names one user; a link invite works for anyone holding its token, until
// it expires or runs out of uses. Only the SHA-256 of the token is kept.
type GroupInvite struct {
	ent.Schema
}

// Fields of the GroupInvite.
func (GroupInvite) Fields() []ent.Field {
	return []ent.Field{
		field.Int("group_id").Immutable(),
		field.String("token_hash").MaxLen(64).NotEmpty().Unique().Immutable().Sensitive(),
		field.Int("created_by").Immutable(),
		field.Int("invitee_id").Optional().Nillable().Immutable(),
		field.Time("expires_at").Optional().Nillable(),
		field.Int("max_uses").Default(1), // 0: unlimited
		field.Int("uses").Default(0),
		field.Time("revoked_at").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the GroupInvite.
func (GroupInvite) Indexes() []ent.Index {
	return []ent.Index{index.Fields("group_id", "invitee_id")}
}
