package feedback

import (
	"context"
	"sort"

	"entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/feedbacksatisfaction"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/internal/authz"
)

// csat aggregates satisfaction answers given in [From, To] in the board
// and area (of the rated topic), in boards the actor may read.
func (s *Service) csat(ctx context.Context, a authz.Actor, q InsightsQuery) (CSATSummary, error) {
	cq := s.db.FeedbackSatisfaction.Query().Where(func(sel *sql.Selector) { authz.ReadableForumIDs(a)(sel) })
	if q.Board > 0 {
		cq = cq.Where(feedbacksatisfaction.ForumID(q.Board))
	}
	if !q.From.IsZero() {
		cq = cq.Where(feedbacksatisfaction.CreatedAtGTE(q.From))
	}
	if !q.To.IsZero() {
		cq = cq.Where(feedbacksatisfaction.CreatedAtLTE(q.To))
	}
	rs, err := cq.Order(ent.Asc(feedbacksatisfaction.FieldID)).All(ctx)
	if err != nil {
		return CSATSummary{}, err
	}
	topicIDs := map[int]bool{}
	for _, r := range rs {
		topicIDs[r.TopicID] = true
	}
	ids := make([]int, 0, len(topicIDs))
	for id := range topicIDs {
		ids = append(ids, id)
	}
	areas := map[int][]string{}
	for _, part := range chunks(ids) {
		ts, err := s.db.Topic.Query().Where(topic.IDIn(part...)).WithTags().All(ctx)
		if err != nil {
			return CSATSummary{}, err
		}
		for _, t := range ts {
			for _, tg := range t.Edges.Tags {
				areas[t.ID] = append(areas[t.ID], tg.Name)
			}
		}
	}
	var overall csatAcc
	byBoard, byArea, byMonth := map[string]*csatAcc{}, map[string]*csatAcc{}, map[string]*csatAcc{}
	add := func(m map[string]*csatAcc, k string, score int) {
		if m[k] == nil {
			m[k] = &csatAcc{}
		}
		m[k].add(score)
	}
	for _, r := range rs {
		if q.Area != "" && !contains(areas[r.TopicID], q.Area) {
			continue
		}
		overall.add(r.Score)
		add(byBoard, itoa(r.ForumID), r.Score)
		add(byMonth, r.CreatedAt.UTC().Format("2006-01"), r.Score)
		for _, ar := range areas[r.TopicID] {
			add(byArea, ar, r.Score)
		}
	}
	return CSATSummary{
		Overall: overall.group("all"), ByBoard: groups(byBoard), ByArea: groups(byArea), ByMonth: groups(byMonth),
	}, nil
}

type csatAcc struct {
	n, sum int
	dist   [5]int
}

func (c *csatAcc) add(score int) {
	c.n++
	c.sum += score
	c.dist[score-1]++
}

func (c *csatAcc) group(key string) CSATGroup {
	g := CSATGroup{Key: key, Responses: c.n, Distribution: c.dist}
	if c.n > 0 {
		g.Average = float64(c.sum) / float64(c.n)
		g.Satisfied = float64(c.dist[3]+c.dist[4]) / float64(c.n)
	}
	return g
}

func groups(m map[string]*csatAcc) []CSATGroup {
	out := make([]CSATGroup, 0, len(m))
	for k, c := range m {
		out = append(out, c.group(k))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
