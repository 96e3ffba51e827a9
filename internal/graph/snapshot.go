package graph

import (
	"math"

	gonum "gonum.org/v1/gonum/graph"
)

// snapshot is a frozen, filtered copy of the graph in compressed sparse rows,
// for the batch algorithms (PageRank, betweenness, communities): they run
// for seconds, and must not hold Memory's lock meanwhile. Dense snapshot
// indices are gonum node ids; users maps them back.
type snapshot struct {
	users []int     // snapshot index -> user id
	off   []int32   // row i is peer[off[i]:off[i+1]]
	peer  []int32   // sorted within a row
	w     []float32 // total weight of the pair
	out   []float32 // weight from the row's node to the peer
}

// snapshotOf copies what vw shows, keeping only users for which keep is
// true (nil keeps all) and only users with at least one tie.
func snapshotOf(vw *view, keep func(user int) bool) *snapshot {
	m := vw.m
	n := len(m.ids)
	idx := make([]int32, n) // dense -> snapshot index, -1 when left out
	s := &snapshot{}
	for i := range n {
		idx[i] = -1
		if vw.isHidden(int32(i)) || (keep != nil && !keep(m.ids[i])) {
			continue
		}
		idx[i] = 0 // provisional: kept if it has a tie
	}
	degree := make([]int32, n)
	for i := range n {
		if idx[i] < 0 {
			continue
		}
		vw.eachPeer(int32(i), func(p int32, _ *pairTotals) {
			if idx[p] >= 0 {
				degree[i]++
			}
		})
	}
	for i := range n {
		if idx[i] < 0 || degree[i] == 0 {
			idx[i] = -1
			continue
		}
		idx[i] = int32(len(s.users))
		s.users = append(s.users, m.ids[i])
	}
	s.off = make([]int32, 1, len(s.users)+1)
	for i := range n {
		if idx[i] < 0 {
			continue
		}
		vw.eachPeer(int32(i), func(p int32, t *pairTotals) {
			if idx[p] < 0 {
				return
			}
			s.peer = append(s.peer, idx[p])
			s.w = append(s.w, float32(t.weight))
			s.out = append(s.out, float32(t.out))
		})
		s.off = append(s.off, int32(len(s.peer)))
		// Peers were in dense order; snapshot order is the same order, so
		// rows stay sorted.
	}
	return s
}

func (s *snapshot) row(i int64) (lo, hi int32) { return s.off[i], s.off[i+1] }

func (s *snapshot) find(x, y int64) (int32, bool) {
	if x < 0 || y < 0 || x >= int64(len(s.users)) || y >= int64(len(s.users)) {
		return 0, false
	}
	lo, hi := s.row(x)
	for lo < hi {
		mid := (lo + hi) / 2
		if s.peer[mid] < int32(y) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < s.off[x+1] && s.peer[lo] == int32(y) {
		return lo, true
	}
	return 0, false
}

// allNodes lists every snapshot node.
func (s *snapshot) allNodes() gonum.Nodes {
	ids := make([]int32, len(s.users))
	for i := range ids {
		ids[i] = int32(i)
	}
	return &nodes{ids: ids}
}

func (s *snapshot) node(id int64) gonum.Node {
	if id < 0 || id >= int64(len(s.users)) {
		return nil
	}
	return node(id)
}

// undirected presents a snapshot as gonum.WeightedUndirected.
type undirected struct{ *snapshot }

var _ gonum.WeightedUndirected = undirected{}

func (g undirected) Node(id int64) gonum.Node { return g.node(id) }
func (g undirected) Nodes() gonum.Nodes       { return g.allNodes() }
func (g undirected) From(id int64) gonum.Nodes {
	if g.node(id) == nil {
		return gonum.Empty
	}
	lo, hi := g.row(id)
	return &nodes{ids: g.peer[lo:hi]}
}
func (g undirected) HasEdgeBetween(x, y int64) bool { _, ok := g.find(x, y); return ok }
func (g undirected) Edge(u, v int64) gonum.Edge     { return g.WeightedEdge(u, v) }
func (g undirected) EdgeBetween(x, y int64) gonum.Edge {
	return g.WeightedEdge(x, y)
}
func (g undirected) WeightedEdge(u, v int64) gonum.WeightedEdge {
	i, ok := g.find(u, v)
	if !ok {
		return nil
	}
	return edge{f: node(u), t: node(v), w: float64(g.w[i])}
}
func (g undirected) WeightedEdgeBetween(x, y int64) gonum.WeightedEdge { return g.WeightedEdge(x, y) }
func (g undirected) Weight(x, y int64) (float64, bool) {
	if x == y {
		return 0, true
	}
	i, ok := g.find(x, y)
	if !ok {
		return math.Inf(1), false
	}
	return float64(g.w[i]), true
}

// directed presents a snapshot as gonum.WeightedDirected: u→v weighs what
// u gave v (replies, reactions, follows... point at whom they value).
type directed struct{ *snapshot }

var _ gonum.WeightedDirected = directed{}

func (g directed) Node(id int64) gonum.Node { return g.node(id) }
func (g directed) Nodes() gonum.Nodes       { return g.allNodes() }
func (g directed) From(id int64) gonum.Nodes {
	if g.node(id) == nil {
		return gonum.Empty
	}
	lo, hi := g.row(id)
	var ids []int32
	for i := lo; i < hi; i++ {
		if g.out[i] > 0 {
			ids = append(ids, g.peer[i])
		}
	}
	if len(ids) == 0 {
		return gonum.Empty
	}
	return &nodes{ids: ids}
}
func (g directed) To(id int64) gonum.Nodes {
	if g.node(id) == nil {
		return gonum.Empty
	}
	lo, hi := g.row(id)
	var ids []int32
	for i := lo; i < hi; i++ {
		if g.w[i]-g.out[i] > 0 {
			ids = append(ids, g.peer[i])
		}
	}
	if len(ids) == 0 {
		return gonum.Empty
	}
	return &nodes{ids: ids}
}
func (g directed) outWeight(u, v int64) (float64, bool) {
	i, ok := g.find(u, v)
	if !ok || g.out[i] <= 0 {
		return 0, false
	}
	return float64(g.out[i]), true
}
func (g directed) HasEdgeBetween(x, y int64) bool { _, ok := g.find(x, y); return ok }
func (g directed) HasEdgeFromTo(u, v int64) bool  { _, ok := g.outWeight(u, v); return ok }
func (g directed) Edge(u, v int64) gonum.Edge     { return g.WeightedEdge(u, v) }
func (g directed) WeightedEdge(u, v int64) gonum.WeightedEdge {
	w, ok := g.outWeight(u, v)
	if !ok {
		return nil
	}
	return edge{f: node(u), t: node(v), w: w}
}
func (g directed) Weight(x, y int64) (float64, bool) {
	if x == y {
		return 0, true
	}
	w, ok := g.outWeight(x, y)
	if !ok {
		return math.Inf(1), false
	}
	return w, true
}
