package graph

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Synthetic builds a graph for benchmarks and load tests: users 1..nodes in
// communities of 20 to 400, with about edges accumulators. Degrees follow a
// heavy tail (a few hubs), 85% of ties stay inside a community and the rest
// bridge communities; kinds, counts and ages vary. The same seed gives the
// same graph.
func Synthetic(nodes, edges int, seed uint64, now time.Time) *Memory {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	m := NewMemory(DefaultHalfLife)
	m.epoch = now.Unix()
	for u := 1; u <= nodes; u++ {
		m.node(u)
	}
	// Communities as contiguous id ranges.
	var starts []int
	for s := 0; s < nodes; {
		starts = append(starts, s)
		s += 20 + r.IntN(381)
	}
	community := func(i int) (int, int) {
		k, _ := slices.BinarySearch(starts, i+1)
		lo := starts[k-1]
		hi := nodes
		if k < len(starts) {
			hi = starts[k]
		}
		return lo, hi
	}
	// Heavy-tailed activity: Pareto weights pick the source of each tie.
	activity := make([]float64, nodes)
	total := 0.0
	for i := range activity {
		activity[i] = math.Pow(1-r.Float64(), -1/1.5)
		total += activity[i]
	}
	cum := make([]float64, nodes)
	acc := 0.0
	for i, a := range activity {
		acc += a / total
		cum[i] = acc
	}
	pick := func() int {
		i, _ := slices.BinarySearch(cum, r.Float64())
		return min(i, nodes-1)
	}
	kinds := []Kind{Follow, Reply, Reply, Reply, Mention, Quote, Reaction, Reaction, Reaction, Answer, CoVote, Group, Rating, Download}
	year := int64(365 * 24 * 3600)
	for range edges {
		src := pick()
		var dst int
		if r.Float64() < 0.85 {
			lo, hi := community(src)
			dst = lo + r.IntN(hi-lo)
		} else {
			dst = pick()
		}
		if dst == src {
			dst = (src + 1) % nodes
		}
		k := kinds[r.IntN(len(kinds))]
		count := 1 + int32(r.ExpFloat64()*2)
		if !k.decays() {
			count = 1
		}
		st := edgeState{count: int(count), score: float64(count), asOf: now.Add(-time.Duration(r.Int64N(year)) * time.Second)}
		c := contrib{peer: int32(dst), count: count, norm: m.norm(k, st), kind: k, out: true}
		m.adj[src] = append(m.adj[src], c)
		c.peer, c.out = int32(src), false
		m.adj[dst] = append(m.adj[dst], c)
		m.rows++
	}
	for _, l := range m.adj {
		slices.SortFunc(l, func(a, b contrib) int { return a.less(&b) })
	}
	return m
}
