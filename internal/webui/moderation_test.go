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

func TestReviewQueuePages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *database.DB) {
		s := newSite(t, d.Dialect)
		ctx := context.Background()
		carol, err := s.app.Accounts.CreateUser(ctx, account.NewUser{Username: "carol", Email: "carol@example.com", Password: "carol password"})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := s.app.Forums.Actor(ctx, carol)
		tv, _, err := s.app.Forums.CreateTopic(ctx, a, s.f.ID, forum.TopicInput{Title: "Cheap watches here", Body: "Buy cheap watches at example dot com"})
		if err != nil {
			t.Fatal(err)
		}
		topic := "/t/" + strconv.Itoa(tv.ID)

		guest := s.browser()
		want(t, guest.get("/review"), http.StatusSeeOther)
		p := guest.get(topic)
		want(t, p, http.StatusOK)
		if strings.Contains(p.body, "/flag") {
			t.Fatal("a guest sees the flag form")
		}

		dave := s.browser()
		dave.signup("dave")
		p = dave.get(topic)
		want(t, p, http.StatusOK, `action="/p/`)
		m := flagFormRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no flag form on the topic page:\n%.3000s", p.body)
		}
		flagURL := m[1]
		// The author does not get a flag button on their own post.
		author := s.browser()
		author.signin("carol", "carol password")
		if strings.Contains(author.get(topic).body, flagURL) {
			t.Fatal("the author may flag their own post")
		}
		want(t, dave.post(topic, flagURL, url.Values{"reason": {"bogus"}}), http.StatusUnprocessableEntity)
		p = dave.post(topic, flagURL, url.Values{"reason": {"spam"}, "text": {"selling watches"}}, "HX-Request", "true")
		want(t, p, http.StatusOK, "the moderators will take a look")
		want(t, dave.get("/review"), http.StatusForbidden)

		mod := s.browser()
		mod.signin("admin", "admin password")
		p = mod.get("/review")
		want(t, p, http.StatusOK, "Cheap watches here", "selling watches", `data-shortcut="a"`, "Buy cheap watches")
		checkSafePage(t, p)
		m = reviewFormRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no hide button:\n%.3000s", p.body)
		}
		// htmx gets the list back without the item.
		p = mod.post("/review", m[1], url.Values{}, "HX-Request", "true")
		want(t, p, http.StatusOK, `id="queue"`, "Nothing to review")
		if strings.Contains(p.body, "<html") {
			t.Fatal("htmx got a whole page")
		}
		want(t, mod.get("/review?status=resolved"), http.StatusOK, "Cheap watches here")
		// The audit log records the action; members may not read it.
		p = mod.get("/review/audit")
		want(t, p, http.StatusOK, "Audit log", `<a href="/u/admin">@admin</a>`, "hide")
		checkSafePage(t, p)
		want(t, dave.get("/review/audit"), http.StatusForbidden)

		// Account administration: trust level, silence and its lifting.
		want(t, dave.get("/review/users/carol"), http.StatusForbidden)
		want(t, mod.get("/review/users/nobody"), http.StatusNotFound)
		admin := "/review/users/carol"
		want(t, mod.post(admin, admin+"/trust", url.Values{"level": {"2"}, "locked": {"1"}, "reason": {"known customer"}}), http.StatusSeeOther)
		want(t, mod.get(admin), http.StatusOK, `<strong id="user-trust">2</strong>`)
		want(t, mod.post(admin, admin+"/silence", url.Values{"hours": {"-1"}, "reason": {"spam"}}), http.StatusUnprocessableEntity)
		want(t, mod.post(admin, admin+"/silence", url.Values{"hours": {"24"}, "reason": {"spam"}}), http.StatusSeeOther)
		want(t, mod.get(admin), http.StatusOK, `<strong id="user-status">silenced</strong>`)
		want(t, mod.post(admin, admin+"/unsilence", url.Values{"reason": {"appeal"}}), http.StatusSeeOther)
		p = mod.get(admin)
		want(t, p, http.StatusOK, `<strong id="user-status">active</strong>`)
		checkSafePage(t, p)
		want(t, dave.post(topic, admin+"/suspend", url.Values{"hours": {"1"}, "reason": {"x"}}), http.StatusForbidden)
		// The hidden post is gone for members.
		if p := dave.get(topic); strings.Contains(p.body, "Buy cheap watches") {
			t.Fatalf("a member still reads the hidden post (%d)", p.status)
		}
	})
}

var (
	flagFormRE   = regexp.MustCompile(`action="(/p/\d+/flag)"`)
	reviewFormRE = regexp.MustCompile(`action="(/review/\d+/hide)"`)
)
