package webui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/crn-dev/crn/internal/seed"
	"github.com/crn-dev/crn/internal/testenv"
)

// The browser tests drive Debian's headless Chromium against a real `crn
// serve` (the binary built from this tree, a temporary data directory, the
// demo seed). Locally they skip when Chromium is missing; under CI=true
// they fail instead (`make test` installs it).

const (
	browserTimeout = 6 * time.Minute // everything one browser does, as a safety net
	liveTimeout    = 20 * time.Second
)

// chromiumPath finds the browser: CRN_TEST_CHROMIUM, else chromium on PATH.
func chromiumPath(t *testing.T) string {
	t.Helper()
	testenv.SkipIfShort(t, "browser tests build crn, seed a community and drive Chromium")
	if p := os.Getenv(testenv.Chromium); p != "" {
		return p
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return testenv.Get(t, testenv.Chromium) // skips, or fails under CI
}

var (
	buildOnce sync.Once
	crnBin    string
	buildErr  error
)

// buildCRN builds cmd/crn once per test binary.
func buildCRN(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "crn-browser-bin")
		if err != nil {
			buildErr = err
			return
		}
		crnBin = filepath.Join(dir, "crn")
		cmd := exec.Command("go", "build", "-o", crnBin, "github.com/crn-dev/crn/cmd/crn")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return crnBin
}

// liveServer is a seeded `crn serve` on a free port.
type liveServer struct {
	url string
}

func startCRN(t *testing.T) *liveServer {
	t.Helper()
	bin := buildCRN(t)
	data := t.TempDir()
	env := append(os.Environ(), "CRN_DATA_DIR="+data, "CRN_LOG_FORMAT=text", "CRN_LOG_LEVEL=warn",
		"CRN_DATABASE_URL=", "CRN_REDIS_URL=", "CRN_MEILI_URL=", "CRN_AUTH_RATE=1000", "CRN_AUTH_BURST=1000")
	seedCmd := exec.Command(bin, "seed", "--demo")
	seedCmd.Env = env
	if out, err := seedCmd.CombinedOutput(); err != nil {
		t.Fatalf("crn seed --demo: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.Create(filepath.Join(data, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	serve := exec.Command(bin, "serve")
	serve.Env = append(env, "CRN_ADDR="+addr)
	serve.Stdout, serve.Stderr = logf, logf
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = serve.Process.Signal(syscall.SIGTERM)
		_ = serve.Wait()
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logf.Name()); err == nil {
				t.Logf("crn serve log:\n%s", b)
			}
		}
	})
	s := &liveServer{url: "http://" + addr}
	// Ready, and the embedded search index rebuilt from the seeded database.
	s.waitFor(t, "/readyz", func(b []byte) bool { return true })
	s.waitFor(t, "/api/v1/search?q="+url.QueryEscape("导出"), func(b []byte) bool {
		var r struct {
			Hits []json.RawMessage `json:"hits"`
		}
		return json.Unmarshal(b, &r) == nil && len(r.Hits) > 0
	})
	return s
}

// waitFor polls path until it answers 200 with a body ok accepts; it gives
// up after a minute (a start-up that slow is a failure in itself).
func (s *liveServer) waitFor(t *testing.T, path string, ok func([]byte) bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := http.Get(s.url + path)
		if err == nil {
			var b []byte
			b, err = readAll(res)
			if err == nil && res.StatusCode == 200 && ok(b) {
				return
			}
			if err == nil {
				err = fmt.Errorf("status %d: %.200s", res.StatusCode, b)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("crn never got ready on %s: %v", path, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func readAll(res *http.Response) ([]byte, error) {
	defer res.Body.Close()
	return io.ReadAll(res.Body)
}

// startBrowser starts headless Chromium; tabs opened from the returned
// context share one browser process.
func startBrowser(t *testing.T, chromium string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return browser
}

// watchScript runs before any page script: it records Content-Security-
// Policy violations and uncaught errors, which checkClean then asserts away.
const watchScript = `
window.__crnProblems = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__crnProblems.push("CSP " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")));
window.addEventListener("error", (e) => window.__crnProblems.push("error " + e.message));
window.addEventListener("unhandledrejection", (e) => window.__crnProblems.push("rejection " + e.reason));
`

// person is a browser profile of its own (cookies apart from the others).
type person struct {
	t   *testing.T
	ctx context.Context
	srv *liveServer
}

func newPerson(t *testing.T, browser context.Context, srv *liveServer) *person {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: watchScript}); err != nil {
		t.Fatal(err)
	}
	return &person{t: t, ctx: ctx, srv: srv}
}

func (p *person) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

func (p *person) open(path string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.srv.url + path))
	p.checkClean()
}

func (p *person) eval(expr string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitUntil waits for a JavaScript condition to hold: what a person would
// wait to see. liveTimeout only bounds a failing wait.
func (p *person) waitUntil(what, expr string) {
	p.t.Helper()
	deadline := time.Now().Add(liveTimeout)
	for {
		left := time.Until(deadline)
		_, err := chromedp.Run(p.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(left), chromedp.WithPollingInterval(100*time.Millisecond)))
		if err == nil {
			return
		}
		// A poll does not survive a navigation (a form just submitted):
		// start it again on the new page.
		if time.Now().Before(deadline) && retryable(err) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		p.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// checkClean fails on CSP violations and script errors so far on the page.
func (p *person) checkClean() {
	p.t.Helper()
	var problems []string
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](`window.__crnProblems || []`))
	if err != nil {
		p.t.Fatal(err)
	}
	problems = v
	if len(problems) > 0 {
		p.t.Fatalf("page problems: %v", problems)
	}
}

func (p *person) signIn(login string) {
	p.t.Helper()
	p.open("/signin")
	p.do(chromedp.SendKeys(chromedp.ID("login"), login), chromedp.SendKeys(chromedp.ID("password"), seed.DemoPassword),
		chromedp.Click(chromedp.CSS(`main form.stack button[type="submit"]`)))
	p.waitUntil("signed in as "+login, `!!document.getElementById("notification-count")`)
	p.checkClean()
}

// retryable reports the errors of a script that a navigation interrupted.
func retryable(err error) bool {
	m := err.Error()
	return strings.Contains(m, "Cannot find context") || strings.Contains(m, "navigated or closed") ||
		strings.Contains(m, "Execution context was destroyed")
}
