package webui_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/app"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/forum"
)

var cheap = account.HashParams{MemoryKiB: 64, Time: 1, Threads: 1}

// site is a real crn (the same handler crn serve runs) on a free port.
type site struct {
	t    *testing.T
	url  string
	app  *app.App
	f    *ent.Forum // a public forum
	priv *ent.Forum // a members-only forum
}

// newSite builds crn on the dialect's database and serves it.
func newSite(t *testing.T, d database.Dialect) *site {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	if d == database.Postgres {
		cfg.DatabaseURL = dbtest.NewPostgres(t).URL
	}
	a, err := app.Build(context.Background(), cfg, slog.New(slog.DiscardHandler), app.Options{Migrate: true, Hash: cheap, Serve: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.ServeListener(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })

	s := &site{t: t, url: "http://" + ln.Addr().String(), app: a}
	admin, err := a.Accounts.CreateUser(ctx, account.NewUser{Username: "admin", Email: "admin@example.com", Password: "admin password", Role: account.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	actor, err := a.Forums.Actor(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	name, members, priv := "Product Help", "Lounge", "members"
	if s.f, err = a.Forums.CreateForum(ctx, actor, forum.ForumInput{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if s.priv, err = a.Forums.CreateForum(ctx, actor, forum.ForumInput{Name: &members, ReadVisibility: &priv}); err != nil {
		t.Fatal(err)
	}
	return s
}

// browser is an HTTP client with its own cookies that does not follow redirects.
type browser struct {
	t      *testing.T
	s      *site
	c      *http.Client
	header http.Header
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, s: s, header: http.Header{}, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values, extra ...string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.url+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
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

func (b *browser) get(path string) page { b.t.Helper(); return b.do("GET", path, nil) }

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the anti-forgery token from a page the browser loads.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	p := b.get(path)
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no csrf field on %s (%d)", path, p.status)
	}
	return m[1]
}

// post submits a form from the page at from, with its anti-forgery token.
func (b *browser) post(from, path string, form url.Values, extra ...string) page {
	b.t.Helper()
	form.Set("csrf", b.csrf(from))
	return b.do("POST", path, form, extra...)
}

func (b *browser) signup(username string) {
	b.t.Helper()
	p := b.post("/signup", "/signup", url.Values{"username": {username}, "email": {username + "@example.com"}, "password": {"a long password"}, "display_name": {username}})
	if p.status != http.StatusSeeOther {
		b.t.Fatalf("signup %s: %d %s", username, p.status, p.body)
	}
}

func want(t *testing.T, p page, status int, contains ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; body:\n%.2000s", p.status, status, p.body)
	}
	for _, c := range contains {
		if !strings.Contains(p.body, c) {
			t.Fatalf("page lacks %q:\n%.3000s", c, p.body)
		}
	}
}

var (
	inlineScript  = regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)
	inlineHandler = regexp.MustCompile(`\son[a-z]+\s*=`)
	inlineStyle   = regexp.MustCompile(`\sstyle\s*=`)
)

// checkSafePage asserts what the Content-Security-Policy relies on: no
// inline scripts, handlers or styles, and the policy itself on the answer.
func checkSafePage(t *testing.T, p page) {
	t.Helper()
	csp := p.header.Get("Content-Security-Policy")
	if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Fatalf("Content-Security-Policy %q", csp)
	}
	for _, re := range []*regexp.Regexp{inlineScript, inlineHandler, inlineStyle} {
		if m := re.FindString(p.body); m != "" {
			t.Fatalf("page has inline code %q", m)
		}
	}
}

func TestPagesForGuests(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *database.DB) {
		s := newSite(t, d.Dialect)
		ctx := context.Background()
		alice, err := s.app.Accounts.CreateUser(ctx, account.NewUser{Username: "alice", Email: "alice@example.com", Password: "alice password", DisplayName: "爱丽丝"})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := s.app.Forums.Actor(ctx, alice)
		tv, _, err := s.app.Forums.CreateTopic(ctx, a, s.f.ID, forum.TopicInput{Title: "How do I export to CSV?", Body: "Settings → **Export** does nothing <script>alert(1)</script>", Tags: []string{"export"}})
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := s.app.Forums.CreateTopic(ctx, a, s.priv.ID, forum.TopicInput{Title: "Members-only plans", Body: "not for guests"})
		if err != nil {
			t.Fatal(err)
		}
		g := s.browser()
		home := g.get("/")
		want(t, home, 200, "Product Help", "How do I export to CSV?", `lang="en"`)
		if strings.Contains(home.body, "Members-only plans") || strings.Contains(home.body, "Lounge") {
			t.Fatal("a guest's front page shows members-only content")
		}
		checkSafePage(t, home)
		topic := g.get("/t/" + strconv.Itoa(tv.ID))
		want(t, topic, 200, "<strong>Export</strong>", "爱丽丝", "Sign in to reply")
		if strings.Contains(topic.body, "<script>alert") {
			t.Fatal("post HTML is not sanitized")
		}
		checkSafePage(t, topic)
		for _, path := range []string{"/f/" + strconv.Itoa(s.f.ID), "/u/alice", "/signin", "/signup", "/search"} {
			p := g.get(path)
			want(t, p, 200)
			checkSafePage(t, p)
		}
		want(t, g.get("/t/"+strconv.Itoa(secret.ID)), 404)
		want(t, g.get("/f/"+strconv.Itoa(s.priv.ID)), 404)
		want(t, g.get("/no/such/page"), 404)
		want(t, g.get("/u/nobody"), 404)
		if p := g.get("/settings"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin?next=%2Fsettings" {
			t.Fatalf("settings for a guest: %d %s", p.status, p.header.Get("Location"))
		}
		// Unknown API paths still answer JSON, not a page.
		if p := g.get("/api/v1/nothing"); p.status != 404 || !strings.Contains(p.body, `"error"`) {
			t.Fatalf("API 404: %d %s", p.status, p.body)
		}
	})
}

func TestSignUpPostAndReply(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *database.DB) {
		s := newSite(t, d.Dialect)
		b := s.browser()
		// A form without the token, or from another site, is refused.
		want(t, b.do("POST", "/signup", url.Values{"username": {"mallory"}, "email": {"m@example.com"}, "password": {"a long password"}}), 403)
		form := url.Values{"username": {"mallory"}, "email": {"m@example.com"}, "password": {"a long password"}}
		want(t, b.post("/signup", "/signup", form, "Origin", "https://evil.example"), 403)
		if _, err := s.app.Accounts.ByUsername(context.Background(), "mallory"); err == nil {
			t.Fatal("a forged sign-up created an account")
		}
		// Bad input shows the form again with the problem.
		p := b.post("/signup", "/signup", url.Values{"username": {"x"}, "email": {"bad"}, "password": {"a long password"}})
		want(t, p, 422, `aria-invalid="true"`)

		b.signup("bob")
		var session *http.Cookie
		u, _ := url.Parse(s.url)
		for _, c := range b.c.Jar.Cookies(u) {
			if c.Name == "crn_session" {
				session = c
			}
		}
		if session == nil {
			t.Fatal("no session cookie after sign-up")
		}
		forumPath := "/f/" + strconv.Itoa(s.f.ID)
		p = b.post(forumPath+"/new", forumPath+"/new", url.Values{"title": {"No"}, "body": {""}})
		want(t, p, 422, "title-error", "body-error")
		p = b.post(forumPath+"/new", forumPath+"/new", url.Values{"title": {"Webhook retries: what is the policy?"}, "body": {"We see **duplicates**."}, "tags": {"webhooks, api"}, "kind": {"question"}})
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/t/") {
			t.Fatalf("create topic: %d %s", p.status, p.body)
		}
		topicPath := p.header.Get("Location")
		want(t, b.get(topicPath), 200, "Webhook retries: what is the policy?", "<strong>duplicates</strong>", "#webhooks", "Post reply")

		// A second person replies with htmx: the answer is a fresh composer
		// and the new post, swapped out of band into the list.
		c := s.browser()
		c.signup("carol")
		form = url.Values{"body": {"Retries back off for 24 hours. @bob"}}
		tok := c.csrf(topicPath)
		want(t, c.do("POST", topicPath+"/reply", form, "HX-Request", "true"), 403) // no token
		p = c.do("POST", topicPath+"/reply", form, "HX-Request", "true", "X-CSRF-Token", tok)
		want(t, p, 200, `id="composer"`, `hx-swap-oob="beforeend:#posts"`, "Retries back off for 24 hours.")
		// Without htmx, a reply redirects to the new post.
		p = c.post(topicPath, topicPath+"/reply", url.Values{"body": {"And they are signed."}})
		if p.status != http.StatusSeeOther || !strings.Contains(p.header.Get("Location"), "#post-3") {
			t.Fatalf("plain reply: %d %q", p.status, p.header.Get("Location"))
		}
		// Bob has read the opening post only: the forum shows 2 unread, the
		// topic marks where they start and asks to be marked read.
		forumPage := b.get(forumPath)
		want(t, forumPage, 200, `aria-label="2 unread posts"`)
		topic := b.get(topicPath)
		want(t, topic, 200, "Retries back off for 24 hours.", "And they are signed.", "Accept as answer", `id="unread"`, `name="n" value="3"`)
		want(t, b.do("POST", topicPath+"/read", url.Values{"n": {"3"}}, "HX-Request", "true", "X-CSRF-Token", b.csrf(topicPath)), 204)
		if p := b.get(forumPath); strings.Contains(p.body, "unread posts") {
			t.Fatal("the topic is still unread after marking it read")
		}
		if p := b.get(topicPath); strings.Contains(p.body, `id="unread"`) {
			t.Fatal("the topic page still marks unread posts")
		}

		// Bob watches his topic: he is notified (by the outbox consumer,
		// shortly after commit). Following the notification marks it read.
		var notes page
		eventually(t, "bob's notification", func() bool {
			notes = b.get("/notifications")
			return strings.Contains(notes.body, `href="/n/`)
		})
		link := regexp.MustCompile(`href="(/n/\d+)"`).FindStringSubmatch(notes.body)
		want(t, c.get(link[1]), 404) // not Carol's
		p = b.get(link[1])
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), topicPath+"?near=") {
			t.Fatalf("opening a notification: %d %q", p.status, p.header.Get("Location"))
		}
		unread := regexp.MustCompile(`class="notification unread">\s*<a href="` + link[1] + `"`)
		if !unread.MatchString(notes.body) {
			t.Fatalf("the notification was not unread before opening it:\n%s", notes.body)
		}
		if unread.MatchString(b.get("/notifications").body) {
			t.Fatal("the notification is still unread after opening it")
		}

		// Following: the author watches their topic; they can mute it.
		want(t, b.get(topicPath), 200, `<option value="watching" selected>`)
		p = b.do("POST", topicPath+"/subscription", url.Values{"level": {"muted"}}, "HX-Request", "true", "X-CSRF-Token", b.csrf(topicPath))
		want(t, p, 200, `<option value="muted" selected>`, "Saved.")
		want(t, b.get(topicPath), 200, `<option value="muted" selected>`)
		p = b.do("POST", topicPath+"/subscription", url.Values{"level": {"loud"}}, "HX-Request", "true", "X-CSRF-Token", b.csrf(topicPath))
		want(t, p, 422)
		want(t, b.get(forumPath), 200, `<option value="normal" selected>`)
		p = b.post(forumPath, forumPath+"/subscription", url.Values{"level": {"watching"}})
		want(t, p, http.StatusSeeOther)
		want(t, b.get(forumPath), 200, `<option value="watching" selected>`)

		// Reactions and bookmarks, with htmx.
		m := regexp.MustCompile(`data-post-id="(\d+)" data-author-id="\d+" data-number="2"`).FindStringSubmatch(b.get(topicPath).body)
		if m == nil {
			t.Fatal("post 2 not on the page")
		}
		tok = b.csrf(topicPath)
		p = b.do("POST", "/p/"+m[1]+"/react/like", url.Values{"on": {"1"}}, "HX-Request", "true", "X-CSRF-Token", tok)
		want(t, p, 200, `aria-pressed="true"`, `id="reactions-`+m[1]+`"`)
		p = b.do("POST", "/p/"+m[1]+"/bookmark", url.Values{"on": {"1"}}, "HX-Request", "true", "X-CSRF-Token", tok)
		want(t, p, 200, "Bookmarked")
		want(t, b.get("/bookmarks"), 200, "Retries back off")
		// Bob accepts Carol's answer.
		p = b.post(topicPath, topicPath+"/accept", url.Values{"post_id": {m[1]}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("accept: %d %s", p.status, p.body)
		}
		want(t, b.get(topicPath), 200, "Accepted answer", "Solved")

		// Carol edits her reply; Bob may not; then she deletes it.
		cp := regexp.MustCompile(`/p/(\d+)/edit`).FindStringSubmatch(c.get(topicPath).body)
		if cp == nil {
			t.Fatal("no edit link for the author")
		}
		want(t, c.get(cp[0]), 200, "Retries back off for 24 hours.")
		p = c.post(cp[0], cp[0], url.Values{"body": {"Retries back off for 48 hours."}})
		want(t, p, http.StatusSeeOther)
		want(t, b.get(topicPath), 200, "Retries back off for 48 hours.", "edited")
		want(t, b.get(cp[0]), 403)
		del := "/p/" + cp[1] + "/delete"
		want(t, c.get(del), 200, "Delete this post?")
		want(t, c.post(del, del, url.Values{}), http.StatusSeeOther)
		if strings.Contains(b.get(topicPath).body, "48 hours") {
			t.Fatal("a deleted post is still shown to a member")
		}

		// Preview renders Markdown through the sanitizer.
		p = b.do("POST", "/compose/preview", url.Values{"body": {"*hi* <img src=x onerror=alert(1)>"}}, "HX-Request", "true", "X-CSRF-Token", tok)
		want(t, p, 200, "<em>hi</em>")
		if regexp.MustCompile(`<[a-z]+[^>]*\son[a-z]+=`).MatchString(p.body) {
			t.Fatalf("preview is not sanitized: %s", p.body)
		}
		// Signing out ends the session.
		p = b.post("/", "/signout", url.Values{})
		want(t, p, http.StatusSeeOther)
		want(t, b.get("/"), 200, "Sign in")
		want(t, b.do("POST", "/signin", url.Values{"login": {"bob"}, "password": {"a long password"}, "csrf": {"wrong"}}), 403)
		p = b.post("/signin", "/signin", url.Values{"login": {"bob"}, "password": {"wrong password"}})
		want(t, p, 401, "Wrong username, email or password.")
		p = b.post("/signin", "/signin", url.Values{"login": {"bob"}, "password": {"a long password"}, "next": {"//evil.example/x"}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/" {
			t.Fatalf("sign in with a foreign next: %d %q", p.status, p.header.Get("Location"))
		}
	})
}

func TestLanguage(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *database.DB) {
		s := newSite(t, d.Dialect)
		g := s.browser()
		want(t, g.get("/"), 200, `lang="en"`, "Latest topics")
		g.header.Set("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")
		want(t, g.get("/"), 200, `lang="zh-Hans"`, "最新话题")
		// A guest's choice is kept in a cookie and beats the header.
		p := g.post("/", "/language", url.Values{"locale": {"en"}, "next": {"/search"}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/search" {
			t.Fatalf("language: %d %q", p.status, p.header.Get("Location"))
		}
		want(t, g.get("/"), 200, `lang="en"`)

		// A member's setting is on the account: it follows them to any browser.
		b := s.browser()
		b.header.Set("Accept-Language", "zh-CN")
		b.signup("lin")
		u, err := s.app.Accounts.ByUsername(context.Background(), "lin")
		if err != nil || u.Locale != "zh-Hans" {
			t.Fatalf("sign-up in Chinese stores locale %q (%v)", u.Locale, err)
		}
		p = b.post("/settings", "/settings", url.Values{"display_name": {"林"}, "bio": {""}, "locale": {"en"}})
		want(t, p, http.StatusSeeOther)
		b.header.Set("Accept-Language", "zh-CN")
		want(t, b.get("/settings?saved=1"), 200, `lang="en"`, "Your settings are saved.")
	})
}

func TestStaticAssetsAndCookies(t *testing.T) {
	s := newSite(t, database.SQLite)
	b := s.browser()
	home := b.get("/")
	m := regexp.MustCompile(`href="(/static/css/app\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(home.body)
	if m == nil {
		t.Fatal("no versioned style sheet link")
	}
	p := b.get(m[1])
	if p.status != 200 || !strings.Contains(p.header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(p.header.Get("Content-Type"), "text/css") {
		t.Fatalf("versioned asset: %d %q %q", p.status, p.header.Get("Cache-Control"), p.header.Get("Content-Type"))
	}
	if p := b.get("/static/css/app.css?v=stale"); p.status != 200 || p.header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("stale version: %d %q", p.status, p.header.Get("Cache-Control"))
	}
	want(t, b.get("/static/vendor/VENDOR.txt"), 404)
	want(t, b.get("/static/nothing.js"), 404)
	for _, c := range strings.Split(strings.Join(home.header.Values("Set-Cookie"), "\n"), "\n") {
		if strings.HasPrefix(c, "crn_guest=") && (!strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax")) {
			t.Fatalf("guest cookie %q", c)
		}
	}
	b2 := s.browser()
	res := b2.post("/signup", "/signup", url.Values{"username": {"erin"}, "email": {"erin@example.com"}, "password": {"a long password"}})
	found := false
	for _, c := range res.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "crn_session=") {
			found = true
			if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
				t.Fatalf("session cookie %q", c)
			}
		}
	}
	if !found {
		t.Fatalf("no session cookie set on sign-up: %v", res.header.Values("Set-Cookie"))
	}
}

// eventually waits for an asynchronous consequence (the outbox consumers
// run after commit); the deadline only bounds a failing wait.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
