package graph

import (
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/simple"
)

// Circles splits an ego network into its circles: the communities of the
// network itself, found with the Louvain method (gonum's
// community.Modularize, resolution 1, fixed seed) on the ties among its
// members. It returns each member's circle, numbered from 1, largest circle
// first. An ego network holds at most MaxLimit+1 customers, so this takes
// milliseconds, unlike Communities on the whole graph.
func Circles(n Network) map[int]int {
	out := make(map[int]int, len(n.Nodes))
	if len(n.Nodes) == 0 {
		return out
	}
	g := simple.NewWeightedUndirectedGraph(0, 0)
	for _, nd := range n.Nodes {
		if g.Node(int64(nd.ID)) == nil {
			g.AddNode(simple.Node(nd.ID))
		}
	}
	for _, e := range n.Edges {
		if e.Source == e.Target || e.Weight <= 0 || g.Node(int64(e.Source)) == nil || g.Node(int64(e.Target)) == nil {
			continue
		}
		w := e.Weight
		if old, ok := g.Weight(int64(e.Source), int64(e.Target)); ok && old != 0 {
			w += old
		}
		g.SetWeightedEdge(g.NewWeightedEdge(simple.Node(e.Source), simple.Node(e.Target), w))
	}
	comms := community.Modularize(g, 1, rand.NewPCG(1, 2)).Communities()
	groups := make([][]int, 0, len(comms))
	for _, c := range comms {
		ids := make([]int, len(c))
		for i, nd := range c {
			ids[i] = int(nd.ID())
		}
		sort.Ints(ids)
		groups = append(groups, ids)
	}
	sort.Slice(groups, func(a, b int) bool {
		if len(groups[a]) != len(groups[b]) {
			return len(groups[a]) > len(groups[b])
		}
		return groups[a][0] < groups[b][0]
	})
	for i, ids := range groups {
		for _, id := range ids {
			out[id] = i + 1
		}
	}
	return out
}
