package httpapi_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/httpapi"
	"github.com/crn-dev/crn/internal/ratelimit"
	"github.com/crn-dev/crn/internal/testenv"
)

// Two nodes sharing Redis share one sign-in budget per client IP: the
// attempts spent on one count on the other, and the refusal carries the
// shared budget's Retry-After.
func TestAuthRateLimitSharedAcrossNodes(t *testing.T) {
	opts, err := redis.ParseURL(testenv.Get(t, testenv.RedisURL))
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	prefix := "crntest:" + hex.EncodeToString(b) + ":"
	db := dbtest.Open(t, database.SQLite)
	node := func() *env {
		rdb := redis.NewClient(opts)
		t.Cleanup(func() { rdb.Close() })
		// 1 a minute, bursts of 4, as CRN_AUTH_RATE=1 CRN_AUTH_BURST=4 on every node.
		lim := ratelimit.NewRedis(rdb, prefix, "auth", 1, 4, nil)
		return newEnv(t, db, func(_ *config.Config, d *httpapi.Deps) { d.AuthLimiter = lim })
	}
	a, z := node().client(), node().client()
	t.Cleanup(func() {
		rdb := redis.NewClient(opts)
		defer rdb.Close()
		rdb.Del(t.Context(), prefix+"rl:auth:auth:127.0.0.1")
	})
	wrong := map[string]any{"login": "alice", "password": "wrong password"}
	for _, c := range []*client{a, z, a, z} {
		c.expect("POST", "/api/v1/auth/login", wrong, http.StatusUnauthorized)
	}
	for _, c := range []*client{a, z} {
		r := c.expect("POST", "/api/v1/auth/login", wrong, http.StatusTooManyRequests)
		retry, _ := strconv.Atoi(r.header.Get("Retry-After"))
		if r.errCode(t) != "rate_limited" || retry < 1 || retry > 60 {
			t.Fatalf("429 with Retry-After %q, want 1 to 60 s", r.header.Get("Retry-After"))
		}
	}
	// The budget is per client IP: sign-up on either node is refused too.
	z.expect("POST", "/api/v1/auth/signup", signupBody("mallory"), http.StatusTooManyRequests)
}

// When the shared limiter's Redis is down, sign-in fails open: the attempt
// is judged on its credentials, not refused and not an error.
func TestAuthRateLimitFailsOpen(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:18898", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	lim := ratelimit.NewRedis(rdb, "crntest:", "auth", 1, 1, nil)
	e := newEnv(t, dbtest.Open(t, database.SQLite), func(_ *config.Config, d *httpapi.Deps) { d.AuthLimiter = lim })
	c := e.client()
	for range 3 {
		c.expect("POST", "/api/v1/auth/login", map[string]any{"login": "alice", "password": "wrong password"}, http.StatusUnauthorized)
	}
	if lim.Failures() != 3 {
		t.Fatalf("Failures = %d, want 3", lim.Failures())
	}
}

// metricsHandler serves the real router with just what /metrics needs.
func metricsHandler(t *testing.T, cfg config.Config) http.Handler {
	t.Helper()
	return httpapi.New(httpapi.Deps{Config: cfg, Log: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry()})
}

func getMetrics(h http.Handler, peer string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.RemoteAddr = peer
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func errorCode(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Message == "" {
		t.Fatalf("not the JSON error shape (%d): %s", rec.Code, rec.Body)
	}
	return body.Error.Code
}

func TestMetricsWithoutTokenOnlyForLocalPeers(t *testing.T) {
	cfg := config.Default()
	_, proxies, _ := net.ParseCIDR("10.9.0.0/16")
	cfg.TrustedProxies = []*net.IPNet{proxies}
	h := metricsHandler(t, cfg)
	for _, peer := range []string{"127.0.0.1:5000", "[::1]:5000", "10.1.2.3:5000", "172.20.0.5:5000", "192.168.1.10:5000", "[fd00::5]:5000", "[::ffff:10.1.2.3]:5000"} {
		if rec := getMetrics(h, peer, nil); rec.Code != http.StatusOK {
			t.Errorf("peer %s: %d, want 200", peer, rec.Code)
		}
	}
	refused := []struct {
		peer   string
		header map[string]string
	}{
		{"203.0.113.5:5000", nil},
		{"[2001:db8::1]:5000", nil},
		{"10.1.2.3:5000", map[string]string{"X-Forwarded-For": "203.0.113.5"}},
		{"127.0.0.1:5000", map[string]string{"X-Real-IP": "203.0.113.5"}},
		{"192.168.1.10:5000", map[string]string{"Forwarded": "for=203.0.113.5"}},
		{"10.9.1.1:5000", nil}, // a trusted proxy relays others, header or not
		// A token is no use when none is configured.
		{"203.0.113.5:5000", map[string]string{"Authorization": "Bearer whatever-it-is-long-enough"}},
	}
	for _, r := range refused {
		rec := getMetrics(h, r.peer, r.header)
		if rec.Code != http.StatusForbidden || errorCode(t, rec) != "metrics_private" {
			t.Errorf("peer %s %v: %d %s, want 403 metrics_private", r.peer, r.header, rec.Code, rec.Body)
		}
	}
}

func TestMetricsToken(t *testing.T) {
	cfg := config.Default()
	cfg.MetricsToken = "s3cret-metrics-token-0123456789"
	h := metricsHandler(t, cfg)
	ok := getMetrics(h, "203.0.113.5:5000", map[string]string{"Authorization": "Bearer " + cfg.MetricsToken})
	if ok.Code != http.StatusOK || ok.Header().Get("Content-Type") == "" {
		t.Fatalf("right token: %d", ok.Code)
	}
	for _, auth := range []string{"", "Bearer wrong-token-0123456789abcdef", "Basic " + cfg.MetricsToken, "Bearer ", cfg.MetricsToken, "Bearer " + cfg.MetricsToken + "x"} {
		// With a token configured, loopback needs it too.
		for _, peer := range []string{"203.0.113.5:5000", "127.0.0.1:5000"} {
			rec := getMetrics(h, peer, map[string]string{"Authorization": auth})
			if rec.Code != http.StatusUnauthorized || errorCode(t, rec) != "metrics_token_required" || rec.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("peer %s, Authorization %q: %d %v %s, want 401 with WWW-Authenticate", peer, auth, rec.Code, rec.Header(), rec.Body)
			}
		}
	}
}
