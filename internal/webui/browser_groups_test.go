package webui_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserGroups walks the group and resource pages in Chromium against
// a seeded crn: creating groups, joining a public one and finding it on
// the profile, a guest refused a private group, sharing a small file with
// the upload script and downloading it; an owner editing the group and
// making a member a moderator, a refusal shown in the page, deleting and
// restoring a resource; and axe-core on the group, resource and
// management pages.
func TestBrowserGroups(t *testing.T) {
	chromium := chromiumPath(t)
	srv := startCRN(t)
	browser := startBrowser(t, chromium)

	owner := newPerson(t, browser, srv)
	owner.signIn("moderator")
	createGroup := func(name, visibility string) string {
		t.Helper()
		owner.open("/groups/new")
		owner.do(
			chromedp.SendKeys(chromedp.ID("group-name"), name),
			chromedp.SendKeys(chromedp.ID("group-description"), "A group for "+name),
			chromedp.Click(chromedp.CSS(`input[name="visibility"][value="`+visibility+`"]`)),
			chromedp.Click(chromedp.CSS(`main form.stack button[type="submit"]`)),
		)
		owner.waitUntil("the new group's page", `!!document.getElementById("group-heading")`)
		loc, err := chromedp.Run(owner.ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(loc, srv.url)
	}
	public := createGroup("Browser Testers", "public")
	private := createGroup("Hidden Workshop", "private")
	if !strings.HasPrefix(public, "/g/") || !strings.HasPrefix(private, "/g/") {
		t.Fatalf("groups at %q and %q", public, private)
	}

	var resourcePath string
	t.Run("join a public group and see it on the profile", func(t *testing.T) {
		member := newPerson(t, browser, srv)
		member.open("/signup")
		member.do(
			chromedp.SendKeys(chromedp.ID("username"), "groupie"),
			chromedp.SendKeys(chromedp.ID("email"), "groupie@example.com"),
			chromedp.SendKeys(chromedp.ID("display_name"), "Groupie"),
			chromedp.SendKeys(chromedp.ID("password"), "a long password"),
			chromedp.Click(chromedp.CSS(`main form.stack button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.ID("notification-count")),
		)
		member.open("/groups")
		if member.eval(`String(document.body.textContent.includes("Hidden Workshop"))`) != "false" {
			t.Fatal("the directory shows a private group to a non-member")
		}
		member.do(chromedp.Click(chromedp.CSS(`main a[href="` + public + `"]`)))
		member.waitUntil("the group page", `!!document.getElementById("group-join")`)
		member.do(chromedp.Click(chromedp.ID("group-join")))
		member.waitUntil("membership", `!!document.getElementById("group-leave") && !!document.querySelector('#member-list a[href="/u/groupie"]')`)
		member.open("/u/groupie")
		if got := member.eval(`[...document.querySelectorAll("#profile-group-list a")].map((a) => a.getAttribute("href")).join(",")`); got != public {
			t.Fatalf("the profile lists groups %q, want %q", got, public)
		}
		member.checkClean()

		// Share a small file through the upload script, then download it.
		file := filepath.Join(t.TempDir(), "notes.txt")
		if err := os.WriteFile(file, []byte("uploaded from Chromium\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		member.open("/resources/new?group=" + strings.TrimPrefix(public, "/g/"))
		member.do(
			chromedp.SendKeys(chromedp.ID("resource-title"), "Browser upload notes"),
			chromedp.SendKeys(chromedp.ID("resource-tags"), "browser"),
			chromedp.SetUploadFiles(chromedp.ID("resource-file"), []string{file}),
			chromedp.Click(chromedp.CSS(`#share-form button[type="submit"]`)),
		)
		member.waitUntil("the resource page", `!!document.getElementById("resource-heading") && !!document.querySelector("#version-list a.download")`)
		loc, err := chromedp.Run(member.ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		resourcePath = strings.TrimPrefix(loc, srv.url)
		got, err := chromedp.Run(member.ctx, chromedp.Evaluate[string](
			`fetch(document.querySelector("#version-list a.download").href).then((r) => r.text())`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if got != "uploaded from Chromium\n" {
			t.Fatalf("downloaded %q", got)
		}
		member.open(public)
		if member.eval(`String(!!document.querySelector('#group-resources + ul a[href="`+resourcePath+`"]'))`) != "true" {
			t.Fatal("the group page does not list the shared resource")
		}
		member.checkClean()
	})

	var managed bool // the management subtest ran: the axe list may include its pages
	t.Run("an owner edits the group and changes a member's role", func(t *testing.T) {
		if resourcePath == "" {
			t.Fatal("an earlier step failed: this one needs the member who joined and their resource")
		}
		// The settings form, filled and sent from the keyboard.
		owner.open(public)
		owner.do(chromedp.Click(chromedp.ID("group-settings-link")))
		owner.waitUntil("the settings page", `!!document.getElementById("group-settings-form")`)
		owner.do(
			chromedp.Clear(chromedp.ID("group-name")),
			chromedp.SendKeys(chromedp.ID("group-name"), "Browser Testers United"),
			chromedp.Clear(chromedp.ID("group-description")),
			chromedp.SendKeys(chromedp.ID("group-description"), "Edited from Chromium"),
			chromedp.Focus(chromedp.ID("group-settings-save")),
			chromedp.KeyEvent("\r"),
		)
		owner.waitUntil("the renamed group", `document.getElementById("group-heading")?.textContent === "Browser Testers United"`)
		if got := owner.eval(`document.querySelector("main .lead").textContent`); got != "Edited from Chromium" {
			t.Fatalf("the group's description reads %q", got)
		}
		owner.checkClean()

		// The member who joined becomes a moderator.
		owner.do(chromedp.Click(chromedp.ID("group-members-link")))
		owner.waitUntil("the members page", `!!document.querySelector("#member-groupie select")`)
		if got := owner.eval(`document.querySelector("#member-groupie select").value`); got != "member" {
			t.Fatalf("groupie's role before: %q", got)
		}
		owner.do(
			chromedp.SetValue(chromedp.CSS(`#member-groupie select`), "moderator"),
			chromedp.Click(chromedp.CSS(`#member-groupie form[action$="/members/role"] button`)),
		)
		owner.waitUntil("the role change", `!!document.getElementById("page-done") && document.querySelector("#member-groupie select")?.value === "moderator"`)
		owner.open(public)
		if got := owner.eval(`[...document.querySelectorAll("#member-list li")].find((li) => li.querySelector('a[href="/u/groupie"]'))?.querySelector(".label")?.textContent ?? ""`); got != "Moderator" {
			t.Fatalf("the group page shows groupie as %q", got)
		}
		owner.checkClean()

		// Refusals show in the page: the last owner may not step down.
		owner.open(public + "/members")
		owner.do(
			chromedp.SetValue(chromedp.CSS(`#member-moderator select`), "member"),
			chromedp.Click(chromedp.CSS(`#member-moderator form[action$="/members/role"] button`)),
		)
		owner.waitUntil("the refusal", `!!document.getElementById("page-error")`)
		if got := owner.eval(`String(performance.getEntriesByType("navigation")[0].responseStatus)`); got != "409" {
			t.Fatalf("stepping down as the last owner answers %s", got)
		}
		owner.checkClean()

		// A site moderator deletes the shared resource, sees it marked, and restores it.
		owner.open(resourcePath)
		owner.do(chromedp.Click(chromedp.ID("resource-bookmark")))
		owner.waitUntil("the bookmark", `document.getElementById("resource-bookmark")?.getAttribute("aria-pressed") === "true"`)
		owner.do(chromedp.Click(chromedp.ID("resource-delete-link")))
		owner.waitUntil("the confirmation", `!!document.getElementById("resource-delete")`)
		owner.do(chromedp.Focus(chromedp.ID("resource-delete")), chromedp.KeyEvent("\r"))
		owner.waitUntil("the deleted resource", `!!document.getElementById("resource-restore")`)
		axe, err := os.ReadFile("testdata/vendor/axe.min.js")
		if err != nil {
			t.Fatal(err)
		}
		checkAxe(t, owner, string(axe), resourcePath+" deleted")
		owner.do(chromedp.Click(chromedp.ID("resource-restore")))
		owner.waitUntil("the restored resource", `!document.getElementById("resource-deleted") && !!document.getElementById("resource-edit-link")`)
		owner.checkClean()
		managed = true
	})

	t.Run("a guest gets 404 on a private group", func(t *testing.T) {
		guest := newPerson(t, browser, srv)
		guest.do(chromedp.Navigate(srv.url + private))
		if got := guest.eval(`String(performance.getEntriesByType("navigation")[0].responseStatus) + " " + document.querySelector("main .meta").textContent`); got != "404 404" {
			t.Fatalf("a guest on a private group's page gets %q", got)
		}
		if guest.eval(`String(document.body.textContent.includes("Hidden Workshop"))`) != "false" {
			t.Fatal("the 404 page names the private group")
		}
	})

	t.Run("axe-core on the group and resource pages", func(t *testing.T) {
		axe, err := os.ReadFile("testdata/vendor/axe.min.js")
		if err != nil {
			t.Fatal(err)
		}
		if resourcePath == "" {
			t.Fatal("an earlier step failed: this one needs the shared resource")
		}
		guest := newPerson(t, browser, srv)
		pages := []struct {
			who  *person
			path string
		}{
			{guest, "/groups"}, {guest, public}, {guest, "/resources"}, {guest, resourcePath},
			{owner, "/groups"}, {owner, public}, {owner, private}, {owner, public + "/invite"}, {owner, public + "/requests"},
			{owner, "/groups/new"}, {owner, "/resources?sort=rating&kind=file"}, {owner, "/resources/new"}, {owner, resourcePath},
		}
		if managed {
			pages = append(pages, []struct {
				who  *person
				path string
			}{
				{owner, public + "/settings"}, {owner, public + "/delete"}, {owner, public + "/members"}, {guest, public + "/members"},
				{owner, resourcePath + "/edit"}, {owner, resourcePath + "/delete"}, {owner, "/resources?bookmarked=1"}, {owner, "/bookmarks"},
			}...)
		}
		for _, pg := range pages {
			for _, width := range []int64{1280, 390} {
				pg.who.do(chromedp.EmulateViewport(width, 900))
				pg.who.open(pg.path)
				where := pg.path + " at " + strconv.FormatInt(width, 10) + "px"
				checkAxe(t, pg.who, string(axe), where)
				if wide := pg.who.eval(`String(document.documentElement.scrollWidth > window.innerWidth)`); wide != "false" {
					t.Errorf("%s: the page is wider than the window", where)
				}
			}
		}
	})
}
