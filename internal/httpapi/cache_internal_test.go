package httpapi

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/internal/respcache"
)

// coalescing serves guestCache over a handler for the cached route of a
// topic's posts: build is called once per page build, after all but one
// of want requests wait for the build under way.
func coalescing(t *testing.T, want int, build func()) (*echo.Echo, *respcache.Cache, *atomic.Int64) {
	t.Helper()
	cache := respcache.New(1 << 20)
	cache.SetLive(true)
	s := &server{Deps: Deps{Cache: cache}}
	builds := &atomic.Int64{}
	e := echo.New()
	e.GET("/api/v1/topics/:id/posts", func(c echo.Context) error {
		if builds.Add(1) == 1 {
			deadline := time.Now().Add(10 * time.Second)
			for s.builds.waiting("/api/v1/topics/7/posts") < want-1 {
				if time.Now().After(deadline) {
					t.Error("the other requests never waited for the build")
					break
				}
				time.Sleep(time.Millisecond)
			}
			build()
		}
		return c.JSON(http.StatusOK, map[string]any{"posts": []int{1, 2, 3}})
	}, s.guestCache)
	return e, cache, builds
}

func getAll(t *testing.T, e *echo.Echo, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/topics/7/posts", nil))
			if rec.Code != http.StatusOK || rec.Body.String() != "{\"posts\":[1,2,3]}\n" {
				t.Errorf("GET: %d %q", rec.Code, rec.Body.String())
			}
		})
	}
	wg.Wait()
}

// Guests who ask for a page while it is being built wait for that build
// and get its response: one build for all of them.
func TestGuestCacheBuildsAMissingPageOnce(t *testing.T) {
	const n = 8
	e, cache, builds := coalescing(t, n, func() {})
	getAll(t, e, n)
	if got := builds.Load(); got != 1 {
		t.Fatalf("%d concurrent guests built the page %d times, want once", n, got)
	}
	if _, ok := cache.Get("/api/v1/topics/7/posts"); !ok {
		t.Fatal("the build was not cached")
	}
}

// A page that changed while it was built is not cached, and the requests
// that waited for it build their own: the build began before the change
// and may not show it, which a request that arrived after the change must.
func TestGuestCacheWaitersRebuildAPageChangedMeanwhile(t *testing.T) {
	const n = 4
	var cache *respcache.Cache
	e, c, builds := coalescing(t, n, func() { cache.Invalidate("topic:7") })
	cache = c
	getAll(t, e, n)
	if got := builds.Load(); got != n {
		t.Fatalf("built %d times, want %d: the waiters must not take a build older than the change", got, n)
	}
}
