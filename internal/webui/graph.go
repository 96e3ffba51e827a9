package webui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/graph"
)

// The relationship graph explorer (staff): a customer's ego network drawn
// with Cytoscape.js (web/static/js/graph.js), its circles coloured and its
// people sized by PageRank, with the same network as a table for readers
// without script; and the community's top influencers and communities.

// Explorer limits.
const (
	explorerLimit    = 60 // customers besides the ego
	explorerDepthMax = 2
	explorerListed   = 10 // influencers and communities listed
	// explorerCircles is how many circles get a colour of their own; the
	// rest share a grey (web/static/css/graph.css, graph.js).
	explorerCircles = 8
)

func (s *server) routesGraph(h func(string, handler)) {
	if s.Graph == nil {
		return
	}
	h("GET /graph", s.graphPage)
	h("GET /graph/data", s.graphData)
	h("GET /u/{username}/followers", s.followsPage(true))
	h("GET /u/{username}/following", s.followsPage(false))
	h("POST /u/{username}/follow", s.follow(true))
	h("POST /u/{username}/unfollow", s.follow(false))
}

var errStaffOnly = apperr.Forbidden("staff_only", "graph analytics are for staff")

// requireStaff admits admins, moderators and staff.
func (rq *request) requireStaff() error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	if !rq.actor.Staff() {
		return errStaffOnly
	}
	return nil
}

// explorerQuery is what the explorer's form asks: whose network, how deep,
// which kinds of ties.
type explorerQuery struct {
	User  string
	Depth int
	Kinds map[string]bool // chosen kinds; none: all
	set   graph.KindSet
}

func invalidParam(name, problem string) error {
	e := apperr.Invalid("invalid_parameter", "query parameter "+name+" "+problem)
	e.Fields = map[string]string{name: problem}
	return e
}

func (rq *request) explorerQuery() (explorerQuery, error) {
	v := rq.r.URL.Query()
	q := explorerQuery{User: strings.TrimPrefix(strings.TrimSpace(v.Get("user")), "@"), Depth: 1, Kinds: map[string]bool{}}
	if d := v.Get("depth"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > explorerDepthMax {
			return q, invalidParam("depth", "must be 1 or 2")
		}
		q.Depth = n
	}
	var kinds []string
	for _, k := range v["kind"] {
		if k = strings.TrimSpace(k); k != "" {
			kinds = append(kinds, k)
			q.Kinds[k] = true
		}
	}
	set, err := graph.ParseKinds(strings.Join(kinds, ","))
	if err != nil {
		return q, invalidParam("kind", "must name kinds of ties")
	}
	q.set = set
	return q, nil
}

// encode is the query string of q, for links and the data endpoint.
func (q explorerQuery) encode(user string) string {
	v := url.Values{"user": {user}, "depth": {strconv.Itoa(q.Depth)}}
	for _, k := range graph.KindNames() {
		if q.Kinds[k] {
			v.Add("kind", k)
		}
	}
	return v.Encode()
}

// explorerRow is one person of an ego network.
type explorerRow struct {
	graph.Node
	Name    string
	Circle  int     // their circle in this network, from 1
	Colour  int     // the circle's colour, 0 for the shared grey
	Tie     float64 // the weight of their tie to the ego; 0 beyond depth 1
	Rank    int     // PageRank position in the whole community; 0: not among the first graph.MaxLimit, or not known
	Score   float64 // PageRank score, when Rank > 0
	Explore string  // the explorer centred on them
}

type kindOption struct {
	Name    string
	Checked bool
}

type explorerData struct {
	Query    explorerQuery
	Kinds    []kindOption
	Depths   []int
	NotFound bool // no such customer in the graph (or they opted out)
	NoTies   bool // the customer has no ties (of these kinds) yet
	Ego      *explorerRow
	Rows     []explorerRow // the ego network without the ego, nearest and most influential first
	Ties     int
	Circles  int
	DataURL  string // the same network as JSON, for graph.js

	RanksReady  bool // PageRank answered within the wait
	Influencers []explorerRow
	CommsReady  bool // communities answered within the wait
	Communities []graph.Community
	Modularity  float64
	CommsTotal  int
	InNetwork   map[int]bool // members of the ego network, marked in the community lists

	net graph.Network
}

// ranks is PageRank over the whole graph, waited for at most GraphWait.
// The computation is shared by every staff request (staff see every scope,
// so the result is the same for all of them).
func (s *server) ranks(ctx context.Context, v graph.Viewer) ([]graph.Ranked, bool, error) {
	return waitSlow(ctx, &s.slow, "pagerank", s.GraphWait, func(ctx context.Context) ([]graph.Ranked, error) {
		return s.Graph.Influencers(ctx, v, graph.AnalyticsQuery{Metric: graph.MetricPageRank, Limit: graph.MaxLimit})
	})
}

func (s *server) communities(ctx context.Context, v graph.Viewer) (graph.Communities, bool, error) {
	return waitSlow(ctx, &s.slow, "communities", s.GraphWait, func(ctx context.Context) (graph.Communities, error) {
		return s.Graph.Communities(ctx, v, graph.AnalyticsQuery{})
	})
}

// explore builds the explorer's data; withCommunities adds the community
// listing (the page shows it, the JSON does not need it).
func (s *server) explore(rq *request, q explorerQuery, withCommunities bool) (explorerData, error) {
	ctx := rq.r.Context()
	d := explorerData{Query: q, Depths: []int{1, 2}, InNetwork: map[int]bool{}}
	for _, k := range graph.KindNames() {
		d.Kinds = append(d.Kinds, kindOption{Name: k, Checked: q.Kinds[k]})
	}
	v, err := s.Graph.Viewer(ctx, rq.actor)
	if err != nil {
		return d, err
	}
	var net graph.Network
	if q.User != "" {
		net, err = s.Graph.Neighbors(ctx, v, q.User, graph.NeighborQuery{Depth: q.Depth, Kinds: q.set, Limit: explorerLimit})
		if e := apperr.As(err); e != nil && e.Kind == apperr.KindNotFound {
			d.NotFound, err = true, nil
		}
		if err != nil {
			return d, err
		}
	}
	ranked, ready, err := s.ranks(ctx, v)
	if err != nil {
		return d, err
	}
	d.RanksReady = ready
	rank := make(map[int]graph.Ranked, len(ranked))
	for _, r := range ranked {
		rank[r.ID] = r
	}
	row := func(n graph.Node) explorerRow {
		r := explorerRow{Node: n, Name: n.DisplayName, Explore: "/graph?" + q.encode(n.Username)}
		if r.Name == "" {
			r.Name = n.Username
		}
		if x, ok := rank[n.ID]; ok {
			r.Rank, r.Score = x.Rank, x.Score
		}
		return r
	}
	for _, r := range ranked[:min(len(ranked), explorerListed)] {
		d.Influencers = append(d.Influencers, row(r.Node))
	}
	if len(net.Nodes) > 0 {
		s.egoRows(&d, net, row)
	}
	d.NoTies = q.User != "" && !d.NotFound && len(d.Rows) == 0
	if withCommunities {
		cs, ready, err := s.communities(ctx, v)
		if err != nil {
			return d, err
		}
		d.CommsReady = ready && cs.Status != graph.StatusComputing
		d.Communities = cs.Communities[:min(len(cs.Communities), explorerListed)]
		d.Modularity, d.CommsTotal = cs.Modularity, cs.Total
	}
	return d, nil
}

// egoRows fills the ego, the rows and their circles from a network.
func (s *server) egoRows(d *explorerData, net graph.Network, row func(graph.Node) explorerRow) {
	circles := graph.Circles(net)
	ego := net.Nodes[0] // Neighbors puts the ego first, at depth 0
	for _, n := range net.Nodes {
		if n.Depth == 0 {
			ego = n
			break
		}
	}
	tie := map[int]float64{}
	for _, e := range net.Edges {
		switch ego.ID {
		case e.Source:
			tie[e.Target] += e.Weight
		case e.Target:
			tie[e.Source] += e.Weight
		}
	}
	for _, n := range net.Nodes {
		r := row(n)
		r.Circle, r.Tie = circles[n.ID], tie[n.ID]
		if r.Circle <= explorerCircles {
			r.Colour = r.Circle
		}
		d.Circles = max(d.Circles, r.Circle)
		d.InNetwork[n.ID] = true
		if n.ID == ego.ID {
			d.Ego = &r
			continue
		}
		d.Rows = append(d.Rows, r)
	}
	sort.SliceStable(d.Rows, func(i, j int) bool {
		a, b := d.Rows[i], d.Rows[j]
		if a.Depth != b.Depth {
			return a.Depth < b.Depth
		}
		if (a.Rank > 0) != (b.Rank > 0) {
			return a.Rank > 0
		}
		if a.Rank != b.Rank {
			return a.Rank < b.Rank
		}
		return a.Tie > b.Tie
	})
	d.Ties, d.net = len(net.Edges), net
	d.DataURL = "/graph/data?" + d.Query.encode(ego.Username)
}

// graphPage is the explorer.
func (s *server) graphPage(rq *request) error {
	if err := rq.requireStaff(); err != nil {
		return err
	}
	q, err := rq.explorerQuery()
	if err != nil {
		return err
	}
	d, err := s.explore(rq, q, true)
	if err != nil {
		return err
	}
	title := rq.lang.T("graph.title")
	code := http.StatusOK
	if d.NotFound {
		code = http.StatusNotFound
	}
	return rq.renderView(code, "graph", rq.view(title, d))
}

// graphNode and graphEdge are what graph.js draws.
type graphNode struct {
	ID       int     `json:"id"`
	Username string  `json:"username"`
	Label    string  `json:"label"`
	Depth    int     `json:"depth"`
	Circle   int     `json:"circle"`
	Colour   int     `json:"colour"`
	Rank     int     `json:"rank,omitempty"`
	Score    float64 `json:"score,omitempty"`
	Href     string  `json:"href"`
}

type graphEdge struct {
	Source int     `json:"source"`
	Target int     `json:"target"`
	Weight float64 `json:"weight"`
}

// graphData answers the explorer's network as JSON for graph.js. Errors are
// JSON too, in the API's shape.
func (s *server) graphData(rq *request) error {
	err := rq.requireStaff()
	var q explorerQuery
	if err == nil {
		q, err = rq.explorerQuery()
	}
	if err == nil && q.User == "" {
		err = invalidParam("user", "must name a customer")
	}
	var d explorerData
	if err == nil {
		d, err = s.explore(rq, q, false)
	}
	if err == nil && d.NotFound {
		err = apperr.NotFound("user_not_found", "no such user")
	}
	if err != nil {
		e := apperr.As(err)
		if e == nil || e.Kind == apperr.KindInternal || e.Kind == apperr.KindUnavailable {
			return err // logged and rendered by the wrapper
		}
		return rq.json(status(e.Kind), map[string]any{"error": map[string]string{"code": e.Code, "message": rq.lang.Err(e.Code, e.Message)}})
	}
	out := struct {
		Ego        int         `json:"ego"`
		RanksReady bool        `json:"ranks_ready"`
		Nodes      []graphNode `json:"nodes"`
		Edges      []graphEdge `json:"edges"`
	}{RanksReady: d.RanksReady, Nodes: []graphNode{}, Edges: []graphEdge{}}
	rows := d.Rows
	if d.Ego != nil {
		out.Ego, rows = d.Ego.ID, append([]explorerRow{*d.Ego}, d.Rows...)
	}
	for _, r := range rows {
		out.Nodes = append(out.Nodes, graphNode{ID: r.ID, Username: r.Username, Label: r.Name, Depth: r.Depth, Circle: r.Circle,
			Colour: r.Colour, Rank: r.Rank, Score: r.Score, Href: "/u/" + url.PathEscape(r.Username)})
	}
	for _, e := range d.net.Edges {
		out.Edges = append(out.Edges, graphEdge{Source: e.Source, Target: e.Target, Weight: e.Weight})
	}
	return rq.json(http.StatusOK, out)
}

func (rq *request) json(code int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := rq.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "private, no-cache")
	rq.w.WriteHeader(code)
	_, err = rq.w.Write(b)
	return err
}
