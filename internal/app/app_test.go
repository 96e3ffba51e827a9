package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/app"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/testenv"
)

var cheap = account.HashParams{MemoryKiB: 64, Time: 1, Threads: 1}

func build(t *testing.T, cfg config.Config) *app.App {
	t.Helper()
	a, err := app.Build(context.Background(), cfg, slog.New(slog.DiscardHandler), app.Options{Migrate: true, Hash: cheap, Serve: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// serve runs a on a free port until the test ends and returns its base URL
// and a function that stops it and returns Serve's error.
func serve(t *testing.T, a *app.App) (string, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.ServeListener(ctx, ln) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	return "http://" + ln.Addr().String(), stop
}

func get(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: not JSON: %s", url, b)
	}
	return res.StatusCode, m
}

func baseConfig(t *testing.T) config.Config {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	return cfg
}

// The embedded default needs nothing: a data directory is enough.
func TestEmbeddedDefaultIsReady(t *testing.T) {
	cfg := baseConfig(t)
	a := build(t, cfg)
	url, _ := serve(t, a)
	status, body := get(t, url+"/readyz")
	if status != 200 || body["checks"].(map[string]any)["database"] != "ok" {
		t.Fatalf("readyz: %d %v", status, body)
	}
	if a.Redis != nil || a.Meili != nil {
		t.Fatal("no backend should be configured by default")
	}
}

// With real PostgreSQL, Redis and Meilisearch configured, /readyz pings all three.
func TestScaleOutBackendsAreReady(t *testing.T) {
	cfg := baseConfig(t)
	cfg.DatabaseURL = dbtest.NewPostgres(t).URL
	cfg.RedisURL = testenv.Get(t, testenv.RedisURL)
	cfg.MeiliURL = testenv.Get(t, testenv.MeiliURL)
	cfg.MeiliKey = testenv.Get(t, testenv.MeiliKey)
	a := build(t, cfg)
	if a.DB.Dialect != "postgres" {
		t.Fatalf("dialect %s", a.DB.Dialect)
	}
	url, _ := serve(t, a)
	status, body := get(t, url+"/readyz")
	checks, _ := body["checks"].(map[string]any)
	if status != 200 || checks["database"] != "ok" || checks["redis"] != "ok" || checks["meilisearch"] != "ok" {
		t.Fatalf("readyz: %d %v", status, body)
	}
	// The sign-in limit is the shared one: its failure counter is exported.
	if m := getText(t, url+"/metrics", ""); !strings.Contains(m, `crn_ratelimit_backend_errors_total{limiter="auth"} 0`) {
		t.Fatal("scale-out mode does not use the Redis rate limiter")
	}
}

// getText GETs url (with a bearer token when given) and returns a 200's body.
func getText(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	return string(b)
}

// Unreachable backends, or a wrong Meilisearch key, make /readyz a 503 that
// names them while /healthz stays 200.
func TestReadyzNamesWhatIsDown(t *testing.T) {
	dead := func() string { // a port nobody listens on
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}
	cfg := baseConfig(t)
	cfg.RedisURL = "redis://" + dead() + "/0"
	cfg.MeiliURL = testenv.Get(t, testenv.MeiliURL)
	cfg.MeiliKey = "wrong-key"
	a := build(t, cfg)
	url, _ := serve(t, a)
	status, body := get(t, url+"/readyz")
	e, _ := body["error"].(map[string]any)
	if status != 503 || e["code"] != "not_ready" {
		t.Fatalf("readyz: %d %v", status, body)
	}
	msg := e["message"].(string)
	if !strings.Contains(msg, "redis") || !strings.Contains(msg, "meilisearch") || strings.Contains(msg, "database") {
		t.Fatalf("message should name exactly redis and meilisearch: %q", msg)
	}
	if status, _ := get(t, url+"/healthz"); status != 200 {
		t.Fatalf("healthz: %d", status)
	}
}

// Shutdown waits for in-flight requests instead of cutting them off.
func TestGracefulShutdownDrainsRequests(t *testing.T) {
	cfg := baseConfig(t)
	cfg.ShutdownTimeout = 10 * time.Second
	a := build(t, cfg)
	slow := a.Handler
	started := make(chan struct{})
	release := make(chan struct{})
	a.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
			w.WriteHeader(http.StatusTeapot)
			return
		}
		slow.ServeHTTP(w, r)
	})
	url, stop := serve(t, a)
	got := make(chan int, 1)
	go func() {
		res, err := http.Get(url + "/slow")
		if err != nil {
			got <- -1
			return
		}
		res.Body.Close()
		got <- res.StatusCode
	}()
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("server stopped with a request in flight: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if code := <-got; code != http.StatusTeapot {
		t.Fatalf("in-flight request got %d", code)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	// New connections are refused once stopped.
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Fatal("server still accepting after shutdown")
	}
}

// The profiler is off by default and, when asked for, served on its own address.
func TestDebugListener(t *testing.T) {
	cfg := baseConfig(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DebugAddr = ln.Addr().String()
	cfg.MetricsToken = "a-token-no-scraper-knows-0123"
	ln.Close()
	a := build(t, cfg)
	url, _ := serve(t, a)
	res, err := http.Get(url + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusOK {
		t.Fatal("pprof must not be on the public address")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err = http.Get("http://" + cfg.DebugAddr + "/debug/pprof/")
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("debug listener: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("pprof index: %d", res.StatusCode)
	}
	// Metrics: the public listener wants the token, the debug one does not.
	res, err = http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("public /metrics without the token: %d, want 401", res.StatusCode)
	}
	getText(t, url+"/metrics", cfg.MetricsToken)
	if m := getText(t, "http://"+cfg.DebugAddr+"/metrics", ""); !strings.Contains(m, "crn_http_requests_total") || !strings.Contains(m, "go_goroutines") {
		t.Fatalf("debug /metrics lacks crn's metrics: %.300s", m)
	}
}
