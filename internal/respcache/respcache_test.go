package respcache

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func newLive(max int64) *Cache {
	c := New(max)
	c.SetLive(true)
	return c
}

func TestAnswersOnlyWhileLive(t *testing.T) {
	c := New(1 << 20)
	if c.Put("/a", c.Stamp(), entry("x")) {
		t.Fatal("a cache that is not live stored an entry")
	}
	c.SetLive(true)
	c.Put("/a", c.Stamp(), entry("x"))
	if _, ok := c.Get("/a"); !ok {
		t.Fatal("live cache lost its entry")
	}
	c.SetLive(false)
	if _, ok := c.Get("/a"); ok {
		t.Fatal("a cache turned off answered")
	}
	c.SetLive(true)
	if _, ok := c.Get("/a"); ok {
		t.Fatal("entries survived turning the cache off and on")
	}
}

func entry(body string, tags ...string) *Entry {
	return &Entry{Status: 200, ContentType: "application/json", Body: []byte(body), Tags: tags}
}

func TestPutGetInvalidate(t *testing.T) {
	c := newLive(1 << 20)
	st := c.Stamp()
	if !c.Put("/topics/1", st, entry(`{"a":1}`, "topic:1")) || !c.Put("/topics/2", st, entry(`{"a":2}`, "topic:2")) {
		t.Fatal("put refused on a fresh cache")
	}
	if e, ok := c.Get("/topics/1"); !ok || string(e.Body) != `{"a":1}` || e.ETag == "" {
		t.Fatalf("get = %+v, %v", e, ok)
	}
	c.Invalidate("topic:1")
	if _, ok := c.Get("/topics/1"); ok {
		t.Fatal("entry survived the invalidation of its tag")
	}
	if _, ok := c.Get("/topics/2"); !ok {
		t.Fatal("an entry with another tag was dropped")
	}
	c.Flush()
	if _, ok := c.Get("/topics/2"); ok {
		t.Fatal("entry survived a flush")
	}
	s := c.Stats()
	if s.Hits != 2 || s.Misses != 2 || s.Entries != 0 || s.Bytes != 0 {
		t.Fatalf("stats = %+v", s)
	}
}

// A response read from the database before an invalidation must not be
// cached after it: it may show the state before the change.
func TestPutRefusesResponsesOlderThanAnInvalidation(t *testing.T) {
	c := newLive(1 << 20)
	st := c.Stamp()
	c.Invalidate("topic:1")
	if c.Put("/topics/1", st, entry("old", "topic:1")) {
		t.Fatal("a response built before its tag was invalidated was cached")
	}
	if !c.Put("/topics/2", st, entry("other", "topic:2")) {
		t.Fatal("an unrelated response was refused")
	}
	st = c.Stamp()
	c.Flush()
	if c.Put("/topics/3", st, entry("x", "topic:3")) {
		t.Fatal("a response built before a flush was cached")
	}
	if !c.Put("/topics/1", c.Stamp(), entry("new", "topic:1")) {
		t.Fatal("a response built after the invalidation was refused")
	}
}

func TestPutRefusesSlowBuilds(t *testing.T) {
	c := newLive(1 << 20)
	now := time.Now()
	c.now = func() time.Time { return now }
	st := c.Stamp()
	now = now.Add(maxBuild + time.Second)
	if c.Put("/slow", st, entry("x", "topic:1")) {
		t.Fatal("a response that took longer than maxBuild was cached")
	}
}

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	body := strings.Repeat("x", 100)
	per := entry(body).size() + int64(len("/k/0"))
	c := newLive(per * 4)
	for i := range 4 {
		c.Put(fmt.Sprintf("/k/%d", i), c.Stamp(), entry(body, "t"))
	}
	c.Get("/k/0") // now the most recent
	c.Put("/k/4", c.Stamp(), entry(body, "t"))
	if _, ok := c.Get("/k/1"); ok {
		t.Fatal("the least recently used entry was kept")
	}
	for _, k := range []string{"/k/0", "/k/2", "/k/3", "/k/4"} {
		if _, ok := c.Get(k); !ok {
			t.Fatalf("%s was evicted", k)
		}
	}
	if s := c.Stats(); s.Bytes > per*4 {
		t.Fatalf("size %d over the limit %d", s.Bytes, per*4)
	}
	c.Invalidate("t")
	if s := c.Stats(); s.Entries != 0 || s.Bytes != 0 {
		t.Fatalf("after invalidating every entry: %+v", s)
	}
}

func TestGzipFormDecodesToBody(t *testing.T) {
	c := newLive(1 << 20)
	body := strings.Repeat(`{"post":"hello 你好"},`, 100)
	c.Put("/p", c.Stamp(), entry(body, "topic:1"))
	e, _ := c.Get("/p")
	if e.Gzip == nil || len(e.Gzip) >= len(e.Body) {
		t.Fatalf("gzip form: %d bytes for %d", len(e.Gzip), len(e.Body))
	}
	r, err := gzip.NewReader(bytes.NewReader(e.Gzip))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	if string(got) != body {
		t.Fatal("gzip form does not decode to the body")
	}
	c.Put("/small", c.Stamp(), entry("{}", "topic:1"))
	if e, _ := c.Get("/small"); e.Gzip != nil {
		t.Fatal("a tiny body got a gzip form")
	}
}

func TestRefusesHugeEntries(t *testing.T) {
	c := newLive(1000)
	if c.Put("/big", c.Stamp(), entry(strings.Repeat("x", 600))) {
		t.Fatal("an entry larger than a quarter of the cache was stored")
	}
}
