package feedback_test

import (
	"context"
	"testing"

	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/discovery"
	"github.com/crn-dev/crn/internal/feedback"
	"github.com/crn-dev/crn/internal/search"
)

func similarIDs(t *testing.T, w *world, as, q string) []int {
	t.Helper()
	items, err := w.s.Similar(context.Background(), w.actor(as), q, 0, 0)
	if err != nil {
		t.Fatalf("similar %q: %v", q, err)
	}
	var out []int
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func has(ids []int, id int) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// Without a search index, titles are matched in SQL: English words and
// Chinese bigrams; more matching terms rank first, then votes.
func TestSimilarSQLFallback(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		w := newWorld(t, db)
		csv := w.item("alice", "Export reports to CSV")
		pdf := w.item("bob", "Export reports as PDF")
		zh := w.item("carol", "希望支持导出报表")
		dup := w.item("dave", "CSV export again")
		if _, err := w.s.Merge(context.Background(), w.actor("staffer"), dup.ID, csv.ID, ""); err != nil {
			t.Fatal(err)
		}
		w.vote("carol", pdf.ID)
		got := similarIDs(t, w, "bob", "how to export a CSV file")
		if len(got) != 2 || got[0] != csv.ID || got[1] != pdf.ID {
			t.Fatalf("similar: %v, want [%d %d] (CSV matches two words; the duplicate is left out)", got, csv.ID, pdf.ID)
		}
		if got := similarIDs(t, w, "bob", "导出报表很慢"); len(got) != 1 || got[0] != zh.ID {
			t.Fatalf("chinese: %v", got)
		}
		if got := similarIDs(t, w, "bob", "nothing like it"); len(got) != 0 {
			t.Fatalf("unrelated: %v", got)
		}
		// Members-only boards stay hidden from guests.
		private := w.newBoard("Private", "members")
		secret, err := w.s.Create(context.Background(), w.actor("alice"), feedback.CreateInput{Board: private.ID, Title: "Secret CSV roadmap", Body: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if got := similarIDs(t, w, "", "secret roadmap"); has(got, secret.ID) {
			t.Fatal("a guest found a members-only item")
		}
		if got := similarIDs(t, w, "bob", "secret roadmap"); !has(got, secret.ID) {
			t.Fatal("a member did not find it")
		}
		_, err = w.s.Similar(context.Background(), w.actor("bob"), " ", 0, 0)
		wantKind(t, err, apperr.KindUnprocessable, "validation_failed")
	})
}

// With an index, similar items come from search (which reads bodies too);
// the index carries type feedback, status and votes, never internal notes.
func TestSimilarAndSearchWithIndex(t *testing.T) {
	for _, backend := range []string{"embedded", "meili"} {
		t.Run(backend, func(t *testing.T) {
			dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
				similarWithIndex(t, db, backend)
			})
		})
	}
}

func similarWithIndex(t *testing.T, db *database.DB, backend string) {
	ctx := context.Background()
	w := newWorld(t, db, withSearch(backend))
	dark, err := w.s.Create(ctx, w.actor("alice"), feedback.CreateInput{Board: w.board.ID, Title: "Dark theme", Body: "A night mode for the editor would rest my eyes."})
	if err != nil {
		t.Fatal(err)
	}
	sso := w.item("bob", "Okta single sign-on")
	w.vote("carol", sso.ID)
	w.vote("dave", sso.ID)
	w.status(sso.ID, "planned")
	if _, err := w.s.AddNote(ctx, w.actor("staffer"), dark.ID, "zebracorn renewal hinges on this"); err != nil {
		t.Fatal(err)
	}
	w.relay()
	// The body matches through search; the SQL fallback reads titles only.
	if got := similarIDs(t, w, "bob", "night mode"); len(got) != 1 || got[0] != dark.ID {
		t.Fatalf("search-backed similar: %v", got)
	}
	sqlOnly := feedback.New(db, w.forums, feedback.Options{Now: w.clock.now})
	if items, err := sqlOnly.Similar(ctx, w.actor("bob"), "night mode", 0, 0); err != nil || len(items) != 0 {
		t.Fatalf("the fallback matched a body: %v %v", err, items)
	}
	// An index that is down falls back to SQL.
	down := feedback.New(db, w.forums, feedback.Options{Now: w.clock.now, Search: failingSearch{}})
	if items, err := down.Similar(ctx, w.actor("bob"), "dark theme", 0, 0); err != nil || len(items) != 1 || items[0].ID != dark.ID {
		t.Fatalf("fallback when the index is down: %v %v", err, items)
	}

	ds := discovery.NewService(db.Client, w.index)
	find := func(as string, p discovery.Params) []string {
		t.Helper()
		page, err := ds.Search(ctx, w.actor(as), p)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range page.Hits {
			out = append(out, h.Type+":"+h.ID)
		}
		return out
	}
	all := find("bob", discovery.Params{Types: []string{search.TypeFeedback}, Sort: search.SortVotes})
	if len(all) != 2 || all[0] != "feedback:topic-"+itoa(sso.ID) || all[1] != "feedback:topic-"+itoa(dark.ID) {
		t.Fatalf("feedback by votes: %v", all)
	}
	if got := find("bob", discovery.Params{Types: []string{search.TypeFeedback}, Statuses: []string{"planned"}}); len(got) != 1 || got[0] != "feedback:topic-"+itoa(sso.ID) {
		t.Fatalf("status filter: %v", got)
	}
	// Internal notes are never indexed: not even staff find them.
	for _, as := range []string{"bob", "staffer", "admin"} {
		if got := find(as, discovery.Params{Text: "zebracorn"}); len(got) != 0 {
			t.Fatalf("%s found a note: %v", as, got)
		}
	}
	// Suggestions while composing a topic include feedback items.
	topics, _, err := ds.Suggest(ctx, w.actor("bob"), "dark", 5)
	if err != nil || len(topics) != 1 || topics[0].ID != "topic-"+itoa(dark.ID) || topics[0].Type != search.TypeFeedback {
		t.Fatalf("suggest: %v %+v", err, topics)
	}
	// Votes and status changes reach the index.
	w.vote("erin", dark.ID)
	w.vote("frank", dark.ID)
	w.vote("bob", dark.ID)
	w.relay()
	if got := find("bob", discovery.Params{Types: []string{search.TypeFeedback}, Sort: search.SortVotes}); got[0] != "feedback:topic-"+itoa(dark.ID) {
		t.Fatalf("after votes: %v", got)
	}
	// Merging moves votes, and the index follows.
	if _, err := w.s.Merge(ctx, w.actor("staffer"), dark.ID, sso.ID, ""); err != nil {
		t.Fatal(err)
	}
	w.relay()
	if got := find("bob", discovery.Params{Types: []string{search.TypeFeedback}, Statuses: []string{"duplicate"}}); len(got) != 1 || got[0] != "feedback:topic-"+itoa(dark.ID) {
		t.Fatalf("duplicate status: %v", got)
	}
}

type failingSearch struct{}

func (failingSearch) Search(context.Context, authz.Actor, discovery.Params) (*discovery.Page, error) {
	return nil, apperr.Unavailable("search_unavailable", "down", errUnavailable)
}
