package feedback_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/feedback"
)

// A hand-built data set. Every expected number below is worked out by
// hand in the comments, not by calling the code under test.
//
// Customers (CRM at vote time): alice enterprise 100000, bob pro 12000,
// carol free 0, dave pro "8000", erin no CRM, frank starter 1500.
// Plan weights (defaults): enterprise 20, pro 5, starter 2, free 1,
// unknown 1. T0 = 2026-03-01 12:00 UTC; "now" is T0+29d.
//
//	I1 Ideas "Export reports to CSV"  alice T0     area reports
//	   votes alice(T0) frank(T0+1d) erin(T0+1d) dave(T0+20d)   = 4
//	   ARR 100000+1500+0+8000 = 109500; plan 20+2+1+5 = 28
//	I2 Ideas "CSV export of dashboards" bob T0+1h area reports
//	   votes bob(T0+1h) carol(T0+27d) erin(T0+27d)             = 3
//	   ARR 12000; plan 5+1+1 = 7
//	I3 Ideas "Okta single sign-on" carol T0+2h area sso
//	   votes carol(T0+2h) alice(T0+1d) bob(T0+20d)             = 3
//	   ARR 112000; plan 1+20+5 = 26
//	I4 Ideas "SSO with Okta for admins" dave T0+3h area sso
//	   votes dave(T0+3h) alice(T0+27d)                         = 2
//	   ARR 108000; plan 5+20 = 25
//	I5 Bugs "App crashes" bug, frank T0+4h, no area
//	   votes frank(T0+4h) bob(T0+27d)                          = 2
//	   ARR 13500; plan 2+5 = 7
//	I6 Ideas "CSV export please" erin T0+5h, merged into I1 at T0+2d:
//	   erin voted I1 already, so her I6 vote is flagged: I1 stays 4.
func TestInsightsOnAHandBuiltDataSet(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		ideas := w.board
		bugs := w.newBoard("Bugs", "public")
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		at := func(d time.Duration) { w.clock.set(t0.Add(d)) }
		const h, d = time.Hour, 24 * time.Hour
		create := func(as string, board int, title, typ string, areas ...string) int {
			it, err := w.s.Create(ctx, w.actor(as), feedback.CreateInput{Board: board, Title: title, Body: title, Type: typ, Areas: areas})
			if err != nil {
				t.Fatal(err)
			}
			return it.ID
		}
		at(0)
		i1 := create("alice", ideas.ID, "Export reports to CSV", "idea", "reports")
		at(1 * h)
		i2 := create("bob", ideas.ID, "CSV export of dashboards", "idea", "reports")
		at(2 * h)
		i3 := create("carol", ideas.ID, "Okta single sign-on", "idea", "sso")
		at(3 * h)
		i4 := create("dave", ideas.ID, "SSO with Okta for admins", "idea", "sso")
		at(4 * h)
		i5 := create("frank", bugs.ID, "App crashes", "bug")
		at(5 * h)
		i6 := create("erin", ideas.ID, "CSV export please", "idea", "reports")
		at(1 * d)
		w.vote("frank", i1)
		w.vote("erin", i1)
		w.vote("alice", i3)
		w.status(i5, "in_progress") // 20h after it was opened
		at(2 * d)
		w.status(i1, "under_review") // 48h
		if _, err := w.s.Merge(ctx, w.actor("staffer"), i6, i1, ""); err != nil {
			t.Fatal(err)
		}
		at(3 * d)
		w.status(i3, "under_review") // 72h − 2h = 70h
		at(4 * d)
		w.status(i3, "declined")     // 94h
		w.status(i4, "under_review") // 96h − 3h = 93h
		at(5 * d)
		w.status(i1, "planned") // 120h
		at(6 * d)
		w.status(i4, "planned") // 141h
		at(10 * d)
		w.status(i1, "done") // 240h
		at(11 * d)
		for as, score := range map[string]int{"alice": 5, "frank": 4, "erin": 2} {
			if _, err := w.s.Rate(ctx, w.actor(as), i1, score, ""); err != nil {
				t.Fatal(err)
			}
		}
		at(12 * d)
		for as, score := range map[string]int{"carol": 1, "alice": 3} {
			if _, err := w.s.Rate(ctx, w.actor(as), i3, score, ""); err != nil {
				t.Fatal(err)
			}
		}
		at(20 * d)
		w.vote("dave", i1)
		w.vote("bob", i3)
		at(27 * d)
		w.vote("carol", i2)
		w.vote("erin", i2)
		w.vote("alice", i4)
		w.vote("bob", i5)
		at(29 * d)

		in, err := w.s.Insights(ctx, w.actor("staffer"), feedback.InsightsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		ids := func(rs []feedback.RankedItem) []int {
			var out []int
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		same := func(what string, got, want []int) {
			t.Helper()
			if fmtInts(got) != fmtInts(want) {
				t.Errorf("%s: got %v, want %v", what, got, want)
			}
		}
		// 5 items (the duplicate is out), 4+3+3+2+2 = 14 votes from 6 people.
		if in.Items != 5 || in.Votes != 14 || in.Voters != 6 {
			t.Errorf("items %d votes %d voters %d, want 5 14 6", in.Items, in.Votes, in.Voters)
		}
		// 109500+12000+112000+108000+13500 = 355000; 28+7+26+25+7 = 93.
		if in.WeightedARR != 355000 || in.WeightedPlan != 93 {
			t.Errorf("weighted ARR %v plan %v, want 355000 93", in.WeightedARR, in.WeightedPlan)
		}
		same("top by votes", ids(in.TopByVotes), []int{i1, i2, i3, i4, i5}) // 4, 3, 3, 2, 2 (ties by id)
		same("top by ARR", ids(in.TopByARR), []int{i3, i1, i4, i5, i2})     // 112000, 109500, 108000, 13500, 12000
		same("top by plan", ids(in.TopByPlan), []int{i1, i3, i4, i2, i5})   // 28, 26, 25, 7, 7
		if r := in.TopByVotes[0]; r.Votes != 4 || r.WeightedARR != 109500 || r.WeightedPlan != 28 || r.Title != "Export reports to CSV" {
			t.Errorf("I1: %+v", r)
		}
		// Segments, by plan name: enterprise alice on I1 I3 I4 (3 votes,
		// 300000); free carol on I2 I3 (2, 0); pro bob and dave on I1..I5
		// (5, 8000+12000+12000+8000+12000 = 52000); starter frank on I1 I5
		// (2, 3000); unknown erin on I1 I2 (2, 0).
		type segWant struct {
			name          string
			voters, votes int
			arr           float64
		}
		wantSegs := []segWant{{"enterprise", 1, 3, 300000}, {"free", 1, 2, 0}, {"pro", 2, 5, 52000}, {"starter", 1, 2, 3000}, {"unknown", 1, 2, 0}}
		if len(in.Segments) != len(wantSegs) {
			t.Fatalf("segments: %+v", in.Segments)
		}
		for i, sw := range wantSegs {
			sg := in.Segments[i]
			if sg.Segment != sw.name || sg.Voters != sw.voters || sg.Votes != sw.votes || sg.WeightedARR != sw.arr {
				t.Errorf("segment %d: %+v, want %+v", i, sg, sw)
			}
		}
		same("enterprise top", ids(in.Segments[0].Top), []int{i1, i3, i4})
		// Trending at T0+29d: last 7 days are votes at T0+27d (I2 ×2, I4,
		// I5), the 7 before at T0+20d (I1, I3); all votes are in the last 30.
		// Order: trend_7d desc, then trend_30d, then votes_7d, then id:
		// I2 (+2), I4 (+1, 30d 2), I5 (+1, 30d 2), I1 (−1, 30d 4), I3 (−1, 30d 3).
		same("trending", ids(in.Trending), []int{i2, i4, i5, i1, i3})
		if r := in.Trending[0]; r.Votes7d != 2 || r.VotesPrev7d != 0 || r.Votes30d != 3 || r.Trend7d != 2 {
			t.Errorf("I2 trend: %+v", r)
		}
		if r := in.Trending[3]; r.Votes7d != 0 || r.VotesPrev7d != 1 || r.Votes30d != 4 || r.VotesPrev30d != 0 || r.Trend7d != -1 {
			t.Errorf("I1 trend: %+v", r)
		}
		// Counts.
		wantMap := func(what string, got map[string]int, want map[string]int) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: %v, want %v", what, got, want)
				return
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: %v, want %v", what, got, want)
					return
				}
			}
		}
		wantMap("by status", in.ByStatus, map[string]int{"done": 1, "open": 1, "declined": 1, "planned": 1, "in_progress": 1})
		wantMap("by type", in.ByType, map[string]int{"idea": 4, "bug": 1})
		wantMap("by area", in.ByArea, map[string]int{"reports": 2, "sso": 2})
		if len(in.OverTime) != 1 || in.OverTime[0].Month != "2026-03" || in.OverTime[0].Total != 5 || in.OverTime[0].ByArea["sso"] != 2 {
			t.Errorf("over time: %+v", in.OverTime)
		}
		// Votes by the month they were cast: every vote once, with its weights.
		vn, varr, vplan := 0, 0.0, 0.0
		for i, vp := range in.VotesOverTime {
			if i > 0 && in.VotesOverTime[i-1].Month >= vp.Month {
				t.Errorf("votes over time out of order: %+v", in.VotesOverTime)
			}
			vn, varr, vplan = vn+vp.Votes, varr+vp.WeightedARR, vplan+vp.WeightedPlan
		}
		if vn != 14 || varr != 355000 || vplan != 93 {
			t.Errorf("votes over time add up to %d %v %v, want 14 355000 93: %+v", vn, varr, vplan, in.VotesOverTime)
		}
		// Medians from open: under_review 48h, 70h, 93h → 70h; planned
		// 120h, 141h → 130.5h; in_progress 20h; done 240h; declined 94h.
		wantHours := map[string]struct {
			n int
			h float64
		}{"under_review": {3, 70}, "planned": {2, 130.5}, "in_progress": {1, 20}, "done": {1, 240}, "declined": {1, 94}}
		if len(in.TimeToStatus) != 5 {
			t.Fatalf("time to status: %+v", in.TimeToStatus)
		}
		for _, st := range in.TimeToStatus {
			want := wantHours[st.Status]
			if st.Items != want.n || math.Abs(st.MedianHours-want.h) > 1e-9 || math.Abs(st.MedianSeconds-want.h*3600) > 1e-6 {
				t.Errorf("%s: %+v, want %d items, %vh", st.Status, st, want.n, want.h)
			}
		}
		// CSAT: I1 5, 4, 2; I3 1, 3. Overall 15/5 = 3, one of each score,
		// 2 of 5 satisfied; reports (I1) 11/3; sso (I3) 2.
		o := in.CSAT.Overall
		if o.Responses != 5 || o.Average != 3 || o.Distribution != [5]int{1, 1, 1, 1, 1} || o.Satisfied != 0.4 {
			t.Errorf("csat overall: %+v", o)
		}
		if len(in.CSAT.ByArea) != 2 || in.CSAT.ByArea[0].Key != "reports" || math.Abs(in.CSAT.ByArea[0].Average-11.0/3) > 1e-9 ||
			in.CSAT.ByArea[1].Key != "sso" || in.CSAT.ByArea[1].Average != 2 {
			t.Errorf("csat by area: %+v", in.CSAT.ByArea)
		}
		if len(in.CSAT.ByBoard) != 1 || in.CSAT.ByBoard[0].Responses != 5 || len(in.CSAT.ByMonth) != 1 || in.CSAT.ByMonth[0].Key != "2026-03" {
			t.Errorf("csat by board/month: %+v %+v", in.CSAT.ByBoard, in.CSAT.ByMonth)
		}
		// Themes: {I1, I2} share "csv" and "export" (4+3 = 7 votes), {I3,
		// I4} share "okta" (3+2 = 5); I5 joins none.
		if len(in.Themes) != 2 || in.Unthemed != 1 {
			t.Fatalf("themes: %+v, unthemed %d", in.Themes, in.Unthemed)
		}
		th := in.Themes[0]
		if th.Votes != 7 || len(th.Items) != 2 || th.Items[0].ID != i1 || th.Items[1].ID != i2 ||
			!strings.Contains(th.Label, "csv") || !strings.Contains(th.Label, "export") {
			t.Errorf("first theme: %+v", th)
		}
		if th := in.Themes[1]; th.Votes != 5 || th.Label != "okta" {
			t.Errorf("second theme: %+v", th)
		}
		// Ranked items name their theme, in the top lists as in the export.
		if in.TopByVotes[0].Theme != th.Label || in.Trending[0].Theme != th.Label || in.Segments[0].Top[0].Theme != th.Label {
			t.Errorf("I1 and I2's theme in the top lists: %q %q %q, want %q", in.TopByVotes[0].Theme, in.Trending[0].Theme, in.Segments[0].Top[0].Theme, th.Label)
		}

		// Filters: a board, an area, a period, a segment.
		in, err = w.s.Insights(ctx, w.actor("staffer"), feedback.InsightsQuery{Board: bugs.ID})
		if err != nil || in.Items != 1 || in.Votes != 2 || in.CSAT.Overall.Responses != 0 {
			t.Fatalf("bugs board: %v %+v", err, in)
		}
		in, err = w.s.Insights(ctx, w.actor("staffer"), feedback.InsightsQuery{Area: "SSO"})
		if err != nil {
			t.Fatal(err)
		}
		same("sso top", ids(in.TopByVotes), []int{i3, i4})
		if in.CSAT.Overall.Responses != 2 {
			t.Errorf("sso csat: %+v", in.CSAT.Overall)
		}
		in, err = w.s.Insights(ctx, w.actor("staffer"), feedback.InsightsQuery{From: t0.Add(90 * time.Minute), To: t0.Add(29 * d)})
		if err != nil || in.Items != 3 {
			t.Fatalf("period: %v %d items, want 3 (I3, I4, I5)", err, in.Items)
		}
		in, err = w.s.Insights(ctx, w.actor("staffer"), feedback.InsightsQuery{Segment: "Pro"})
		if err != nil || in.Votes != 5 || in.Voters != 2 || in.WeightedARR != 52000 {
			t.Fatalf("pro segment: %v %+v", err, in)
		}
		same("pro top", ids(in.TopByVotes), []int{i1, i2, i3, i4, i5}) // one vote each

		// Staff only; bad ranges are refused.
		_, err = w.s.Insights(ctx, w.actor("alice"), feedback.InsightsQuery{})
		wantKind(t, err, apperr.KindForbidden, "forbidden")
		_, err = w.s.Insights(ctx, w.actor("staffer"), feedback.InsightsQuery{From: t0, To: t0.Add(-d)})
		wantKind(t, err, apperr.KindUnprocessable, "validation_failed")

		// The CSV export holds the same figures, one row per item.
		in, err = w.s.Insights(ctx, w.actor("staffer"), feedback.InsightsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := feedback.WriteCSV(&buf, in); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(rows) != 6 || strings.Join(rows[0], ",") != strings.Join(feedback.ExportColumns, ",") {
			t.Fatalf("csv: %v %v", err, rows)
		}
		if r := rows[1]; r[0] != itoa(i1) || r[2] != "Export reports to CSV" || r[6] != "4" || r[7] != "109500" || r[8] != "28" || r[15] == "" {
			t.Errorf("I1 row: %v", r)
		}
	})
}
