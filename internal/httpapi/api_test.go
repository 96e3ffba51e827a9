package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/group"
	"github.com/crn-dev/crn/internal/httpapi"
	"github.com/crn-dev/crn/internal/markup"
	"github.com/crn-dev/crn/internal/notify"
	"github.com/crn-dev/crn/internal/ratelimit"
)

type env struct {
	t   *testing.T
	srv *httptest.Server
	db  *database.DB
}

type option func(*config.Config, *httpapi.Deps)

// newEnv serves the real router with real services on db.
func newEnv(t *testing.T, db *database.DB, opts ...option) *env {
	t.Helper()
	cfg := config.Default()
	acc, err := account.New(db.Client, database.IsUnique, account.Options{
		SessionTTL: time.Hour, PasswordMinLen: 8, SignupEnabled: true,
		Hash: account.HashParams{MemoryKiB: 64, Time: 1, Threads: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	forums := forum.New(db, markup.New(markup.Options{
		UserURL: func(u string) string { return "/u/" + u },
		TagURL:  func(t string) string { return "/tags/" + t },
	}), forum.Options{})
	d := httpapi.Deps{
		Log:           slog.New(slog.DiscardHandler),
		Accounts:      acc,
		Forums:        forums,
		Groups:        group.New(db, group.Options{}),
		Notifications: notify.NewService(db.Client),
		AuthLimiter:   ratelimit.NewMemory(1000, 1000, nil),
		Checks:        []httpapi.Check{{Name: "database", Ping: db.Ping}},
		Registry:      prometheus.NewRegistry(),
	}
	for _, o := range opts {
		o(&cfg, &d)
	}
	d.Config = cfg
	srv := httptest.NewServer(httpapi.New(d))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, db: db}
}

// client is a browser-like client with its own cookie jar.
type client struct {
	e      *env
	hc     *http.Client
	bearer string
	csrf   string
	header http.Header
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar}, header: http.Header{}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not JSON (%d): %s", r.status, r.body)
	}
	return m
}

// errCode returns error.code of an error body and checks the shape.
func (r response) errCode(t *testing.T) string {
	t.Helper()
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	if !ok || e["code"] == "" || e["message"] == "" {
		t.Fatalf("not the error shape: %s", r.body)
	}
	return e["code"].(string)
}

func (c *client) do(method, path string, body any) response {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (c *client) expect(method, path string, body any, status int) response {
	c.e.t.Helper()
	r := c.do(method, path, body)
	if r.status != status {
		c.e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, status, r.body)
	}
	return r
}

func signupBody(name string) map[string]any {
	return map[string]any{"username": name, "email": name + "@example.com", "password": "correct horse", "display_name": "顾客 " + name}
}

// signup creates name and returns a client signed in by cookie and the bearer token.
func (e *env) signup(name string) (*client, string) {
	c := e.client()
	r := c.expect("POST", "/api/v1/auth/signup", signupBody(name), http.StatusCreated)
	m := r.json(e.t)
	c.csrf = m["csrf_token"].(string)
	return c, m["token"].(string)
}

func countUsers(t *testing.T, db *database.DB) int {
	n, err := db.Client.User.Query().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignupLoginMeWithCookieAndBearer(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		c := e.client()
		r := c.expect("POST", "/api/v1/auth/signup", signupBody("alice"), http.StatusCreated)
		m := r.json(t)
		c.csrf = m["csrf_token"].(string)
		user := m["user"].(map[string]any)
		if user["username"] != "alice" || user["display_name"] != "顾客 alice" || user["email"] != "alice@example.com" {
			t.Fatalf("user: %v", user)
		}
		if _, leaked := user["password_hash"]; leaked {
			t.Fatal("password hash leaked")
		}
		var session *http.Cookie
		for _, ck := range (&http.Response{Header: r.header}).Cookies() {
			if ck.Name == httpapi.SessionCookie {
				session = ck
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Value != m["token"] {
			t.Fatalf("session cookie: %+v", session)
		}

		// Cookie: reads need nothing more.
		if got := c.expect("GET", "/api/v1/me", nil, http.StatusOK).json(t); got["username"] != "alice" {
			t.Fatalf("me: %v", got)
		}
		// Bearer, from a client with no cookies, logging in by email in another case.
		api := e.client()
		lr := api.expect("POST", "/api/v1/auth/login", map[string]any{"login": "ALICE@example.com", "password": "correct horse"}, http.StatusOK)
		api.hc.Jar = nil
		api.bearer = lr.json(t)["token"].(string)
		if got := api.expect("GET", "/api/v1/me", nil, http.StatusOK).json(t); got["username"] != "alice" {
			t.Fatalf("me by bearer: %v", got)
		}
		// Bearer writes need no CSRF token.
		api.expect("PATCH", "/api/v1/me", map[string]any{"bio": "Hello 你好"}, http.StatusOK)
		if got := c.expect("GET", "/api/v1/me", nil, http.StatusOK).json(t); got["bio"] != "Hello 你好" {
			t.Fatalf("bio: %v", got["bio"])
		}
		// The public profile hides the email.
		pub := e.client().expect("GET", "/api/v1/users/ALICE", nil, http.StatusOK).json(t)
		if pub["username"] != "alice" || pub["email"] != nil {
			t.Fatalf("public profile: %v", pub)
		}
		e.client().expect("GET", "/api/v1/users/nobody", nil, http.StatusNotFound)

		// Logging out revokes the token and clears the cookie.
		c.expect("POST", "/api/v1/auth/logout", nil, http.StatusNoContent)
		if r := c.do("GET", "/api/v1/me", nil); r.status != http.StatusUnauthorized {
			t.Fatalf("after logout: %d", r.status)
		}
		api.expect("GET", "/api/v1/me", nil, http.StatusOK) // other sessions live on
	})
}

func TestCSRFAndOrigin(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		c, _ := e.signup("alice")
		csrf := c.csrf
		c.csrf = ""
		if code := c.expect("PATCH", "/api/v1/me", map[string]any{"bio": "x"}, http.StatusForbidden).errCode(t); code != "csrf_failed" {
			t.Fatal(code)
		}
		c.csrf = "forged"
		c.expect("PATCH", "/api/v1/me", map[string]any{"bio": "x"}, http.StatusForbidden)
		c.csrf = csrf
		c.header.Set("Origin", "https://evil.example")
		if code := c.expect("PATCH", "/api/v1/me", map[string]any{"bio": "x"}, http.StatusForbidden).errCode(t); code != "bad_origin" {
			t.Fatal(code)
		}
		c.header.Set("Origin", e.srv.URL)
		c.expect("PATCH", "/api/v1/me", map[string]any{"bio": "ok"}, http.StatusOK)
		c.header.Del("Origin")
		// A foreign origin cannot sign anyone in either (login CSRF).
		g := e.client()
		g.header.Set("Origin", "https://evil.example")
		g.expect("POST", "/api/v1/auth/login", map[string]any{"login": "alice", "password": "correct horse"}, http.StatusForbidden)
	})
}

func TestBadInputGetsErrorShapeAndStoresNothing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db, func(c *config.Config, _ *httpapi.Deps) { c.BodyLimit = 4 << 10 })
		c := e.client()
		cases := []struct {
			name   string
			body   any
			ctype  string
			status int
			code   string
		}{
			{"empty body", "", "", 400, "invalid_json"},
			{"not json", "{nope", "", 400, "invalid_json"},
			{"array", "[]", "", 400, "invalid_json"},
			{"null", "null", "", 400, "invalid_json"},
			{"string", `"hi"`, "", 400, "invalid_json"},
			{"wrong type", `{"username": 5}`, "", 400, "invalid_json"},
			{"unknown field", `{"username":"bob","email":"b@example.com","password":"correct horse","role":"admin"}`, "", 400, "invalid_json"},
			{"two values", `{"username":"bob"} {}`, "", 400, "invalid_json"},
			{"form post", "username=bob", "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
			{"too large", `{"username":"` + strings.Repeat("a", 5000) + `"}`, "", 413, "body_too_large"},
			{"missing fields", `{}`, "", 422, "validation_failed"},
			{"over-long", signupBody(strings.Repeat("b", 40)), "", 422, "validation_failed"},
			{"script in name", map[string]any{"username": "<script>", "email": "x@example.com", "password": "correct horse"}, "", 422, "validation_failed"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if tc.ctype != "" {
					c.header.Set("Content-Type", tc.ctype)
					defer c.header.Del("Content-Type")
				}
				r := c.do("POST", "/api/v1/auth/signup", tc.body)
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
				if code := r.errCode(t); code != tc.code {
					t.Fatalf("code %s, want %s", code, tc.code)
				}
			})
		}
		if n := countUsers(t, db); n != 0 {
			t.Fatalf("bad input stored %d users", n)
		}
		r := c.expect("POST", "/api/v1/auth/signup", map[string]any{"username": "x", "email": "nope", "password": "1"}, 422)
		fields := r.json(t)["error"].(map[string]any)["details"].(map[string]any)["fields"].(map[string]any)
		for _, f := range []string{"username", "email", "password"} {
			if fields[f] == nil {
				t.Errorf("details.fields lacks %s: %v", f, fields)
			}
		}

		e.signup("alice")
		r = c.expect("POST", "/api/v1/auth/signup", map[string]any{"username": "ALICE", "email": "Alice@Example.com", "password": "correct horse"}, http.StatusConflict)
		if r.errCode(t) != "account_exists" {
			t.Fatal(r.errCode(t))
		}
		if n := countUsers(t, db); n != 1 {
			t.Fatalf("users = %d", n)
		}
		r = c.expect("POST", "/api/v1/auth/login", map[string]any{"login": "alice", "password": "wrong password"}, http.StatusUnauthorized)
		if r.errCode(t) != "bad_credentials" {
			t.Fatal(r.errCode(t))
		}
	})
}

func TestTokensForgedExpiredAndRevoked(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		e := newEnv(t, db)
		c, bearer := e.signup("alice")
		api := e.client()
		for _, h := range []string{"Bearer crn_forged", "Basic YWxpY2U6eA==", "Bearer", "crn_x"} {
			api.header.Set("Authorization", h)
			if r := api.do("GET", "/api/v1/me", nil); r.status != http.StatusUnauthorized {
				t.Errorf("Authorization %q: %d", h, r.status)
			} else {
				r.errCode(t)
			}
		}
		// A forged bearer token is refused even on public routes.
		api.header.Set("Authorization", "Bearer crn_forged")
		api.expect("GET", "/api/v1/users/alice", nil, http.StatusUnauthorized)
		api.header.Del("Authorization")

		// Named API tokens: create, list, use, revoke.
		r := c.expect("POST", "/api/v1/me/tokens", map[string]any{"name": "CRM sync", "expires_in_days": 30}, http.StatusCreated)
		secret := r.json(t)["secret"].(string)
		id := int(r.json(t)["token"].(map[string]any)["id"].(float64))
		api.bearer = secret
		api.expect("GET", "/api/v1/me", nil, http.StatusOK)
		list := c.expect("GET", "/api/v1/me/tokens", nil, http.StatusOK).json(t)["tokens"].([]any)
		if len(list) != 2 {
			t.Fatalf("tokens: %v", list)
		}
		for _, tok := range list {
			if _, ok := tok.(map[string]any)["secret"]; ok {
				t.Fatal("listing must not reveal secrets")
			}
		}
		c.expect("POST", "/api/v1/me/tokens", map[string]any{"name": ""}, 422)
		c.expect("POST", "/api/v1/me/tokens", map[string]any{"name": "x", "expires_in_days": -1}, 422)
		c.expect("DELETE", "/api/v1/me/tokens/abc", nil, http.StatusNotFound)
		c.expect("DELETE", "/api/v1/me/tokens/999999", nil, http.StatusNotFound)
		// Another user cannot revoke alice's token.
		bob, _ := e.signup("bob")
		bob.expect("DELETE", "/api/v1/me/tokens/"+itoa(id), nil, http.StatusNotFound)
		c.expect("DELETE", "/api/v1/me/tokens/"+itoa(id), nil, http.StatusNoContent)
		api.expect("GET", "/api/v1/me", nil, http.StatusUnauthorized)

		// Changing the password keeps this session and ends the others.
		other := e.client()
		other.bearer = bearer
		c.expect("POST", "/api/v1/me/password", map[string]any{"current_password": "wrong", "new_password": "brand new pass"}, http.StatusForbidden)
		// bearer is the sign-up session, the same token c uses by cookie.
		c.expect("POST", "/api/v1/me/password", map[string]any{"current_password": "correct horse", "new_password": "brand new pass"}, http.StatusNoContent)
		c.expect("GET", "/api/v1/me", nil, http.StatusOK)
	})
}

func TestAuthRateLimit(t *testing.T) {
	db := dbtest.Open(t, database.SQLite)
	e := newEnv(t, db, func(_ *config.Config, d *httpapi.Deps) { d.AuthLimiter = ratelimit.NewMemory(1, 3, nil) })
	c := e.client()
	for i := 0; i < 3; i++ {
		c.expect("POST", "/api/v1/auth/login", map[string]any{"login": "alice", "password": "wrong password"}, http.StatusUnauthorized)
	}
	r := c.expect("POST", "/api/v1/auth/login", map[string]any{"login": "alice", "password": "wrong password"}, http.StatusTooManyRequests)
	if r.errCode(t) != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Fatalf("429 without Retry-After: %v", r.header)
	}
	// Sign-up shares the budget: an attacker cannot switch endpoints.
	c.expect("POST", "/api/v1/auth/signup", signupBody("mallory"), http.StatusTooManyRequests)
	if n := countUsers(t, db); n != 0 {
		t.Fatal("a rate-limited sign-up stored a user")
	}
	// Reading is not limited.
	c.expect("GET", "/api/v1/openapi.json", nil, http.StatusOK)
}

func TestHealthReadyMetricsAndHeaders(t *testing.T) {
	db := dbtest.Open(t, database.SQLite)
	down := errors.New("connection refused")
	e := newEnv(t, db)
	c := e.client()
	r := c.expect("GET", "/healthz", nil, http.StatusOK)
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if r.header.Get(h) != want {
			t.Errorf("header %s = %q", h, r.header.Get(h))
		}
	}
	if r.header.Get("X-Request-Id") == "" || r.header.Get("Content-Security-Policy") == "" {
		t.Error("missing request id or CSP")
	}
	c.header.Set("X-Request-Id", "abc-123")
	if got := c.do("GET", "/healthz", nil).header.Get("X-Request-Id"); got != "abc-123" {
		t.Errorf("request id not kept: %q", got)
	}
	c.header.Set("X-Request-Id", "bad id\" with spaces")
	if got := c.do("GET", "/healthz", nil).header.Get("X-Request-Id"); got == "" || strings.ContainsAny(got, " \"") {
		t.Errorf("unsafe request id echoed: %q", got)
	}
	c.header.Del("X-Request-Id")
	c.expect("GET", "/readyz", nil, http.StatusOK)
	c.expect("HEAD", "/readyz", nil, http.StatusOK)
	// Probes ignore credentials: a stale token must not fail them.
	c.header.Set("Authorization", "Bearer crn_stale")
	c.expect("GET", "/healthz", nil, http.StatusOK)
	c.expect("GET", "/readyz", nil, http.StatusOK)
	c.header.Del("Authorization")

	bad := newEnv(t, db, func(_ *config.Config, d *httpapi.Deps) {
		d.Checks = append(d.Checks, httpapi.Check{Name: "redis", Ping: func(context.Context) error { return down }})
	})
	r = bad.client().expect("GET", "/readyz", nil, http.StatusServiceUnavailable)
	if r.errCode(t) != "not_ready" || !strings.Contains(string(r.body), "redis") || strings.Contains(string(r.body), "refused") {
		t.Fatalf("readyz: %s", r.body)
	}

	c.expect("GET", "/api/v1/nope", nil, http.StatusNotFound).errCode(t)
	c.expect("DELETE", "/healthz", nil, http.StatusMethodNotAllowed).errCode(t)
	m := c.expect("GET", "/metrics", nil, http.StatusOK)
	for _, want := range []string{`crn_http_requests_total{method="GET",route="/healthz",status="200"}`, `crn_http_request_duration_seconds_bucket{method="GET",route="/readyz"`, `route="unmatched",status="404"`} {
		if !bytes.Contains(m.body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestPanicsBecome500s(t *testing.T) {
	db := dbtest.Open(t, database.SQLite)
	// A nil account service makes the authentication middleware panic.
	e2 := newEnv(t, db, func(_ *config.Config, d *httpapi.Deps) { d.Accounts = nil })
	c := e2.client()
	c.header.Set("Authorization", "Bearer crn_anything")
	r := c.expect("GET", "/api/v1/me", nil, http.StatusInternalServerError)
	if r.errCode(t) != "internal" || strings.Contains(string(r.body), "nil pointer") {
		t.Fatalf("500 body leaks internals: %s", r.body)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
