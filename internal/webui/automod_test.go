package webui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
)

func TestAutomodEditor(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *database.DB) {
		s := newSite(t, d.Dialect)
		ctx := context.Background()
		if _, err := s.app.Accounts.CreateUser(ctx, account.NewUser{Username: "mod", Email: "mod@example.com", Password: "mod password", Role: account.RoleModerator}); err != nil {
			t.Fatal(err)
		}
		const page = "/review/automod"
		want(t, s.browser().get(page), http.StatusSeeOther)
		member := s.browser()
		member.signup("member")
		want(t, member.get(page), http.StatusForbidden)
		mod := s.browser()
		mod.signin("mod", "mod password")
		want(t, mod.get(page), http.StatusForbidden) // the service: admins only
		if strings.Contains(mod.get("/review").body, `href="/review/automod"`) {
			t.Fatal("a moderator is offered the automod editor")
		}

		admin := s.browser()
		admin.signin("admin", "admin password")
		want(t, admin.get("/review"), http.StatusOK, `href="/review/automod"`)
		p := admin.get(page)
		want(t, p, http.StatusOK, "Auto-moderation rules", "No watched words yet.")
		checkSafePage(t, p)

		// Writes need the anti-forgery token.
		want(t, admin.do("POST", page+"/rules", url.Values{"pattern": {"casino"}, "action": {"block"}}), http.StatusForbidden)
		// The service's 422 messages land in the form, which keeps what was typed.
		p = admin.post(page, page+"/rules", url.Values{"pattern": {"(unclosed"}, "regex": {"1"}, "action": {"block"}})
		want(t, p, http.StatusUnprocessableEntity, `aria-invalid="true"`, "is not a valid RE2 regular expression", `value="(unclosed"`)
		checkSafePage(t, p)
		p = admin.post(page, page+"/rules", url.Values{"pattern": {strings.Repeat("x", 201)}, "action": {"flag"}})
		want(t, p, http.StatusUnprocessableEntity, "is longer than 200 characters")
		p = admin.post(page, page+"/rules", url.Values{"pattern": {"(?:a{1000}){1000}"}, "regex": {"1"}, "action": {"flag"}})
		want(t, p, http.StatusUnprocessableEntity, `id="rule-pattern-error"`)
		want(t, admin.get(page), http.StatusOK, "No watched words yet.")

		// Create, test, disable, edit, delete.
		want(t, admin.post(page, page+"/rules", url.Values{"pattern": {"casino"}, "action": {"block"}, "reason": {"gambling spam"}}), http.StatusSeeOther)
		want(t, admin.post(page, page+"/rules", url.Values{"pattern": {`(?i)free\s*money`}, "regex": {"1"}, "action": {"flag"}}), http.StatusSeeOther)
		p = admin.get(page + "?done=created")
		want(t, p, http.StatusOK, "The rule was added.", `<code>casino</code>`, `<code>(?i)free\s*money</code>`, `id="rule-2"`)
		p = admin.post(page, page+"/test", url.Values{"text": {"Win at the CASINO, free   money!"}})
		want(t, p, http.StatusOK, `id="rule-test-matches"`, "2 rules match.", "would be refused", "Auto-moderation rules")
		p = admin.post(page, page+"/test", url.Values{"text": {"a class act"}}, "HX-Request", "true")
		want(t, p, http.StatusOK, `id="rule-test-none"`)
		if strings.Contains(p.body, "<html") {
			t.Fatal("htmx got a whole page")
		}
		want(t, admin.post(page, page+"/rules/1/toggle", url.Values{"was": {"casino"}}), http.StatusSeeOther)
		want(t, admin.get(page), http.StatusOK, `<tr id="rule-1" class="rule-off">`)
		p = admin.post(page, page+"/test", url.Values{"text": {"casino"}})
		want(t, p, http.StatusOK, "1 rule matches.", "Disabled")
		if strings.Contains(p.body, "would be refused") {
			t.Fatal("a disabled rule would refuse a post")
		}
		want(t, admin.get(page+"?edit=2"), http.StatusOK, `name="number" value="2"`, `Edit rule 2`)
		want(t, admin.post(page, page+"/rules", url.Values{"number": {"2"}, "was": {"nope"}, "pattern": {"poker"}, "action": {"flag"}}), http.StatusConflict)
		p = admin.post(page, page+"/rules", url.Values{"number": {"2"}, "was": {`(?i)free\s*money`}, "pattern": {"poker"}, "action": {"replace"}, "replacement": {strings.Repeat("y", 201)}})
		want(t, p, http.StatusUnprocessableEntity, `id="rule-replacement-error"`, `name="number" value="2"`)
		want(t, admin.post(page, page+"/rules", url.Values{"number": {"2"}, "was": {`(?i)free\s*money`}, "pattern": {"poker"}, "action": {"hold"}}), http.StatusSeeOther)
		want(t, admin.get(page), http.StatusOK, `<code>poker</code>`)
		want(t, admin.post(page, page+"/rules/9/delete", url.Values{"was": {"poker"}}), http.StatusNotFound)
		want(t, admin.post(page, page+"/rules/2/delete", url.Values{"was": {"poker"}}), http.StatusSeeOther)
		if strings.Contains(admin.get(page).body, "<code>poker</code>") {
			t.Fatal("the deleted rule is still listed")
		}

		// Audit log: every change is there; the newest (the deletion) is
		// reverted from the web, which is itself audited.
		p = admin.get("/review/audit?action=automod.update")
		want(t, p, http.StatusOK, `href="/api/v1/moderation/audit?action=automod.update&amp;format=csv"`)
		checkSafePage(t, p)
		m := revertRE.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no revert button:\n%.3000s", p.body)
		}
		entry := m[1]
		revert := "/review/audit/" + entry + "/revert"
		want(t, admin.get(revert), http.StatusOK, "Revert entry #"+entry, "automod.update", `action="`+revert+`"`)
		want(t, admin.do("POST", revert, url.Values{"reason": {"oops"}}), http.StatusForbidden)
		want(t, member.get(revert), http.StatusForbidden)
		p = admin.post(revert, revert, url.Values{"reason": {"deleted by mistake"}})
		want(t, p, http.StatusSeeOther)
		if loc := p.header.Get("Location"); !strings.HasPrefix(loc, "/review/audit?reverted="+entry) {
			t.Fatalf("revert went to %q", loc)
		}
		want(t, admin.get(page), http.StatusOK, `<code>poker</code>`)
		p = admin.get("/review/audit?reverted=" + entry)
		want(t, p, http.StatusOK, "Entry #"+entry+" was reverted.", "reverts #"+entry, "deleted by mistake", "Reverted by #")
		if strings.Contains(p.body, `href="`+revert+`"`) {
			t.Fatal("a reverted entry still offers a revert")
		}
		// Twice is a 409, shown on the confirmation page.
		want(t, admin.post(revert, revert, url.Values{}), http.StatusConflict, `id="revert-problem"`, "This action was reverted already.")
		// A warning is not reversible: no button, and a 409 when forced.
		adminUser, _ := s.app.Accounts.ByUsername(ctx, "admin")
		a, _ := s.app.Forums.Actor(ctx, adminUser)
		if err := s.app.Moderation.Warn(ctx, a, "member", "be nice"); err != nil {
			t.Fatal(err)
		}
		p = admin.get("/review/audit?action=user.warn")
		want(t, p, http.StatusOK, "be nice")
		if revertRE.MatchString(p.body) {
			t.Fatal("a warning offers a revert")
		}
		warn := auditRowRE.FindStringSubmatch(p.body)
		if warn == nil {
			t.Fatalf("no warning row:\n%.2000s", p.body)
		}
		revert = "/review/audit/" + warn[1] + "/revert"
		want(t, admin.post(revert, revert, url.Values{}), http.StatusConflict, "This action cannot be reverted.")
		// The CSV export of the filtered log.
		p = admin.get("/api/v1/moderation/audit?action=automod.update&format=csv")
		if p.status != http.StatusOK || !strings.Contains(p.body, "automod.update") || strings.Contains(p.body, "user.warn") {
			t.Fatalf("audit export: %d\n%.500s", p.status, p.body)
		}
		want(t, admin.get("/review/audit/999999/revert"), http.StatusNotFound)

		want(t, admin.post(page, "/language", url.Values{"locale": {"zh-Hans"}, "next": {"/"}}), http.StatusSeeOther)
		want(t, admin.get(page), http.StatusOK, "自动审核规则", "已停用")
	})
}

var (
	revertRE   = regexp.MustCompile(`href="/review/audit/(\d+)/revert"`)
	auditRowRE = regexp.MustCompile(`<tr id="audit-(\d+)">`)
)
