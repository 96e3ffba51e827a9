package authz

// Feedback rules. A feedback item is a topic in a feedback board, so who
// may read it is who may read the board (CanReadForum); these add what is
// particular to feedback.

// CanTriageFeedback reports whether the actor may change an item's status,
// priority and estimate, merge and unmerge items, and record votes on a
// customer's behalf: the company's people (admins, moderators, staff).
func CanTriageFeedback(a Actor) bool { return a.Staff() && a.CanPost() }

// CanSeeFeedbackInternals reports whether the actor may read internal notes,
// priority, estimates and voters' CRM snapshots: staff only. Everyone else
// gets a 403 on the notes and never finds those fields in any payload.
func CanSeeFeedbackInternals(a Actor) bool { return a.Staff() }

// CanViewFeedbackInsights reports whether the actor may read insights and
// exports: staff only.
func CanViewFeedbackInsights(a Actor) bool { return a.Staff() }

// CanVoteFeedback reports whether the actor may vote (for themselves).
func CanVoteFeedback(a Actor) bool { return a.CanPost() }
