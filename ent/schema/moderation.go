package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Flag is one member's report that a post, topic, resource or user needs a
// moderator's eye. A member flags an item once; the flag's weight comes from
// the flagger's trust level when it was made.
type Flag struct {
	ent.Schema
}

// Fields of the Flag.
func (Flag) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("target_type").Values("post", "topic", "resource", "user").Immutable(),
		field.Int("target_id").Immutable(),
		field.Int("user_id").Immutable(), // the flagger
		field.Enum("reason").Values("spam", "off_topic", "inappropriate", "harassment", "other").Immutable(),
		field.String("text").MaxLen(2000).Default("").Immutable(),
		field.Int("weight").Default(1).Immutable(),
		// open until a moderator acts on the item: agreed (it was hidden,
		// deleted...) or dismissed.
		field.Enum("status").Values("open", "agreed", "dismissed").Default("open"),
		field.Int("review_item_id").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("resolved_at").Optional().Nillable(),
	}
}

// Indexes of the Flag.
func (Flag) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("target_type", "target_id", "user_id").Unique(),
		index.Fields("review_item_id"),
	}
}

// ReviewItem is an entry of the moderators' review queue: an item flagged
// past the threshold or at all, a post held for approval, or content the
// auto-moderation rules caught. One item is open per target at a time.
type ReviewItem struct {
	ent.Schema
}

// Fields of the ReviewItem.
func (ReviewItem) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("target_type").Values("post", "topic", "resource", "user").Immutable(),
		field.Int("target_id").Immutable(),
		// forum_id scopes the item to the forum's moderators; nil for users
		// and resources, which only site moderators review.
		field.Int("forum_id").Optional().Nillable(),
		// group_id is the group of the item's forum or resource, so the
		// group's owners and moderators review it; nil outside groups.
		field.Int("group_id").Optional().Nillable(),
		field.Int("author_id").Optional().Nillable().Immutable(),
		// kind says why it is queued: flagged, held (awaiting approval) or automod.
		field.Enum("kind").Values("flagged", "held", "automod"),
		field.JSON("reasons", []string{}).Optional(),
		field.Int("score").Default(0), // sum of flag weights
		field.Enum("status").Values("open", "resolved").Default("open"),
		field.String("resolution").MaxLen(64).Default(""),
		field.Int("assigned_to_id").Optional().Nillable(),
		field.Int("resolved_by_id").Optional().Nillable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
		field.Time("first_action_at").Optional().Nillable(),
		field.Time("resolved_at").Optional().Nillable(),
	}
}

// Indexes of the ReviewItem.
func (ReviewItem) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("target_type", "target_id", "status"),
		index.Fields("status", "id"),
		index.Fields("group_id", "status"),
	}
}

// ReviewNote is a moderator's private note on a review item.
type ReviewNote struct {
	ent.Schema
}

// Fields of the ReviewNote.
func (ReviewNote) Fields() []ent.Field {
	return []ent.Field{
		field.Int("review_item_id").Immutable(),
		field.Int("user_id").Immutable(),
		field.Text("body").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the ReviewNote.
func (ReviewNote) Indexes() []ent.Index {
	return []ent.Index{index.Fields("review_item_id", "id")}
}

// AuditEntry is one moderation or administration action: who did what to
// which target, the state before and after, and why. Entries are only ever
// appended: every field is immutable and the moderation service installs a
// hook that refuses updates and deletes.
type AuditEntry struct {
	ent.Schema
}

// Fields of the AuditEntry.
func (AuditEntry) Fields() []ent.Field {
	return []ent.Field{
		field.Int("actor_id").Optional().Nillable().Immutable(), // nil: the system (automod, expiry)
		field.String("action").MaxLen(64).Immutable(),
		field.String("target_type").MaxLen(32).Immutable(),
		field.Int("target_id").Optional().Nillable().Immutable(),
		field.Int("forum_id").Optional().Nillable().Immutable(),
		// group_id is the group the target was in when the action was
		// taken: the group's owners and moderators read the entry.
		field.Int("group_id").Optional().Nillable().Immutable(),
		field.String("reason").MaxLen(4000).Default("").Immutable(),
		field.JSON("before", map[string]any{}).Optional().Immutable(),
		field.JSON("after", map[string]any{}).Optional().Immutable(),
		// reverts is the entry this one undid, when it was a revert.
		field.Int("reverts_id").Optional().Nillable().Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the AuditEntry.
func (AuditEntry) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("actor_id", "id"),
		index.Fields("target_type", "target_id", "id"),
		index.Fields("action", "id"),
		index.Fields("created_at"),
		index.Fields("reverts_id"),
		index.Fields("group_id", "id"),
	}
}

// Sanction is a warning, silence or suspension of a user, with its reason
// and how long it lasts. Lifting keeps the row and records who lifted it.
type Sanction struct {
	ent.Schema
}

// Fields of the Sanction.
func (Sanction) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.Enum("kind").Values("warn", "silence", "suspend").Immutable(),
		field.Int("actor_id").Optional().Nillable().Immutable(),
		field.String("reason").MaxLen(4000).Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("ends_at").Optional().Nillable(), // nil: until lifted
		field.Time("lifted_at").Optional().Nillable(),
		field.Int("lifted_by_id").Optional().Nillable(),
	}
}

// Indexes of the Sanction.
func (Sanction) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "kind", "lifted_at"), index.Fields("lifted_at", "ends_at")}
}

// ModerationSettings holds the auto-moderation rules, flag weights and
// trust-level thresholds admins edit through the API: one row, id 1.
type ModerationSettings struct {
	ent.Schema
}

// Fields of the ModerationSettings.
func (ModerationSettings) Fields() []ent.Field {
	return []ent.Field{
		field.JSON("settings", map[string]any{}),
		field.Int("updated_by_id").Optional().Nillable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}
