package webui_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserInsightsAndAutomod opens the feedback insights dashboard as
// the demo's product manager (charts, data tables, the filter form), edits
// the automod rules as the admin (a refused pattern, a new rule, the rule
// tester through htmx) and reverts the change from the audit log; and runs
// axe-core on each of these pages at desktop and phone width.
func TestBrowserInsightsAndAutomod(t *testing.T) {
	chromium := chromiumPath(t)
	srv := startCRN(t)
	browser := startBrowser(t, chromium)
	axe, err := os.ReadFile("testdata/vendor/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	axePage := func(t *testing.T, p *person, path string) {
		t.Helper()
		for _, width := range []int64{1280, 390} {
			p.do(chromedp.EmulateViewport(width, 900))
			if path != "" {
				p.open(path)
			}
			where := path + " at " + strconv.FormatInt(width, 10) + "px"
			checkAxe(t, p, string(axe), where)
			if wide := p.eval(`String(document.documentElement.scrollWidth > window.innerWidth)`); wide != "false" {
				t.Errorf("%s: the page is wider than the window", where)
			}
		}
		p.do(chromedp.EmulateViewport(1280, 900))
	}

	t.Run("insights dashboard", func(t *testing.T) {
		pm := newPerson(t, browser, srv)
		pm.signIn("product")
		pm.open("/feedback")
		pm.do(chromedp.Click(chromedp.CSS(`a[href="/feedback/insights"]`)))
		pm.waitUntil("the dashboard", `!!document.getElementById("chart-votes-title")`)
		if n, _ := strconv.Atoi(pm.eval(`String(document.querySelectorAll('figure.chart svg[role="img"]').length)`)); n < 4 {
			t.Fatalf("%d charts drawn", n)
		}
		if pm.eval(`String(document.querySelectorAll("#chart-votes-title ~ g rect.bar").length > 0)`) != "true" {
			t.Fatal("the votes chart has no bars: the demo has votes")
		}
		// The data table behind a chart opens without script.
		pm.do(chromedp.Click(chromedp.CSS(`details.chart-data summary`)))
		pm.waitUntil("the data table", `document.querySelector("details.chart-data").open && document.querySelector("details.chart-data table").offsetHeight > 0`)
		// The filters are a plain GET form.
		pm.do(chromedp.SetValue(chromedp.ID("insights-period"), "90"), chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)))
		pm.waitUntil("the filtered dashboard", `location.search.includes("period=90") && !!document.getElementById("chart-votes-title")`)
		if href := pm.eval(`document.querySelector('a[href^="/api/v1/feedback/export"]').getAttribute("href")`); !strings.Contains(href, "from=") {
			t.Fatalf("the export link %q lacks the period", href)
		}
		pm.checkClean()
		axePage(t, pm, "/feedback/insights")
		axePage(t, pm, "/feedback/insights?period=30&segment=enterprise")
	})

	t.Run("automod editor and revert", func(t *testing.T) {
		admin := newPerson(t, browser, srv)
		admin.signIn("admin")
		admin.open("/review")
		admin.do(chromedp.Click(chromedp.CSS(`a[href="/review/automod"]`)))
		admin.waitUntil("the editor", `!!document.getElementById("rule-form")`)
		rules := admin.eval(`String(document.querySelectorAll("#rules-table tbody tr").length)`)
		// A pattern RE2 refuses: the service's message in the form.
		admin.do(chromedp.SendKeys(chromedp.ID("rule-pattern"), "(unclosed"),
			chromedp.Click(chromedp.CSS(`#rule-form input[name="regex"]`)),
			chromedp.Click(chromedp.CSS(`#rule-form button[type="submit"]`)))
		admin.waitUntil("the refusal", `!!document.getElementById("rule-pattern-error")`)
		if got := admin.eval(`document.getElementById("rule-pattern").getAttribute("aria-invalid")`); got != "true" {
			t.Fatalf("aria-invalid=%q", got)
		}
		axePage(t, admin, "") // the form with its errors, as it is
		admin.do(chromedp.SetValue(chromedp.ID("rule-pattern"), "browsercasino"),
			chromedp.Click(chromedp.CSS(`#rule-form input[name="regex"]`)),
			chromedp.SetValue(chromedp.ID("rule-action"), "hold"),
			chromedp.Click(chromedp.CSS(`#rule-form button[type="submit"]`)))
		admin.waitUntil("the new rule", `!!document.getElementById("automod-done") && [...document.querySelectorAll("#rules-table code")].some((c) => c.textContent === "browsercasino")`)
		if now := admin.eval(`String(document.querySelectorAll("#rules-table tbody tr").length)`); now == rules {
			t.Fatalf("still %s rules", now)
		}
		// The tester answers through htmx, in place.
		admin.waitUntil("htmx", `document.readyState === "complete" && !!window.htmx`)
		admin.do(chromedp.SendKeys(chromedp.ID("rule-test-text"), "Try BrowserCasino today"),
			chromedp.Click(chromedp.CSS(`form[action="/review/automod/test"] button[type="submit"]`)))
		admin.waitUntil("the matching rules", `!!document.getElementById("rule-test-matches") && document.getElementById("rule-test-matches").textContent.includes("browsercasino")`)
		if !strings.HasSuffix(admin.eval(`location.pathname`), "/review/automod") {
			t.Fatal("the tester left the page")
		}
		admin.checkClean()
		axePage(t, admin, "/review/automod")

		// Revert the change from the audit log, after the confirmation.
		admin.open("/review/audit?action=automod.update")
		admin.do(chromedp.Click(chromedp.CSS(`a[href$="/revert"]`)))
		admin.waitUntil("the confirmation", `!!document.getElementById("revert-reason")`)
		axePage(t, admin, "")
		admin.do(chromedp.SendKeys(chromedp.ID("revert-reason"), "browser test"),
			chromedp.Click(chromedp.CSS(`main form.stack button[type="submit"]`)))
		admin.waitUntil("the revert", `!!document.getElementById("audit-done")`)
		admin.checkClean()
		axePage(t, admin, "/review/audit")
		admin.open("/review/automod")
		if strings.Contains(admin.eval(`document.getElementById("main").textContent`), "browsercasino") {
			t.Fatal("the reverted rule is still there")
		}
	})
}
