package graph

import (
	"slices"
	"sync"
)

// egoScratch is an ego-network query's working memory over dense indices,
// pooled so that a query allocates nothing in proportion to the graph and
// uses no maps. A generation stamp marks membership, so nothing is cleared
// between queries.
type egoScratch struct {
	gen   uint32
	in    []uint32  // in[i] == gen: i is in the result
	cand  []uint32  // cand[i] == gen: i is a candidate at this level, best[i] is valid
	best  []float64 // strongest tie of a candidate to someone already in
	cands []candidate
}

type candidate struct {
	n int32
	w float64
}

var egoScratches sync.Pool

func getEgoScratch(n int) *egoScratch {
	s, _ := egoScratches.Get().(*egoScratch)
	if s == nil {
		s = &egoScratch{}
	}
	if len(s.in) < n {
		s.in, s.cand, s.best = make([]uint32, n), make([]uint32, n), make([]float64, n)
		s.gen = 0
	}
	s.next()
	return s
}

// next starts a new generation; on wrap-around the stamps are cleared.
func (s *egoScratch) next() {
	s.gen++
	if s.gen == 0 {
		clear(s.in)
		clear(s.cand)
		s.gen = 1
	}
}

// runWeight sums the visible weight of the run of l that starts at i (the
// contributions of one peer) and returns where the next run starts.
func (vw *view) runWeight(l []contrib, i int) (w float64, next int) {
	p := l[i].peer
	for ; i < len(l) && l[i].peer == p; i++ {
		if c := &l[i]; vw.visible(c) {
			w += vw.value(c)
		}
	}
	return w, i
}

// skipRun returns where the run of l that starts at i ends.
func skipRun(l []contrib, i int) int {
	p := l[i].peer
	for i++; i < len(l) && l[i].peer == p; i++ {
	}
	return i
}

// egoNetwork walks out from the user level by level; at each level the
// candidates with the strongest tie to someone already in are taken first.
// It returns the nodes in order and the depth of each. Peers already in the
// result are skipped before their weights are summed.
func egoNetwork(vw *view, userID int, q NeighborQuery) (order []int32, depths []int) {
	start, ok := vw.m.index[userID]
	if !ok {
		return nil, nil
	}
	s := getEgoScratch(len(vw.m.ids))
	defer egoScratches.Put(s)
	s.in[start] = s.gen
	order, depths = []int32{start}, []int{0}
	frontier := 0 // order[frontier:] is the last level taken
	for d := 1; d <= q.Depth && len(order) < q.Limit+1 && frontier < len(order); d++ {
		cands := s.cands[:0]
		for _, f := range order[frontier:] {
			l := vw.m.adj[f]
			for i := 0; i < len(l); {
				p := l[i].peer
				if s.in[p] == s.gen || vw.isHidden(p) {
					i = skipRun(l, i)
					continue
				}
				var w float64
				w, i = vw.runWeight(l, i)
				if w <= 0 || w < q.MinWeight {
					continue
				}
				switch {
				case s.cand[p] != s.gen:
					s.cand[p], s.best[p] = s.gen, w
					cands = append(cands, candidate{n: p})
				case w > s.best[p]:
					s.best[p] = w
				}
			}
		}
		for i := range cands {
			cands[i].w = s.best[cands[i].n]
			s.cand[cands[i].n] = 0 // those not taken may be candidates again
		}
		frontier = len(order)
		for _, c := range strongest(cands, q.Limit+1-len(order)) {
			s.in[c.n] = s.gen
			order = append(order, c.n)
			depths = append(depths, d)
		}
		s.cands = cands[:0]
	}
	return order, depths
}

// stronger orders candidates: the strongest tie first, then the lowest index.
func stronger(a, b candidate) int {
	switch {
	case a.w > b.w:
		return -1
	case a.w < b.w:
		return 1
	}
	return int(a.n - b.n)
}

// strongest returns the k strongest of c, strongest first, reordering c.
// A hub's second level has thousands of candidates for a few places, so
// it keeps the best k in a heap rather than sorting them all.
func strongest(c []candidate, k int) []candidate {
	if k <= 0 {
		return nil
	}
	if k >= len(c) {
		slices.SortFunc(c, stronger)
		return c
	}
	h := c[:k] // a heap whose root is the weakest kept
	for i := k/2 - 1; i >= 0; i-- {
		siftWeakest(h, i)
	}
	for _, x := range c[k:] {
		if stronger(x, h[0]) < 0 {
			h[0] = x
			siftWeakest(h, 0)
		}
	}
	slices.SortFunc(h, stronger)
	return h
}

func siftWeakest(h []candidate, i int) {
	for {
		w := i
		if l := 2*i + 1; l < len(h) && stronger(h[l], h[w]) > 0 {
			w = l
		}
		if r := 2*i + 2; r < len(h) && stronger(h[r], h[w]) > 0 {
			w = r
		}
		if w == i {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

// edgesAmong lists the ties among the given nodes, of at least minWeight.
func edgesAmong(vw *view, members []int32, minWeight float64) []rawEdge {
	s := getEgoScratch(len(vw.m.ids))
	defer egoScratches.Put(s)
	for _, n := range members {
		s.in[n] = s.gen
	}
	var out []rawEdge
	for _, n := range members {
		l := vw.m.adj[n]
		for i := 0; i < len(l); {
			p := l[i].peer
			if p <= n || s.in[p] != s.gen {
				i = skipRun(l, i)
				continue
			}
			t, seen, next := vw.runTotals(l, i)
			i = next
			if seen && t.weight > 0 && t.weight >= minWeight {
				out = append(out, rawEdge{a: n, b: p, t: t})
			}
		}
	}
	return out
}
