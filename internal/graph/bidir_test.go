package graph

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/graph/path"
)

// The bidirectional search must agree with gonum's Dijkstra on cost.
func TestStrongestPathAgreesWithGonumDijkstra(t *testing.T) {
	m := Synthetic(2000, 12000, 7, benchNow)
	vw := newView(m, Viewer{}, Filter{Kinds: 1<<Reply | 1<<Follow | 1<<Reaction}, &DefaultWeights, Decay{HalfLife: DefaultHalfLife}, benchNow)
	r := rand.New(rand.NewPCG(1, 1))
	for range 200 {
		s, u := int32(r.IntN(2000)), int32(r.IntN(2000))
		got, cost := strongestPath(vw, s, u)
		nodes, want := path.DijkstraFromTo(node(s), node(u), costs{vw})
		if math.IsInf(want, 1) != math.IsInf(cost, 1) || (!math.IsInf(want, 1) && math.Abs(cost-want) > 1e-9*math.Max(1, want)) {
			t.Fatalf("%d→%d: cost %v (%d hops), gonum %v (%d hops)", s, u, cost, len(got), want, len(nodes))
		}
		if len(got) > 0 && (got[0] != s || got[len(got)-1] != u) {
			t.Fatalf("%d→%d: path %v", s, u, got)
		}
		// The path's own cost adds up.
		sum := 0.0
		for i := 1; i < len(got); i++ {
			p, ok := vw.between(got[i-1], got[i])
			if !ok {
				t.Fatalf("hop %d–%d is not a tie", got[i-1], got[i])
			}
			sum += 1 / p.weight
		}
		if len(got) > 0 && math.Abs(sum-cost) > 1e-9*math.Max(1, cost) {
			t.Fatalf("path sums to %v, reported %v", sum, cost)
		}
	}
}
