package webui

import (
	"net/url"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/feedback"
)

// The feedback insights dashboard for product teams (staff). Every figure
// comes from feedback.Service.Insights, the same call as the API's
// GET /api/v1/feedback/insights; this file only lays it out as charts
// (charts.go) and tables. The CSV export is the API's, with the same filters.

// insightPeriods are the periods the filter offers, in days (0: all time).
var insightPeriods = []int{0, 30, 90, 365}

type insightsFilter struct {
	Board   int
	Period  int
	Segment string
}

func (f insightsFilter) from(now time.Time) string {
	if f.Period == 0 {
		return ""
	}
	return now.UTC().AddDate(0, 0, -f.Period).Format("2006-01-02")
}

type insightsData struct {
	Boards   []*ent.Forum
	Names    map[int]string
	Filter   insightsFilter
	Periods  []int
	Segments []string // plans the segment filter offers
	In       *feedback.Insights
	Export   string // the API's CSV export with these filters
	Charts   struct{ Votes, Weighted, Funnel, CSAT, Themes chart }
	// Funnel rows: items that reached each status, median time, items there now.
	Funnel []funnelRow
	Themes []themeView
}

// themeItemsShown bounds the items listed under each theme (all of them
// are in the CSV export).
const themeItemsShown = 5

type themeView struct {
	feedback.Theme
	More int // items not listed
}

type funnelRow struct {
	Status  string
	Reached int
	Hours   float64
	Now     int
}

// insightsPage shows the insights of the feedback boards the reader may
// read, filtered by board, period and the voters' plan (a GET form). The
// service refuses anyone but staff (403); guests sign in first.
func (s *server) insightsPage(rq *request) error {
	if err := rq.requireUser(); err != nil {
		return err
	}
	if s.Feedback == nil {
		return errNotFound
	}
	q := rq.r.URL.Query()
	f := insightsFilter{Board: rq.queryInt("board"), Segment: q.Get("segment")}
	if v := q.Get("period"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !slices.Contains(insightPeriods, n) {
			return apperr.Validation(map[string]string{"period": "must be 0, 30, 90 or 365 days"})
		}
		f.Period = n
	}
	boards, err := s.feedbackBoards(rq)
	if err != nil {
		return err
	}
	d := insightsData{Boards: boards, Filter: f, Periods: insightPeriods, Names: map[int]string{}}
	for _, b := range boards {
		d.Names[b.ID] = b.Name
	}
	if f.Board > 0 && d.Names[f.Board] == "" {
		return errNotFound
	}
	iq := feedback.InsightsQuery{Board: f.Board, Segment: f.Segment}
	from := f.from(time.Now())
	if from != "" {
		iq.From, _ = time.Parse("2006-01-02", from)
	}
	in, err := s.Feedback.Insights(rq.r.Context(), rq.actor, iq)
	if err != nil {
		return err
	}
	d.In = in
	for plan := range in.PlanWeights {
		d.Segments = append(d.Segments, plan)
	}
	if f.Segment != "" && !slices.Contains(d.Segments, f.Segment) {
		d.Segments = append(d.Segments, f.Segment) // a plan the weights do not list
	}
	sort.Strings(d.Segments)
	v := url.Values{"format": {"csv"}}
	if f.Board > 0 {
		v.Set("board", strconv.Itoa(f.Board))
	}
	if from != "" {
		v.Set("from", from)
	}
	if f.Segment != "" {
		v.Set("segment", f.Segment)
	}
	d.Export = "/api/v1/feedback/export?" + v.Encode()
	for _, th := range in.Themes {
		tv := themeView{Theme: th}
		if len(th.Items) > themeItemsShown {
			tv.Items, tv.More = th.Items[:themeItemsShown], len(th.Items)-themeItemsShown
		}
		d.Themes = append(d.Themes, tv)
	}
	s.insightCharts(rq, &d)
	return rq.render("feedbackinsights", rq.lang.T("insights.title"), d)
}

// insightCharts builds the dashboard's charts and their tables.
func (s *server) insightCharts(rq *request, d *insightsData) {
	L, in := rq.lang, d.In
	month := L.T("insights.month")

	var votes, weighted []chartPoint
	c := &d.Charts.Votes
	c.ID, c.Title, c.Desc = "chart-votes", L.T("insights.votes_over_time"), L.T("insights.votes_over_time_desc")
	c.Head = []string{month, L.T("insights.votes")}
	w := &d.Charts.Weighted
	w.ID, w.Title, w.Desc = "chart-weighted", L.T("insights.weighted_over_time"), L.T("insights.weighted_over_time_desc")
	w.Head = []string{month, L.T("insights.weighted_plan"), L.T("insights.weighted_arr")}
	for _, p := range in.VotesOverTime {
		votes = append(votes, chartPoint{p.Month, float64(p.Votes)})
		weighted = append(weighted, chartPoint{p.Month, p.WeightedPlan})
		c.Rows = append(c.Rows, []string{p.Month, fmtNum(float64(p.Votes))})
		w.Rows = append(w.Rows, []string{p.Month, fmtNum(p.WeightedPlan), fmtNum(p.WeightedARR)})
	}
	c.Bars, c.Width, c.Height = columns(votes)
	w.Bars, w.Width, w.Height = columns(weighted)

	// The funnel: every selected item was opened; then how many reached
	// each later status (from their status history).
	fn := &d.Charts.Funnel
	fn.ID, fn.Title, fn.Desc, fn.Horizontal = "chart-funnel", L.T("insights.funnel"), L.T("insights.funnel_desc"), true
	fn.Head = []string{L.T("feedback.field.status"), L.T("insights.reached"), L.T("insights.median_hours"), L.T("insights.now")}
	points := []chartPoint{{L.T("feedback.status.open"), float64(in.Items)}}
	d.Funnel = append(d.Funnel, funnelRow{Status: feedback.StatusOpen, Reached: in.Items, Now: in.ByStatus[feedback.StatusOpen]})
	for _, st := range in.TimeToStatus {
		d.Funnel = append(d.Funnel, funnelRow{Status: st.Status, Reached: st.Items, Hours: st.MedianHours, Now: in.ByStatus[st.Status]})
		if st.Status != feedback.StatusDeclined {
			points = append(points, chartPoint{L.T("feedback.status." + st.Status), float64(st.Items)})
		}
	}
	for _, r := range d.Funnel {
		hours := "–"
		if r.Status != feedback.StatusOpen && r.Reached > 0 {
			hours = fmtNum(r.Hours)
		}
		fn.Rows = append(fn.Rows, []string{L.T("feedback.status." + r.Status), strconv.Itoa(r.Reached), hours, strconv.Itoa(r.Now)})
	}
	fn.Bars, fn.Width, fn.Height = rows(points)

	cs := &d.Charts.CSAT
	cs.ID, cs.Title, cs.Desc, cs.Horizontal = "chart-csat", L.T("insights.csat_distribution"), L.T("insights.csat_desc"), true
	cs.Head = []string{L.T("insights.score"), L.T("insights.responses")}
	points = nil
	for i := 4; i >= 0; i-- {
		label := L.T("insights.score_n", "Score", i+1)
		n := in.CSAT.Overall.Distribution[i]
		points = append(points, chartPoint{label, float64(n)})
		cs.Rows = append(cs.Rows, []string{label, strconv.Itoa(n)})
	}
	cs.Bars, cs.Width, cs.Height = rows(points)

	th := &d.Charts.Themes
	th.ID, th.Title, th.Desc, th.Horizontal = "chart-themes", L.T("insights.themes"), L.T("insights.themes_desc"), true
	th.Head = []string{L.T("insights.theme"), L.T("insights.votes"), L.T("insights.items")}
	points = nil
	for i, t := range in.Themes {
		if i < 12 {
			points = append(points, chartPoint{t.Label, float64(t.Votes)})
		}
		th.Rows = append(th.Rows, []string{t.Label, strconv.Itoa(t.Votes), strconv.Itoa(len(t.Items))})
	}
	th.Bars, th.Width, th.Height = rows(points)
}
