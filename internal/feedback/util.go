package feedback

import (
	"github.com/crn-dev/crn/internal/database"
	"strconv"
	"strings"

	"github.com/crn-dev/crn/ent/feedbacknote"
	"github.com/crn-dev/crn/ent/predicate"
)

func itoa(n int) string { return strconv.Itoa(n) }

func parseFloat(s string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0
	}
	return f
}

func feedbackNoteItem(id int) predicate.FeedbackNote { return feedbacknote.ItemID(id) }

// isUnique reports a unique-constraint violation (two requests racing).
func isUnique(err error) bool { return database.IsUnique(err) }
