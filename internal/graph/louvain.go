package graph

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"

	gonum "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/community"
)

// Louvain community detection (Blondel et al. 2008), levels of local moving
// and aggregation, written here rather than taken from gonum's
// community.Modularize for two reasons (docs/graph.md, "Communities"):
//
//   - gonum's local mover finds a node's tie to a neighbouring community and
//     that community's total degree by walking every member of the
//     community. A move costs the size of the neighbouring communities, so a
//     pass over 100,000 customers takes minutes once communities grow. Here
//     each community keeps its total degree and a pass sums a node's ties
//     per neighbouring community in one scan of its row: O(ties) per pass.
//   - gonum's first reduction drops the input graph's self-loops, and an
//     aggregated graph carries each community's inner weight as a self-loop,
//     so gonum cannot continue from a level reduced here.
//
// gonum still defines the objective: community.Q reports the modularity, and
// the tests hold this implementation to community.Modularize's result.

// wgraph is an undirected weighted graph in compressed sparse rows, rows
// sorted by peer, with self-loops kept apart: a Louvain level's input.
// self[i] follows gonum's convention: a community's self-loop is the sum
// of A_ij over its members i, j, so each inner tie counts twice.
type wgraph struct {
	off  []int32
	peer []int32
	w    []float64
	self []float64
}

func (g *wgraph) len() int { return len(g.self) }

// wgraphOf is a snapshot's undirected weights (the pair's total weight).
func wgraphOf(s *snapshot) *wgraph {
	g := &wgraph{off: s.off, peer: s.peer, w: make([]float64, len(s.w)), self: make([]float64, len(s.users))}
	for i, w := range s.w {
		g.w[i] = float64(w)
	}
	return g
}

// degrees are the weighted degrees (self-loop included) and their sum, 2m.
func (g *wgraph) degrees() ([]float64, float64) {
	k := make([]float64, g.len())
	var m2 float64
	for i := range k {
		k[i] = g.self[i]
		for j := g.off[i]; j < g.off[i+1]; j++ {
			k[i] += g.w[j]
		}
		m2 += k[i]
	}
	return k, m2
}

// louvainMaxPasses bounds the passes of one level's local moving; a level
// usually settles in fewer than twenty.
const louvainMaxPasses = 64

// localMove moves each node, in a random order, to the neighbouring
// community that raises the modularity most, until a pass moves nobody.
// It returns each node's community (a node index) and whether any moved.
func (g *wgraph) localMove(ctx context.Context, resolution float64, rnd *rand.Rand) ([]int32, bool, error) {
	n := g.len()
	k, m2 := g.degrees()
	comm := make([]int32, n)
	tot := make([]float64, n) // total degree of each community
	for i := range comm {
		comm[i], tot[i] = int32(i), k[i]
	}
	if m2 == 0 {
		return comm, false, nil
	}
	order := rnd.Perm(n)
	toComm := make([]float64, n) // the moving node's ties to each community
	mark := make([]bool, n)
	touched := make([]int32, 0, 64)
	changed := false
	for pass := 0; pass < louvainMaxPasses; pass++ {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		moves := 0
		for _, i := range order {
			ci := comm[i]
			touched = append(touched[:0], ci)
			mark[ci] = true
			for j := g.off[i]; j < g.off[i+1]; j++ {
				c := comm[g.peer[j]]
				if !mark[c] {
					mark[c] = true
					touched = append(touched, c)
				}
				toComm[c] += g.w[j]
			}
			// Take i out of its community, then put it where the gain
			// ties_to(c) − γ·tot(c)·k_i/2m is largest (its own on a tie).
			tot[ci] -= k[i]
			scale := resolution * k[i] / m2
			best, bestGain := ci, toComm[ci]-tot[ci]*scale
			for _, c := range touched[1:] {
				if gain := toComm[c] - tot[c]*scale; gain > bestGain {
					best, bestGain = c, gain
				}
			}
			tot[best] += k[i]
			if best != ci {
				comm[i] = best
				moves++
			}
			for _, c := range touched {
				toComm[c], mark[c] = 0, false
			}
		}
		if moves == 0 {
			break
		}
		changed = true
	}
	return comm, changed, nil
}

// aggregate is the graph whose nodes are the communities of comm, numbered
// by their first member, and the label of each node's community.
func (g *wgraph) aggregate(comm []int32) (*wgraph, []int32) {
	n := g.len()
	label := make([]int32, n)
	for i := range label {
		label[i] = -1
	}
	byComm := make([]int32, n) // community (node index) -> label
	for i := range byComm {
		byComm[i] = -1
	}
	size := 0
	for i, c := range comm {
		if byComm[c] < 0 {
			byComm[c] = int32(size)
			size++
		}
		label[i] = byComm[c]
	}
	// Members of each community, by counting sort.
	start := make([]int32, size+1)
	for _, l := range label {
		start[l+1]++
	}
	for c := range size {
		start[c+1] += start[c]
	}
	members := make([]int32, n)
	fill := slices.Clone(start[:size])
	for i, l := range label {
		members[fill[l]] = int32(i)
		fill[l]++
	}
	out := &wgraph{off: make([]int32, 1, size+1), self: make([]float64, size)}
	acc := make([]float64, size)
	mark := make([]bool, size)
	var touched []int32
	for c := range size {
		touched = touched[:0]
		for _, i := range members[start[c]:start[c+1]] {
			out.self[c] += g.self[i]
			for j := g.off[i]; j < g.off[i+1]; j++ {
				d := label[g.peer[j]]
				if d == int32(c) {
					out.self[c] += g.w[j] // seen from both ends: twice, as gonum counts it
					continue
				}
				if !mark[d] {
					mark[d] = true
					touched = append(touched, d)
				}
				acc[d] += g.w[j]
			}
		}
		slices.Sort(touched)
		for _, d := range touched {
			out.peer = append(out.peer, d)
			out.w = append(out.w, acc[d])
			acc[d], mark[d] = 0, false
		}
		out.off = append(out.off, int32(len(out.peer)))
	}
	return out, label
}

// louvainResult is a partition of a snapshot and its modularity.
type louvainResult struct {
	communities [][]int64 // snapshot ids, largest community first
	modularity  float64
}

// louvain runs levels of local moving and aggregation until a level moves
// nobody. The seed is fixed, so a graph always gets the same communities.
func louvain(ctx context.Context, g *wgraph, resolution float64) (louvainResult, error) {
	if g.len() == 0 {
		return louvainResult{}, nil
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	of := make([]int32, g.len()) // original node -> node of the current level
	for i := range of {
		of[i] = int32(i)
	}
	for {
		comm, moved, err := g.localMove(ctx, resolution, rnd)
		if err != nil {
			return louvainResult{}, err
		}
		if !moved {
			break
		}
		next, label := g.aggregate(comm)
		for i, v := range of {
			of[i] = label[v]
		}
		g = next
	}
	// Each node of the last level is one community.
	groups := make([][]int64, g.len())
	for i, c := range of {
		groups[c] = append(groups[c], int64(i))
	}
	singletons := make([][]gonum.Node, g.len())
	for c := range singletons {
		singletons[c] = []gonum.Node{node(c)}
	}
	// Modularity is preserved by aggregation, so gonum's Q on the last
	// level (one node per community, self-loops holding the inner weight)
	// is the partition's modularity on the snapshot, at O(ties) cost.
	q := community.Q(weighted{g}, singletons, resolution)
	slices.SortFunc(groups, func(a, b []int64) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return int(a[0] - b[0])
	})
	return louvainResult{communities: groups, modularity: q}, nil
}

// weighted presents a wgraph as gonum.WeightedUndirected, self-loops
// included (Weight(x, x)), for community.Q.
type weighted struct{ *wgraph }

var _ gonum.WeightedUndirected = weighted{}

func (g weighted) valid(id int64) bool { return id >= 0 && id < int64(g.len()) }
func (g weighted) Node(id int64) gonum.Node {
	if !g.valid(id) {
		return nil
	}
	return node(id)
}
func (g weighted) Nodes() gonum.Nodes {
	ids := make([]int32, g.len())
	for i := range ids {
		ids[i] = int32(i)
	}
	return &nodes{ids: ids}
}
func (g weighted) From(id int64) gonum.Nodes {
	if !g.valid(id) {
		return gonum.Empty
	}
	return &nodes{ids: g.peer[g.off[id]:g.off[id+1]]}
}
func (g weighted) find(x, y int64) (int, bool) {
	if !g.valid(x) || !g.valid(y) {
		return 0, false
	}
	row := g.peer[g.off[x]:g.off[x+1]]
	i, ok := slices.BinarySearch(row, int32(y))
	return int(g.off[x]) + i, ok
}
func (g weighted) HasEdgeBetween(x, y int64) bool { _, ok := g.find(x, y); return ok }
func (g weighted) Edge(u, v int64) gonum.Edge     { return g.WeightedEdge(u, v) }
func (g weighted) EdgeBetween(x, y int64) gonum.Edge {
	return g.WeightedEdge(x, y)
}
func (g weighted) WeightedEdge(u, v int64) gonum.WeightedEdge {
	i, ok := g.find(u, v)
	if !ok {
		return nil
	}
	return edge{f: node(u), t: node(v), w: g.w[i]}
}
func (g weighted) WeightedEdgeBetween(x, y int64) gonum.WeightedEdge { return g.WeightedEdge(x, y) }
func (g weighted) Weight(x, y int64) (float64, bool) {
	if x == y && g.valid(x) {
		return g.self[x], true
	}
	i, ok := g.find(x, y)
	if !ok {
		return math.Inf(1), false
	}
	return g.w[i], true
}
