package webui_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// signUp registers a new member through the sign-up form.
func (p *person) signUp(username string) {
	p.t.Helper()
	p.open("/signup")
	p.do(
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("email"), username+"@example.com"),
		chromedp.SendKeys(chromedp.ID("display_name"), username),
		chromedp.SendKeys(chromedp.ID("password"), "a long password"),
		chromedp.Click(chromedp.CSS(`main form.stack button[type="submit"]`)),
	)
	p.waitUntil("signed up as "+username, `!!document.getElementById("notification-count")`)
	p.checkClean()
}

// TestBrowserFeedbackAndReview votes on a feedback item, flags a post as a
// member and acts on it from the live review queue as a moderator, with the
// keyboard; and runs axe-core on the feedback and review pages.
func TestBrowserFeedbackAndReview(t *testing.T) {
	chromium := chromiumPath(t)
	srv := startCRN(t)
	browser := startBrowser(t, chromium)

	var itemPath string
	t.Run("vote on a feedback item", func(t *testing.T) {
		voter := newPerson(t, browser, srv)
		voter.signUp("fbvoter")
		voter.open("/feedback?sort=newest")
		itemPath = voter.eval(`document.querySelector(".feedback-list .topic-title").getAttribute("href")`)
		voter.open(itemPath)
		before, _ := strconv.Atoi(voter.eval(`document.querySelector(".vote-count strong").textContent`))
		if voter.eval(`document.querySelector(".vote-box button").getAttribute("aria-pressed")`) != "false" {
			t.Fatal("a new member has voted already")
		}
		voter.do(chromedp.Click(chromedp.CSS(`.vote-box button`)))
		voter.waitUntil("the vote to count", `document.querySelector(".vote-count strong")?.textContent === "`+strconv.Itoa(before+1)+`"`)
		if got := voter.eval(`document.querySelector(".vote-box button").getAttribute("aria-pressed")`); got != "true" {
			t.Fatalf("after voting the button is pressed=%s", got)
		}
		// It stuck: a reload shows the same.
		voter.open(itemPath)
		if got := voter.eval(`document.querySelector(".vote-count strong").textContent`); got != strconv.Itoa(before+1) {
			t.Fatalf("after a reload the count is %s, want %d", got, before+1)
		}
		voter.do(chromedp.Click(chromedp.CSS(`.vote-box button`)))
		voter.waitUntil("the vote withdrawn", `document.querySelector(".vote-count strong")?.textContent === "`+strconv.Itoa(before)+`"`)
		voter.checkClean()
	})

	t.Run("flag a post and act on it from the live queue", func(t *testing.T) {
		author := newPerson(t, browser, srv)
		author.signUp("fbauthor")
		author.open("/f/3/new")
		author.do(
			chromedp.SendKeys(chromedp.ID("topic-title"), "Browser test: a post to flag"),
			chromedp.SendKeys(chromedp.ID("topic-body"), "Unsolicited advertising for flagging."),
			chromedp.Click(chromedp.CSS(`main form.stack button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.ID("topic-heading")),
		)
		loc, err := chromedp.Run(author.ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		topicPath := strings.TrimPrefix(loc, srv.url)

		// The demo's moderator moderates some forums only; the admin
		// reviews every forum's items.
		mod := newPerson(t, browser, srv)
		mod.signIn("admin")
		mod.open("/review")
		mod.waitUntil("the live feed", `document.body.dataset.live === "connected"`)

		flagger := newPerson(t, browser, srv)
		flagger.signUp("fbflagger")
		flagger.open(topicPath)
		flagger.waitUntil("htmx", `document.readyState === "complete" && !!window.htmx`)
		flagger.do(chromedp.Click(chromedp.CSS(`#post-1 details.flag summary`)))
		flagger.do(chromedp.Click(chromedp.CSS(`#post-1 details.flag input[value="spam"]`)),
			chromedp.Click(chromedp.CSS(`#post-1 details.flag button[type="submit"]`)))
		flagger.waitUntil("the thanks", `!!document.querySelector('#post-1 p[role="status"]')`)
		flagger.checkClean()

		sel := `document.querySelector('#queue a[href^="` + topicPath + `?"]')`
		mod.waitUntil("the flagged post in the queue without reload", "!!"+sel)
		// Keyboard: focus the item, then d dismisses the flag.
		mod.eval(sel + `.closest("[data-review-item]").focus(); ""`)
		mod.do(chromedp.KeyEvent("d"))
		mod.waitUntil("the item gone from the queue", "!"+sel)
		mod.checkClean()
		mod.open("/review?status=resolved")
		if mod.eval("String(!!"+sel+")") != "true" {
			t.Fatal("the dismissed item is not among the resolved ones")
		}
	})

	t.Run("axe-core on the feedback and review pages", func(t *testing.T) {
		axe, err := os.ReadFile("testdata/vendor/axe.min.js")
		if err != nil {
			t.Fatal(err)
		}
		guest := newPerson(t, browser, srv)
		member := newPerson(t, browser, srv)
		member.signUp("fbaxe")
		staff := newPerson(t, browser, srv)
		staff.signIn("product") // sees the status form and internal notes
		mod := newPerson(t, browser, srv)
		mod.signIn("moderator")
		if itemPath == "" {
			itemPath = "/feedback/1"
		}
		pages := []struct {
			who  *person
			path string
		}{
			{guest, "/feedback"}, {guest, itemPath}, {member, "/feedback?sort=trending"}, {member, itemPath}, {member, "/feedback/new"},
			{staff, itemPath}, {mod, "/review"}, {mod, "/review?status=resolved"}, {mod, "/review/audit"}, {mod, "/review/users/fbvoter"},
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
