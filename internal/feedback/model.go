package feedback

import (
	"slices"
	"strings"

	"github.com/crn-dev/crn/ent/feedbackitem"
)

// Types of feedback.
var Types = []string{"idea", "bug", "complaint", "question", "praise"}

// Statuses in their usual order. "duplicate" is set by merging only.
const (
	StatusOpen        = "open"
	StatusUnderReview = "under_review"
	StatusPlanned     = "planned"
	StatusInProgress  = "in_progress"
	StatusDone        = "done"
	StatusDeclined    = "declined"
	StatusDuplicate   = "duplicate"
)

// Statuses lists every status.
var Statuses = []string{StatusOpen, StatusUnderReview, StatusPlanned, StatusInProgress, StatusDone, StatusDeclined, StatusDuplicate}

// Transitions is the status state machine: the statuses each status may
// move to through POST /feedback/{id}/status. Items move forward, possibly
// skipping steps, or one step back; closed items (done, declined) may be
// reopened. "duplicate" is entered by merging and left by unmerging only.
var Transitions = map[string][]string{
	StatusOpen:        {StatusUnderReview, StatusPlanned, StatusInProgress, StatusDone, StatusDeclined},
	StatusUnderReview: {StatusOpen, StatusPlanned, StatusInProgress, StatusDone, StatusDeclined},
	StatusPlanned:     {StatusUnderReview, StatusInProgress, StatusDone, StatusDeclined},
	StatusInProgress:  {StatusPlanned, StatusDone, StatusDeclined},
	StatusDone:        {StatusOpen, StatusInProgress},
	StatusDeclined:    {StatusOpen, StatusUnderReview},
	StatusDuplicate:   {},
}

// CanTransition reports whether from → to is allowed by the state machine.
func CanTransition(from, to string) bool { return slices.Contains(Transitions[from], to) }

// Closed reports a status after which voters may rate the outcome.
func Closed(status string) bool { return status == StatusDone || status == StatusDeclined }

// Priorities an item may have (staff only).
var Priorities = []string{"none", "low", "medium", "high", "urgent"}

func validType(t string) bool { return feedbackitem.TypeValidator(feedbackitem.Type(t)) == nil }

func validStatus(st string) bool { return feedbackitem.StatusValidator(feedbackitem.Status(st)) == nil }

func validPriority(p string) bool {
	return feedbackitem.PriorityValidator(feedbackitem.Priority(p)) == nil
}

func oneOf(list []string) string { return strings.Join(list, ", ") }
