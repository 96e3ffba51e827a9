package feedback

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/feedbackitem"
	"github.com/crn-dev/crn/ent/feedbackstatuschange"
	"github.com/crn-dev/crn/ent/feedbackvote"
	"github.com/crn-dev/crn/ent/post"
	"github.com/crn-dev/crn/ent/topic"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
)

// InsightsQuery selects what insights cover. Items are those created in
// [From, To] (zero: open) in Board and Area; Segment (a plan) restricts
// every vote-based figure to votes from customers on that plan. Trending
// windows end at To (default now). CSAT answers are selected by their own
// date, board and area.
type InsightsQuery struct {
	Board   int
	Area    string
	From    time.Time
	To      time.Time
	Segment string
	Limit   int // items per top list (default 10, at most 100)
}

// RankedItem is an item with its demand figures.
type RankedItem struct {
	ID           int       `json:"id"`
	BoardID      int       `json:"board_id"`
	Title        string    `json:"title"`
	Type         string    `json:"type"`
	Status       string    `json:"status"`
	Areas        []string  `json:"areas"`
	Votes        int       `json:"votes"`
	WeightedARR  float64   `json:"weighted_arr"`  // sum of voters' ARR at vote time
	WeightedPlan float64   `json:"weighted_plan"` // sum of voters' plan weights
	Votes7d      int       `json:"votes_7d"`
	VotesPrev7d  int       `json:"votes_prev_7d"`
	Votes30d     int       `json:"votes_30d"`
	VotesPrev30d int       `json:"votes_prev_30d"`
	Trend7d      int       `json:"trend_7d"`  // votes_7d − votes_prev_7d
	Trend30d     int       `json:"trend_30d"` // votes_30d − votes_prev_30d
	CreatedAt    time.Time `json:"created_at"`
	Theme        string    `json:"theme,omitempty"`
}

// SegmentTop is the demand of one segment (plan).
type SegmentTop struct {
	Segment     string       `json:"segment"` // the plan; "unknown" when the CRM had none
	Voters      int          `json:"voters"`
	Votes       int          `json:"votes"`
	WeightedARR float64      `json:"weighted_arr"`
	Top         []RankedItem `json:"top"`
}

// PeriodCounts counts the items created in one month by their current
// status, their type and their areas.
type PeriodCounts struct {
	Month    string         `json:"month"` // 2006-01, UTC
	Total    int            `json:"total"`
	ByStatus map[string]int `json:"by_status"`
	ByType   map[string]int `json:"by_type"`
	ByArea   map[string]int `json:"by_area"`
}

// VotePeriod is the demand of one month: the votes cast in it (still
// active) and their weights.
type VotePeriod struct {
	Month        string  `json:"month"` // 2006-01, UTC, of the vote
	Votes        int     `json:"votes"`
	WeightedARR  float64 `json:"weighted_arr"`
	WeightedPlan float64 `json:"weighted_plan"`
}

// StatusTime is how long items took from open to a status.
type StatusTime struct {
	Status        string  `json:"status"`
	Items         int     `json:"items"` // items that reached it
	MedianSeconds float64 `json:"median_seconds"`
	MedianHours   float64 `json:"median_hours"`
}

// CSATGroup aggregates satisfaction answers.
type CSATGroup struct {
	Key          string  `json:"key"` // board id, area or month, by group
	Responses    int     `json:"responses"`
	Average      float64 `json:"average"`
	Distribution [5]int  `json:"distribution"` // answers scoring 1…5
	Satisfied    float64 `json:"satisfied"`    // share scoring 4 or 5
}

// CSATSummary is every CSAT aggregate.
type CSATSummary struct {
	Overall CSATGroup   `json:"overall"`
	ByBoard []CSATGroup `json:"by_board"`
	ByArea  []CSATGroup `json:"by_area"`
	ByMonth []CSATGroup `json:"by_month"`
}

// Insights is what product teams read.
type Insights struct {
	GeneratedAt   time.Time          `json:"generated_at"`
	Items         int                `json:"items"`
	Votes         int                `json:"votes"`
	Voters        int                `json:"voters"`
	WeightedARR   float64            `json:"weighted_arr"`
	WeightedPlan  float64            `json:"weighted_plan"`
	PlanWeights   map[string]float64 `json:"plan_weights"`
	TopByVotes    []RankedItem       `json:"top_by_votes"`
	TopByARR      []RankedItem       `json:"top_by_arr"`
	TopByPlan     []RankedItem       `json:"top_by_plan"`
	Segments      []SegmentTop       `json:"segments"`
	Trending      []RankedItem       `json:"trending"`
	ByStatus      map[string]int     `json:"by_status"`
	ByType        map[string]int     `json:"by_type"`
	ByArea        map[string]int     `json:"by_area"`
	OverTime      []PeriodCounts     `json:"over_time"`
	VotesOverTime []VotePeriod       `json:"votes_over_time"`
	TimeToStatus  []StatusTime       `json:"time_to_status"`
	CSAT          CSATSummary        `json:"csat"`
	Themes        []Theme            `json:"themes"`
	Unthemed      int                `json:"unthemed"` // items that joined no theme
	// All is every selected item with its figures (for exports).
	All []RankedItem `json:"-"`
}

type insightVote struct {
	item, user int
	plan       string
	arr        float64
	at         time.Time
}

// chunk bounds the ids of one IN list.
const chunk = 500

func chunks(ids []int) [][]int {
	var out [][]int
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	return out
}

// Insights computes the insights of q (staff only).
func (s *Service) Insights(ctx context.Context, a authz.Actor, q InsightsQuery) (*Insights, error) {
	if a.Guest() {
		return nil, signInFirst()
	}
	if !authz.CanViewFeedbackInsights(a) {
		return nil, apperr.Forbidden("forbidden", "insights are for staff only")
	}
	problems := map[string]string{}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		problems["to"] = "is before from"
	}
	if q.Limit == 0 {
		q.Limit = 10
	}
	if q.Limit < 1 || q.Limit > 100 {
		problems["limit"] = "must be 1 to 100"
	}
	q.Segment = strings.ToLower(strings.TrimSpace(q.Segment))
	q.Area = strings.ToLower(strings.TrimSpace(q.Area))
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	fail := func(err error) (*Insights, error) { return nil, apperr.Internal("feedback insights", err) }
	now := s.now()
	ref := now
	if !q.To.IsZero() && q.To.Before(now) {
		ref = q.To
	}

	// The items.
	iq := s.db.FeedbackItem.Query().Where(readable(a), feedbackitem.StatusNEQ(feedbackitem.StatusDuplicate))
	if q.Board > 0 {
		iq = iq.Where(feedbackitem.ForumID(q.Board))
	}
	if q.Area != "" {
		iq = iq.Where(inArea(q.Area))
	}
	if !q.From.IsZero() {
		iq = iq.Where(feedbackitem.CreatedAtGTE(q.From))
	}
	if !q.To.IsZero() {
		iq = iq.Where(feedbackitem.CreatedAtLTE(q.To))
	}
	n, err := iq.Clone().Count(ctx)
	if err != nil {
		return fail(err)
	}
	if n > s.limits.InsightItemsMax {
		return nil, apperr.Validation(map[string]string{"from": "the selection holds more than " + itoa(s.limits.InsightItemsMax) + " items; narrow it by board, area or dates"})
	}
	its, err := iq.Order(ent.Asc(feedbackitem.FieldID)).All(ctx)
	if err != nil {
		return fail(err)
	}
	ids := make([]int, len(its))
	for i, it := range its {
		ids[i] = it.ID
	}
	titles, areas := map[int]string{}, map[int][]string{}
	var votes []insightVote
	firstReach := map[int]map[string]time.Time{} // item → status → first time reached
	for _, part := range chunks(ids) {
		ts, err := s.db.Topic.Query().Where(topic.IDIn(part...)).WithTags().All(ctx)
		if err != nil {
			return fail(err)
		}
		for _, t := range ts {
			titles[t.ID] = t.Title
			for _, tg := range t.Edges.Tags {
				areas[t.ID] = append(areas[t.ID], tg.Name)
			}
		}
		vq := s.db.FeedbackVote.Query().Where(feedbackvote.ItemIDIn(part...), feedbackvote.Active(true))
		if q.Segment != "" {
			vq = vq.Where(feedbackvote.Plan(q.Segment))
		}
		vs, err := vq.Select(feedbackvote.FieldItemID, feedbackvote.FieldUserID, feedbackvote.FieldPlan, feedbackvote.FieldArr, feedbackvote.FieldCreatedAt).All(ctx)
		if err != nil {
			return fail(err)
		}
		for _, v := range vs {
			votes = append(votes, insightVote{item: v.ItemID, user: v.UserID, plan: v.Plan, arr: v.Arr, at: v.CreatedAt})
		}
		chs, err := s.db.FeedbackStatusChange.Query().Where(feedbackstatuschange.ItemIDIn(part...)).
			Order(ent.Asc(feedbackstatuschange.FieldCreatedAt), ent.Asc(feedbackstatuschange.FieldID)).All(ctx)
		if err != nil {
			return fail(err)
		}
		for _, c := range chs {
			if firstReach[c.ItemID] == nil {
				firstReach[c.ItemID] = map[string]time.Time{}
			}
			if _, seen := firstReach[c.ItemID][c.ToStatus]; !seen {
				firstReach[c.ItemID][c.ToStatus] = c.CreatedAt
			}
		}
	}

	out := &Insights{
		GeneratedAt: now.UTC(), Items: len(its), PlanWeights: s.weights,
		ByStatus: map[string]int{}, ByType: map[string]int{}, ByArea: map[string]int{},
	}
	ranked := make(map[int]*RankedItem, len(its))
	all := make([]*RankedItem, 0, len(its))
	for _, it := range its {
		r := &RankedItem{ID: it.ID, BoardID: it.ForumID, Title: titles[it.ID], Type: string(it.Type), Status: string(it.Status),
			Areas: areas[it.ID], CreatedAt: it.CreatedAt.UTC()}
		if r.Areas == nil {
			r.Areas = []string{}
		}
		ranked[it.ID] = r
		all = append(all, r)
	}
	// Votes, weights and velocity.
	voters := map[int]bool{}
	type seg struct {
		voters map[int]bool
		votes  int
		arr    float64
		items  map[int]*RankedItem
	}
	segs := map[string]*seg{}
	voteMonths := map[string]*VotePeriod{}
	for _, v := range votes {
		r := ranked[v.item]
		if r == nil {
			continue
		}
		w := s.planWeight(v.plan)
		r.Votes++
		r.WeightedARR += v.arr
		r.WeightedPlan += w
		age := ref.Sub(v.at)
		switch {
		case age < 0:
		case age < 7*day:
			r.Votes7d++
		case age < 14*day:
			r.VotesPrev7d++
		}
		switch {
		case age < 0:
		case age < 30*day:
			r.Votes30d++
		case age < 60*day:
			r.VotesPrev30d++
		}
		voters[v.user] = true
		out.Votes++
		out.WeightedARR += v.arr
		out.WeightedPlan += w
		vm := v.at.UTC().Format("2006-01")
		vp := voteMonths[vm]
		if vp == nil {
			vp = &VotePeriod{Month: vm}
			voteMonths[vm] = vp
		}
		vp.Votes++
		vp.WeightedARR += v.arr
		vp.WeightedPlan += w
		name := v.plan
		if name == "" {
			name = "unknown"
		}
		sg := segs[name]
		if sg == nil {
			sg = &seg{voters: map[int]bool{}, items: map[int]*RankedItem{}}
			segs[name] = sg
		}
		sg.voters[v.user] = true
		sg.votes++
		sg.arr += v.arr
		si := sg.items[v.item]
		if si == nil {
			si = &RankedItem{ID: r.ID, BoardID: r.BoardID, Title: r.Title, Type: r.Type, Status: r.Status, Areas: r.Areas, CreatedAt: r.CreatedAt}
			sg.items[v.item] = si
		}
		si.Votes++
		si.WeightedARR += v.arr
		si.WeightedPlan += w
	}
	out.Voters = len(voters)
	out.VotesOverTime = make([]VotePeriod, 0, len(voteMonths))
	for _, vp := range voteMonths {
		out.VotesOverTime = append(out.VotesOverTime, *vp)
	}
	sort.Slice(out.VotesOverTime, func(i, j int) bool { return out.VotesOverTime[i].Month < out.VotesOverTime[j].Month })
	for _, r := range all {
		r.Trend7d, r.Trend30d = r.Votes7d-r.VotesPrev7d, r.Votes30d-r.VotesPrev30d
	}
	out.TopByVotes = top(all, q.Limit, func(r *RankedItem) float64 { return float64(r.Votes) })
	out.TopByARR = top(all, q.Limit, func(r *RankedItem) float64 { return r.WeightedARR })
	out.TopByPlan = top(all, q.Limit, func(r *RankedItem) float64 { return r.WeightedPlan })
	var trending []*RankedItem
	for _, r := range all {
		if r.Votes7d > 0 || r.Votes30d > 0 {
			trending = append(trending, r)
		}
	}
	sort.SliceStable(trending, func(i, j int) bool {
		a, b := trending[i], trending[j]
		if a.Trend7d != b.Trend7d {
			return a.Trend7d > b.Trend7d
		}
		if a.Trend30d != b.Trend30d {
			return a.Trend30d > b.Trend30d
		}
		if a.Votes7d != b.Votes7d {
			return a.Votes7d > b.Votes7d
		}
		return a.ID < b.ID
	})
	out.Trending = deref(trending[:min(q.Limit, len(trending))])
	names := make([]string, 0, len(segs))
	for name := range segs {
		names = append(names, name)
	}
	sort.Strings(names)
	out.Segments = []SegmentTop{}
	for _, name := range names {
		sg := segs[name]
		list := make([]*RankedItem, 0, len(sg.items))
		for _, r := range sg.items {
			list = append(list, r)
		}
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
		out.Segments = append(out.Segments, SegmentTop{Segment: name, Voters: len(sg.voters), Votes: sg.votes, WeightedARR: sg.arr,
			Top: top(list, q.Limit, func(r *RankedItem) float64 { return float64(r.Votes) })})
	}

	// Counts, overall and by month of creation.
	months := map[string]*PeriodCounts{}
	for _, it := range its {
		r := ranked[it.ID]
		out.ByStatus[r.Status]++
		out.ByType[r.Type]++
		m := it.CreatedAt.UTC().Format("2006-01")
		pc := months[m]
		if pc == nil {
			pc = &PeriodCounts{Month: m, ByStatus: map[string]int{}, ByType: map[string]int{}, ByArea: map[string]int{}}
			months[m] = pc
		}
		pc.Total++
		pc.ByStatus[r.Status]++
		pc.ByType[r.Type]++
		for _, ar := range r.Areas {
			out.ByArea[ar]++
			pc.ByArea[ar]++
		}
	}
	out.OverTime = []PeriodCounts{}
	for _, pc := range months {
		out.OverTime = append(out.OverTime, *pc)
	}
	sort.Slice(out.OverTime, func(i, j int) bool { return out.OverTime[i].Month < out.OverTime[j].Month })

	// Time from open to each status.
	out.TimeToStatus = []StatusTime{}
	for _, st := range []string{StatusUnderReview, StatusPlanned, StatusInProgress, StatusDone, StatusDeclined} {
		var ds []float64
		for _, it := range its {
			if at, ok := firstReach[it.ID][st]; ok {
				ds = append(ds, at.Sub(it.CreatedAt).Seconds())
			}
		}
		m := median(ds)
		out.TimeToStatus = append(out.TimeToStatus, StatusTime{Status: st, Items: len(ds), MedianSeconds: m, MedianHours: m / 3600})
	}

	if out.CSAT, err = s.csat(ctx, a, q); err != nil {
		return fail(err)
	}

	// Themes, over the most voted items (their opening posts are read only
	// now, and only their beginning).
	byVotes := append([]*RankedItem(nil), all...)
	sort.SliceStable(byVotes, func(i, j int) bool { return byVotes[i].Votes > byVotes[j].Votes })
	byVotes = byVotes[:min(ThemeDocsMax, len(byVotes))]
	themed := make([]int, len(byVotes))
	for i, r := range byVotes {
		themed[i] = r.ID
	}
	bodies := map[int]string{}
	for _, part := range chunks(themed) {
		ps, err := s.db.Post.Query().Where(post.TopicIDIn(part...), post.PostNumber(1)).Select(post.FieldTopicID, post.FieldSource).All(ctx)
		if err != nil {
			return fail(err)
		}
		for _, p := range ps {
			bodies[p.TopicID] = excerpt(p.Source, themeBodyMax)
		}
	}
	docs := make([]ThemeDoc, 0, len(byVotes))
	for _, r := range byVotes {
		docs = append(docs, ThemeDoc{ID: r.ID, Title: r.Title, Text: r.Title + "\n" + bodies[r.ID], Votes: r.Votes})
	}
	if out.Themes, out.Unthemed, err = ClusterThemes(docs); err != nil {
		return fail(err)
	}
	for _, th := range out.Themes {
		for _, ti := range th.Items {
			ranked[ti.ID].Theme = th.Label
		}
	}
	// The top lists were copied before the themes were known.
	lists := [][]RankedItem{out.TopByVotes, out.TopByARR, out.TopByPlan, out.Trending}
	for _, sg := range out.Segments {
		lists = append(lists, sg.Top)
	}
	for _, list := range lists {
		for i := range list {
			list[i].Theme = ranked[list[i].ID].Theme
		}
	}
	out.All = deref(all)
	return out, nil
}

const day = 24 * time.Hour

// themeBodyMax bounds the characters of an opening post that themes read.
const themeBodyMax = 2000

func (s *Service) planWeight(plan string) float64 {
	if w, ok := s.weights[plan]; ok {
		return w
	}
	return 1
}

// top returns the n items with the highest key (ties: lower id first),
// leaving out items whose key is 0.
func top(items []*RankedItem, n int, key func(*RankedItem) float64) []RankedItem {
	list := make([]*RankedItem, 0, len(items))
	for _, r := range items {
		if key(r) > 0 {
			list = append(list, r)
		}
	}
	sort.SliceStable(list, func(i, j int) bool {
		if ki, kj := key(list[i]), key(list[j]); ki != kj {
			return ki > kj
		}
		return list[i].ID < list[j].ID
	})
	return deref(list[:min(n, len(list))])
}

func deref(in []*RankedItem) []RankedItem {
	out := make([]RankedItem, len(in))
	for i, r := range in {
		out[i] = *r
	}
	return out
}

// median is the middle value, or the mean of the two middle values; 0 for
// no values.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}
