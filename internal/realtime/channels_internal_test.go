package realtime

import (
	"slices"
	"testing"

	"github.com/crn-dev/crn/internal/event"
)

// forum.counts_updated moves the last activity of the topics it names, so
// it is published on their channels too (their cached pages are dropped by
// the events on them), however its payload was decoded.
func TestForumCountsUpdatedReachesItsTopics(t *testing.T) {
	for name, ids := range map[string]any{
		"from the outbox": []any{float64(3), float64(9)},
		"in memory":       []int{3, 9},
	} {
		e := event.Event{Type: event.ForumCountsUpdated, ForumID: 2, Payload: map[string]any{"topic_ids": ids}}
		if got, want := channelsOf(e), []string{"forum:2", "topic:3", "topic:9"}; !slices.Equal(got, want) {
			t.Errorf("%s: channels %v, want %v", name, got, want)
		}
	}
	e := event.Event{Type: event.ForumCountsUpdated, ForumID: 2, Payload: map[string]any{"posts_added": float64(1)}}
	if got := channelsOf(e); !slices.Equal(got, []string{"forum:2"}) {
		t.Errorf("without topics: %v", got)
	}
}
