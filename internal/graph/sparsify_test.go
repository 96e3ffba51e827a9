package graph

import (
	"testing"
	"time"
)

func TestSparsifyKeepsEachNodesStrongestTiesSymmetrically(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemory(DefaultHalfLife)
	// A star: the hub's ties have counts 1..5; each leaf has only the hub.
	for leaf := 2; leaf <= 6; leaf++ {
		m.set(edgeKey{src: leaf, dst: 1, kind: Reply}, edgeState{count: leaf - 1, score: float64(leaf - 1), asOf: now})
	}
	m.set(edgeKey{src: 2, dst: 3, kind: Reply}, edgeState{count: 1, score: 1, asOf: now})
	vw := newView(m, Viewer{}, Filter{}, &DefaultWeights, Decay{HalfLife: DefaultHalfLife}, now)
	s := snapshotOf(vw, nil).sparsify(1)
	// Each hub tie is its leaf's strongest, so all stay, at both ends;
	// whatever is kept is kept at both ends.
	hub := int64(-1)
	for i, u := range s.users {
		if u == 1 {
			hub = int64(i)
		}
	}
	if got := s.off[hub+1] - s.off[hub]; got != 5 {
		t.Fatalf("the hub keeps %d ties, want all 5 (each is a leaf's strongest)", got)
	}
	for i := range s.users {
		for j := s.off[i]; j < s.off[i+1]; j++ {
			if _, ok := s.find(int64(s.peer[j]), int64(i)); !ok {
				t.Fatalf("tie %d–%d kept at one end only", i, s.peer[j])
			}
		}
	}
}
