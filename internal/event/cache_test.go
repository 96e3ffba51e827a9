package event

import (
	"testing"

	"github.com/crn-dev/crn/ent"
)

func ids(rows []*ent.Event) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

func rowsOf(ids ...int64) []*ent.Event {
	out := make([]*ent.Event, len(ids))
	for i, id := range ids {
		out[i] = &ent.Event{ID: id}
	}
	return out
}

// The cache answers only an unbroken run of ids right after the position:
// an id it has not seen may still commit (or was rolled back), and only the
// database can tell.
func TestEventCacheAnswersUnbrokenRunsOnly(t *testing.T) {
	c := newEventCache(8)
	c.add(rowsOf(10, 11, 12, 14, 15))
	for _, tc := range []struct {
		pos   int64
		limit int
		want  []int64
	}{
		{9, 10, []int64{10, 11, 12}}, // stops before the gap at 13
		{10, 10, []int64{11, 12}},
		{9, 2, []int64{10, 11}}, // the batch limit
		{12, 10, nil},           // 13 unknown: ask the database
		{13, 10, []int64{14, 15}},
		{15, 10, nil},
		{3, 10, nil}, // older than anything cached
	} {
		if got := ids(c.after(tc.pos, tc.limit)); len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0] || len(got) > 0 && got[len(got)-1] != tc.want[len(tc.want)-1]) {
			t.Errorf("after(%d, %d) = %v, want %v", tc.pos, tc.limit, got, tc.want)
		}
	}
	// The gap fills in (the transaction holding 13 committed).
	c.add(rowsOf(13))
	if got := ids(c.after(9, 10)); len(got) != 6 || got[5] != 15 {
		t.Fatalf("after the gap filled: %v", got)
	}
	// Past its size the oldest ids go, and a run never reaches back to them.
	c.add(rowsOf(16, 17, 18))
	if got := c.after(9, 10); len(got) != 0 {
		t.Fatalf("evicted ids answered: %v", ids(got))
	}
	if got := ids(c.after(12, 10)); len(got) != 6 || got[0] != 13 || got[5] != 18 {
		t.Fatalf("after eviction: %v", got)
	}
}
