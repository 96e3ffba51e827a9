package graph

import (
	"sort"
	"testing"
	"time"
)

// sparsify was how community detection ran on large graphs with gonum's
// Louvain; it stays for BenchmarkCommunitiesGonum, which compares.

// sparsify keeps, for each node, its k strongest ties (a tie stays when it
// is among the k strongest of either end). Community structure lives in the
// strong ties; this cuts a large graph's edges several-fold so Louvain
// finishes in seconds instead of minutes.
func (s *snapshot) sparsify(k int) *snapshot {
	keep := make([]bool, len(s.peer))
	idx := make([]int32, 0, 64)
	for i := range s.users {
		lo, hi := s.off[i], s.off[i+1]
		if int(hi-lo) <= k {
			for j := lo; j < hi; j++ {
				keep[j] = true
			}
			continue
		}
		idx = idx[:0]
		for j := lo; j < hi; j++ {
			idx = append(idx, j)
		}
		sort.Slice(idx, func(a, b int) bool { return s.w[idx[a]] > s.w[idx[b]] })
		for _, j := range idx[:k] {
			keep[j] = true
		}
	}
	// Symmetrise: u–v stays at both ends when either end keeps it.
	for i := range s.users {
		for j := s.off[i]; j < s.off[i+1]; j++ {
			if keep[j] {
				if r, ok := s.find(int64(s.peer[j]), int64(i)); ok {
					keep[r] = true
				}
			}
		}
	}
	out := &snapshot{users: s.users, off: make([]int32, 1, len(s.off))}
	for i := range s.users {
		for j := s.off[i]; j < s.off[i+1]; j++ {
			if keep[j] {
				out.peer, out.w, out.out = append(out.peer, s.peer[j]), append(out.w, s.w[j]), append(out.out, s.out[j])
			}
		}
		out.off = append(out.off, int32(len(out.peer)))
	}
	return out
}

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
