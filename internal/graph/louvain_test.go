package graph

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	gonum "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/community"
)

// syntheticSnapshot is the snapshot of a Synthetic graph, as staff see it.
func syntheticSnapshot(nodes, edges int) *snapshot {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	m := Synthetic(nodes, edges, 7, now)
	vw := newView(m, Viewer{Staff: true}, Filter{}, &DefaultWeights, Decay{HalfLife: DefaultHalfLife}, now)
	return snapshotOf(vw, nil)
}

func asGonum(groups [][]int64) [][]gonum.Node {
	out := make([][]gonum.Node, len(groups))
	for i, g := range groups {
		for _, id := range g {
			out[i] = append(out[i], node(id))
		}
	}
	return out
}

// gonumLouvain is gonum's community.Modularize on a snapshot, with its
// communities' modularity.
func gonumLouvain(snap *snapshot) ([][]gonum.Node, float64) {
	g := undirected{snap}
	comms := community.Modularize(g, 1, rand.NewPCG(1, 2)).Communities()
	return comms, community.Q(g, comms, 1)
}

func TestLouvainModularityAgainstGonums(t *testing.T) {
	snap := syntheticSnapshot(3000, 40_000)
	got, err := louvain(context.Background(), wgraphOf(snap), 1)
	if err != nil {
		t.Fatal(err)
	}
	// Every node in exactly one community.
	seen := make([]bool, len(snap.users))
	for _, c := range got.communities {
		for _, id := range c {
			if seen[id] {
				t.Fatalf("node %d in two communities", id)
			}
			seen[id] = true
		}
	}
	if slices.Contains(seen, false) {
		t.Fatal("a node in no community")
	}
	// The modularity reported (gonum's Q on the last level) is gonum's Q of
	// the partition on the snapshot itself.
	direct := community.Q(undirected{snap}, asGonum(got.communities), 1)
	if math.Abs(direct-got.modularity) > 1e-9 {
		t.Fatalf("modularity %v, gonum's Q of the same partition %v", got.modularity, direct)
	}
	comms, theirs := gonumLouvain(snap)
	t.Logf("ours: %d communities, Q %.4f; gonum's: %d communities, Q %.4f", len(got.communities), got.modularity, len(comms), theirs)
	if got.modularity < theirs-0.01 {
		t.Fatalf("modularity %.4f, gonum's Modularize finds %.4f", got.modularity, theirs)
	}
}

func TestLouvainIsDeterministic(t *testing.T) {
	snap := syntheticSnapshot(2000, 20_000)
	a, err := louvain(context.Background(), wgraphOf(snap), 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := louvain(context.Background(), wgraphOf(snap), 1)
	if a.modularity != b.modularity || len(a.communities) != len(b.communities) {
		t.Fatalf("two runs: %v/%d then %v/%d", a.modularity, len(a.communities), b.modularity, len(b.communities))
	}
	for i := range a.communities {
		if !slices.Equal(a.communities[i], b.communities[i]) {
			t.Fatalf("community %d differs between runs", i)
		}
	}
	// Largest first, members sorted.
	if !sort.SliceIsSorted(a.communities, func(i, j int) bool { return len(a.communities[i]) > len(a.communities[j]) }) {
		t.Fatal("communities not largest first")
	}
	for _, c := range a.communities {
		if !slices.IsSorted(c) {
			t.Fatal("members not sorted")
		}
	}
}

func TestLouvainStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := louvain(ctx, wgraphOf(syntheticSnapshot(500, 3000)), 1); err == nil {
		t.Fatal("a cancelled detection finished")
	}
}

// TestLouvainCountsSelfLoops: two heavy self-loops (two aggregated
// communities) joined by a light tie stay apart. gonum's Modularize merges
// them, as its first reduction drops self-loops (docs/graph.md), which is why
// the levels after the first are not handed to it.
func TestLouvainCountsSelfLoops(t *testing.T) {
	g := &wgraph{off: []int32{0, 1, 2}, peer: []int32{1, 0}, w: []float64{1, 1}, self: []float64{10, 10}}
	got, err := louvain(context.Background(), g, 1)
	if err != nil || len(got.communities) != 2 || math.Abs(got.modularity-9.0/22) > 1e-12 {
		t.Fatalf("communities %v, modularity %v (want 2 and 9/22): %v", got.communities, got.modularity, err)
	}
	theirs := community.Modularize(weighted{g}, 1, rand.NewPCG(1, 2)).Communities()
	t.Logf("gonum's Modularize on the same graph: %d communities, Q %.3f", len(theirs), community.Q(weighted{g}, theirs, 1))
}
