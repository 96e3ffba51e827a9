package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// FeedbackVote is one customer's vote. It keeps where it was cast
// (origin_item_id) apart from where it counts now (item_id), so that merging
// duplicates moves votes and unmerging moves them back; a vote superseded
// by the same customer's vote on the merge target is flagged inactive, never
// deleted. It snapshots the voter's CRM attributes at vote time.
type FeedbackVote struct {
	ent.Schema
}

// Fields of the FeedbackVote.
func (FeedbackVote) Fields() []ent.Field {
	return []ent.Field{
		field.Int("item_id"),
		field.Int("origin_item_id").Immutable(),
		field.Int("user_id").Immutable(),
		// active is false while the voter also has a vote on the item this
		// vote was merged into (one vote per customer, no double counting).
		field.Bool("active").Default(true),
		// The CRM snapshot: plan and ARR extracted for weighting, and every
		// attribute as it was.
		field.String("plan").MaxLen(160).Default(""),
		field.Float("arr").Default(0),
		field.JSON("crm", map[string]any{}).Optional(),
		// recorded_by is the staff member who recorded the vote on the
		// customer's behalf (a sales call…), with their note.
		field.Int("recorded_by").Optional().Nillable().Immutable(),
		field.Text("note").Default(""),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the FeedbackVote.
func (FeedbackVote) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "origin_item_id").Unique(),
		index.Fields("item_id", "active"),
		index.Fields("item_id", "created_at"),
		index.Fields("origin_item_id"),
	}
}
