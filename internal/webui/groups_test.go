package webui_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
)

// upload posts a multipart form the way a browser without script does:
// the fields (anti-forgery token first) and the file last.
func (b *browser) upload(from, path string, fields [][2]string, filename, content string, extra ...string) page {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if from != "" {
		_ = mw.WriteField("csrf", b.csrf(from))
	}
	for _, f := range fields {
		_ = mw.WriteField(f[0], f[1])
	}
	fw, _ := mw.CreateFormFile("file", filename)
	_, _ = io.WriteString(fw, content)
	_ = mw.Close()
	req, err := http.NewRequest("POST", b.s.url+path, &buf)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(out)}
}

var inviteLinkRE = regexp.MustCompile(`id="invite-link" readonly value="[^"]*(/invites/[^"]+)"`)

func TestGroupPages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *database.DB) {
		s := newSite(t, d.Dialect)
		owner, ann, guest := s.browser(), s.browser(), s.browser()
		owner.signup("owner")
		ann.signup("ann")

		for _, g := range [][2]string{{"Open House", "public"}, {"Beta Club", "restricted"}, {"Secret Lab", "private"}} {
			p := owner.post("/groups/new", "/groups/new", url.Values{"name": {g[0]}, "visibility": {g[1]}, "description": {"About " + g[0]}})
			want(t, p, http.StatusSeeOther)
		}
		p := owner.post("/groups/new", "/groups/new", url.Values{"name": {""}, "visibility": {"public"}})
		want(t, p, http.StatusUnprocessableEntity, `aria-invalid="true"`)

		// The directory: guests see public and restricted groups, never private ones.
		p = guest.get("/groups")
		want(t, p, http.StatusOK, "Open House", "Beta Club")
		checkSafePage(t, p)
		if strings.Contains(p.body, "Secret Lab") {
			t.Fatal("a guest's directory lists a private group")
		}
		want(t, owner.get("/groups"), http.StatusOK, "Secret Lab")
		// A private group is not found for non-members, as in the API.
		want(t, guest.get("/g/secret-lab"), http.StatusNotFound)
		want(t, ann.get("/g/secret-lab"), http.StatusNotFound)
		want(t, owner.get("/g/secret-lab"), http.StatusOK, "About Secret Lab")

		// Joining a public group shows it on the profile.
		p = guest.get("/g/open-house")
		want(t, p, http.StatusOK, "About Open House", "group-members")
		checkSafePage(t, p)
		want(t, ann.post("/g/open-house", "/g/open-house/join", url.Values{}), http.StatusSeeOther)
		want(t, ann.get("/g/open-house"), http.StatusOK, `id="group-leave"`, `href="/u/ann"`)
		want(t, guest.get("/u/ann"), http.StatusOK, `href="/g/open-house"`)

		// A restricted group shows its card and a request form; the owner approves.
		p = ann.get("/g/beta-club")
		want(t, p, http.StatusOK, `id="group-request"`)
		if strings.Contains(p.body, `id="member-list"`) {
			t.Fatal("a non-member sees a restricted group's members")
		}
		want(t, ann.post("/g/beta-club", "/g/beta-club/request", url.Values{"message": {"let me in"}}), http.StatusSeeOther)
		want(t, ann.get("/g/beta-club"), http.StatusOK, `id="group-pending"`)
		want(t, ann.get("/g/beta-club/requests"), http.StatusForbidden)
		p = owner.get("/g/beta-club/requests")
		want(t, p, http.StatusOK, "let me in")
		action := regexp.MustCompile(`action="(/g/beta-club/requests/[0-9]+)"`).FindStringSubmatch(p.body)
		if action == nil {
			t.Fatal("no decision form")
		}
		want(t, owner.post("/g/beta-club/requests", action[1], url.Values{"decision": {"reject"}}), http.StatusUnprocessableEntity)
		want(t, owner.post("/g/beta-club/requests", action[1], url.Values{"decision": {"approve"}}), http.StatusSeeOther)
		want(t, ann.get("/g/beta-club"), http.StatusOK, `id="member-list"`, `id="group-leave"`)
		if strings.Contains(guest.get("/u/ann").body, "/g/beta-club") {
			t.Fatal("a guest sees a restricted group on a member's profile")
		}

		// A link invite to the private group, shown once, lets ann in.
		want(t, ann.get("/g/secret-lab/invite"), http.StatusNotFound)
		p = owner.post("/g/secret-lab/invite", "/g/secret-lab/invite", url.Values{"kind": {"link"}, "uses": {"1"}})
		want(t, p, http.StatusOK, `id="invite-link"`)
		link := inviteLinkRE.FindStringSubmatch(p.body)
		if link == nil {
			t.Fatalf("no invite link:\n%.2000s", p.body)
		}
		want(t, owner.post("/g/secret-lab/invite", "/g/secret-lab/invite", url.Values{"kind": {"user"}, "username": {"nobody"}}), http.StatusUnprocessableEntity)
		want(t, ann.get(link[1]), http.StatusOK, `id="invite-accept"`)
		want(t, ann.post(link[1], link[1], url.Values{}), http.StatusSeeOther)
		want(t, ann.get("/g/secret-lab"), http.StatusOK, "About Secret Lab")
		want(t, ann.post("/g/secret-lab", "/g/secret-lab/leave", url.Values{}), http.StatusSeeOther)
		want(t, ann.get("/g/secret-lab"), http.StatusNotFound)

		// Writes need the anti-forgery token.
		want(t, ann.do("POST", "/g/open-house/leave", url.Values{}), http.StatusForbidden)
	})
}

func TestResourcePages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *database.DB) {
		s := newSite(t, d.Dialect)
		owner, ann, guest := s.browser(), s.browser(), s.browser()
		owner.signup("owner")
		ann.signup("ann")

		// A plain multipart post (no script) shares a file.
		p := owner.upload("/resources/new", "/resources/new", [][2]string{{"kind", "file"}, {"title", "Setup checklist"}, {"tags", "setup"}, {"description", "The **steps**."}},
			"checklist.txt", "1. plug in\n2. switch on\n")
		want(t, p, http.StatusSeeOther)
		loc := p.header.Get("Location")
		if !strings.HasPrefix(loc, "/r/") {
			t.Fatalf("after sharing: %q", loc)
		}
		p = guest.get(loc)
		want(t, p, http.StatusOK, "Setup checklist", "<strong>steps</strong>", "checklist.txt", "/download?version=1")
		checkSafePage(t, p)
		dl := regexp.MustCompile(`href="(/api/v1/resources/[0-9]+/download\?version=1)"`).FindStringSubmatch(p.body)
		if dl == nil {
			t.Fatal("no download link")
		}
		if got := guest.get(dl[1]); got.status != http.StatusOK || got.body != "1. plug in\n2. switch on\n" {
			t.Fatalf("download: %d %q", got.status, got.body)
		}
		// Without the token, or with a wrong one, nothing is stored.
		want(t, owner.upload("", "/resources/new", [][2]string{{"kind", "file"}, {"title", "Forged"}}, "x.txt", "x"), http.StatusForbidden)
		want(t, owner.upload("", "/resources/new", [][2]string{{"csrf", "wrong"}, {"kind", "file"}, {"title", "Forged"}}, "x.txt", "x"), http.StatusForbidden)
		// The script's way: the token in a header, errors as an alert fragment.
		tok := owner.csrf("/resources/new")
		p = owner.upload("", "/resources/new", [][2]string{{"kind", "file"}, {"title", "x"}}, "x.txt", "x", "X-CSRF-Token", tok, "HX-Request", "true")
		want(t, p, http.StatusUnprocessableEntity)
		if p.header.Get("HX-Retarget") != "#flash" {
			t.Fatalf("a refused upload's answer goes to %q", p.header.Get("HX-Retarget"))
		}
		p = owner.upload("", loc+"/versions", [][2]string{{"note", "fixed a typo"}}, "checklist.txt", "v2", "X-CSRF-Token", tok, "HX-Request", "true")
		if p.status != http.StatusNoContent || p.header.Get("HX-Redirect") != loc {
			t.Fatalf("new version: %d %v", p.status, p.header)
		}
		want(t, guest.get(loc), http.StatusOK, "fixed a typo", "/download?version=2")
		// Only the owner uploads versions.
		want(t, ann.upload(loc, loc+"/versions", nil, "evil.txt", "evil"), http.StatusForbidden)

		// A link, rated and bookmarked by another member.
		p = owner.upload("/resources/new", "/resources/new", [][2]string{{"kind", "link"}, {"title", "Vendor docs"}, {"url", "https://example.com/docs"}}, "", "")
		want(t, p, http.StatusSeeOther)
		link := p.header.Get("Location")
		want(t, ann.post(link, link+"/rate", url.Values{"stars": {"4"}}), http.StatusSeeOther)
		want(t, ann.post(link, link+"/bookmark", url.Values{"on": {"1"}}), http.StatusSeeOther)
		want(t, ann.get(link), http.StatusOK, `aria-pressed="true"`, `value="4" checked`)
		want(t, ann.post(link, link+"/rate", url.Values{"stars": {"9"}}), http.StatusUnprocessableEntity)

		// The library filters and sorts.
		p = guest.get("/resources?kind=link")
		want(t, p, http.StatusOK, "Vendor docs")
		checkSafePage(t, p)
		if strings.Contains(p.body, "Setup checklist") {
			t.Fatal("the link filter shows a file")
		}
		want(t, guest.get("/resources?tag=setup&sort=downloads"), http.StatusOK, "Setup checklist")
		want(t, guest.get("/resources?sort=rating"), http.StatusOK, "Vendor docs")
		want(t, guest.get("/resources?sort=bogus"), http.StatusUnprocessableEntity)
		want(t, guest.get("/resources/new"), http.StatusSeeOther)
	})
}
