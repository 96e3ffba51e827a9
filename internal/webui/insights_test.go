package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/forum"
)

func TestInsightsDashboard(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *database.DB) {
		s := newSite(t, d.Dialect)
		ctx := context.Background()
		admin, err := s.app.Accounts.ByUsername(ctx, "admin")
		if err != nil {
			t.Fatal(err)
		}
		actor, _ := s.app.Forums.Actor(ctx, admin)
		name, kind := "Ideas", "feedback"
		board, err := s.app.Forums.CreateForum(ctx, actor, forum.ForumInput{Name: &name, Kind: &kind})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.app.Accounts.CreateUser(ctx, account.NewUser{Username: "product", Email: "product@example.com", Password: "product password", Role: account.RoleStaff}); err != nil {
			t.Fatal(err)
		}
		bob := s.browser()
		bob.signup("bob")
		p := bob.post("/feedback/new", "/feedback/new", url.Values{"board": {strconv.Itoa(board.ID)}, "type": {"idea"},
			"title": {"Single sign-on with Okta"}, "body": {"We need SSO for our whole company."}, "areas": {"sso"}})
		want(t, p, http.StatusSeeOther)
		itemURL := p.header.Get("Location")
		carol := s.browser()
		carol.signup("carol")
		want(t, carol.post(itemURL, itemURL+"/vote", url.Values{"on": {"1"}}), http.StatusSeeOther)

		// Staff only: guests sign in, members are refused.
		want(t, s.browser().get("/feedback/insights"), http.StatusSeeOther)
		want(t, bob.get("/feedback/insights"), http.StatusForbidden)
		if strings.Contains(bob.get("/feedback").body, "/feedback/insights") {
			t.Fatal("a member is offered the insights dashboard")
		}

		pm := s.browser()
		pm.signin("product", "product password")
		want(t, pm.get("/feedback"), http.StatusOK, `href="/feedback/insights"`)
		p = pm.get("/feedback/insights")
		want(t, p, http.StatusOK, "Feedback insights",
			// Charts are inline SVG that name themselves, with the data as a table.
			`<svg viewBox="0 0 640 240" role="img" aria-labelledby="chart-votes-title chart-votes-desc"`,
			`<title id="chart-votes-title">Votes by month</title>`, `<rect class="bar"`, "Show the data", `<th scope="row">`,
			`id="chart-funnel-title"`, `id="chart-csat-title"`,
			// Totals, trending and the most wanted items.
			`<dd id="insights-items">1</dd>`, `<dd id="insights-votes">2</dd>`, `href="`+itemURL+`">Single sign-on with Okta</a>`,
			`href="/api/v1/feedback/export?format=csv"`)
		checkSafePage(t, p)
		if strings.Contains(p.body, "<script>") {
			t.Fatal("the dashboard has an inline script")
		}

		// Filters are a GET form; the export link carries them.
		p = pm.get("/feedback/insights?board=" + strconv.Itoa(board.ID) + "&period=30&segment=enterprise")
		want(t, p, http.StatusOK, `<option value="30" selected>Last 30 days</option>`, `<dd id="insights-votes">0</dd>`)
		m := exportRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no export link:\n%.3000s", p.body)
		}
		export := strings.ReplaceAll(m[1], "&amp;", "&")
		for _, part := range []string{"board=" + strconv.Itoa(board.ID), "segment=enterprise", "from=", "format=csv"} {
			if !strings.Contains(export, part) {
				t.Fatalf("export link %q lacks %q", export, part)
			}
		}
		p = pm.get(export)
		if p.status != http.StatusOK || !strings.Contains(p.body, "Single sign-on with Okta") || !strings.HasPrefix(p.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export: %d %s\n%.500s", p.status, p.header.Get("Content-Type"), p.body)
		}
		want(t, pm.get("/feedback/insights?period=7"), http.StatusUnprocessableEntity)
		want(t, pm.get("/feedback/insights?board=999999"), http.StatusNotFound)

		want(t, pm.post("/feedback/insights", "/language", url.Values{"locale": {"zh-Hans"}, "next": {"/"}}), http.StatusSeeOther)
		want(t, pm.get("/feedback/insights"), http.StatusOK, "反馈洞察", "每月票数")
	})
}

var exportRE = regexp.MustCompile(`href="(/api/v1/feedback/export\?[^"]+)"`)
