package httpapi

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/internal/respcache"
)

// guestCached are the routes whose guest responses are cached, with the
// tags that invalidate them (see internal/respcache and app.cacheInvalidator).
// Guests see the same bytes; signed-in readers get per-user fields (read
// state, their reactions) and always go to the database.
var guestCached = map[string]func(c echo.Context) []string{
	"/api/v1/forums":            func(echo.Context) []string { return []string{"forums"} },
	"/api/v1/forums/:id":        func(c echo.Context) []string { return []string{"forum:" + c.Param("id")} },
	"/api/v1/forums/:id/topics": func(c echo.Context) []string { return []string{"forum:" + c.Param("id")} },
	"/api/v1/topics/:id":        func(c echo.Context) []string { return []string{"topic:" + c.Param("id")} },
	"/api/v1/topics/:id/posts":  func(c echo.Context) []string { return []string{"topic:" + c.Param("id")} },
}

// guestCacheable reports whether the cache answers this request: a GET of
// a cached route by a caller without credentials.
func (s *server) guestCacheable(c echo.Context) bool {
	if !s.Cache.Live() || c.Request().Method != http.MethodGet {
		return false
	}
	if _, ok := guestCached[c.Path()]; !ok {
		return false
	}
	r := c.Request()
	if r.Header.Get(echo.HeaderAuthorization) != "" {
		return false
	}
	if ck, err := r.Cookie(SessionCookie); err == nil && ck.Value != "" {
		return false
	}
	return true
}

// cacheKey is the path with the query in a canonical order.
func cacheKey(u *url.URL) string {
	if u.RawQuery == "" {
		return u.Path
	}
	return u.Path + "?" + u.Query().Encode()
}

// guestCache serves cached responses to guests and caches the 200s it
// builds for them. It sits before the gzip middleware (which skips these
// requests) because it keeps each body's gzip form next to it.
func (s *server) guestCache(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.guestCacheable(c) {
			return next(c)
		}
		key := cacheKey(c.Request().URL)
		if e, ok := s.Cache.Get(key); ok {
			if c.Path() == "/api/v1/topics/:id" {
				if id, err := pathInt(c, "id"); err == nil {
					s.Forums.CountView(id)
				}
			}
			return writeCached(c, e)
		}
		// One request builds a missing page; guests who ask for it
		// meanwhile wait for that one instead of each running the same
		// queries (a busy topic's page is dropped at every reply, and all
		// its readers would otherwise miss at once).
		f, leader := s.builds.join(key)
		if !leader {
			select {
			case <-f.done:
			case <-c.Request().Context().Done():
				return c.Request().Context().Err()
			}
			if f.entry != nil {
				return writeCached(c, f.entry)
			}
			// The build was not cached (an error, or the page changed
			// while it was built): build this one as before.
		}
		var cached *respcache.Entry
		if leader {
			defer func() { s.builds.finish(key, f, cached) }()
		}
		st := s.Cache.Stamp()
		res := c.Response()
		orig := res.Writer
		rec := &recorder{ResponseWriter: orig}
		res.Writer = rec
		err := next(c)
		res.Writer = orig
		if !res.Committed {
			return err // nothing written: the error handler answers
		}
		if err != nil || rec.status != http.StatusOK || !strings.HasPrefix(res.Header().Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
			orig.WriteHeader(rec.status)
			_, werr := orig.Write(rec.buf.Bytes())
			if err != nil {
				return err
			}
			return werr
		}
		e := &respcache.Entry{Status: rec.status, ContentType: res.Header().Get(echo.HeaderContentType),
			Body: bytes.Clone(rec.buf.Bytes()), Tags: guestCached[c.Path()](c)}
		if s.Cache.Put(key, st, e) {
			// Cached: nothing invalidated the page between this build's
			// start and now, so it is current for every request that
			// arrived meanwhile too.
			cached = e
		}
		res.Committed, res.Status, res.Size = false, 0, 0
		return writeCached(c, e)
	}
}

// flights are the guest responses being built, by cache key.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

type flight struct {
	done    chan struct{}
	entry   *respcache.Entry // set before done closes when the build was cached
	waiters int              // requests waiting for it (tests)
}

// join returns the build under way for key, or starts one: leader is true
// for the request that must build it (and then call finish).
func (fs *flights) join(key string) (f *flight, leader bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.m[key]; ok {
		f.waiters++
		return f, false
	}
	if fs.m == nil {
		fs.m = map[string]*flight{}
	}
	f = &flight{done: make(chan struct{})}
	fs.m[key] = f
	return f, true
}

// finish ends the leader's build and wakes its waiters with entry (nil:
// the build was not cached, so each waiter builds its own).
func (fs *flights) finish(key string, f *flight, entry *respcache.Entry) {
	fs.mu.Lock()
	delete(fs.m, key)
	f.entry = entry
	fs.mu.Unlock()
	close(f.done)
}

// waiting reports how many requests wait for key's build (tests).
func (fs *flights) waiting(key string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.m[key]; ok {
		return f.waiters
	}
	return 0
}

// writeCached answers with e: 304 when the client has it, its gzip form
// when the client takes gzip.
func writeCached(c echo.Context, e *respcache.Entry) error {
	r, res := c.Request(), c.Response()
	h := res.Header()
	h.Set(echo.HeaderContentType, e.ContentType)
	h.Set("ETag", e.ETag)
	h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
	// Shared caches may keep it but must ask again each time: it changes
	// whenever someone posts.
	h.Set("Cache-Control", "public, no-cache")
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, e.ETag) {
		return c.NoContent(http.StatusNotModified)
	}
	body := e.Body
	if e.Gzip != nil && strings.Contains(r.Header.Get(echo.HeaderAcceptEncoding), "gzip") {
		h.Set(echo.HeaderContentEncoding, "gzip")
		body = e.Gzip
	}
	return c.Blob(e.Status, e.ContentType, body)
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// recorder holds a response back so it can be cached before it is sent.
type recorder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.buf.Write(b)
}

// Flush is a no-op: the body goes out when it is complete.
func (r *recorder) Flush() {}
