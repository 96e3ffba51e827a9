// Package respcache keeps encoded API responses for anonymous readers.
//
// Guests all see the same topic pages and forum lists, so a node can build
// such a response once and serve the bytes (and their gzip form) until
// something they show changes. Entries carry tags ("topic:42", "forum:7");
// the realtime hub tells the cache which tags each committed event touches,
// on every node, and those entries are dropped.
//
// A response built from a database read that raced with an invalidation is
// refused at Put: callers take a Stamp before reading and Put checks that
// none of the entry's tags was invalidated after it.
package respcache

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"encoding/base64"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"
)

// Entry is one cached response.
type Entry struct {
	Status      int
	ContentType string
	Body        []byte
	Gzip        []byte // Body compressed; nil when compression does not pay
	ETag        string
	Tags        []string

	key string
}

func (e *Entry) size() int64 { return int64(len(e.Body) + len(e.Gzip) + len(e.key) + 128) }

// Stamp is the cache's logical time when a response started to be built.
type Stamp struct {
	seq uint64
	at  time.Time
}

// maxBuild is how long a response may take to build and still be cached;
// invalidations older than that are forgotten.
const maxBuild = 30 * time.Second

// Cache is an LRU of entries bounded by their total size. Safe for
// concurrent use.
type Cache struct {
	max int64
	now func() time.Time

	mu      sync.Mutex
	size    int64
	lru     *list.List // of *Entry, most recent first
	byKey   map[string]*list.Element
	byTag   map[string]map[string]struct{} // tag → keys
	seq     uint64                         // logical clock, bumped by every invalidation
	touched map[string]invalidation        // tag → when it was last invalidated
	flushed uint64                         // seq of the last Flush

	hits, misses, refused atomic.Int64
	live                  atomic.Bool
}

type invalidation struct {
	seq uint64
	at  time.Time
}

// New returns a cache holding at most maxBytes of responses.
func New(maxBytes int64) *Cache {
	return &Cache{max: maxBytes, now: time.Now, lru: list.New(), byKey: map[string]*list.Element{},
		byTag: map[string]map[string]struct{}{}, touched: map[string]invalidation{}}
}

// SetLive turns the cache on or off (a nil cache stays off). It starts off: it may only answer
// while something invalidates it (the realtime hub listening to the event
// stream). Turning it off drops everything.
func (c *Cache) SetLive(on bool) {
	if c == nil {
		return
	}
	if !on {
		c.Flush()
	}
	c.live.Store(on)
}

// Live reports whether the cache answers.
func (c *Cache) Live() bool { return c != nil && c.live.Load() }

// Get returns the entry cached under key.
func (c *Cache) Get(key string) (*Entry, bool) {
	if !c.live.Load() {
		return nil, false
	}
	c.mu.Lock()
	el, ok := c.byKey[key]
	if ok {
		c.lru.MoveToFront(el)
	}
	c.mu.Unlock()
	if !ok {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	return el.Value.(*Entry), true
}

// Stamp returns the current logical time; take it before reading what the
// response will show.
func (c *Cache) Stamp() Stamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stamp{seq: c.seq, at: c.now()}
}

// Put caches e under key unless one of its tags was invalidated (or the
// cache flushed) since st, or it is larger than a quarter of the cache. It
// fills in the ETag and the gzip form, and reports whether e was stored.
func (c *Cache) Put(key string, st Stamp, e *Entry) bool {
	e.key = key
	e.ETag = etag(e.Body)
	if !c.live.Load() {
		return false
	}
	if len(e.Body) >= 512 {
		e.Gzip = compress(e.Body)
	}
	if e.size() > c.max/4 || c.now().Sub(st.at) > maxBuild {
		c.refused.Add(1)
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flushed > st.seq {
		c.refused.Add(1)
		return false
	}
	for _, t := range e.Tags {
		if inv, ok := c.touched[t]; ok && inv.seq > st.seq {
			c.refused.Add(1)
			return false
		}
	}
	if old, ok := c.byKey[key]; ok {
		c.remove(old)
	}
	c.byKey[key] = c.lru.PushFront(e)
	c.size += e.size()
	for _, t := range e.Tags {
		keys := c.byTag[t]
		if keys == nil {
			keys = map[string]struct{}{}
			c.byTag[t] = keys
		}
		keys[key] = struct{}{}
	}
	for c.size > c.max {
		c.remove(c.lru.Back())
	}
	return true
}

// Invalidate drops every entry carrying one of tags.
func (c *Cache) Invalidate(tags ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	now := c.now()
	for _, t := range tags {
		c.touched[t] = invalidation{seq: c.seq, at: now}
		for key := range c.byTag[t] {
			if el, ok := c.byKey[key]; ok {
				c.remove(el)
			}
		}
	}
	if len(c.touched) > 4096 {
		for t, inv := range c.touched {
			if now.Sub(inv.at) > maxBuild {
				delete(c.touched, t)
			}
		}
	}
}

// Flush drops everything, for changes whose reach is not known (a renamed
// author, a forum's visibility, a gap in the event stream).
func (c *Cache) Flush() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.flushed = c.seq
	c.lru.Init()
	c.byKey = map[string]*list.Element{}
	c.byTag = map[string]map[string]struct{}{}
	c.size = 0
}

func (c *Cache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*Entry)
	delete(c.byKey, e.key)
	c.size -= e.size()
	for _, t := range e.Tags {
		if keys := c.byTag[t]; keys != nil {
			delete(keys, e.key)
			if len(keys) == 0 {
				delete(c.byTag, t)
			}
		}
	}
}

// Stats are the cache's counters.
type Stats struct {
	Hits, Misses, Refused int64
	Entries               int
	Bytes                 int64
}

// Stats returns the counters so far.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	n, size := len(c.byKey), c.size
	c.mu.Unlock()
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Refused: c.refused.Load(), Entries: n, Bytes: size}
}

func etag(b []byte) string {
	h := fnv.New128a()
	h.Write(b)
	return `"` + base64.RawURLEncoding.EncodeToString(h.Sum(nil)) + `"`
}

func compress(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	if buf.Len() >= len(b) {
		return nil
	}
	return buf.Bytes()
}
