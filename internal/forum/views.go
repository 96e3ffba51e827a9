package forum

import (
	"context"
	"fmt"
	"sync"

	"github.com/crn-dev/crn/ent"
)

// viewCounter buffers topic views in memory and writes them in batches, so
// that reading a topic is a read, not a write, on the hot path. A crash
// loses at most one flush interval of view counts, which are statistics.
type viewCounter struct {
	db *ent.Client
	mu sync.Mutex
	n  map[int]int
}

func newViewCounter(db *ent.Client) *viewCounter { return &viewCounter{db: db, n: map[int]int{}} }

func (v *viewCounter) add(topicID int) {
	v.mu.Lock()
	v.n[topicID]++
	v.mu.Unlock()
}

// CountView counts a view of a topic that was served without asking the
// service (a cached page).
func (s *Service) CountView(topicID int) { s.views.add(topicID) }

func (v *viewCounter) pending(topicID int) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.n[topicID]
}

func (v *viewCounter) flush(ctx context.Context) error {
	v.mu.Lock()
	batch := v.n
	v.n = map[int]int{}
	v.mu.Unlock()
	for id, n := range batch {
		if err := v.db.Topic.UpdateOneID(id).AddViewCount(n).Exec(ctx); err != nil && !ent.IsNotFound(err) {
			// Put back what was not written so it is tried again.
			v.mu.Lock()
			for id2, n2 := range batch {
				v.n[id2] += n2
			}
			v.mu.Unlock()
			return fmt.Errorf("flush views: %w", err)
		}
		delete(batch, id)
	}
	return nil
}
