package webui_test

import (
	"encoding/json"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserGraph opens the relationship graph explorer as staff on the
// demo community, waits for Cytoscape.js to draw the ego network of its top
// influencer on the canvas, follows that customer from their profile with
// the htmx button, and runs axe-core on the explorer and profile pages.
func TestBrowserGraph(t *testing.T) {
	chromium := chromiumPath(t) // skips (or fails under CI) before the slow part
	srv := startCRN(t)
	browser := startBrowser(t, chromium)
	axe, err := os.ReadFile("testdata/vendor/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}

	staff := newPerson(t, browser, srv)
	staff.signIn("product")

	// The seeded follows and conversations reach the graph through the
	// outbox consumer after start-up: reload until the influencers show.
	deadline := time.Now().Add(time.Minute)
	for {
		staff.open("/graph")
		if staff.eval(`String(!!document.querySelector("#graph-influencers a"))`) == "true" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no influencers on the explorer:\n%s", staff.eval(`document.querySelector("main").innerText`))
		}
		time.Sleep(500 * time.Millisecond)
	}
	user := staff.eval(`new URLSearchParams(document.querySelector("#graph-influencers a").search).get("user")`)
	explorer := "/graph?user=" + url.QueryEscape(user) + "&depth=2"

	staff.do(chromedp.EmulateViewport(1280, 1800))
	staff.open(explorer)
	staff.waitUntil("the network drawn", `document.getElementById("graph-canvas")?.dataset.state === "drawn"`)
	if n, _ := strconv.Atoi(staff.eval(`document.getElementById("graph-canvas").dataset.nodes`)); n < 2 {
		t.Fatalf("the graph has %d nodes", n)
	}
	if rows, _ := strconv.Atoi(staff.eval(`String(document.querySelectorAll("#graph-people tbody tr").length)`)); rows < 2 {
		t.Fatalf("the table lists %d people", rows)
	}
	// Nodes are on the canvas: some pixel of Cytoscape's canvases is painted.
	staff.waitUntil("nodes painted on the canvas", `[...document.querySelectorAll("#graph-canvas canvas")].some((c) => {
		if (!c.width || !c.height) return false;
		const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
		return false;
	})`)
	staff.checkClean() // no CSP violation from Cytoscape.js, no script error

	// A click on a person opens their profile. Cytoscape.js keeps its
	// instance on the container (_cyreg), which tells where it drew them.
	// The window is tall enough to show the whole graph: Cytoscape.js
	// learns of a scroll from its event, which a background tab of headless
	// Chromium may not have dispatched yet.
	var node struct {
		X, Y float64
		Href string
	}
	if err := json.Unmarshal([]byte(staff.eval(`(() => {
		const box = document.getElementById("graph-canvas");
		const n = box._cyreg.cy.nodes().filter((n) => !n.data("ego"))[0];
		const p = n.renderedPosition(), r = box.getBoundingClientRect();
		return JSON.stringify({ x: r.left + p.x, y: r.top + p.y, href: n.data("href") });
	})()`)), &node); err != nil {
		t.Fatal(err)
	}
	staff.do(chromedp.MouseClickXY(node.X, node.Y))
	staff.waitUntil("a profile after clicking "+node.Href, `location.pathname.startsWith("/u/")`)
	staff.checkClean()

	// Follow the influencer from their profile, without a reload.
	staff.open("/u/" + user)
	staff.do(chromedp.Click(chromedp.ID("follow-button")))
	staff.waitUntil("the button to turn into Unfollow", `document.getElementById("follow-button")?.textContent.trim() === "Unfollow"`)
	staff.waitUntil("the follower list to show the reader", `!!document.querySelector('#profile-follower-list a[href="/u/product"]')`)
	staff.checkClean()

	for _, path := range []string{"/graph", explorer, "/u/" + user, "/u/" + user + "/followers", "/settings"} {
		for _, width := range []int64{1280, 390} {
			staff.do(chromedp.EmulateViewport(width, 900))
			staff.open(path)
			if strings.Contains(path, "user=") {
				staff.waitUntil("the network drawn", `document.getElementById("graph-canvas")?.dataset.state === "drawn"`)
			}
			where := path + " at " + strconv.FormatInt(width, 10) + "px"
			checkAxe(t, staff, string(axe), where)
			if wide := staff.eval(`String(document.documentElement.scrollWidth > window.innerWidth)`); wide != "false" {
				t.Errorf("%s: the page is wider than the window: %s", where, staff.eval(overflowReport))
			}
			staff.checkClean()
		}
	}
}

// overflowReport says what makes a page wider than the window: the widths,
// each scrolling table's, and the elements past the right edge outside them.
const overflowReport = `document.documentElement.scrollWidth + " > " + window.innerWidth + "; " +
	[...document.querySelectorAll(".table-wrap")].map((w) => getComputedStyle(w).overflowX + " " + w.clientWidth + "/" + w.scrollWidth).join(", ") + "; " +
	[...document.querySelectorAll("body *")].filter((e) => !e.closest(".table-wrap") && e.getBoundingClientRect().right > window.innerWidth + 1)
		.slice(0, 8).map((e) => e.tagName + "." + e.className + "#" + e.id + " " + Math.round(e.getBoundingClientRect().right)).join(", ")`
