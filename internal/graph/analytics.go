package graph

import (
	"context"
	"sort"
	"time"

	"gonum.org/v1/gonum/graph/network"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/graphaffiliation"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/internal/apperr"
)

// Metrics of Influencers.
const (
	MetricPageRank    = "pagerank"
	MetricBetweenness = "betweenness"
	MetricAnswers     = "answers"
)

// BetweennessMax is the most nodes betweenness is computed over: exact
// betweenness costs O(nodes × edges), so on a larger graph it runs on the
// subgraph of the BetweennessMax customers with the most weight.
const BetweennessMax = 2000

// AnalyticsQuery narrows an analytics request.
type AnalyticsQuery struct {
	Group    int       // only members of this group (and ties among them)
	Forum    int       // only interactions in this forum
	From, To time.Time // only interactions in [From, To), replayed from the outbox
	Metric   string
	Limit    int
}

func (q *AnalyticsQuery) check() error {
	problems := map[string]string{}
	switch q.Metric {
	case "":
		q.Metric = MetricPageRank
	case MetricPageRank, MetricBetweenness, MetricAnswers:
	default:
		problems["metric"] = "must be pagerank, betweenness or answers"
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 1 || q.Limit > MaxLimit {
		problems["limit"] = "must be between 1 and 500"
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		problems["to"] = "must be after from"
	}
	if q.Group < 0 || q.Forum < 0 {
		problems["group"] = "must be a positive id"
	}
	if len(problems) > 0 {
		return apperr.Validation(problems)
	}
	return nil
}

func staffOnly(v Viewer) error {
	if !v.Staff {
		return apperr.Forbidden("staff_only", "graph analytics are for staff")
	}
	return nil
}

// analyticsView freezes the graph the query asks for: the live graph, or a
// replay of the outbox for a time window; restricted to a group's members.
func (s *Service) analyticsView(ctx context.Context, v Viewer, q AnalyticsQuery) (*snapshot, *view, func(), error) {
	hidden, err := s.hidden(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	return s.analyticsViewHiding(ctx, v, q, hidden)
}

// analyticsViewHiding is analyticsView with the opt-outs already read.
func (s *Service) analyticsViewHiding(ctx context.Context, v Viewer, q AnalyticsQuery, hidden map[int]bool) (*snapshot, *view, func(), error) {
	var keep func(int) bool
	if q.Group != 0 {
		ids, err := s.db.GraphAffiliation.Query().Where(graphaffiliation.Kind(affGroup), graphaffiliation.RefID(q.Group)).
			Select(graphaffiliation.FieldUserID).Ints(ctx)
		if err != nil {
			return nil, nil, nil, apperr.Internal("group members", err)
		}
		members := make(map[int]bool, len(ids))
		for _, id := range ids {
			members[id] = true
		}
		keep = func(u int) bool { return members[u] }
	}
	m := s.mem
	now := s.opts.Now()
	if !q.From.IsZero() || !q.To.IsZero() {
		r, err := replay(ctx, s.db, s.opts.Decay, s.opts.Limits, q.From, q.To, nil)
		if err != nil {
			return nil, nil, nil, apperr.Internal("replay window", err)
		}
		m = fromStates(r.states, s.opts.Decay.HalfLife)
		if !q.To.IsZero() && q.To.Before(now) {
			now = q.To
		}
	}
	m.mu.RLock()
	vw := newView(m, v, Filter{Forum: q.Forum, Hidden: hidden}, &s.opts.Weights, s.opts.Decay, now)
	snap := snapshotOf(vw, keep)
	return snap, vw, m.mu.RUnlock, nil
}

// Ranked is a customer with a score.
type Ranked struct {
	Node
	Rank int `json:"rank"`
}

// Influencers ranks customers by PageRank (on the directed, weighted graph:
// who is valued by the valued), betweenness (who bridges otherwise distant
// customers) or answers (how many of their answers were accepted).
func (s *Service) Influencers(ctx context.Context, v Viewer, q AnalyticsQuery) ([]Ranked, error) {
	if err := staffOnly(v); err != nil {
		return nil, err
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	snap, vw, done, err := s.analyticsView(ctx, v, q)
	if err != nil {
		return nil, err
	}
	var answers map[int]float64
	if q.Metric == MetricAnswers {
		answers = map[int]float64{}
		for i, u := range snap.users {
			var n int32
			for _, c := range vw.m.adj[vw.m.index[u]] {
				if c.kind == Answer && !c.out && vw.visible(&c) && !vw.isHidden(c.peer) {
					n += c.count
				}
			}
			if n > 0 {
				answers[i] = float64(n)
			}
		}
	}
	done()
	var scores map[int64]float64
	switch q.Metric {
	case MetricPageRank:
		scores = PageRank(snap)
	case MetricBetweenness:
		scores = Betweenness(snap)
	case MetricAnswers:
		scores = map[int64]float64{}
		for i, n := range answers {
			scores[int64(i)] = n
		}
	}
	return s.rank(ctx, snap, scores, q.Limit)
}

// PageRank runs gonum's sparse, edge-weighted PageRank on a snapshot.
func PageRank(snap *snapshot) map[int64]float64 {
	if len(snap.users) == 0 {
		return nil
	}
	return network.PageRankSparse(directed{snap}, 0.85, 1e-8)
}

// Betweenness runs gonum's betweenness centrality, on the BetweennessMax
// customers with the most weight when the snapshot is larger.
func Betweenness(snap *snapshot) map[int64]float64 {
	sub, back := snap, []int64(nil)
	if len(snap.users) > BetweennessMax {
		sub, back = snap.top(BetweennessMax)
	}
	scores := network.Betweenness(undirected{sub})
	if back == nil {
		return scores
	}
	out := make(map[int64]float64, len(scores))
	for id, sc := range scores {
		out[back[id]] = sc
	}
	return out
}

// top is the subgraph induced by the n nodes of most total weight, and the
// map from its ids back to the snapshot's.
func (s *snapshot) top(n int) (*snapshot, []int64) {
	strength := make([]float64, len(s.users))
	order := make([]int64, len(s.users))
	for i := range s.users {
		order[i] = int64(i)
		for j := s.off[i]; j < s.off[i+1]; j++ {
			strength[i] += float64(s.w[j])
		}
	}
	sort.Slice(order, func(a, b int) bool { return strength[order[a]] > strength[order[b]] })
	order = order[:n]
	sort.Slice(order, func(a, b int) bool { return order[a] < order[b] })
	newID := make(map[int32]int32, n)
	for i, o := range order {
		newID[int32(o)] = int32(i)
	}
	sub := &snapshot{off: []int32{0}}
	for _, o := range order {
		sub.users = append(sub.users, s.users[o])
		for j := s.off[o]; j < s.off[o+1]; j++ {
			if p, ok := newID[s.peer[j]]; ok {
				sub.peer, sub.w, sub.out = append(sub.peer, p), append(sub.w, s.w[j]), append(sub.out, s.out[j])
			}
		}
		sub.off = append(sub.off, int32(len(sub.peer)))
	}
	return sub, order
}

func (s *Service) rank(ctx context.Context, snap *snapshot, scores map[int64]float64, limit int) ([]Ranked, error) {
	ids := make([]int64, 0, len(scores))
	for id, sc := range scores {
		if sc > 0 {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		if scores[ids[i]] != scores[ids[j]] {
			return scores[ids[i]] > scores[ids[j]]
		}
		return snap.users[ids[i]] < snap.users[ids[j]]
	})
	ids = ids[:min(len(ids), limit)]
	userIDs := make([]int, len(ids))
	for i, id := range ids {
		userIDs[i] = snap.users[id]
	}
	users, err := s.users(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	out := make([]Ranked, 0, len(ids))
	for i, id := range ids {
		n := Node{ID: userIDs[i], Score: scores[id]}
		if u := users[userIDs[i]]; u != nil {
			n.Username, n.DisplayName = u.Username, u.DisplayName
		}
		out = append(out, Ranked{Node: n, Rank: i + 1})
	}
	return out, nil
}

// topTags are the commonest tags of the topics these users posted in.
func (s *Service) topTags(ctx context.Context, users []int) ([]string, error) {
	if len(users) == 0 {
		return []string{}, nil
	}
	topicIDs, err := s.db.Post.Query().Where(post.UserIDIn(users...), post.DeletedAtIsNil()).
		Order(ent.Desc(post.FieldID)).Limit(500).Select(post.FieldTopicID).Ints(ctx)
	if err != nil {
		return nil, apperr.Internal("community tags", err)
	}
	if len(topicIDs) == 0 {
		return []string{}, nil
	}
	ts, err := s.db.Topic.Query().Where(topic.IDIn(dedupe(topicIDs)...), topic.DeletedAtIsNil()).WithTags().All(ctx)
	if err != nil {
		return nil, apperr.Internal("community tags", err)
	}
	count := map[string]int{}
	for _, t := range ts {
		for _, tg := range t.Edges.Tags {
			count[tg.Name]++
		}
	}
	tags := make([]string, 0, len(count))
	for t := range count {
		tags = append(tags, t)
	}
	sort.Slice(tags, func(i, j int) bool {
		if count[tags[i]] != count[tags[j]] {
			return count[tags[i]] > count[tags[j]]
		}
		return tags[i] < tags[j]
	})
	return tags[:min(len(tags), tagsListed)], nil
}

func dedupe(ids []int) []int {
	seen := map[int]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
