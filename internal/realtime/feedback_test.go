package realtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/realtime"
)

// Feedback events reach the board's channel feedback:{board} (and the
// item's topic channel); staff-only ones reach staff only; a board the
// caller may not read cannot be subscribed to.
func TestFeedbackBoardChannel(t *testing.T) {
	r := newRig(t, realtime.Options{})
	member := r.dial(5)
	if got := member.subscribe([]string{"feedback:3", "topic:42"}, nil); len(got.Channels) != 2 {
		t.Fatalf("subscribed %v", got.Channels)
	}
	pub := realtime.Publisher{Broker: r.broker}
	now := time.Now()
	if err := pub.Handle(context.Background(), []event.Event{
		{ID: 100, Type: event.FeedbackVoted, ActorID: 7, ForumID: 3, TopicID: 42, Visibility: event.Public, Payload: map[string]any{"item_id": 42}, CreatedAt: now},
		{ID: 101, Type: event.FeedbackNoteAdded, ActorID: 1, ForumID: 3, TopicID: 42, Visibility: event.Staff, CreatedAt: now},
		{ID: 102, Type: event.FeedbackStatusChanged, ActorID: 1, ForumID: 3, TopicID: 42, Visibility: event.Public, CreatedAt: now},
	}); err != nil {
		t.Fatal(err)
	}
	seen := map[string][]int64{}
	for range 4 {
		f := member.expect("event")
		seen[f.Channel] = append(seen[f.Channel], f.ID)
	}
	for _, ch := range []string{"feedback:3", "topic:42"} {
		if got := seen[ch]; len(got) != 2 || got[0] != 100 || got[1] != 102 {
			t.Errorf("%s: %v, want [100 102] (the staff note event is not for members)", ch, got)
		}
	}
	guest := r.dial(0)
	guest.send(map[string]any{"type": "subscribe", "channels": []string{"feedback:13"}})
	if f := guest.expect("error"); f.Code != "unauthenticated" {
		t.Fatalf("guest on a members' board: %+v", f)
	}
}
