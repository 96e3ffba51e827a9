package webui_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowser walks the web app as people would, in one seeded crn and one
// Chromium: signing up and posting, a reply from a second browser arriving
// live with its typing indicator, reactions and notifications; searching in
// Chinese; switching language; keyboard access; and axe-core on the main
// pages.
func TestBrowser(t *testing.T) {
	chromium := chromiumPath(t) // skips (or fails under CI) before the slow part
	srv := startCRN(t)
	browser := startBrowser(t, chromium)

	var topicPath string
	t.Run("sign up, post, and see a reply arrive live", func(t *testing.T) {
		author := newPerson(t, browser, srv)
		author.open("/signup")
		author.do(
			chromedp.SendKeys(chromedp.ID("username"), "webtester"),
			chromedp.SendKeys(chromedp.ID("email"), "webtester@example.com"),
			chromedp.SendKeys(chromedp.ID("display_name"), "Web Tester"),
			chromedp.SendKeys(chromedp.ID("password"), "a long password"),
			chromedp.Click(chromedp.CSS(`main form.stack button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.ID("notification-count")),
		)
		author.checkClean()
		forum := author.eval(`[...document.querySelectorAll(".forum-name")].find((a) => a.textContent === "Product Help").getAttribute("href")`)
		author.open(forum + "/new")
		author.do(
			chromedp.SendKeys(chromedp.ID("topic-title"), "Browser test: how do live replies work?"),
			chromedp.SendKeys(chromedp.ID("topic-body"), "Posting from **headless Chromium**."),
			chromedp.Click(chromedp.CSS(`main form.stack button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.ID("topic-heading")),
		)
		loc, err := chromedp.Run(author.ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		topicPath = strings.TrimPrefix(loc, srv.url)
		if !strings.HasPrefix(topicPath, "/t/") {
			t.Fatalf("after posting, the page is %s", loc)
		}
		if got := author.eval(`document.querySelector("#post-1 .post-body").innerHTML`); !strings.Contains(got, "<strong>headless Chromium</strong>") {
			t.Fatalf("opening post: %s", got)
		}
		author.waitUntil("the live feed", `document.body.dataset.live === "connected"`)

		watcher := newPerson(t, browser, srv)
		watcher.open("/")
		watcher.waitUntil("the live feed", `document.body.dataset.live === "connected"`)

		replier := newPerson(t, browser, srv)
		replier.signIn("moderator")
		replier.open(topicPath)
		replier.waitUntil("the live feed", `document.body.dataset.live === "connected"`)
		author.waitUntil("the replier among the readers", `document.getElementById("viewers")?.textContent.includes("moderator")`)
		watcher.waitUntil("the replier online on the home page", `!!document.querySelector('#online a[href="/u/moderator"]')`)
		// The composer suggests people for an @mention and previews Markdown.
		// Indexing follows the outbox, so wait until the index knows the author.
		srv.waitFor(t, "/api/v1/search/suggest?q=%40webtes", func(b []byte) bool { return strings.Contains(string(b), `"webtester"`) })
		replier.do(chromedp.SendKeys(chromedp.ID("reply-body"), "**Live** reply from the moderator, 你好! cc @webtes"))
		author.waitUntil("the typing indicator", `document.getElementById("typing")?.textContent.includes("moderator")`)
		replier.waitUntil("a mention suggestion", `!!document.querySelector('#reply-suggestions [data-mention="webtester"]')`)
		replier.do(chromedp.Click(chromedp.CSS(`#reply-suggestions [data-mention="webtester"]`)))
		if got := replier.eval(`document.getElementById("reply-body").value`); !strings.HasSuffix(got, "cc @webtester ") {
			t.Fatalf("after choosing the suggestion the reply reads %q", got)
		}
		replier.do(chromedp.Click(chromedp.CSS(`#composer button.secondary`)))
		replier.waitUntil("the preview", `document.querySelector("#reply-preview strong")?.textContent === "Live"`)
		replier.do(chromedp.Click(chromedp.CSS(`#composer button[type="submit"]`)))
		replier.waitUntil("the reply in the replier's page", `!!document.querySelector("#post-2") && document.getElementById("reply-body")?.value === ""`)
		author.waitUntil("the reply without reload", `[...document.querySelectorAll("#posts .post-body")].some((e) => e.textContent.includes("Live reply from the moderator"))`)
		if n := author.eval(`String(document.querySelectorAll("#post-2").length)`); n != "1" {
			t.Fatalf("the reply is on the page %s times", n)
		}
		author.waitUntil("the typing indicator to clear", `document.getElementById("typing")?.textContent === ""`)

		// A reaction from the replier shows in the author's page, and the
		// author's notification count goes up, both live.
		replier.do(chromedp.Click(chromedp.CSS(`#reactions-` + author.eval(`document.querySelector("#post-1").dataset.postId`) + ` button`)))
		replier.waitUntil("the reaction to register", `document.querySelector("#post-1 .reactions button")?.getAttribute("aria-pressed") === "true"`)
		author.waitUntil("the reaction count", `document.querySelector("#post-1 .reactions button span")?.textContent === "1"`)
		author.waitUntil("a notification", `document.getElementById("notification-count")?.textContent !== "0"`)
		author.do(chromedp.Click(chromedp.CSS(`#notifications summary`)))
		author.waitUntil("the notification menu", `document.querySelectorAll("#notification-menu .notification").length > 0`)
		author.checkClean()
		replier.checkClean()
	})

	t.Run("search in Chinese", func(t *testing.T) {
		guest := newPerson(t, browser, srv)
		guest.open("/")
		guest.do(chromedp.SendKeys(chromedp.ID("site-q"), "导出"), chromedp.Click(chromedp.CSS(`header form.search button`)),
			chromedp.WaitVisible(chromedp.ID("search-total")))
		hits := guest.eval(`[...document.querySelectorAll(".hit")].map((h) => h.textContent).join("\n")`)
		if !strings.Contains(hits, "导出") {
			t.Fatalf("no hit mentions 导出:\n%s", hits)
		}
		if guest.eval(`String(document.querySelectorAll(".hit mark").length > 0)`) != "true" {
			t.Fatal("matches are not highlighted")
		}
		// A facet narrows the results to topics.
		guest.do(chromedp.Click(chromedp.CSS(`.facets a[href*="type=topic"]`)), chromedp.WaitVisible(chromedp.CSS(`.facets a.active`)))
		if types := guest.eval(`[...new Set([...document.querySelectorAll(".hit .label")].map((l) => l.textContent))].join(",")`); types != "Topic" {
			t.Fatalf("after the topic facet, hits are of types %q", types)
		}
		guest.checkClean()
	})

	t.Run("switch language", func(t *testing.T) {
		guest := newPerson(t, browser, srv)
		guest.open("/")
		if got := guest.eval(`document.documentElement.lang + " " + document.querySelector("h1").textContent`); got != "en Forums" {
			t.Fatalf("before switching: %q", got)
		}
		guest.do(chromedp.SetValue(chromedp.ID("language-select"), "zh-Hans"), chromedp.Click(chromedp.CSS(`form.language button`)),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-Hans"]`)))
		if got := guest.eval(`document.querySelector("h1").textContent`); got != "版块" {
			t.Fatalf("after switching, the heading is %q", got)
		}
		guest.open("/search?q=" + "webhook")
		if got := guest.eval(`document.querySelector("main h1").textContent`); got != "搜索" {
			t.Fatalf("the choice does not stick: %q", got)
		}
		guest.checkClean()
	})

	t.Run("keyboard", func(t *testing.T) {
		guest := newPerson(t, browser, srv)
		guest.open("/")
		guest.do(chromedp.KeyEvent("\t"))
		if got := guest.eval(`document.activeElement.className + " " + getComputedStyle(document.activeElement).outlineStyle`); got != "skip solid" {
			t.Fatalf("the first Tab should focus the visible skip link, got %q", got)
		}
		guest.do(chromedp.KeyEvent("\r"))
		if got := guest.eval(`document.activeElement.id || location.hash`); got != "main" && got != "#main" {
			t.Fatalf("the skip link leads to %q", got)
		}
	})

	t.Run("axe-core on the main pages", func(t *testing.T) {
		axe, err := os.ReadFile("testdata/vendor/axe.min.js")
		if err != nil {
			t.Fatal(err)
		}
		guest := newPerson(t, browser, srv)
		member := newPerson(t, browser, srv)
		member.signIn("product")
		if topicPath == "" {
			topicPath = "/t/1" // this subtest run alone
		}
		pages := []struct {
			who  *person
			path string
		}{
			{guest, "/"}, {guest, "/f/3"}, {guest, topicPath}, {guest, "/search?q=export"}, {guest, "/u/admin"},
			{guest, "/signin"}, {guest, "/signup"}, {member, "/"}, {member, topicPath}, {member, "/settings"},
			{member, "/notifications"}, {member, "/f/3"}, {member, "/f/3/new"}, {member, "/bookmarks"},
		}
		for _, pg := range pages {
			for _, width := range []int64{1280, 390} {
				pg.who.do(chromedp.EmulateViewport(width, 900))
				pg.who.open(pg.path)
				where := pg.path + " at " + strconv.FormatInt(width, 10) + "px"
				checkAxe(t, pg.who, string(axe), where)
				// Responsive: nothing makes the page scroll sideways.
				if wide := pg.who.eval(`String(document.documentElement.scrollWidth > window.innerWidth)`); wide != "false" {
					t.Errorf("%s: the page is wider than the window", where)
				}
			}
		}
		guest.do(chromedp.EmulateViewport(1280, 900))
		member.do(chromedp.EmulateViewport(1280, 900))
	})

	t.Run("topic page JavaScript under 200 KB", func(t *testing.T) {
		guest := newPerson(t, browser, srv)
		guest.open(topicPath)
		n, err := chromedp.Run(guest.ctx, chromedp.Evaluate[float64](`performance.getEntriesByType("resource").filter((e) => e.initiatorType === "script").reduce((n, e) => n + e.decodedBodySize, 0)`))
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 || n > 200*1024 {
			t.Fatalf("the topic page loads %.0f bytes of JavaScript", n)
		}
	})
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// checkAxe injects axe-core and fails on serious and critical violations.
func checkAxe(t *testing.T, p *person, axe, what string) {
	t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[chromedp.Void](axe+"\n;undefined")); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	vs, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]axeViolation](
		`axe.run(document, {resultTypes: ["violations"]}).then((r) => r.violations)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run on %s: %v", what, err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, strings.Join(strs(n.Target), " "))
			}
			t.Errorf("%s: %s (%s): %s at %v", what, v.ID, v.Impact, v.Help, where)
		} else if v.Impact != "" {
			t.Logf("%s: %s (%s): %s", what, v.ID, v.Impact, v.Help)
		}
	}
}

func strs(v []any) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = fmt.Sprint(x)
	}
	return out
}
