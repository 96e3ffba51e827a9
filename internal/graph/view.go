package graph

import (
	"math"
	"time"

	gonum "gonum.org/v1/gonum/graph"
)

// Viewer is who looks at the graph, and what they may see.
type Viewer struct {
	UserID int
	Staff  bool
	Groups map[int]bool // the private groups the viewer belongs to
}

// Filter narrows what a query counts. Its zero value counts everything a
// viewer may see, decayed to now.
type Filter struct {
	Kinds KindSet
	Forum int // only interactions in this forum; 0 for all
	// Hidden are users who opted out of others' results.
	Hidden map[int]bool
}

// view is the graph as one viewer sees it at one instant: contributions they
// may not see, of kinds not asked for, or touching hidden users, are left out,
// and the rest are weighted and decayed. It implements gonum's Undirected and
// Weighted interfaces over Memory without copying it. The caller holds
// Memory's read lock while using it.
type view struct {
	m       *Memory
	v       Viewer
	f       Filter
	weights *Weights
	decay   Decay
	now     int64
	factor  float64 // what a normalised score is worth now
	hidden  []bool  // by dense index
	// pairs caches the last From call: Dijkstra asks for the weights of the
	// node it just expanded.
	lastFrom int32
	lastPeer []int32
	lastW    []float64
}

func newView(m *Memory, v Viewer, f Filter, w *Weights, d Decay, now time.Time) *view {
	vw := &view{m: m, v: v, f: f, weights: w, decay: d, now: now.Unix(), factor: m.factor(now.Unix()), lastFrom: -1}
	if len(f.Hidden) > 0 {
		vw.hidden = make([]bool, len(m.ids))
		for u := range f.Hidden {
			if i, ok := m.index[u]; ok && u != v.UserID {
				vw.hidden[i] = true
			}
		}
	}
	return vw
}

func (vw *view) isHidden(i int32) bool { return vw.hidden != nil && vw.hidden[i] }

// visible reports whether the viewer may count c.
func (vw *view) visible(c *contrib) bool {
	if !vw.f.Kinds.Has(c.kind) || (vw.f.Forum != 0 && int(c.forum) != vw.f.Forum) {
		return false
	}
	switch {
	case c.scope == scopeMembers:
		return true
	case c.scope == scopeStaff:
		return vw.v.Staff
	}
	return vw.v.Staff || vw.v.Groups[int(c.scope)]
}

// value is c's weight now.
func (vw *view) value(c *contrib) float64 {
	if !c.kind.decays() {
		return vw.weights[c.kind] * c.norm
	}
	return vw.weights[c.kind] * c.norm * vw.factor
}

// pairTotals is what a viewer sees between two users.
type pairTotals struct {
	weight float64         // both directions
	out    float64         // from the first user to the second
	counts [numKinds]int32 // interactions by kind, both directions
}

// eachPeer calls fn for every visible neighbour of u with the totals
// between them, in peer order.
func (vw *view) eachPeer(u int32, fn func(peer int32, t *pairTotals)) {
	l := vw.m.adj[u]
	var t pairTotals // one for the whole row: fn's &t makes it escape
	for i := 0; i < len(l); {
		p := l[i].peer
		var seen bool
		t, seen, i = vw.runTotals(l, i)
		if seen && t.weight > 0 && !vw.isHidden(p) {
			fn(p, &t)
		}
	}
}

// runTotals sums what the viewer sees of the run of l that starts at i (the
// contributions of one peer) and returns where the next run starts.
func (vw *view) runTotals(l []contrib, i int) (t pairTotals, seen bool, next int) {
	p := l[i].peer
	for ; i < len(l) && l[i].peer == p; i++ {
		c := &l[i]
		if !vw.visible(c) {
			continue
		}
		w := vw.value(c)
		t.weight += w
		if c.out {
			t.out += w
		}
		t.counts[c.kind] += c.count
		seen = true
	}
	return t, seen, i
}

// between is the totals of the pair (u, v).
func (vw *view) between(u, v int32) (pairTotals, bool) {
	if vw.isHidden(u) || vw.isHidden(v) {
		return pairTotals{}, false
	}
	l := vw.m.adj[u]
	lo, hi := 0, len(l)
	for lo < hi { // first entry with peer >= v
		mid := (lo + hi) / 2
		if l[mid].peer < v {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(l) || l[lo].peer != v {
		return pairTotals{}, false
	}
	t, seen, _ := vw.runTotals(l, lo)
	return t, seen && t.weight > 0
}

// gonum node and edge types over dense indices.
type node int64

func (n node) ID() int64 { return int64(n) }

type edge struct {
	f, t node
	w    float64
}

func (e edge) From() gonum.Node         { return e.f }
func (e edge) To() gonum.Node           { return e.t }
func (e edge) ReversedEdge() gonum.Edge { return edge{f: e.t, t: e.f, w: e.w} }
func (e edge) Weight() float64          { return e.w }

// nodes iterates dense indices.
type nodes struct {
	ids []int32
	i   int
}

func (n *nodes) Next() bool {
	if n.i >= len(n.ids) {
		return false
	}
	n.i++
	return true
}
func (n *nodes) Node() gonum.Node {
	if n.i == 0 || n.i > len(n.ids) {
		return nil
	}
	return node(n.ids[n.i-1])
}
func (n *nodes) Len() int { return len(n.ids) - n.i }
func (n *nodes) Reset()   { n.i = 0 }

// The gonum interfaces of view: an undirected graph whose edge weight is
// the pair's total weight.
var (
	_ gonum.WeightedUndirected = (*view)(nil)
)

func (vw *view) valid(id int64) bool {
	return id >= 0 && id < int64(len(vw.m.ids)) && !vw.isHidden(int32(id))
}

// Node implements gonum.Graph.
func (vw *view) Node(id int64) gonum.Node {
	if !vw.valid(id) {
		return nil
	}
	return node(id)
}

// Nodes implements gonum.Graph.
func (vw *view) Nodes() gonum.Nodes {
	ids := make([]int32, 0, len(vw.m.ids))
	for i := range vw.m.ids {
		if !vw.isHidden(int32(i)) {
			ids = append(ids, int32(i))
		}
	}
	return &nodes{ids: ids}
}

// From implements gonum.Graph.
func (vw *view) From(id int64) gonum.Nodes {
	if !vw.valid(id) {
		return gonum.Empty
	}
	u := int32(id)
	vw.lastFrom, vw.lastPeer, vw.lastW = u, vw.lastPeer[:0], vw.lastW[:0]
	vw.eachPeer(u, func(p int32, t *pairTotals) {
		vw.lastPeer = append(vw.lastPeer, p)
		vw.lastW = append(vw.lastW, t.weight)
	})
	if len(vw.lastPeer) == 0 {
		return gonum.Empty
	}
	return &nodes{ids: append([]int32(nil), vw.lastPeer...)}
}

// pairWeight is the weight between two nodes, from the From cache when it can.
func (vw *view) pairWeight(x, y int64) (float64, bool) {
	if !vw.valid(x) || !vw.valid(y) {
		return 0, false
	}
	if int32(x) == vw.lastFrom {
		lo, hi := 0, len(vw.lastPeer)
		for lo < hi {
			mid := (lo + hi) / 2
			if vw.lastPeer[mid] < int32(y) {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		if lo < len(vw.lastPeer) && vw.lastPeer[lo] == int32(y) {
			return vw.lastW[lo], true
		}
		return 0, false
	}
	t, ok := vw.between(int32(x), int32(y))
	return t.weight, ok
}

// HasEdgeBetween implements gonum.Graph.
func (vw *view) HasEdgeBetween(x, y int64) bool { _, ok := vw.pairWeight(x, y); return ok }

// Edge implements gonum.Graph.
func (vw *view) Edge(u, v int64) gonum.Edge { return vw.WeightedEdge(u, v) }

// EdgeBetween implements gonum.Undirected.
func (vw *view) EdgeBetween(x, y int64) gonum.Edge { return vw.WeightedEdge(x, y) }

// WeightedEdge implements gonum.Weighted.
func (vw *view) WeightedEdge(u, v int64) gonum.WeightedEdge {
	w, ok := vw.pairWeight(u, v)
	if !ok {
		return nil
	}
	return edge{f: node(u), t: node(v), w: w}
}

// WeightedEdgeBetween implements gonum.WeightedUndirected.
func (vw *view) WeightedEdgeBetween(x, y int64) gonum.WeightedEdge { return vw.WeightedEdge(x, y) }

// Weight implements gonum.Weighted: a node to itself weighs 0, non-adjacent
// nodes +Inf.
func (vw *view) Weight(x, y int64) (float64, bool) {
	if x == y {
		return 0, true
	}
	w, ok := vw.pairWeight(x, y)
	if !ok {
		return math.Inf(1), false
	}
	return w, true
}

// costs presents a view's weights as path costs: a strong tie is a short
// hop (cost 1/weight), so the cheapest path is the strongest chain.
type costs struct{ *view }

// Weight implements path.Weighted.
func (c costs) Weight(x, y int64) (float64, bool) {
	if x == y {
		return 0, true
	}
	w, ok := c.pairWeight(x, y)
	if !ok || w <= 0 {
		return math.Inf(1), false
	}
	return 1 / w, true
}
