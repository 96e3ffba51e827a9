package search

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func openTestEmbedded(t *testing.T, dir string) *Embedded {
	t.Helper()
	e, err := NewEmbedded(dir)
	if err != nil {
		t.Fatalf("NewEmbedded: %v", err)
	}
	return e
}

func TestEmbeddedContract(t *testing.T) {
	runContract(t, func(t *testing.T) Index {
		e := openTestEmbedded(t, t.TempDir())
		t.Cleanup(func() { _ = e.Close() })
		return e
	})
}

func TestEmbeddedReopenKeepsData(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "search")
	e := openTestEmbedded(t, dir)
	if !e.NeedsReindex() {
		t.Error("a new index should ask to be reindexed")
	}
	mustUpsert(t, e, contractFixture()["topic-1"], contractFixture()["topic-3"])
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := e.Ping(context.Background()); err == nil {
		t.Error("Ping after Close succeeded")
	}

	e = openTestEmbedded(t, dir)
	defer e.Close()
	if e.NeedsReindex() {
		t.Error("a reopened index asks to be reindexed")
	}
	wantIDs(t, mustSearch(t, e, Query{Text: "export", Access: accessGuest}), "topic-1")
	wantIDs(t, mustSearch(t, e, Query{Text: "客户", Access: accessGuest}), "topic-3")
}

func TestEmbeddedSecondOpenFails(t *testing.T) {
	dir := t.TempDir()
	e := openTestEmbedded(t, dir)
	defer e.Close()
	if e2, err := NewEmbedded(dir); err == nil {
		e2.Close()
		t.Fatal("a second NewEmbedded on an open index succeeded")
	}
}

// A crash between Rebuild and Commit leaves the old generation live, and
// the abandoned one is removed when the index opens again.
func TestEmbeddedCrashDuringRebuild(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e := openTestEmbedded(t, dir)
	mustUpsert(t, e, contractFixture()["topic-1"])

	b, err := e.Rebuild(ctx)
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if err := b.Upsert(ctx, Doc{ID: "topic-101", Type: TypeTopic, Title: "Zebra crossing", Visibility: "public", CreatedAt: fixtureTime}); err != nil {
		t.Fatalf("builder Upsert: %v", err)
	}
	// Abandon the builder, as a crash would.
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Upsert(ctx, contractFixture()["topic-3"]); err == nil {
		t.Error("builder Upsert after Close succeeded")
	}
	gens, _ := generations(dir)
	if len(gens) != 2 {
		t.Fatalf("generations on disk before reopen = %v, want the live one and the abandoned one", gens)
	}
	// A stray from an even older crash, and a half-written pointer.
	if err := os.MkdirAll(filepath.Join(dir, "gen-9"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, currentTemp+"x"), []byte("gen-9"), 0o600); err != nil {
		t.Fatal(err)
	}

	e = openTestEmbedded(t, dir)
	defer e.Close()
	wantIDs(t, mustSearch(t, e, Query{Text: "export", Access: accessGuest}), "topic-1")
	wantIDs(t, mustSearch(t, e, Query{Text: "zebra", Access: accessGuest}))
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	if got := strings.Join(names, " "); got != "CURRENT LOCK gen-1" {
		t.Errorf("directory after reopen = %q, want %q", got, "CURRENT LOCK gen-1")
	}

	// The next rebuild commits normally.
	b, err = e.Rebuild(ctx)
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if err := b.Upsert(ctx, contractFixture()["topic-3"]); err != nil {
		t.Fatalf("builder Upsert: %v", err)
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if err := b.Abort(ctx); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
	if gens, _ := generations(dir); len(gens) != 1 || gens[0] != 2 {
		t.Errorf("generations after commit = %v, want [2]", gens)
	}
	wantIDs(t, mustSearch(t, e, Query{Access: accessGuest}), "topic-3")
}

// Writes to the live index while a rebuild runs reach the new generation.
func TestEmbeddedWritesDuringRebuild(t *testing.T) {
	ctx := context.Background()
	e := openTestEmbedded(t, t.TempDir())
	defer e.Close()
	mustUpsert(t, e, contractFixture()["topic-1"], contractFixture()["post-2"])

	b, err := e.Rebuild(ctx)
	if err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if _, err := e.Rebuild(ctx); err == nil {
		t.Error("a second concurrent Rebuild succeeded")
	}
	if err := b.Upsert(ctx, contractFixture()["topic-1"], contractFixture()["post-2"]); err != nil {
		t.Fatalf("builder Upsert: %v", err)
	}
	mustUpsert(t, e, contractFixture()["topic-3"])
	if err := e.Delete(ctx, "post-2"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	wantIDs(t, mustSearch(t, e, Query{Access: accessGuest}), "topic-1", "topic-3")
}

func TestEmbeddedRejectsDocWithoutID(t *testing.T) {
	e := openTestEmbedded(t, t.TempDir())
	defer e.Close()
	if err := e.Upsert(context.Background(), Doc{Title: "x"}); err == nil {
		t.Error("Upsert of a document without ID succeeded")
	}
}

func TestSnippet(t *testing.T) {
	for _, tc := range []struct {
		name  string
		text  string
		spans []Span
		max   int
		want  string
	}{
		{"Plain", "a < b & c", nil, 0, "a &lt; b &amp; c"},
		{"Mark", "export <data>", []Span{{0, 6}}, 0, "<mark>export</mark> &lt;data&gt;"},
		{"MarkHoldsMarkup", "x<b>y", []Span{{1, 4}}, 0, "x<mark>&lt;b&gt;</mark>y"},
		{"MergeAndSort", "客户关系管理", []Span{{3, 9}, {0, 6}, {12, 18}}, 0, "<mark>客户关</mark>系<mark>管理</mark>"},
		{"Touching", "客户关系", []Span{{0, 6}, {6, 12}}, 0, "<mark>客户关系</mark>"},
		{"SplitRuneWidened", "客户", []Span{{1, 4}}, 0, "<mark>客户</mark>"},
		{"OutOfRange", "abc", []Span{{-5, 1}, {2, 99}, {3, 3}}, 0, "<mark>a</mark>b<mark>c</mark>"},
		{"InvalidUTF8", "a\xffb", nil, 0, "a\uFFFDb"},
		{"Crop", "one two three four five six seven eight nine ten", []Span{{19, 23}}, 20, "…four <mark>five</mark> six seven…"},
		{"CropMidWord", "alphabet soup export beta gamma delta", []Span{{14, 20}}, 16, "…<mark>export</mark> beta…"},
		{"CropNoMatch", "one two three four five", nil, 8, "one two…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Snippet(tc.text, tc.spans, tc.max); got != tc.want {
				t.Errorf("Snippet = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFromTagged(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a " + MarkOpen + "<x>" + MarkClose + " b", "a <mark>&lt;x&gt;</mark> b"},
		{MarkClose + "a" + MarkOpen + "b", "a<mark>b</mark>"},
		{"<mark>raw</mark>", "&lt;mark&gt;raw&lt;/mark&gt;"},
	} {
		if got := FromTagged(tc.in, 0); got != tc.want {
			t.Errorf("FromTagged(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Searches and writes keep working while generations are swapped.
func TestEmbeddedConcurrent(t *testing.T) {
	ctx := context.Background()
	e := openTestEmbedded(t, t.TempDir())
	defer e.Close()
	mustUpsert(t, e, contractFixture()["topic-1"])

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				d := contractFixture()["post-2"]
				d.ID = fmt.Sprintf("post-%d", 1000+w*100+i)
				if err := e.Upsert(ctx, d); err != nil {
					errs <- err
					return
				}
				if _, err := e.Search(ctx, Query{Text: "export", Access: accessGuest, Facets: true}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range 3 {
		b, err := e.Rebuild(ctx)
		if err != nil {
			t.Fatalf("Rebuild: %v", err)
		}
		if err := b.Upsert(ctx, contractFixture()["topic-1"]); err != nil {
			t.Fatalf("builder Upsert: %v", err)
		}
		if err := b.Commit(ctx); err != nil {
			t.Fatalf("Commit: %v", err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	wantContains(t, "export", mustSearch(t, e, Query{Text: "export", Access: accessGuest}), "topic-1")
}
