package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// User is a customer (or staff member) of the community.
type User struct {
	ent.Schema
}

// Mixin of the User.
func (User) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}}
}

// Fields of the User.
func (User) Fields() []ent.Field {
	return []ent.Field{
		// username keeps the spelling the user chose; username_key is its case-folded
		// form and carries the uniqueness, so "Alice" and "alice" cannot both exist.
		field.String("username").MaxLen(64).NotEmpty(),
		field.String("username_key").MaxLen(64).NotEmpty().Unique(),
		field.String("email").MaxLen(254).NotEmpty(),
		field.String("email_key").MaxLen(254).NotEmpty().Unique(),
		// Byte limits are 4x the character limits the account service
		// enforces, since a character takes up to 4 bytes in UTF-8.
		field.String("display_name").MaxLen(400).Default(""),
		field.Text("bio").Default(""),
		field.String("avatar_url").MaxLen(2048).Default(""),
		field.String("locale").MaxLen(35).Default("en"),
		field.Enum("role").Values("admin", "moderator", "staff", "member").Default("member"),
		field.Int("trust_level").Default(0).Min(0).Max(4),
		field.Enum("status").Values("active", "silenced", "suspended").Default("active"),
		field.String("password_hash").Sensitive(),
		field.Time("last_seen_at").Optional().Nillable(),
		// Trust: a moderator may lock the level against automatic changes;
		// days_visited counts distinct days with activity, for promotion.
		field.Bool("trust_level_locked").Default(false),
		field.Int("days_visited").Default(0),
		// CRM linkage: the customer's id in the company's CRM and free-form attributes
		// (company, plan, ARR...) that product teams use to weight feedback.
		field.String("external_id").MaxLen(1020).Optional().Nillable().Unique(),
		field.JSON("crm_attributes", map[string]any{}).Optional(),
		// graph_opt_out keeps the user out of everyone else's graph results and exports.
		field.Bool("graph_opt_out").Default(false),
		// unread_notifications counts the user's notifications with no
		// read_at. The notification consumer adds what it inserts and
		// marking read subtracts what it marks, each in the same
		// transaction, so the badge costs one row read instead of a count
		// over every unread notification.
		field.Int("unread_notifications").Default(0),
	}
}

// Edges of the User.
func (User) Edges() []ent.Edge {
	return []ent.Edge{
		// Deleting a user deletes their sessions and tokens with them.
		edge.To("tokens", AuthToken.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		// The forums this user moderates (many to many).
		edge.From("moderated_forums", Forum.Type).Ref("moderators"),
	}
}

// Indexes of the User.
func (User) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("role"),
		index.Fields("graph_opt_out"),
	}
}
