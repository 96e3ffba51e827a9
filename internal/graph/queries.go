package graph

import (
	"context"
	"math"
	"slices"
	"sort"

	"github.com/crn-dev/crn/ent/graphaffiliation"
	"github.com/crn-dev/crn/internal/apperr"
)

// Node is a customer in a result.
type Node struct {
	ID          int     `json:"id"`
	Username    string  `json:"username"`
	DisplayName string  `json:"display_name"`
	Depth       int     `json:"depth"`
	Score       float64 `json:"score,omitempty"`
}

// Edge is what ties two customers, as the viewer may see it: the total
// weight now (decayed), the part from Source to Target, and the
// interactions behind it by kind.
type Edge struct {
	Source int              `json:"source"`
	Target int              `json:"target"`
	Weight float64          `json:"weight"`
	Out    float64          `json:"weight_from_source"`
	Counts map[string]int32 `json:"counts"`
}

// Network is a set of customers and the ties among them.
type Network struct {
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Query limits.
const (
	MaxDepth          = 3
	DefaultLimit      = 50
	MaxLimit          = 500
	RecommendationMax = 10
)

// NeighborQuery asks for an ego network.
type NeighborQuery struct {
	Depth     int
	Kinds     KindSet
	MinWeight float64
	Limit     int
}

func (q *NeighborQuery) check() error {
	problems := map[string]string{}
	if q.Depth == 0 {
		q.Depth = 1
	}
	if q.Depth < 1 || q.Depth > MaxDepth {
		problems["depth"] = "must be 1, 2 or 3"
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 1 || q.Limit > MaxLimit {
		problems["limit"] = "must be between 1 and 500"
	}
	if q.MinWeight < 0 || math.IsNaN(q.MinWeight) || math.IsInf(q.MinWeight, 0) {
		problems["min_weight"] = "must be a non-negative number"
	}
	if len(problems) > 0 {
		return apperr.Validation(problems)
	}
	return nil
}

// view opens a view of the live graph for v; the caller must call done.
func (s *Service) view(ctx context.Context, v Viewer, f Filter) (*view, func(), error) {
	hidden, err := s.hidden(ctx)
	if err != nil {
		return nil, nil, err
	}
	f.Hidden = hidden
	s.mem.mu.RLock()
	return newView(s.mem, v, f, &s.opts.Weights, s.opts.Decay, s.opts.Now()), s.mem.mu.RUnlock, nil
}

// Neighbors is the ego network of the user named username: the user, the
// customers within q.Depth ties of at least q.MinWeight, at most q.Limit of
// them (the strongest ties are followed first), and the ties among them.
func (s *Service) Neighbors(ctx context.Context, v Viewer, username string, q NeighborQuery) (Network, error) {
	if err := q.check(); err != nil {
		return Network{}, err
	}
	u, err := s.userByName(ctx, v, username)
	if err != nil {
		return Network{}, err
	}
	vw, done, err := s.view(ctx, v, Filter{Kinds: q.Kinds})
	if err != nil {
		return Network{}, err
	}
	order, depths := egoNetwork(vw, u.ID, q)
	r := resolve(vw.m, order, depths, edgesAmong(vw, order, q.MinWeight))
	done()
	return s.network(ctx, r)
}

type rawEdge struct {
	a, b int32
	t    pairTotals
}

func countsOf(c *[numKinds]int32) map[string]int32 {
	out := map[string]int32{}
	for k, n := range c {
		if n > 0 {
			out[kindNames[k]] = n
		}
	}
	return out
}

// resolved is a result in user ids, free of the dense indices that are
// only valid under Memory's lock.
type resolved struct {
	ids   []int
	depth []int
	score []float64
	edges []Edge
}

// resolve turns dense nodes (order[i] at depths[i]) and edges into user
// ids; call it under the lock.
func resolve(m *Memory, order []int32, depths []int, edges []rawEdge) resolved {
	r := resolved{ids: make([]int, len(order)), depth: depths, score: make([]float64, len(order))}
	for i, n := range order {
		r.ids[i] = m.ids[n]
	}
	r.edges = make([]Edge, len(edges))
	for i, e := range edges {
		r.edges[i] = Edge{Source: m.ids[e.a], Target: m.ids[e.b], Weight: round(e.t.weight), Out: round(e.t.out), Counts: countsOf(&e.t.counts)}
	}
	return r
}

// network renders a resolved result with user names.
func (s *Service) network(ctx context.Context, r resolved) (Network, error) {
	users, err := s.users(ctx, r.ids)
	if err != nil {
		return Network{}, err
	}
	net := Network{Nodes: make([]Node, 0, len(r.ids)), Edges: r.edges}
	if net.Edges == nil {
		net.Edges = []Edge{}
	}
	for i, id := range r.ids {
		n := Node{ID: id, Depth: r.depth[i], Score: r.score[i]}
		if u := users[id]; u != nil {
			n.Username, n.DisplayName = u.Username, u.DisplayName
		}
		net.Nodes = append(net.Nodes, n)
	}
	return net, nil
}

func round(f float64) float64 { return math.Round(f*1e6) / 1e6 }

// PathResult is the strongest chain of ties between two customers.
type PathResult struct {
	Nodes []Node `json:"nodes"`
	// Hops are the ties along the path, in order, each with the interactions
	// that make it.
	Hops []Edge `json:"hops"`
	// Cost is the sum of 1/weight over the hops: the lower, the stronger.
	Cost float64 `json:"cost"`
}

// Path finds the strongest path between two customers: the path whose sum of
// 1/weight over its hops is least (bidirectional Dijkstra, see bidir.go).
func (s *Service) Path(ctx context.Context, v Viewer, from, to string, kinds KindSet) (PathResult, error) {
	a, err := s.userByName(ctx, v, from)
	if err != nil {
		return PathResult{}, err
	}
	b, err := s.userByName(ctx, v, to)
	if err != nil {
		return PathResult{}, err
	}
	vw, done, err := s.view(ctx, v, Filter{Kinds: kinds})
	if err != nil {
		return PathResult{}, err
	}
	ia, okA := vw.m.index[a.ID]
	ib, okB := vw.m.index[b.ID]
	var order []int32
	cost := math.Inf(1)
	if okA && okB {
		order, cost = strongestPath(vw, ia, ib)
	}
	if len(order) == 0 || math.IsInf(cost, 1) {
		done()
		return PathResult{}, apperr.NotFound("no_path", "these customers are not connected")
	}
	depths := make([]int, len(order))
	for i := range order {
		depths[i] = i
	}
	hops := make([]rawEdge, 0, len(order)-1)
	for i := 1; i < len(order); i++ {
		t, _ := vw.between(order[i-1], order[i])
		hops = append(hops, rawEdge{a: order[i-1], b: order[i], t: t})
	}
	r := resolve(vw.m, order, depths, hops)
	done()
	net, err := s.network(ctx, r)
	if err != nil {
		return PathResult{}, err
	}
	return PathResult{Nodes: net.Nodes, Hops: net.Edges, Cost: round(cost)}, nil
}

// Recommendation is a customer or a group worth following or joining.
type Recommendation struct {
	User    *Node   `json:"user,omitempty"`
	GroupID int     `json:"group_id,omitempty"`
	Score   float64 `json:"score"`
	Reason  string  `json:"reason"`
	// Via are the viewer's connections that make the case.
	Via []string `json:"via"`
}

// Recommendations are people and groups suggested to one customer.
type Recommendations struct {
	People []Recommendation `json:"people"`
	Groups []Recommendation `json:"groups"`
}

// Recommend suggests whom the user named username might follow (the
// Adamic–Adar score of common neighbours: a friend in common counts more
// when that friend has few ties) and which public groups they might join
// (those their strongest ties belong to). Customers see their own; staff
// anyone's.
func (s *Service) Recommend(ctx context.Context, v Viewer, username string) (Recommendations, error) {
	u, err := s.userByName(ctx, v, username)
	if err != nil {
		return Recommendations{}, err
	}
	if u.ID != v.UserID && !v.Staff {
		return Recommendations{}, apperr.Forbidden("not_yours", "you may only see your own recommendations")
	}
	vw, done, err := s.view(ctx, v, Filter{})
	if err != nil {
		return Recommendations{}, err
	}
	people, ties := adamicAdar(vw, u.ID)
	done()
	out := Recommendations{People: []Recommendation{}, Groups: []Recommendation{}}
	need := []int{}
	for _, p := range people {
		need = append(need, p.user)
		need = append(need, p.via...)
	}
	groups, err := s.groupSuggestions(ctx, u.ID, ties)
	if err != nil {
		return out, err
	}
	for _, g := range groups {
		need = append(need, g.via...)
	}
	users, err := s.users(ctx, need)
	if err != nil {
		return out, err
	}
	names := func(ids []int) []string {
		out := []string{}
		for _, id := range ids {
			if x := users[id]; x != nil {
				out = append(out, x.Username)
			}
		}
		return out
	}
	for _, p := range people {
		x := users[p.user]
		if x == nil {
			continue
		}
		via := names(p.via)
		out.People = append(out.People, Recommendation{
			User: &Node{ID: x.ID, Username: x.Username, DisplayName: x.DisplayName, Depth: 2}, Score: round(p.score),
			Reason: plural(p.common, "connection") + " in common", Via: via,
		})
	}
	for _, g := range groups {
		out.Groups = append(out.Groups, Recommendation{GroupID: g.user, Score: round(g.score),
			Reason: plural(g.common, "of your connections") + " belong to it", Via: names(g.via)})
	}
	return out, nil
}

type suggestion struct {
	user   int
	score  float64
	common int
	via    []int // up to three, strongest first
}

// adamicAdar scores the neighbours of the user's neighbours. It returns the
// best RecommendationMax, and the user's ties by weight.
func adamicAdar(vw *view, userID int) ([]suggestion, map[int]float64) {
	u, ok := vw.m.index[userID]
	ties := map[int]float64{}
	if !ok {
		return nil, ties
	}
	near := map[int32]float64{}
	following := map[int32]bool{}
	for _, c := range vw.m.adj[u] {
		if c.kind == Follow && c.out && c.count > 0 {
			following[c.peer] = true
		}
	}
	vw.eachPeer(u, func(p int32, t *pairTotals) { near[p] = t.weight })
	type acc struct {
		score float64
		via   []int32
	}
	scores := map[int32]*acc{}
	for z := range near {
		deg := 0
		vw.eachPeer(z, func(int32, *pairTotals) { deg++ })
		if deg < 2 {
			continue
		}
		inc := 1 / math.Log(float64(deg))
		vw.eachPeer(z, func(p int32, _ *pairTotals) {
			if _, direct := near[p]; direct || p == u || following[p] {
				return
			}
			a := scores[p]
			if a == nil {
				a = &acc{}
				scores[p] = a
			}
			a.score += inc
			a.via = append(a.via, z)
		})
	}
	out := make([]suggestion, 0, len(scores))
	for p, a := range scores {
		slices.SortFunc(a.via, func(x, y int32) int {
			switch {
			case near[x] > near[y]:
				return -1
			case near[x] < near[y]:
				return 1
			}
			return int(x - y)
		})
		via := make([]int, 0, 3)
		for _, z := range a.via[:min(3, len(a.via))] {
			via = append(via, vw.m.ids[z])
		}
		out = append(out, suggestion{user: vw.m.ids[p], score: a.score, common: len(a.via), via: via})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].user < out[j].user
	})
	if len(out) > RecommendationMax {
		out = out[:RecommendationMax]
	}
	for p, w := range near {
		ties[vw.m.ids[p]] = w
	}
	return out, ties
}

// groupSuggestions ranks the public groups the user's ties belong to and the
// user does not, by the weight of those ties.
func (s *Service) groupSuggestions(ctx context.Context, userID int, ties map[int]float64) ([]suggestion, error) {
	if len(ties) == 0 {
		return nil, nil
	}
	ids := make([]int, 0, len(ties))
	for id := range ties {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ties[ids[i]] > ties[ids[j]] })
	ids = ids[:min(len(ids), 200)]
	rows, err := s.db.GraphAffiliation.Query().Where(graphaffiliation.Kind(affGroup), graphaffiliation.Scope(scopeMembers),
		graphaffiliation.UserIDIn(append(ids, userID)...)).All(ctx)
	if err != nil {
		return nil, apperr.Internal("group suggestions", err)
	}
	mine := map[int]bool{}
	byGroup := map[int]*suggestion{}
	for _, r := range rows {
		if r.UserID == userID {
			mine[r.RefID] = true
			continue
		}
		g := byGroup[r.RefID]
		if g == nil {
			g = &suggestion{user: r.RefID}
			byGroup[r.RefID] = g
		}
		g.score += ties[r.UserID]
		g.common++
		g.via = append(g.via, r.UserID)
	}
	out := []suggestion{}
	for id, g := range byGroup {
		if mine[id] {
			continue
		}
		sort.Slice(g.via, func(i, j int) bool { return ties[g.via[i]] > ties[g.via[j]] })
		g.via = g.via[:min(3, len(g.via))]
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score > out[j].score
		}
		return out[i].user < out[j].user
	})
	return out[:min(len(out), RecommendationMax)], nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return itoa(n) + " " + what
}
