package search

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The Index contract, beyond the comments on the interface, that every
// backend must meet and runContract checks:
//
//   - Upsert and Delete return only once the write is visible to Search.
//     A backend with asynchronous indexing waits for its task to finish
//     (Meilisearch: wait for the task) before returning.
//   - Builder.Commit returns only once the new generation is live; until
//     then Search sees the old one, and Abort leaves it untouched.
//   - Search never fails on the content of Text: it is words to look for,
//     never a query language.
//   - Access is enforced inside the engine, so totals and facets count only
//     what the caller may see. No visibilities means nothing is visible.
//   - Highlights are safe HTML: the document's text escaped, matches wrapped
//     in <mark>…</mark>, nothing else.
//   - Chinese text is found by any contiguous part of two characters or
//     more, and by its parts in another order; English words by their stem.

// runContract runs the Index contract against a backend. open returns a
// fresh, empty index for one subtest and arranges its cleanup.
func runContract(t *testing.T, open func(t *testing.T) Index) {
	t.Run("UpsertThenFound", func(t *testing.T) {
		ix := open(t)
		mustUpsert(t, ix, contractFixture()["topic-1"])
		res := mustSearch(t, ix, Query{Text: "customer", Access: accessGuest})
		wantIDs(t, res, "topic-1")
		if res.Hits[0].Type != TypeTopic {
			t.Errorf("hit type = %q, want %q", res.Hits[0].Type, TypeTopic)
		}
	})

	t.Run("UpsertReplaces", func(t *testing.T) {
		ix := open(t)
		d := contractFixture()["topic-1"]
		d.Body = "alpha version of the text"
		mustUpsert(t, ix, d)
		d.Body = "bravo version of the text"
		mustUpsert(t, ix, d)
		wantIDs(t, mustSearch(t, ix, Query{Text: "alpha", Access: accessGuest}))
		wantIDs(t, mustSearch(t, ix, Query{Text: "bravo", Access: accessGuest}), "topic-1")
		if res := mustSearch(t, ix, Query{Access: accessGuest}); res.EstimatedTotal != 1 {
			t.Errorf("total after re-upsert = %d, want 1", res.EstimatedTotal)
		}
	})

	t.Run("DeleteRemoves", func(t *testing.T) {
		ix := open(t)
		f := contractFixture()
		mustUpsert(t, ix, f["topic-1"], f["post-2"])
		if err := ix.Delete(context.Background(), "topic-1", "post-999"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		wantIDs(t, mustSearch(t, ix, Query{Text: "export", Access: accessGuest}), "post-2")
	})

	t.Run("Chinese", func(t *testing.T) {
		ix := openContractFixture(t, open)
		for _, tc := range []struct {
			text string
			want []string
		}{
			{"客户", []string{"topic-3", "post-4"}}, // a word inside 客户关系管理
			{"管理客户关系", []string{"topic-3"}},       // the same words in another order
			{"关系管理", []string{"topic-3"}},         // a later part
			{"CRM 客户", []string{"post-4"}},        // mixed Chinese and English
			{"crm客户迁移", []string{"post-4"}},       // mixed, no space
			{"ＣＲＭ客户", []string{"post-4"}},         // full-width letters, as a Chinese IME types them
			{"退款", nil},                           // absent
		} {
			res := mustSearch(t, ix, Query{Text: tc.text, Access: accessGuest})
			if tc.want == nil {
				wantIDs(t, res)
				continue
			}
			wantContains(t, tc.text, res, tc.want...)
		}
	})

	t.Run("EnglishStem", func(t *testing.T) {
		ix := openContractFixture(t, open)
		// topic-1 says "export", never "exporting" nor "exported".
		wantContains(t, "exporting", mustSearch(t, ix, Query{Text: "exporting", Access: accessGuest}), "topic-1")
		wantContains(t, "exported", mustSearch(t, ix, Query{Text: "Exported", Access: accessGuest}), "topic-1")
		wantContains(t, "customers", mustSearch(t, ix, Query{Text: "customers", Access: accessGuest}), "topic-1")
	})

	// Both backends find English words of five letters or more despite one
	// typo (exprot finds export).
	t.Run("Typo", func(t *testing.T) {
		ix := openContractFixture(t, open)
		wantContains(t, "exprot", mustSearch(t, ix, Query{Text: "exprot", Access: accessGuest}), "topic-1")
		wantContains(t, "custmer", mustSearch(t, ix, Query{Text: "custmer", Access: accessGuest}), "topic-1")
	})

	t.Run("Filters", func(t *testing.T) {
		ix := openContractFixture(t, open)
		for _, tc := range []struct {
			name string
			q    Query
			want []string
		}{
			{"Type", Query{Types: []string{TypePost}}, []string{"post-2", "post-4"}},
			{"Types", Query{Types: []string{TypeTopic, TypeUser}}, []string{"topic-1", "topic-3", "user-1"}},
			{"Forum", Query{ForumIDs: []int{4}}, []string{"topic-3", "post-4"}},
			{"Forums", Query{ForumIDs: []int{3, 4}}, []string{"topic-1", "post-2", "topic-3", "post-4"}},
			{"Group", Query{GroupIDs: []int{7}, Access: accessAdmin}, []string{"post-8"}},
			{"Author", Query{AuthorID: 1}, []string{"topic-1", "post-4"}},
			{"TagsAny", Query{Tags: []string{"csv", "migration"}}, []string{"topic-1", "post-4"}},
			{"Status", Query{Statuses: []string{"planned"}}, []string{"topic-3"}},
			{"FromTo", Query{From: fixtureTime.Add(time.Hour), To: fixtureTime.Add(3 * time.Hour)}, []string{"post-2", "topic-3", "post-4"}},
			{"From", Query{From: fixtureTime.Add(3 * time.Hour)}, []string{"post-4"}},
			{"To", Query{To: fixtureTime}, []string{"topic-1", "user-1"}},
			{"TextAndFilter", Query{Text: "export", Types: []string{TypePost}}, []string{"post-2"}},
			{"Combined", Query{Types: []string{TypeTopic}, ForumIDs: []int{3, 4}, Tags: []string{"crm"}}, []string{"topic-3"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				q := tc.q
				if q.Access.Visibilities == nil {
					q.Access = accessGuest
				}
				wantIDs(t, mustSearch(t, ix, q), tc.want...)
			})
		}
	})

	t.Run("Access", func(t *testing.T) {
		ix := openContractFixture(t, open)
		all := []string{"topic-1", "post-2", "topic-3", "post-4", "topic-5", "post-6", "post-7", "post-8", "user-1"}
		for _, tc := range []struct {
			name   string
			access Access
			want   []string
		}{
			{"Guest", accessGuest, []string{"topic-1", "post-2", "topic-3", "post-4", "user-1"}},
			{"Member", accessMember, []string{"topic-1", "post-2", "topic-3", "post-4", "topic-5", "user-1"}},
			{"GroupMember", Access{Visibilities: []string{"public", "members", "group:7"}}, []string{"topic-1", "post-2", "topic-3", "post-4", "topic-5", "post-8", "user-1"}},
			{"ModeratorOfForum3", accessModerator3, []string{"topic-1", "post-2", "topic-3", "post-4", "topic-5", "post-6", "user-1"}},
			{"Admin", accessAdmin, all},
			{"AdminOfEveryGroup", Access{Visibilities: []string{"public", "members", "staff"}, AllDeleted: true, AllGroups: true}, all},
			{"MemberOfAnotherGroup", Access{Visibilities: []string{"public", "members", "group:8"}}, []string{"topic-1", "post-2", "topic-3", "post-4", "topic-5", "user-1"}},
			{"Nobody", Access{}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantIDs(t, mustSearch(t, ix, Query{Access: tc.access, Limit: 100}), tc.want...)
				// The same with text: "export" is in every document
				// but topic-3 and post-4.
				var withText []string
				for _, id := range tc.want {
					if id != "topic-3" && id != "post-4" {
						withText = append(withText, id)
					}
				}
				wantIDs(t, mustSearch(t, ix, Query{Text: "export", Access: tc.access, Limit: 100}), withText...)
			})
		}
	})

	t.Run("Facets", func(t *testing.T) {
		ix := openContractFixture(t, open)
		res := mustSearch(t, ix, Query{Access: accessGuest, Facets: true})
		wantFacets(t, "accessGuest", res.Facets, map[string]map[string]int{
			"type":     {TypeTopic: 2, TypePost: 2, TypeUser: 1},
			"forum_id": {"3": 2, "4": 2},
			"tags":     {"export": 2, "csv": 1, "crm": 2, "migration": 1},
		})
		res = mustSearch(t, ix, Query{Text: "export", Access: accessModerator3, Facets: true})
		wantFacets(t, "moderator export", res.Facets, map[string]map[string]int{
			"type":     {TypeTopic: 2, TypePost: 2, TypeUser: 1},
			"forum_id": {"3": 3, "5": 1},
			"tags":     {"export": 3, "csv": 1, "roadmap": 1},
		})
		if res := mustSearch(t, ix, Query{Access: accessGuest}); res.Facets != nil {
			t.Errorf("facets not asked for, got %v", res.Facets)
		}
	})

	t.Run("Sorts", func(t *testing.T) {
		ix := openContractFixture(t, open)
		wantOrder(t, mustSearch(t, ix, Query{Sort: SortNewest, Access: accessGuest}),
			"post-4", "topic-3", "post-2", "topic-1", "user-1")
		wantOrder(t, mustSearch(t, ix, Query{Sort: SortVotes, Access: accessGuest}),
			"topic-3", "topic-1", "post-4", "post-2", "user-1")
		wantOrder(t, mustSearch(t, ix, Query{Text: "export", Sort: SortNewest, Access: accessGuest}),
			"post-2", "topic-1", "user-1")
		// Relevance without text is newest first; equal scores too.
		wantOrder(t, mustSearch(t, ix, Query{Access: accessGuest}),
			"post-4", "topic-3", "post-2", "topic-1", "user-1")
		twin := Doc{ID: "post-90", Type: TypePost, Title: "Walrus", Body: "walrus", Visibility: "public", CreatedAt: fixtureTime}
		twin2 := twin
		twin2.ID, twin2.CreatedAt = "post-91", fixtureTime.Add(time.Minute)
		mustUpsert(t, ix, twin, twin2)
		wantOrder(t, mustSearch(t, ix, Query{Text: "walrus", Access: accessGuest}), "post-91", "post-90")
	})

	t.Run("Paging", func(t *testing.T) {
		ix := openContractFixture(t, open)
		seen := map[string]bool{}
		for offset := 0; offset < 9; offset += 4 {
			res := mustSearch(t, ix, Query{Sort: SortNewest, Limit: 4, Offset: offset, Access: accessAdmin})
			if res.EstimatedTotal != 9 {
				t.Errorf("offset %d: total = %d, want 9", offset, res.EstimatedTotal)
			}
			if want := min(4, 9-offset); len(res.Hits) != want {
				t.Errorf("offset %d: %d hits, want %d", offset, len(res.Hits), want)
			}
			for _, h := range res.Hits {
				if seen[h.ID] {
					t.Errorf("offset %d: %s was on an earlier page", offset, h.ID)
				}
				seen[h.ID] = true
			}
		}
		if len(seen) != 9 {
			t.Errorf("pages held %d documents, want 9", len(seen))
		}
		if res := mustSearch(t, ix, Query{Limit: 2, Offset: 100, Access: accessAdmin}); len(res.Hits) != 0 {
			t.Errorf("past the end: %d hits", len(res.Hits))
		}
	})

	t.Run("Highlights", func(t *testing.T) {
		ix := open(t)
		mustUpsert(t, ix, Doc{
			ID: "post-66", Type: TypePost, Visibility: "public", CreatedAt: fixtureTime,
			Title: `Export <b>now</b> & "later"`,
			Body:  `Click <script>alert(1)</script> then export the file & it's done.`,
		}, contractFixture()["topic-3"])
		res := mustSearch(t, ix, Query{Text: "export", Access: accessGuest})
		wantIDs(t, res, "post-66")
		for _, field := range []string{"title", "body"} {
			h := res.Hits[0].Highlights[field]
			if !strings.Contains(h, "<mark>") {
				t.Errorf("%s highlight %q has no <mark>", field, h)
			}
			wantSafeHTML(t, field, h)
		}
		if h := res.Hits[0].Highlights["body"]; !strings.Contains(h, "&lt;script&gt;") {
			t.Errorf("body highlight %q does not show the escaped <script>", h)
		}

		res = mustSearch(t, ix, Query{Text: "客户", Access: accessGuest})
		wantIDs(t, res, "topic-3")
		h := res.Hits[0].Highlights["title"]
		wantSafeHTML(t, "title", h)
		if marked := markedParts(h); !slices.ContainsFunc(marked, func(s string) bool { return strings.Contains(s, "客") }) {
			t.Errorf("title highlight %q does not mark 客户", h)
		}
	})

	t.Run("Prefix", func(t *testing.T) {
		ix := openContractFixture(t, open)
		wantContains(t, "expo", mustSearch(t, ix, Query{Text: "expo", Prefix: true, Access: accessGuest}), "topic-1", "post-2")
		wantContains(t, "how to expo", mustSearch(t, ix, Query{Text: "how to expo", Prefix: true, Access: accessGuest}), "topic-1")
		res := mustSearch(t, ix, Query{Text: "ali", Prefix: true, Types: []string{TypeUser}, Access: accessGuest})
		wantIDs(t, res, "user-1")
	})

	t.Run("Rebuild", func(t *testing.T) {
		ix := openContractFixture(t, open)
		ctx := context.Background()
		b, err := ix.Rebuild(ctx)
		if err != nil {
			t.Fatalf("Rebuild: %v", err)
		}
		fresh := []Doc{
			{ID: "topic-101", Type: TypeTopic, Title: "Zebra crossing", Body: "Striped animals", Visibility: "public", CreatedAt: fixtureTime},
			{ID: "topic-102", Type: TypeTopic, Title: "斑马线", Body: "条纹动物", Visibility: "public", CreatedAt: fixtureTime},
		}
		if err := b.Upsert(ctx, fresh...); err != nil {
			t.Fatalf("builder Upsert: %v", err)
		}
		wantIDs(t, mustSearch(t, ix, Query{Text: "zebra", Access: accessGuest}))
		wantContains(t, "export before commit", mustSearch(t, ix, Query{Text: "export", Access: accessGuest}), "topic-1")
		if err := b.Commit(ctx); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		wantIDs(t, mustSearch(t, ix, Query{Text: "zebra", Access: accessGuest}), "topic-101")
		wantIDs(t, mustSearch(t, ix, Query{Text: "斑马", Access: accessGuest}), "topic-102")
		wantIDs(t, mustSearch(t, ix, Query{Text: "export", Access: accessGuest}))
		wantIDs(t, mustSearch(t, ix, Query{Access: accessAdmin}), "topic-101", "topic-102")

		// The new generation takes writes like the old one did.
		mustUpsert(t, ix, contractFixture()["topic-1"])
		wantIDs(t, mustSearch(t, ix, Query{Text: "export", Access: accessGuest}), "topic-1")
	})

	t.Run("RebuildAbort", func(t *testing.T) {
		ix := openContractFixture(t, open)
		ctx := context.Background()
		b, err := ix.Rebuild(ctx)
		if err != nil {
			t.Fatalf("Rebuild: %v", err)
		}
		if err := b.Upsert(ctx, Doc{ID: "topic-101", Type: TypeTopic, Title: "Zebra crossing", Visibility: "public", CreatedAt: fixtureTime}); err != nil {
			t.Fatalf("builder Upsert: %v", err)
		}
		if err := b.Abort(ctx); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		wantIDs(t, mustSearch(t, ix, Query{Text: "zebra", Access: accessGuest}))
		if res := mustSearch(t, ix, Query{Access: accessAdmin}); res.EstimatedTotal != 9 {
			t.Errorf("after Abort: total = %d, want 9", res.EstimatedTotal)
		}
		// A later rebuild still works.
		b, err = ix.Rebuild(ctx)
		if err != nil {
			t.Fatalf("second Rebuild: %v", err)
		}
		if err := b.Commit(ctx); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		wantIDs(t, mustSearch(t, ix, Query{Access: accessAdmin}))
	})

	t.Run("EmptyTextWithFilters", func(t *testing.T) {
		ix := openContractFixture(t, open)
		wantIDs(t, mustSearch(t, ix, Query{Types: []string{TypeTopic}, Access: accessGuest}), "topic-1", "topic-3")
		wantIDs(t, mustSearch(t, ix, Query{Text: "   ", Types: []string{TypeTopic}, Access: accessGuest}), "topic-1", "topic-3")
	})

	t.Run("TextIsNeverSyntax", func(t *testing.T) {
		ix := openContractFixture(t, open)
		for _, text := range []string{
			`" OR 1=1 (`, `title:export AND -csv`, `export*`, `exp?rt~2`, `+export -"data"`,
			`\`, `*`, `(((`, `"`, `'; DROP TABLE posts; --`, `<script>alert(1)</script>`,
			`{"query": "x"}`, `/export/`, `type = "topic"`, strings.Repeat("客户 export ", 60),
			strings.Repeat("客户关系管理", 300), strings.Repeat("word ", 2000),
			"\x00\xff\xfe", "😀", "　", // an emoji and an ideographic space
		} {
			for _, prefix := range []bool{false, true} {
				res, err := ix.Search(context.Background(), Query{Text: text, Prefix: prefix, Access: accessGuest, Facets: true})
				if err != nil {
					t.Errorf("Search(%q, prefix=%v): %v", text, prefix, err)
					continue
				}
				for _, h := range res.Hits {
					for field, s := range h.Highlights {
						wantSafeHTML(t, field, s)
					}
				}
			}
		}
		wantContains(t, "export*", mustSearch(t, ix, Query{Text: "export*", Access: accessGuest}), "topic-1")
	})

	t.Run("Ping", func(t *testing.T) {
		ix := open(t)
		if err := ix.Ping(context.Background()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}

// Access levels of the fixture.
var (
	accessGuest      = Access{Visibilities: []string{"public"}}
	accessMember     = Access{Visibilities: []string{"public", "members"}}
	accessModerator3 = Access{Visibilities: []string{"public", "members"}, DeletedInForums: []int{3}}
	accessAdmin      = Access{Visibilities: []string{"public", "members", "staff", "group:7"}, AllDeleted: true}
)

var fixtureTime = time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)

// fixture returns documents of every kind, access level and language.
func contractFixture() map[string]Doc {
	docs := []Doc{
		{ID: "topic-1", Type: TypeTopic, Title: "How to export customer data", Body: "You can export all records as CSV from the admin panel.",
			Username: "alice", AuthorID: 1, ForumID: 3, TopicID: 1, Tags: []string{"export", "csv"}, Status: "open",
			Visibility: "public", Votes: 5, CreatedAt: fixtureTime},
		{ID: "post-2", Type: TypePost, Title: "How to export customer data", Body: "Exporting works for me, but the file is large.",
			Username: "bob", AuthorID: 2, ForumID: 3, TopicID: 1, Tags: []string{"export"},
			Visibility: "public", Votes: 1, CreatedAt: fixtureTime.Add(time.Hour)},
		{ID: "topic-3", Type: TypeTopic, Title: "客户关系管理入门", Body: "本文介绍客户关系管理系统的基本概念和常见问题。",
			Username: "li", AuthorID: 3, ForumID: 4, TopicID: 3, Tags: []string{"crm"}, Status: "planned",
			Visibility: "public", Votes: 9, CreatedAt: fixtureTime.Add(2 * time.Hour)},
		{ID: "post-4", Type: TypePost, Title: "CRM 客户 migration", Body: "We moved our CRM客户 list to the new system: 迁移完成。",
			Username: "alice", AuthorID: 1, ForumID: 4, TopicID: 4, Tags: []string{"crm", "migration"},
			Visibility: "public", Votes: 3, CreatedAt: fixtureTime.Add(3 * time.Hour)},
		{ID: "topic-5", Type: TypeTopic, Title: "Members roadmap", Body: "Plans to export dashboards next quarter.",
			Username: "carol", AuthorID: 4, ForumID: 5, TopicID: 5, Tags: []string{"roadmap"},
			Visibility: "members", Votes: 2, CreatedAt: fixtureTime.Add(4 * time.Hour)},
		{ID: "post-6", Type: TypePost, Title: "How to export customer data", Body: "Spam about export, hidden by a moderator.",
			Username: "mallory", AuthorID: 5, ForumID: 3, TopicID: 1, Tags: []string{"export"},
			Visibility: "public", Deleted: true, CreatedAt: fixtureTime.Add(5 * time.Hour)},
		{ID: "post-7", Type: TypePost, Title: "CRM 客户 migration", Body: "Removed reply about export.",
			Username: "mallory", AuthorID: 5, ForumID: 4, TopicID: 4,
			Visibility: "public", Deleted: true, CreatedAt: fixtureTime.Add(6 * time.Hour)},
		{ID: "post-8", Type: TypePost, Title: "Group plans", Body: "The export schedule of our group.",
			Username: "bob", AuthorID: 2, GroupID: 7, TopicID: 8,
			Visibility: "group:7", Votes: 4, CreatedAt: fixtureTime.Add(7 * time.Hour)},
		{ID: "user-1", Type: TypeUser, Title: "Alice Example", Body: "Support engineer who likes export tools.",
			Username: "alice", Visibility: "public", CreatedAt: fixtureTime.Add(-24 * time.Hour)},
	}
	m := make(map[string]Doc, len(docs))
	for _, d := range docs {
		d.UpdatedAt = d.CreatedAt
		m[d.ID] = d
	}
	return m
}

// openContractFixture opens a fresh index holding the whole fixture.
func openContractFixture(t *testing.T, open func(t *testing.T) Index) Index {
	t.Helper()
	ix := open(t)
	var docs []Doc
	for _, d := range contractFixture() {
		docs = append(docs, d)
	}
	mustUpsert(t, ix, docs...)
	return ix
}

func mustUpsert(t *testing.T, ix Index, docs ...Doc) {
	t.Helper()
	if err := ix.Upsert(context.Background(), docs...); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
}

func mustSearch(t *testing.T, ix Index, q Query) Result {
	t.Helper()
	res, err := ix.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return res
}

func hitIDs(res Result) []string {
	ids := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

// wantIDs checks the set of hits (in any order) and the total.
func wantIDs(t *testing.T, res Result, want ...string) {
	t.Helper()
	got := hitIDs(res)
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("hits = %v, want %v", got, want)
	}
	if res.EstimatedTotal != len(want) {
		t.Errorf("total = %d, want %d", res.EstimatedTotal, len(want))
	}
}

// wantContains checks that the hits include want.
func wantContains(t *testing.T, what string, res Result, want ...string) {
	t.Helper()
	got := hitIDs(res)
	for _, id := range want {
		if !slices.Contains(got, id) {
			t.Errorf("%s: hits = %v, want them to include %s", what, got, id)
		}
	}
}

// wantOrder checks the hits in order.
func wantOrder(t *testing.T, res Result, want ...string) {
	t.Helper()
	if got := hitIDs(res); !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}

func wantFacets(t *testing.T, what string, got, want map[string]map[string]int) {
	t.Helper()
	for name, counts := range want {
		if fmt.Sprint(got[name]) != fmt.Sprint(counts) {
			t.Errorf("%s: facet %s = %v, want %v", what, name, got[name], counts)
		}
	}
}

// wantSafeHTML checks that s holds no markup but <mark> and </mark>.
func wantSafeHTML(t *testing.T, field, s string) {
	t.Helper()
	rest := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(s)
	if strings.ContainsAny(rest, `<>"`) {
		t.Errorf("%s highlight %q holds markup besides <mark>", field, s)
	}
	if strings.Count(s, "<mark>") != strings.Count(s, "</mark>") {
		t.Errorf("%s highlight %q has unbalanced marks", field, s)
	}
}

// markedParts returns the text inside each <mark>…</mark> of s.
func markedParts(s string) []string {
	var parts []string
	for {
		_, after, ok := strings.Cut(s, "<mark>")
		if !ok {
			return parts
		}
		inside, rest, _ := strings.Cut(after, "</mark>")
		parts = append(parts, inside)
		s = rest
	}
}
