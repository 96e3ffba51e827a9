package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/forum"
)

// signin signs a browser in with a username and password.
func (b *browser) signin(login, password string) {
	b.t.Helper()
	p := b.post("/signin", "/signin", url.Values{"login": {login}, "password": {password}})
	if p.status != http.StatusSeeOther {
		b.t.Fatalf("signin %s: %d %s", login, p.status, p.body)
	}
}

func TestFeedbackPages(t *testing.T) {
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

		bob := s.browser()
		bob.signup("bob")
		p := bob.post("/feedback/new", "/feedback/new", url.Values{"board": {strconv.Itoa(board.ID)}, "type": {"idea"},
			"title": {""}, "body": {"x"}})
		want(t, p, http.StatusUnprocessableEntity, `aria-invalid="true"`)
		p = bob.post("/feedback/new", "/feedback/new", url.Values{"board": {strconv.Itoa(board.ID)}, "type": {"idea"},
			"title": {"Dark mode for the dashboard"}, "body": {"Please add a dark theme."}, "areas": {"dashboard, themes"}})
		want(t, p, http.StatusSeeOther)
		itemURL := p.header.Get("Location")
		if !strings.HasPrefix(itemURL, "/feedback/") {
			t.Fatalf("created item at %q", itemURL)
		}
		id := strings.TrimPrefix(itemURL, "/feedback/")

		// The list, sorted and filtered; guests read it too.
		guest := s.browser()
		p = guest.get("/feedback?board=" + strconv.Itoa(board.ID) + "&sort=newest&type=idea&area=dashboard")
		want(t, p, http.StatusOK, "Dark mode for the dashboard", `href="/feedback/`+id+`"`)
		checkSafePage(t, p)
		want(t, guest.get("/feedback?type=bug"), http.StatusOK, "No feedback here yet.")
		want(t, guest.get("/feedback?sort=sideways"), http.StatusUnprocessableEntity)
		want(t, guest.get("/feedback?board=999999"), http.StatusNotFound)
		p = guest.get(itemURL)
		want(t, p, http.StatusOK, "Please add a dark theme.", "Sign in to vote")
		checkSafePage(t, p)
		if strings.Contains(p.body, "Internal notes") || strings.Contains(p.body, `action="/feedback/`+id+`/status"`) {
			t.Fatal("a guest sees the staff panels")
		}

		// The author's vote counts; withdrawing it without JavaScript, then
		// voting again with htmx.
		p = bob.get(itemURL)
		want(t, p, http.StatusOK, "Remove my vote", `<strong>1</strong>`)
		want(t, bob.post(itemURL, itemURL+"/vote", url.Values{"on": {"0"}}), http.StatusSeeOther)
		want(t, bob.get(itemURL), http.StatusOK, `<strong>0</strong>`, ">Vote<")
		p = bob.post(itemURL, itemURL+"/vote", url.Values{"on": {"1"}}, "HX-Request", "true")
		want(t, p, http.StatusOK, `id="vote-`+id+`"`, `<strong>1</strong>`, `aria-pressed="true"`)
		if strings.Contains(p.body, "<html") {
			t.Fatal("htmx got a whole page")
		}
		// A member may not change the status or add notes.
		want(t, bob.post(itemURL, itemURL+"/status", url.Values{"status": {"planned"}, "response": {"soon"}}), http.StatusForbidden)
		want(t, bob.post(itemURL, itemURL+"/notes", url.Values{"body": {"secret"}}), http.StatusForbidden)
		// Forged votes are refused.
		want(t, bob.do("POST", itemURL+"/vote", url.Values{"on": {"1"}}), http.StatusForbidden)

		// Similar items while composing: a fragment (which items it holds
		// depends on the search index catching up, tested in internal/feedback).
		p = bob.post("/feedback/new", "/feedback/similar", url.Values{"title": {"dark mode"}, "board": {strconv.Itoa(board.ID)}}, "HX-Request", "true")
		want(t, p, http.StatusOK)
		if strings.Contains(p.body, "<html") {
			t.Fatal("similar items came as a whole page")
		}

		// Staff: notes and the status form, the response on the timeline.
		staff := s.browser()
		staff.signin("admin", "admin password")
		want(t, staff.get("/feedback"), http.StatusOK, `href="/api/v1/feedback/export?format=csv"`)
		if p := staff.get("/api/v1/feedback/export?format=csv"); p.status != http.StatusOK || !strings.Contains(p.body, "Dark mode for the dashboard") {
			t.Fatalf("the export link gives %d:\n%.500s", p.status, p.body)
		}
		if strings.Contains(guest.get("/feedback").body, "/api/v1/feedback/export") {
			t.Fatal("a guest is offered the insights export")
		}
		p = staff.get(itemURL)
		want(t, p, http.StatusOK, "Internal notes", `action="/feedback/`+id+`/status"`)
		want(t, staff.post(itemURL, itemURL+"/notes", url.Values{"body": {"Design has a mock-up"}}), http.StatusSeeOther)
		want(t, staff.post(itemURL, itemURL+"/status", url.Values{"status": {"planned"}, "response": {""}}), http.StatusUnprocessableEntity)
		want(t, staff.post(itemURL, itemURL+"/status", url.Values{"status": {"planned"}, "response": {"Coming in 4.2"}}), http.StatusSeeOther)
		want(t, staff.get(itemURL), http.StatusOK, "Design has a mock-up", "Coming in 4.2", "Planned")
		p = guest.get(itemURL)
		want(t, p, http.StatusOK, "Coming in 4.2")
		if strings.Contains(p.body, "Design has a mock-up") {
			t.Fatal("a guest reads an internal note")
		}
		want(t, guest.get("/feedback"), http.StatusOK, "Planned")
		// Chinese.
		guest.header.Set("Accept-Language", "zh-CN")
		want(t, guest.get("/feedback"), http.StatusOK, "已计划")
	})
}
