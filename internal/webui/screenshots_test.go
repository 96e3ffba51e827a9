package webui_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// screenshotsDir is where `make screenshots` asks for PNGs of the main pages.
const screenshotsDir = "CRN_SCREENSHOTS_DIR"

// TestScreenshots writes PNGs of the main pages at desktop and phone width
// into $CRN_SCREENSHOTS_DIR (make screenshots). It runs only when asked.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv(screenshotsDir)
	if dir == "" {
		t.Skip(screenshotsDir + " not set; run make screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	chromium := chromiumPath(t) // skips (or fails under CI) before the slow part
	srv := startCRN(t)
	browser := startBrowser(t, chromium)
	guest := newPerson(t, browser, srv)
	member := newPerson(t, browser, srv)
	member.signIn("moderator")
	pm := newPerson(t, browser, srv)
	pm.signIn("product")
	admin := newPerson(t, browser, srv)
	admin.signIn("admin")
	zh := newPerson(t, browser, srv)
	zh.open("/")
	zh.do(chromedp.SetValue(chromedp.ID("language-select"), "zh-Hans"), chromedp.Click(chromedp.CSS(`form.language button`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-Hans"]`)))

	shots := []struct {
		name string
		who  *person
		path string
	}{
		{"home", guest, "/"},
		{"forum", guest, "/f/3"},
		{"topic", member, "/t/12"},
		{"search-zh", zh, "/search?q=" + "导出"},
		{"forum-zh", zh, "/f/5"},
		{"profile", guest, "/u/moderator"},
		{"signup", guest, "/signup"},
		{"settings", member, "/settings"},
		{"insights", pm, "/feedback/insights"},
		{"automod", admin, "/review/automod"},
	}
	sizes := []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}}
	for _, s := range shots {
		for _, size := range sizes {
			var opts []chromedp.EmulateViewportOption
			if size.mobile {
				opts = append(opts, chromedp.EmulateScale(2))
			}
			s.who.do(chromedp.EmulateViewport(size.width, size.height, opts...))
			s.who.open(s.path)
			png, err := chromedp.Run(s.who.ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(dir, s.name+"-"+size.name+".png")
			if err := os.WriteFile(name, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote %s", name)
		}
	}
}
