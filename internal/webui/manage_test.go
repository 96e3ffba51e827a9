package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/group"
)

// adminActor is the site's administrator, to look at state behind the pages.
func (s *site) adminActor(t *testing.T) authz.Actor {
	t.Helper()
	ctx := context.Background()
	u, err := s.app.Accounts.ByUsername(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.app.Forums.Actor(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// roles maps a group's active members to their roles, and lists the banned.
func roles(t *testing.T, s *site, slug string) (map[string]string, []string) {
	t.Helper()
	ctx, admin := context.Background(), s.adminActor(t)
	ms, _, err := s.app.Groups.Members(ctx, admin, slug, group.MemberQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range ms {
		out[m.User.Username] = string(m.Role)
	}
	bs, _, err := s.app.Groups.Members(ctx, admin, slug, group.MemberQuery{Banned: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var banned []string
	for _, m := range bs {
		banned = append(banned, m.User.Username)
	}
	return out, banned
}

var revokeRE = regexp.MustCompile(`action="(/g/open-house/invites/[0-9]+/revoke)"`)

func TestGroupManagePages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *database.DB) {
		s := newSite(t, d.Dialect)
		ctx, admin := context.Background(), s.adminActor(t)
		owner, ann, bob, guest := s.browser(), s.browser(), s.browser(), s.browser()
		owner.signup("owner")
		ann.signup("ann")
		bob.signup("bob")
		want(t, owner.post("/groups/new", "/groups/new", url.Values{"name": {"Open House"}, "visibility": {"public"}, "description": {"About"}}), http.StatusSeeOther)
		want(t, ann.post("/g/open-house", "/g/open-house/join", url.Values{}), http.StatusSeeOther)
		want(t, bob.post("/g/open-house", "/g/open-house/join", url.Values{}), http.StatusSeeOther)
		const slug = "/g/open-house"

		// Settings: the owner edits, a member is refused, a guest signs in first.
		p := owner.get(slug)
		want(t, p, http.StatusOK, `id="group-settings-link"`, `id="group-members-link"`)
		if strings.Contains(ann.get(slug).body, `id="group-settings-link"`) {
			t.Fatal("a member is offered the group's settings")
		}
		p = owner.get(slug + "/settings")
		want(t, p, http.StatusOK, `id="group-settings-form"`, `>About</textarea>`, `id="group-delete-link"`)
		checkSafePage(t, p)
		want(t, ann.get(slug+"/settings"), http.StatusForbidden)
		if p := guest.get(slug + "/settings"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/signin") {
			t.Fatalf("a guest on the settings: %d %v", p.status, p.header)
		}
		p = ann.post(slug, slug+"/settings", url.Values{"name": {"Taken over"}, "description": {"x"}, "visibility": {"private"}})
		want(t, p, http.StatusForbidden, `id="page-error"`, "only the group&#39;s owners change it")
		p = owner.post(slug+"/settings", slug+"/settings", url.Values{"name": {""}, "description": {"x"}, "visibility": {"public"}})
		want(t, p, http.StatusUnprocessableEntity, `aria-invalid="true"`, `id="name-error"`)
		p = owner.post(slug+"/settings", slug+"/settings", url.Values{"name": {"Open House Two"}, "description": {"New words"}, "visibility": {"restricted"}})
		want(t, p, http.StatusSeeOther)
		// Without the anti-forgery token nothing changes.
		want(t, owner.do("POST", slug+"/settings", url.Values{"name": {"Forged"}, "visibility": {"public"}}), http.StatusForbidden)
		g, err := s.app.Groups.Get(ctx, admin, "open-house")
		if err != nil {
			t.Fatal(err)
		}
		if g.Name != "Open House Two" || g.Description != "New words" || string(g.Visibility) != "restricted" {
			t.Fatalf("after editing: %q %q %q", g.Name, g.Description, g.Visibility)
		}

		// Members: everyone who may see them gets the list; only owners the role forms.
		p = owner.get(slug + "/members")
		want(t, p, http.StatusOK, `id="members-table"`, `id="member-ann"`, `action="/g/open-house/members/role"`, `action="/g/open-house/members/ban"`)
		checkSafePage(t, p)
		p = ann.get(slug + "/members")
		want(t, p, http.StatusOK, `id="member-bob"`)
		if strings.Contains(p.body, "/members/role") || strings.Contains(p.body, "/members/remove") {
			t.Fatal("a member gets the members' management forms")
		}
		p = ann.post(slug+"/members", slug+"/members/role", url.Values{"username": {"bob"}, "role": {"moderator"}})
		want(t, p, http.StatusForbidden, `id="page-error"`, `id="members-table"`)
		want(t, owner.do("POST", slug+"/members/role", url.Values{"username": {"bob"}, "role": {"moderator"}}), http.StatusForbidden)
		if rs, _ := roles(t, s, "open-house"); rs["bob"] != "member" {
			t.Fatalf("bob's role changed without a valid request: %v", rs)
		}
		p = owner.post(slug+"/members", slug+"/members/role", url.Values{"username": {"bob"}, "role": {"moderator"}})
		want(t, p, http.StatusSeeOther)
		if loc := p.header.Get("Location"); loc != slug+"/members?done=role" {
			t.Fatalf("after a role change: %q", loc)
		}
		want(t, owner.get(slug+"/members?done=role"), http.StatusOK, `id="page-done"`)
		if rs, _ := roles(t, s, "open-house"); rs["bob"] != "moderator" || rs["owner"] != "owner" || rs["ann"] != "member" {
			t.Fatalf("roles after the change: %v", rs)
		}
		want(t, owner.post(slug+"/members", slug+"/members/role", url.Values{"username": {"bob"}, "role": {"king"}}), http.StatusUnprocessableEntity, `id="page-error"`)
		// The last owner may neither step down nor leave: a conflict, shown in the page.
		want(t, owner.post(slug+"/members", slug+"/members/role", url.Values{"username": {"owner"}, "role": {"member"}}), http.StatusConflict,
			`id="page-error"`, "A group keeps at least one owner")
		want(t, owner.post(slug, slug+"/leave", url.Values{}), http.StatusConflict, `id="page-error"`, "A group keeps at least one owner", `id="group-heading"`)

		// Removing and banning: a moderator acts on members, not on owners.
		want(t, bob.post(slug+"/members", slug+"/members/remove", url.Values{"username": {"owner"}}), http.StatusForbidden, `id="page-error"`)
		want(t, bob.post(slug+"/members", slug+"/members/remove", url.Values{"username": {"ann"}}), http.StatusSeeOther)
		if rs, _ := roles(t, s, "open-house"); rs["ann"] != "" || rs["owner"] != "owner" {
			t.Fatalf("after removing ann: %v", rs)
		}
		// The group is restricted now: ann is invited back by username.
		want(t, owner.post(slug+"/invite", slug+"/invite", url.Values{"kind": {"user"}, "username": {"ann"}}), http.StatusOK)
		want(t, ann.post(slug, slug+"/join", url.Values{}), http.StatusSeeOther)
		want(t, owner.post(slug+"/members", slug+"/members/ban", url.Values{"username": {"ann"}}), http.StatusSeeOther)
		rs, banned := roles(t, s, "open-house")
		if rs["ann"] != "" || len(banned) != 1 || banned[0] != "ann" {
			t.Fatalf("after banning ann: %v banned %v", rs, banned)
		}
		want(t, owner.get(slug+"/members"), http.StatusOK, `id="banned-list"`, `action="/g/open-house/members/unban"`)
		want(t, ann.post(slug, slug+"/request", url.Values{"message": {"sorry"}}), http.StatusForbidden)
		want(t, owner.post(slug+"/members", slug+"/members/ban", url.Values{"username": {"nobody"}}), http.StatusNotFound, `id="page-error"`, `value="nobody"`)
		want(t, owner.post(slug+"/members", slug+"/members/unban", url.Values{"username": {"ann"}}), http.StatusSeeOther)
		if _, banned := roles(t, s, "open-house"); len(banned) != 0 {
			t.Fatalf("still banned after the ban was lifted: %v", banned)
		}
		want(t, owner.post(slug+"/members", slug+"/members/bogus", url.Values{"username": {"ann"}}), http.StatusNotFound)

		// Invites: listed with a revoke button; a member may not revoke.
		want(t, owner.post(slug+"/invite", slug+"/invite", url.Values{"kind": {"link"}, "uses": {"10"}}), http.StatusOK, `id="invite-link"`)
		p = owner.get(slug + "/invite")
		want(t, p, http.StatusOK)
		checkSafePage(t, p)
		rv := revokeRE.FindAllStringSubmatch(p.body, -1)
		before, err := s.app.Groups.Invites(ctx, admin, "open-house")
		if err != nil {
			t.Fatal(err)
		}
		if len(rv) == 0 || len(rv) != len(before) {
			t.Fatalf("%d revoke forms for %d open invites", len(rv), len(before))
		}
		want(t, bob.get(slug+"/invite"), http.StatusOK) // bob moderates the group
		want(t, ann.post(slug, rv[0][1], url.Values{}), http.StatusForbidden)
		want(t, owner.do("POST", rv[0][1], url.Values{}), http.StatusForbidden)
		p = owner.post(slug+"/invite", rv[0][1], url.Values{})
		want(t, p, http.StatusSeeOther)
		want(t, owner.get(p.header.Get("Location")), http.StatusOK, `id="page-done"`)
		after, err := s.app.Groups.Invites(ctx, admin, "open-house")
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(before)-1 {
			t.Fatalf("%d open invites after revoking one of %d", len(after), len(before))
		}
		want(t, owner.post(slug+"/invite", slug+"/invites/999999/revoke", url.Values{}), http.StatusNotFound, `id="page-error"`, `id="invite-username"`)

		// Deleting: the owner confirms; members are refused.
		want(t, ann.get(slug+"/delete"), http.StatusForbidden)
		want(t, bob.get(slug+"/delete"), http.StatusForbidden)
		want(t, bob.post(slug, slug+"/delete", url.Values{}), http.StatusForbidden, `id="page-error"`)
		p = owner.get(slug + "/delete")
		want(t, p, http.StatusOK, `id="group-delete"`)
		checkSafePage(t, p)
		want(t, owner.do("POST", slug+"/delete", url.Values{}), http.StatusForbidden)
		if _, err := s.app.Groups.Get(ctx, admin, "open-house"); err != nil {
			t.Fatalf("the group is gone after refused deletes: %v", err)
		}
		p = owner.post(slug+"/delete", slug+"/delete", url.Values{})
		want(t, p, http.StatusSeeOther)
		if loc := p.header.Get("Location"); loc != "/groups" {
			t.Fatalf("after deleting: %q", loc)
		}
		if _, err := s.app.Groups.Get(ctx, admin, "open-house"); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatalf("a deleted group: %v", err)
		}
		want(t, owner.get(slug), http.StatusNotFound)
		want(t, guest.get(slug+"/members"), http.StatusNotFound)
	})
}

func TestResourceManagePages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *database.DB) {
		s := newSite(t, d.Dialect)
		ctx, adminActor := context.Background(), s.adminActor(t)
		owner, ann, admin, guest := s.browser(), s.browser(), s.browser(), s.browser()
		owner.signup("owner")
		ann.signup("ann")
		admin.signin("admin", "admin password")

		p := owner.upload("/resources/new", "/resources/new", [][2]string{{"kind", "link"}, {"title", "Vendor docs"}, {"url", "https://example.com/docs"}, {"tags", "docs"}}, "", "")
		want(t, p, http.StatusSeeOther)
		link := p.header.Get("Location")
		p = owner.upload("/resources/new", "/resources/new", [][2]string{{"kind", "file"}, {"title", "Setup checklist"}}, "c.txt", "steps")
		want(t, p, http.StatusSeeOther)
		file := p.header.Get("Location")
		id := func(loc string) int {
			n := 0
			for _, c := range strings.TrimPrefix(loc, "/r/") {
				n = n*10 + int(c-'0')
			}
			return n
		}

		// Editing: the owner gets the links and the form, others 403.
		want(t, owner.get(link), http.StatusOK, `id="resource-edit-link"`, `id="resource-delete-link"`)
		if strings.Contains(ann.get(link).body, `id="resource-edit-link"`) {
			t.Fatal("another member is offered the edit link")
		}
		p = owner.get(link + "/edit")
		want(t, p, http.StatusOK, `id="resource-edit-form"`, `id="resource-url"`, `value="Vendor docs"`, `value="docs"`)
		checkSafePage(t, p)
		if p := owner.get(file + "/edit"); p.status != http.StatusOK || strings.Contains(p.body, `id="resource-url"`) {
			t.Fatalf("a file's edit form: %d, has a link field: %v", p.status, strings.Contains(p.body, `id="resource-url"`))
		}
		want(t, ann.get(link+"/edit"), http.StatusForbidden)
		want(t, ann.post(link, link+"/edit", url.Values{"title": {"Defaced"}, "description": {""}, "tags": {""}, "url": {"https://evil.example"}}),
			http.StatusForbidden, `id="page-error"`)
		want(t, owner.post(link+"/edit", link+"/edit", url.Values{"title": {"x"}, "description": {""}, "tags": {""}, "url": {"https://example.com/docs"}}),
			http.StatusUnprocessableEntity, `id="rtitle-error"`)
		want(t, owner.do("POST", link+"/edit", url.Values{"title": {"Forged title"}, "url": {"https://example.com/docs"}}), http.StatusForbidden)
		p = owner.post(link+"/edit", link+"/edit", url.Values{"title": {"Vendor docs v2"}, "description": {"Now *updated*"}, "tags": {"docs, vendor"}, "url": {"https://example.com/v2"}})
		want(t, p, http.StatusSeeOther)
		v, err := s.app.Resources.Get(ctx, adminActor, id(link))
		if err != nil {
			t.Fatal(err)
		}
		if v.Title != "Vendor docs v2" || v.URL != "https://example.com/v2" || strings.Join(v.Tags, ",") != "docs,vendor" || v.Description != "Now *updated*" {
			t.Fatalf("after editing: %q %q %v %q", v.Title, v.URL, v.Tags, v.Description)
		}
		want(t, guest.get(link), http.StatusOK, "Vendor docs v2", "<em>updated</em>")
		want(t, owner.post(file+"/edit", file+"/edit", url.Values{"title": {"Setup checklist 2"}, "description": {""}, "tags": {""}}), http.StatusSeeOther)
		want(t, guest.get(file), http.StatusOK, "Setup checklist 2")

		// Bookmarks: a toggle on the page, a list on the library and on /bookmarks.
		want(t, ann.get(link), http.StatusOK, `action="`+link+`/bookmark"`, `aria-pressed="false"`)
		want(t, ann.post(link, link+"/bookmark", url.Values{"on": {"1"}}), http.StatusSeeOther)
		p = ann.get("/resources?bookmarked=1")
		want(t, p, http.StatusOK, "Vendor docs v2", `id="my-bookmarks" href="/resources?bookmarked=1" aria-current="page"`)
		checkSafePage(t, p)
		if strings.Contains(p.body, "Setup checklist") {
			t.Fatal("the bookmarks list shows a resource not bookmarked")
		}
		want(t, ann.get("/bookmarks"), http.StatusOK, `id="bookmarked-resource-list"`, "Vendor docs v2")
		p = owner.get("/resources?bookmarked=1")
		want(t, p, http.StatusOK, "You have not bookmarked any resources.")
		if p := guest.get("/resources?bookmarked=1"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/signin") {
			t.Fatalf("a guest's bookmarks: %d %v", p.status, p.header)
		}
		want(t, ann.post(link, link+"/bookmark", url.Values{"on": {"0"}}), http.StatusSeeOther)
		if strings.Contains(ann.get("/resources?bookmarked=1").body, "Vendor docs v2") {
			t.Fatal("a removed bookmark is still listed")
		}

		// Deleting: confirmed by the owner; only moderators see it and restore it.
		want(t, ann.get(link+"/delete"), http.StatusForbidden)
		want(t, ann.post(link, link+"/delete", url.Values{}), http.StatusForbidden, `id="page-error"`)
		want(t, owner.do("POST", link+"/delete", url.Values{}), http.StatusForbidden)
		p = owner.get(link + "/delete")
		want(t, p, http.StatusOK, `id="resource-delete"`, "Vendor docs v2")
		checkSafePage(t, p)
		p = owner.post(link+"/delete", link+"/delete", url.Values{})
		want(t, p, http.StatusSeeOther)
		want(t, owner.get(p.header.Get("Location")), http.StatusOK, `id="page-done"`)
		if v, err := s.app.Resources.Get(ctx, adminActor, id(link)); err != nil || v.DeletedAt == nil {
			t.Fatalf("after deleting: %v %v", v, err)
		}
		want(t, guest.get(link), http.StatusNotFound)
		want(t, owner.get(link), http.StatusNotFound)
		want(t, owner.get("/resources?deleted=1"), http.StatusUnprocessableEntity)
		want(t, owner.post("/resources", link+"/restore", url.Values{}), http.StatusNotFound)
		p = admin.get(link)
		want(t, p, http.StatusOK, `id="resource-deleted"`, `id="resource-restore"`)
		checkSafePage(t, p)
		want(t, admin.get("/resources?deleted=1"), http.StatusOK, "Vendor docs v2")
		want(t, admin.do("POST", link+"/restore", url.Values{}), http.StatusForbidden)
		want(t, admin.post(link, link+"/restore", url.Values{}), http.StatusSeeOther)
		if v, err := s.app.Resources.Get(ctx, adminActor, id(link)); err != nil || v.DeletedAt != nil {
			t.Fatalf("after restoring: %v %v", v, err)
		}
		want(t, guest.get(link), http.StatusOK, "Vendor docs v2")
		// A moderator who deletes is taken back to the resource, to restore it.
		p = admin.post(file+"/delete", file+"/delete", url.Values{})
		want(t, p, http.StatusSeeOther)
		if loc := p.header.Get("Location"); loc != file {
			t.Fatalf("after a moderator deletes: %q", loc)
		}
	})
}
