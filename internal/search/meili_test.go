package search

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/crn-dev/crn/internal/testenv"
)

// meiliTestClient connects to the Meilisearch that `make test` started.
func meiliTestClient(t testing.TB) meilisearch.ServiceManager {
	t.Helper()
	url := testenv.Get(t, testenv.MeiliURL)
	return meiliClientFor(t, url)
}

func meiliClientFor(t testing.TB, url string) meilisearch.ServiceManager {
	c := NewMeiliClient(url, os.Getenv(testenv.MeiliKey))
	t.Cleanup(c.Close)
	return c
}

// meiliTestPrefix is a fresh index-name prefix; its indexes are deleted
// when t ends.
func meiliTestPrefix(t testing.TB, c meilisearch.ServiceManager) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	prefix := "crntest_" + hex.EncodeToString(b[:]) + "_"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		m := &Meili{client: c}
		for _, uid := range []string{prefix + "docs", prefix + "docs_next"} {
			if err := m.dropIndex(ctx, uid); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	return prefix
}

// openTestMeili opens a Meili on a fresh prefix.
func openTestMeili(t testing.TB) *Meili {
	t.Helper()
	c := meiliTestClient(t)
	m, err := NewMeili(context.Background(), c, meiliTestPrefix(t, c))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var meiliEveryone = Access{Visibilities: []string{"public", "members", "staff"}, AllDeleted: true}

func meiliIDs(t testing.TB, ix Index, q Query) []string {
	t.Helper()
	res, err := ix.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids
}

func meiliDoc1(id, title, body string) Doc {
	return Doc{ID: id, Type: TypePost, Title: title, Body: body, Visibility: "public", CreatedAt: time.Unix(1_700_000_000, 0)}
}

// TestMeiliClientNoCompression: the client must not ask for compressed
// answers, which stall ~40 ms on kept-alive connections (meili_client.go).
func TestMeiliClientNoCompression(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Accept-Encoding"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"available"}`)
	}))
	defer srv.Close()
	c := NewMeiliClient(srv.URL, "key")
	defer c.Close()
	for range 2 {
		if _, err := c.HealthWithContext(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(got, []string{"", ""}) {
		t.Errorf("Accept-Encoding sent: %q", got)
	}
}

func TestMeiliContract(t *testing.T) {
	runContract(t, func(t *testing.T) Index { return openTestMeili(t) })
}

func TestMeiliQueryText(t *testing.T) {
	a, err := newMeiliAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	sep := string(meiliCJKSep)
	for _, tc := range []struct {
		in            string
		prefix        bool
		strict, loose string
		relax         bool
	}{
		{"Exporting customers", true, "export custom", "export custom", false},
		{"how to export the data", false, "export data ", "export data ", false},
		{"the", false, "the ", "the ", false}, // nothing but stop words
		{"  ", false, "", "", false},
		{`"data" -csv title:x (OR) \`, true, "data csv title:x", "data csv title:x", false}, // UAX 29 keeps title:x one word
		{"keyboard key", true, "keyboard key", "keyboard key", false},                       // the stem kei is no prefix of key
		{"keyboard key", false, "keyboard kei ", "keyboard kei ", false},
		{"data exporting", true, "data export", "data export", false},
		{"客户", true, `"客` + sep + `户"`, "客" + sep + "户", true},
		{"CRM客户 data 客户", true, `crm "客` + sep + `户" data`, "crm 客" + sep + "户 data", true},
		{"客 data", false, "客 data ", "客 data ", false},
		{"a\uE000b\uE001c\uE002d", true, "abcd", "abcd", false},
		{strings.Repeat("w1 w2 w3 w4 w5 w6 ", 3), true, "w1 w2 w3 w4 w5 w6", "w1 w2 w3 w4 w5 w6", false},
		{"a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11", true, "a1 a2 a3 a4 a5 a6 a7 a8 a9 a10", "a1 a2 a3 a4 a5 a6 a7 a8 a9 a10", false},
	} {
		q := a.query(tc.in, tc.prefix)
		s, l, r := q.strict, q.loose, q.relax
		if s != tc.strict || l != tc.loose || r != tc.relax {
			t.Errorf("query(%q, %v) = %q, %q, %v; want %q, %q, %v", tc.in, tc.prefix, s, l, r, tc.strict, tc.loose, tc.relax)
		}
	}
	if got := a.stems("Exporting the customers' data, 客户 exported", "data"); got != "export custom data" {
		t.Errorf("stems = %q", got)
	}
}

func TestMeiliIndexText(t *testing.T) {
	a, err := newMeiliAnalyzer()
	if err != nil {
		t.Fatal(err)
	}
	sep := string(meiliCJKSep)
	got := meiliIndexText("CRM客户 の管理\uE000x\uE001 데이터")
	want := "CRM客" + sep + "户 の" + sep + "管" + sep + "理x 데이터"
	if got != want {
		t.Errorf("meiliIndexText = %q, want %q", got, want)
	}
	for _, tc := range []struct {
		text, query string
		prefix      bool
		want        string
	}{
		{"<a>客" + sep + "户 & Exporting", "客户 export", false, "&lt;a&gt;<mark>客户</mark> &amp; <mark>Exporting</mark>"},
		{"户" + sep + "客 客" + sep + "人", "客户", false, "<mark>户客</mark> <mark>客</mark>人"},  // the run is nowhere: its characters
		{"export exports expert", "exprot", false, "<mark>export</mark> exports expert"}, // one typo (a swap) of the typed word
		{"keyboard keys", "key", true, "<mark>keyboard</mark> <mark>keys</mark>"},
		{"the export", "the", false, "<mark>the</mark> export"},
	} {
		q := a.query(tc.query, tc.prefix)
		if s := a.highlight(tc.text, &q, 0); s != tc.want {
			t.Errorf("highlight(%q, %q) = %q, want %q", tc.text, tc.query, s, tc.want)
		}
	}
}

func TestMeiliFilter(t *testing.T) {
	q := Query{
		Types:    []string{"post"},
		ForumIDs: []int{3, 4},
		AuthorID: 7,
		Tags:     []string{`x" OR visibility = "members`, `a\`, `(b) OR [c]`},
		Statuses: []string{"open"},
		From:     time.Unix(100, 500),
		To:       time.Unix(200, 0),
		Access:   Access{Visibilities: []string{"public"}, DeletedInForums: []int{3}},
	}
	got, ok := meiliFilter(q)
	want := `visibility IN ["public"] AND (deleted = false OR forum_id IN [3]) AND type IN ["post"] AND forum_id IN [3, 4] AND author_id = 7` +
		` AND tags IN ["x\" OR visibility = \"members", "a\\", "(b) OR [c]"] AND status IN ["open"] AND created_at_ts >= 100 AND created_at_ts <= 200`
	if !ok || got != want {
		t.Errorf("meiliFilter =\n%s\nwant\n%s", got, want)
	}
	if _, ok := meiliFilter(Query{}); ok {
		t.Error("no visibilities must allow nothing")
	}
}

func TestMeiliSettingsIdempotent(t *testing.T) {
	ctx := context.Background()
	c := meiliTestClient(t)
	prefix := meiliTestPrefix(t, c)
	m1, err := NewMeili(ctx, c, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := m1.Upsert(ctx, meiliDoc1("post-1", "kept", "across restarts")); err != nil {
		t.Fatal(err)
	}
	m2, err := NewMeili(ctx, c, prefix)
	if err != nil {
		t.Fatalf("second NewMeili: %v", err)
	}
	if ids := meiliIDs(t, m2, Query{Text: "restarts", Access: meiliEveryone}); !slices.Equal(ids, []string{"post-1"}) {
		t.Errorf("after reopening: %v", ids)
	}
	s, err := c.Index(prefix + "docs").GetSettingsWithContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := meiliSettings()
	if !slices.Equal(s.SearchableAttributes, want.SearchableAttributes) ||
		!slices.Equal(s.RankingRules, want.RankingRules) ||
		!slices.Equal(s.SeparatorTokens, want.SeparatorTokens) ||
		s.Pagination == nil || s.Pagination.MaxTotalHits != 10000 ||
		s.Faceting == nil || s.Faceting.MaxValuesPerFacet != 100 {
		t.Errorf("settings not applied: %+v", s)
	}
	slices.Sort(s.FilterableAttributes)
	f := slices.Clone(want.FilterableAttributes)
	slices.Sort(f)
	if !slices.Equal(s.FilterableAttributes, f) {
		t.Errorf("filterable = %v, want %v", s.FilterableAttributes, f)
	}
}

// TestMeiliFilterInjection: values are data, never filter syntax.
func TestMeiliFilterInjection(t *testing.T) {
	ctx := context.Background()
	m := openTestMeili(t)
	weird := []string{
		`x" OR visibility = "members`,
		`x\" OR visibility = \"members`,
		`x\`, `\`, `"`, `""`, `) OR (visibility = "members"`, `] OR tags IN ["secret`,
		"line\nbreak", `NOT x`, `x' OR '1'='1`,
	}
	secret := meiliDoc1("post-1", "secret", "members only")
	secret.Visibility, secret.Tags, secret.Status = "members", []string{"secret"}, "open"
	odd := meiliDoc1("post-2", "odd", "public with odd tags")
	odd.Tags, odd.Status = weird, `we"ird\ (status) OR x`
	if err := m.Upsert(ctx, secret, odd); err != nil {
		t.Fatal(err)
	}
	guest := Access{Visibilities: []string{"public"}}
	for _, v := range []string{`x" OR visibility = "members`, `nothing") OR (visibility = "members`, `\`, `x\" OR "1"="1`} {
		for _, q := range []Query{
			{Tags: []string{v}, Access: guest},
			{Statuses: []string{v}, Access: guest},
			{Types: []string{v}, Access: guest},
			{Access: Access{Visibilities: []string{v}}},
		} {
			if ids := meiliIDs(t, m, q); slices.Contains(ids, "post-1") {
				t.Errorf("%+v leaked the members-only document", q)
			}
		}
	}
	// The odd values themselves match exactly.
	for _, v := range weird {
		if ids := meiliIDs(t, m, Query{Tags: []string{v}, Access: guest}); !slices.Equal(ids, []string{"post-2"}) {
			t.Errorf("tag %q: %v, want [post-2]", v, ids)
		}
	}
	if ids := meiliIDs(t, m, Query{Statuses: []string{odd.Status}, Access: guest}); !slices.Equal(ids, []string{"post-2"}) {
		t.Errorf("status %q: %v", odd.Status, ids)
	}
}

func TestMeiliChinese(t *testing.T) {
	ctx := context.Background()
	m := openTestMeili(t)
	docs := []Doc{
		meiliDoc1("post-1", "CRM", "客户关系管理"),
		meiliDoc1("post-2", "系统", "我们的客户关系管理系统很好用"),
		meiliDoc1("post-3", "数据库", "关系型数据库管理"),
		meiliDoc1("post-4", "用户", "客人和用户"),
		meiliDoc1("post-5", "Mixed", "CRM 客户关系管理 software for teams"),
		meiliDoc1("post-6", "markers", "text with \uE000fake\uE001 markers and <b> tags & 客户"),
	}
	if err := m.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q        string
		want     []string // must be found
		wantNone []string // must not be found
	}{
		{"客户", []string{"post-1", "post-2", "post-5", "post-6"}, []string{"post-3", "post-4"}},
		{"客户关系", []string{"post-1", "post-2", "post-5"}, []string{"post-3", "post-4"}},
		{"管理客户关系", []string{"post-1", "post-2", "post-5"}, nil},             // words in another order
		{"户关系", []string{"post-1", "post-2", "post-5"}, []string{"post-3"}}, // across jieba's word boundary
		{"系管", []string{"post-1", "post-2", "post-5"}, nil},
		{"CRM 客户", []string{"post-1", "post-5"}, []string{"post-2", "post-4"}},
		{"crm客户", []string{"post-1", "post-5"}, []string{"post-2"}},
		{"softwear", []string{"post-5"}, nil}, // a typo
		{"客户 softwar", []string{"post-5"}, []string{"post-1"}},
	} {
		ids := meiliIDs(t, m, Query{Text: tc.q, Access: meiliEveryone, Prefix: true})
		for _, id := range tc.want {
			if !slices.Contains(ids, id) {
				t.Errorf("%q: %v lacks %s", tc.q, ids, id)
			}
		}
		for _, id := range tc.wantNone {
			if slices.Contains(ids, id) {
				t.Errorf("%q: %v has %s", tc.q, ids, id)
			}
		}
	}
	// The exact phrase ranks first when the words are reordered.
	if ids := meiliIDs(t, m, Query{Text: "管理客户关系", Access: meiliEveryone}); len(ids) == 0 || ids[0] == "post-3" {
		t.Errorf("管理客户关系: %v", ids)
	}

	res, err := m.Search(ctx, Query{Text: "客户 tags", Access: meiliEveryone})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 1 {
		t.Fatalf("客户 tags: %+v", res.Hits)
	}
	body := res.Hits[0].Highlights["body"]
	if want := "text with fake markers and &lt;b&gt; <mark>tags</mark> &amp; <mark>客户</mark>"; body != want {
		t.Errorf("snippet = %q, want %q", body, want)
	}
}

func TestMeiliPrefixAndFacets(t *testing.T) {
	ctx := context.Background()
	m := openTestMeili(t)
	a := meiliDoc1("post-1", "Keyboard shortcuts", "press control")
	a.ForumID, a.Tags = 3, []string{"ui", "help"}
	b := meiliDoc1("topic-2", "Keys", "lost keys")
	b.Type, b.ForumID, b.Tags = TypeTopic, 4, []string{"help"}
	if err := m.Upsert(ctx, a, b); err != nil {
		t.Fatal(err)
	}
	if ids := meiliIDs(t, m, Query{Text: "keyboa", Prefix: true, Access: meiliEveryone}); !slices.Equal(ids, []string{"post-1"}) {
		t.Errorf("prefix: %v", ids)
	}
	if ids := meiliIDs(t, m, Query{Text: "keyboa", Access: meiliEveryone}); len(ids) != 0 {
		t.Errorf("no prefix: %v", ids)
	}
	res, err := m.Search(ctx, Query{Text: "key", Prefix: true, Facets: true, Access: meiliEveryone})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]int{
		"type":     {"post": 1, "topic": 1},
		"forum_id": {"3": 1, "4": 1},
		"tags":     {"ui": 1, "help": 2},
	}
	if fmt.Sprint(res.Facets) != fmt.Sprint(want) || res.EstimatedTotal != 2 {
		t.Errorf("facets = %v (total %d), want %v", res.Facets, res.EstimatedTotal, want)
	}
}

func TestMeiliRebuild(t *testing.T) {
	ctx := context.Background()
	c := meiliTestClient(t)
	prefix := meiliTestPrefix(t, c)
	m, err := NewMeili(ctx, c, prefix)
	if err != nil {
		t.Fatal(err)
	}
	// A stale docs_next, as a crashed rebuild leaves it.
	if _, err := m.client.Index(prefix+"docs_next").AddDocumentsWithContext(ctx, []meiliDoc{m.text.doc(&Doc{ID: "post-9", Title: "stale"})}, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Upsert(ctx, meiliDoc1("post-1", "old", "generation")); err != nil {
		t.Fatal(err)
	}
	all := func() []string {
		ids := meiliIDs(t, m, Query{Access: meiliEveryone, Sort: SortNewest})
		slices.Sort(ids)
		return ids
	}

	bl, err := m.Rebuild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Rebuild(ctx); err == nil {
		t.Error("a second rebuild started while one is in progress")
	}
	if err := bl.Upsert(ctx, meiliDoc1("post-2", "new", "generation")); err != nil {
		t.Fatal(err)
	}
	// Writes to the live index during the rebuild reach both.
	if err := m.Upsert(ctx, meiliDoc1("post-3", "during", "rebuild")); err != nil {
		t.Fatal(err)
	}
	if got := all(); !slices.Equal(got, []string{"post-1", "post-3"}) {
		t.Errorf("before commit: %v", got)
	}
	if err := bl.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := all(); !slices.Equal(got, []string{"post-2", "post-3"}) {
		t.Errorf("after commit: %v", got)
	}
	if err := bl.Commit(ctx); err == nil {
		t.Error("second commit succeeded")
	}
	if err := bl.Abort(ctx); err != nil {
		t.Errorf("abort after commit: %v", err)
	}
	if _, err := c.GetIndexWithContext(ctx, prefix+"docs_next"); meiliCode(err) != "index_not_found" {
		t.Errorf("old generation not dropped: %v", err)
	}
	// Settings survive the swap: filters and sorting still work.
	if ids := meiliIDs(t, m, Query{Text: "generation", Types: []string{TypePost}, Access: meiliEveryone, Sort: SortNewest}); !slices.Equal(ids, []string{"post-2"}) {
		t.Errorf("search after swap: %v", ids)
	}

	bl, err = m.Rebuild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := bl.Upsert(ctx, meiliDoc1("post-4", "aborted", "generation")); err != nil {
		t.Fatal(err)
	}
	if err := bl.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if got := all(); !slices.Equal(got, []string{"post-2", "post-3"}) {
		t.Errorf("after abort: %v", got)
	}
	if err := bl.Upsert(ctx, meiliDoc1("post-5", "x", "y")); err == nil {
		t.Error("upsert after abort succeeded")
	}
}

// TestMeiliDown: with Meilisearch unreachable, writes fail at once with an
// error (connection refused) instead of hanging, so the outbox retries; a
// node starts anyway and catches up once Meilisearch is back.
func TestMeiliDown(t *testing.T) {
	ctx := context.Background()
	url := testenv.Get(t, testenv.MeiliURL)
	p := newMeiliTestProxy(t, strings.TrimPrefix(url, "http://"))
	c := meiliClientFor(t, "http://"+p.addr())
	m, err := NewMeili(ctx, c, meiliTestPrefix(t, meiliTestClient(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Upsert(ctx, meiliDoc1("post-1", "up", "and running")); err != nil {
		t.Fatal(err)
	}
	p.close()

	checkDown := func(m *Meili) {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		for name, op := range map[string]func() error{
			"upsert":  func() error { return m.Upsert(ctx, meiliDoc1("post-2", "x", "y")) },
			"delete":  func() error { return m.Delete(ctx, "post-1") },
			"search":  func() error { _, err := m.Search(ctx, Query{Text: "x", Access: meiliEveryone}); return err },
			"ping":    func() error { return m.Ping(ctx) },
			"rebuild": func() error { _, err := m.Rebuild(ctx); return err },
		} {
			err := op()
			if err == nil {
				t.Errorf("%s with Meilisearch down: no error", name)
				continue
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s waited for its deadline instead of failing: %v", name, err)
			}
		}
	}
	checkDown(m)

	// A node that starts while Meilisearch is down.
	m2, err := NewMeili(ctx, c, meiliTestPrefix(t, meiliTestClient(t)))
	if err != nil {
		t.Fatalf("NewMeili with Meilisearch down: %v", err)
	}
	checkDown(m2)
	p.reopen(t)
	if ids := meiliIDs(t, m2, Query{Access: meiliEveryone}); len(ids) != 0 {
		t.Errorf("before the first write: %v", ids)
	}
	if err := m2.Upsert(ctx, meiliDoc1("post-3", "back", "again")); err != nil {
		t.Fatalf("upsert once Meilisearch is back: %v", err)
	}
	if ids := meiliIDs(t, m2, Query{Text: "back", Types: []string{TypePost}, Access: meiliEveryone}); !slices.Equal(ids, []string{"post-3"}) {
		t.Errorf("after coming back: %v", ids)
	}
}

// meiliTestProxy forwards TCP connections to Meilisearch until closed, so
// a test can take "Meilisearch" down.
type meiliTestProxy struct {
	target string
	ln     net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newMeiliTestProxy(t *testing.T, target string) *meiliTestProxy {
	p := &meiliTestProxy{target: target}
	p.listen(t, "127.0.0.1:0")
	t.Cleanup(p.close)
	return p
}

func (p *meiliTestProxy) listen(t *testing.T, addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p.ln = ln
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", p.target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); _, _ = io.Copy(out, in); out.Close() }()
			go func() { defer p.wg.Done(); _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
}

// reopen listens again on the same address: Meilisearch is back.
func (p *meiliTestProxy) reopen(t *testing.T) { p.listen(t, p.addr()) }

func (p *meiliTestProxy) addr() string { return p.ln.Addr().String() }

// close stops listening (so new connections are refused) and cuts the
// open ones.
func (p *meiliTestProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}
