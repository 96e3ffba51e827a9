package feedback_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/crn-dev/crn/ent/feedbackvote"
	"github.com/crn-dev/crn/ent/notification"
	"github.com/crn-dev/crn/ent/topicuser"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/feedback"
	"github.com/crn-dev/crn/internal/forum"
)

func TestCreateAndVote(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		it := w.item("alice", "Export to CSV", "Export", "reports")
		if it.VoteCount != 1 || !it.Voted || it.Type != "idea" || it.Status != "open" {
			t.Fatalf("new item: votes %d voted %v type %s status %s", it.VoteCount, it.Voted, it.Type, it.Status)
		}
		if strings.Join(it.Areas, ",") != "export,reports" {
			t.Fatalf("areas %v", it.Areas)
		}
		// The author's vote snapshots their CRM attributes.
		v := db.Client.FeedbackVote.Query().Where(feedbackvote.ItemID(it.ID)).OnlyX(ctx)
		if v.UserID != w.users["alice"].ID || v.Plan != "enterprise" || v.Arr != 100000 || v.Crm["plan"] != "enterprise" {
			t.Fatalf("author's vote: %+v", v)
		}
		// Voting twice is one vote and one event.
		w.vote("bob", it.ID)
		got := w.vote("bob", it.ID)
		if got.VoteCount != 2 || !got.Voted {
			t.Fatalf("after bob twice: %d", got.VoteCount)
		}
		if n := len(w.events(event.FeedbackVoted)); n != 2 {
			t.Fatalf("%d voted events, want 2 (alice's on create, bob's once)", n)
		}
		// A string ARR is read; the snapshot does not follow later CRM changes.
		w.vote("dave", it.ID)
		db.Client.User.UpdateOneID(w.users["dave"].ID).SetCrmAttributes(map[string]any{"plan": "enterprise", "arr": 1e6}).ExecX(ctx)
		dv := db.Client.FeedbackVote.Query().Where(feedbackvote.ItemID(it.ID), feedbackvote.UserID(w.users["dave"].ID)).OnlyX(ctx)
		if dv.Plan != "pro" || dv.Arr != 8000 {
			t.Fatalf("dave's snapshot: %s %v", dv.Plan, dv.Arr)
		}
		// Withdrawing, twice, is one withdrawal.
		for range 2 {
			got, err := w.s.Unvote(ctx, w.actor("bob"), it.ID, feedback.VoteInput{})
			if err != nil || got.VoteCount != 2 || got.Voted {
				t.Fatalf("unvote: %v %+v", err, got)
			}
		}
		if n := len(w.events(event.FeedbackUnvoted)); n != 1 {
			t.Fatalf("%d unvoted events", n)
		}
		// The voter is the actor of the event.
		evs := w.events(event.FeedbackVoted)
		if *evs[len(evs)-1].ActorID != w.users["dave"].ID || *evs[len(evs)-1].TopicID != it.ID {
			t.Fatalf("voted event: %+v", evs[len(evs)-1])
		}

		// Staff record a vote on a customer's behalf, with a note.
		got, err := w.s.Vote(ctx, w.actor("staffer"), it.ID, feedback.VoteInput{OnBehalfOf: "Carol", Note: "Asked on the QBR call"})
		if err != nil || got.VoteCount != 3 || got.Voted {
			t.Fatalf("on behalf: %v %+v", err, got)
		}
		cv := db.Client.FeedbackVote.Query().Where(feedbackvote.ItemID(it.ID), feedbackvote.UserID(w.users["carol"].ID)).OnlyX(ctx)
		if cv.RecordedBy == nil || *cv.RecordedBy != w.users["staffer"].ID || cv.Note != "Asked on the QBR call" || cv.Plan != "free" {
			t.Fatalf("carol's vote: %+v", cv)
		}
		evs = w.events(event.FeedbackVoted)
		if *evs[len(evs)-1].ActorID != w.users["carol"].ID {
			t.Fatal("an on-behalf vote's actor is the customer")
		}
		// ... customers may not, and the customer must exist.
		_, err = w.s.Vote(ctx, w.actor("bob"), it.ID, feedback.VoteInput{OnBehalfOf: "carol"})
		wantKind(t, err, apperr.KindForbidden, "forbidden")
		_, err = w.s.Vote(ctx, w.actor("staffer"), it.ID, feedback.VoteInput{OnBehalfOf: "nobody"})
		wantKind(t, err, apperr.KindUnprocessable, "validation_failed")
		_, err = w.s.Vote(ctx, w.actor("bob"), it.ID, feedback.VoteInput{Note: "hi"})
		wantKind(t, err, apperr.KindUnprocessable, "validation_failed")
		_, err = w.s.Vote(ctx, w.actor(""), it.ID, feedback.VoteInput{})
		wantKind(t, err, apperr.KindUnauthenticated, "")
		_, err = w.s.Vote(ctx, w.actor("bob"), 999999, feedback.VoteInput{})
		wantKind(t, err, apperr.KindNotFound, "feedback_not_found")

		// Boards: items only in feedback boards, and topics of boards only as items.
		name := "General"
		general, err := w.forums.CreateForum(ctx, w.actor("admin"), forum.ForumInput{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.s.Create(ctx, w.actor("alice"), feedback.CreateInput{Board: general.ID, Title: "Not here", Body: "x"})
		wantKind(t, err, apperr.KindUnprocessable, "validation_failed")
		_, _, err = w.forums.CreateTopic(ctx, w.actor("alice"), w.board.ID, forum.TopicInput{Title: "Plain topic", Body: "x"})
		wantKind(t, err, apperr.KindConflict, "feedback_board")
		_, err = w.s.Create(ctx, w.actor("alice"), feedback.CreateInput{Board: w.board.ID, Title: "Bad type", Body: "x", Type: "rant"})
		wantKind(t, err, apperr.KindUnprocessable, "validation_failed")
		// A board with topics keeps its kind.
		disc := "discussion"
		_, err = w.forums.UpdateForum(ctx, w.actor("admin"), w.board.ID, forum.ForumInput{Kind: &disc})
		wantKind(t, err, apperr.KindConflict, "forum_not_empty")
		// A question item is a question topic, so answers can be accepted.
		q, err := w.s.Create(ctx, w.actor("bob"), feedback.CreateInput{Board: w.board.ID, Title: "How do I export?", Body: "?", Type: "question"})
		if err != nil || q.Topic.Kind != "question" {
			t.Fatalf("question: %v %v", err, q)
		}
	})
}

func TestStatusMachineAndClosingTheLoop(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		it := w.item("alice", "Dark mode")
		w.vote("bob", it.ID)
		// carol follows the topic; dave follows then mutes it.
		if _, err := w.forums.SetTopicLevel(ctx, w.actor("carol"), it.ID, "watching"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.forums.SetTopicLevel(ctx, w.actor("dave"), it.ID, "muted"); err != nil {
			t.Fatal(err)
		}
		w.vote("dave", it.ID)
		w.relay()
		before := db.Client.Notification.Query().CountX(ctx)

		staff := w.actor("staffer")
		_, err := w.s.ChangeStatus(ctx, w.actor("bob"), it.ID, "planned", "yes")
		wantKind(t, err, apperr.KindForbidden, "forbidden")
		_, err = w.s.ChangeStatus(ctx, staff, it.ID, "planned", "  ")
		wantKind(t, err, apperr.KindUnprocessable, "validation_failed")
		_, err = w.s.ChangeStatus(ctx, staff, it.ID, "duplicate", "dup")
		wantKind(t, err, apperr.KindUnprocessable, "validation_failed")
		_, err = w.s.ChangeStatus(ctx, staff, it.ID, "shipped", "dup")
		wantKind(t, err, apperr.KindUnprocessable, "validation_failed")
		_, err = w.s.ChangeStatus(ctx, staff, it.ID, "open", "again")
		wantKind(t, err, apperr.KindConflict, "status_unchanged")

		got, err := w.s.ChangeStatus(ctx, staff, it.ID, "planned", "On the roadmap for Q3.")
		if err != nil || got.Status != "planned" {
			t.Fatalf("planned: %v", err)
		}
		w.status(it.ID, "in_progress")
		w.status(it.ID, "done")
		// done → planned is not a transition.
		_, err = w.s.ChangeStatus(ctx, staff, it.ID, "planned", "back")
		wantKind(t, err, apperr.KindConflict, "illegal_transition")
		got = w.get(it.ID)
		if len(got.History) != 3 || got.History[0].FromStatus != "open" || got.History[0].ToStatus != "planned" ||
			got.History[0].Response != "On the roadmap for Q3." || got.History[2].ToStatus != "done" {
			t.Fatalf("history: %+v", got.History)
		}
		// Closing the loop: the author, the voter and the follower hear of
		// each change; the muted voter and the staffer who made it do not.
		w.relay()
		for name, want := range map[string]int{"alice": 3, "bob": 3, "carol": 3, "dave": 0, "staffer": 0} {
			n := db.Client.Notification.Query().Where(notification.UserID(w.users[name].ID), notification.Kind("feedback_status")).CountX(ctx)
			if n != want {
				t.Errorf("%s got %d status notifications, want %d", name, n, want)
			}
		}
		n := db.Client.Notification.Query().Where(notification.UserID(w.users["bob"].ID), notification.Kind("feedback_status")).
			Order(notification.ByID()).FirstX(ctx)
		if n.Data["status"] != "planned" || n.Data["from_status"] != "open" || n.Data["topic_title"] != "Dark mode" {
			t.Fatalf("notification data: %v", n.Data)
		}
		if after := db.Client.Notification.Query().CountX(ctx); after-before != 9 {
			t.Fatalf("%d notifications, want 9", after-before)
		}
		// Every transition of the documented machine is allowed, the rest refused.
		for from, tos := range feedback.Transitions {
			for _, to := range feedback.Statuses {
				allowed := false
				for _, x := range tos {
					allowed = allowed || x == to
				}
				if feedback.CanTransition(from, to) != allowed {
					t.Errorf("%s → %s", from, to)
				}
			}
		}
	})
}

func TestMergeAndUnmergeConserveVotes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		staff := w.actor("staffer")
		a := w.item("alice", "CSV export")  // alice
		b := w.item("bob", "Export as CSV") // bob
		c := w.item("frank", "Excel export")
		w.vote("carol", a.ID)
		w.vote("carol", b.ID) // carol voted on both
		w.vote("dave", b.ID)
		w.vote("erin", c.ID)
		w.vote("alice", c.ID)
		// bob follows b; carol watches a already.
		if _, err := w.forums.SetTopicLevel(ctx, w.actor("dave"), b.ID, "tracking"); err != nil {
			t.Fatal(err)
		}
		counts := func() (int, int, int) {
			return w.get(a.ID).VoteCount, w.get(b.ID).VoteCount, w.get(c.ID).VoteCount
		}
		if x, y, z := counts(); x != 2 || y != 3 || z != 3 {
			t.Fatalf("before: %d %d %d", x, y, z)
		}
		w.status(b.ID, "under_review")

		merged, err := w.s.Merge(ctx, staff, b.ID, a.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if merged.Status != "duplicate" || merged.DuplicateOf == nil || *merged.DuplicateOf != a.ID {
			t.Fatalf("merged: %+v", merged.FeedbackItem)
		}
		// a: alice, carol (once), bob, dave = 4; b shows 0.
		if x, y, _ := counts(); x != 4 || y != 0 {
			t.Fatalf("after merge: a %d b %d", x, y)
		}
		if got := w.get(a.ID).MergedItems; len(got) != 1 || got[0] != b.ID {
			t.Fatalf("merged items %v", got)
		}
		// carol's vote on b is flagged, not deleted.
		cv := db.Client.FeedbackVote.Query().Where(feedbackvote.UserID(w.users["carol"].ID), feedbackvote.OriginItemID(b.ID)).OnlyX(ctx)
		if cv.Active || cv.ItemID != b.ID {
			t.Fatalf("carol's b vote: %+v", cv)
		}
		// b's follower follows a too; b's topic stays readable.
		if !db.Client.TopicUser.Query().Where(topicuser.TopicID(a.ID), topicuser.UserID(w.users["dave"].ID)).ExistX(ctx) {
			t.Fatal("dave does not follow a")
		}
		if _, err := w.forums.Topic(ctx, w.actor(""), b.ID, false); err != nil {
			t.Fatalf("b's topic: %v", err)
		}
		// Voting on a duplicate is refused; voting on a again changes nothing.
		_, err = w.s.Vote(ctx, w.actor("erin"), b.ID, feedback.VoteInput{})
		wantKind(t, err, apperr.KindConflict, "item_is_duplicate")
		if got := w.vote("dave", a.ID); got.VoteCount != 4 {
			t.Fatalf("dave votes again: %d", got.VoteCount)
		}

		// A chain: a into c. c has frank, erin, alice; a brings carol, bob,
		// dave (alice is on c already).
		if _, err := w.s.Merge(ctx, staff, a.ID, c.ID, "Same as Excel export"); err != nil {
			t.Fatal(err)
		}
		if x, y, z := counts(); x != 0 || y != 0 || z != 6 {
			t.Fatalf("after chain: %d %d %d", x, y, z)
		}
		// Unmerge b from a (a is itself merged into c): b's votes come back
		// from c, carol's flagged vote counts again.
		got, err := w.s.Unmerge(ctx, staff, b.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != "under_review" || got.DuplicateOf != nil || got.VoteCount != 3 {
			t.Fatalf("unmerged b: %s %v %d", got.Status, got.DuplicateOf, got.VoteCount)
		}
		// c keeps frank, erin, alice and carol (a's vote): 4.
		if x, y, z := counts(); x != 0 || y != 3 || z != 4 {
			t.Fatalf("after unmerging b: %d %d %d", x, y, z)
		}
		if _, err := w.s.Unmerge(ctx, staff, a.ID, ""); err != nil {
			t.Fatal(err)
		}
		// Back where we started.
		if x, y, z := counts(); x != 2 || y != 3 || z != 3 {
			t.Fatalf("after unmerging everything: %d %d %d", x, y, z)
		}
		if n := db.Client.FeedbackVote.Query().CountX(ctx); n != 8 {
			t.Fatalf("%d vote rows, want 8: nothing lost, nothing added", n)
		}
		if n := db.Client.FeedbackVote.Query().Where(feedbackvote.Active(false)).CountX(ctx); n != 0 {
			t.Fatalf("%d votes still flagged", n)
		}
		// Status history tells the whole story.
		hist := w.get(b.ID).History
		if len(hist) != 3 || hist[1].ToStatus != "duplicate" || hist[1].Response != "Merged into #"+itoa(a.ID)+"." || hist[2].ToStatus != "under_review" {
			t.Fatalf("b's history: %+v", hist)
		}
		if len(w.events(event.FeedbackMerged)) != 2 || len(w.events(event.FeedbackUnmerged)) != 2 {
			t.Fatal("merge events")
		}

		// Withdrawing on a merged item withdraws the customer's votes in
		// the group, flagged ones included; unmerging then restores only
		// what the others cast.
		if _, err := w.s.Merge(ctx, staff, b.ID, a.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Unvote(ctx, w.actor("carol"), a.ID, feedback.VoteInput{}); err != nil {
			t.Fatal(err)
		}
		if x, _, _ := counts(); x != 3 {
			t.Fatalf("after carol withdraws: %d", x)
		}
		if _, err := w.s.Unmerge(ctx, staff, b.ID, ""); err != nil {
			t.Fatal(err)
		}
		if x, y, _ := counts(); x != 1 || y != 2 {
			t.Fatalf("after unmerge: a %d b %d", x, y)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func fmtInt(n int) string { return strconv.Itoa(n) }

func TestMergeRefusals(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		staff := w.actor("staffer")
		a, b, c := w.item("alice", "One"), w.item("bob", "Two"), w.item("carol", "Three")
		_, err := w.s.Merge(ctx, staff, a.ID, a.ID, "")
		wantKind(t, err, apperr.KindUnprocessable, "validation_failed")
		_, err = w.s.Merge(ctx, w.actor("bob"), b.ID, a.ID, "")
		wantKind(t, err, apperr.KindForbidden, "forbidden")
		_, err = w.s.Merge(ctx, staff, b.ID, 999999, "")
		wantKind(t, err, apperr.KindUnprocessable, "validation_failed")
		if _, err := w.s.Merge(ctx, staff, b.ID, a.ID, ""); err != nil {
			t.Fatal(err)
		}
		_, err = w.s.Merge(ctx, staff, b.ID, c.ID, "")
		wantKind(t, err, apperr.KindConflict, "already_merged")
		// a into b would loop (b is merged into a).
		_, err = w.s.Merge(ctx, staff, a.ID, b.ID, "")
		wantKind(t, err, apperr.KindConflict, "merge_loop")
		// c into b: b is a duplicate; merge into a instead.
		_, err = w.s.Merge(ctx, staff, c.ID, b.ID, "")
		wantKind(t, err, apperr.KindConflict, "target_is_duplicate")
		_, err = w.s.Unmerge(ctx, staff, a.ID, "")
		wantKind(t, err, apperr.KindConflict, "not_merged")
		_, err = w.s.ChangeStatus(ctx, staff, b.ID, "planned", "x")
		wantKind(t, err, apperr.KindConflict, "item_is_duplicate")
		if w.get(a.ID).VoteCount != 2 || w.get(c.ID).VoteCount != 1 {
			t.Fatal("refused merges changed votes")
		}
	})
}

func TestInternalNotesAreForStaffOnly(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		it := w.item("alice", "Audit log")
		n, err := w.s.AddNote(ctx, w.actor("staffer"), it.ID, "Big deal for the Acme renewal")
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.s.AddNote(ctx, w.actor("alice"), it.ID, "let me in")
		wantKind(t, err, apperr.KindForbidden, "forbidden")
		_, err = w.s.AddNote(ctx, w.actor("staffer"), it.ID, " ")
		wantKind(t, err, apperr.KindUnprocessable, "validation_failed")
		_, err = w.s.Notes(ctx, w.actor("alice"), it.ID)
		wantKind(t, err, apperr.KindForbidden, "forbidden")
		_, err = w.s.Notes(ctx, w.actor(""), it.ID)
		wantKind(t, err, apperr.KindUnauthenticated, "")
		ns, err := w.s.Notes(ctx, w.actor("mod"), it.ID)
		if err != nil || len(ns) != 1 || ns[0].ID != n.ID {
			t.Fatalf("notes: %v %v", err, ns)
		}
		// The event is for staff and carries no text.
		evs := w.events(event.FeedbackNoteAdded)
		if len(evs) != 1 || evs[0].Visibility != event.Staff || strings.Contains(stringify(evs[0].Payload), "Acme") {
			t.Fatalf("note event: %+v", evs)
		}
		// Triage fields are staff-only too.
		cust, err := w.s.Item(ctx, w.actor("alice"), it.ID)
		if err != nil || cust.Internals {
			t.Fatal("customers must not get internals")
		}
		if st := w.get(it.ID); !st.Internals || st.NoteCount != 1 {
			t.Fatalf("staff view: %+v", st)
		}
		p := "high"
		_, err = w.s.Update(ctx, w.actor("alice"), it.ID, feedback.Patch{Priority: &p})
		wantKind(t, err, apperr.KindForbidden, "forbidden")
		if _, err := w.s.Update(ctx, w.actor("staffer"), it.ID, feedback.Patch{Priority: &p}); err != nil {
			t.Fatal(err)
		}
		ups := w.events(event.FeedbackUpdated)
		if len(ups) != 1 || ups[0].Visibility != event.Staff {
			t.Fatalf("a priority change is announced to staff only: %+v", ups)
		}
	})
}

func stringify(m map[string]any) string {
	var b strings.Builder
	for k, v := range m {
		b.WriteString(k)
		if s, ok := v.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

func TestSatisfaction(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		it := w.item("alice", "Bulk edit")
		w.vote("bob", it.ID)
		_, err := w.s.Rate(ctx, w.actor("alice"), it.ID, 5, "")
		wantKind(t, err, apperr.KindConflict, "not_closed")
		w.status(it.ID, "done")
		for _, score := range []int{0, 6, -1} {
			_, err = w.s.Rate(ctx, w.actor("alice"), it.ID, score, "")
			wantKind(t, err, apperr.KindUnprocessable, "validation_failed")
		}
		_, err = w.s.Rate(ctx, w.actor("carol"), it.ID, 3, "")
		wantKind(t, err, apperr.KindForbidden, "not_eligible")
		r, err := w.s.Rate(ctx, w.actor("bob"), it.ID, 4, "Works well")
		if err != nil || r.Score != 4 || r.Outcome != "done" || r.ForumID != w.board.ID {
			t.Fatalf("rate: %v %+v", err, r)
		}
		_, err = w.s.Rate(ctx, w.actor("bob"), it.ID, 5, "")
		wantKind(t, err, apperr.KindConflict, "already_rated")
		if _, err := w.s.Rate(ctx, w.actor("alice"), it.ID, 2, "Late"); err != nil {
			t.Fatal(err)
		}
		// A question topic with an accepted answer can be rated by its author.
		name := "Help"
		help, err := w.forums.CreateForum(ctx, w.actor("admin"), forum.ForumInput{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		q, _, err := w.forums.CreateTopic(ctx, w.actor("carol"), help.ID, forum.TopicInput{Title: "How to import?", Body: "?", Kind: "question"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.s.Rate(ctx, w.actor("carol"), q.ID, 5, "")
		wantKind(t, err, apperr.KindConflict, "not_closed")
		ans, err := w.forums.CreatePost(ctx, w.actor("bob"), q.ID, forum.PostInput{Body: "Use the importer."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.forums.AcceptAnswer(ctx, w.actor("carol"), q.ID, ans.ID); err != nil {
			t.Fatal(err)
		}
		r, err = w.s.Rate(ctx, w.actor("carol"), q.ID, 5, "")
		if err != nil || r.Outcome != "answered" {
			t.Fatalf("question: %v %+v", err, r)
		}
		if n := len(w.events(event.FeedbackCSAT)); n != 3 {
			t.Fatalf("%d csat events", n)
		}
	})
}

func TestListFiltersSortsAndPages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		private := w.newBoard("Customer ideas", "members")
		var ids []int
		for i, name := range []string{"alice", "bob", "carol", "dave", "erin"} {
			w.clock.add(1)
			it := w.item(name, "Item "+fmtInt(i), []string{"reports", "api"}[i%2])
			ids = append(ids, it.ID)
		}
		// Votes: item 2 gets 3 more, item 4 gets 1 more.
		for _, v := range []string{"alice", "bob", "dave"} {
			w.vote(v, ids[2])
		}
		w.vote("alice", ids[4])
		w.status(ids[1], "planned")
		bug, err := w.s.Create(ctx, w.actor("frank"), feedback.CreateInput{Board: private.ID, Title: "Members only bug", Body: "x", Type: "bug"})
		if err != nil {
			t.Fatal(err)
		}
		list := func(as string, q feedback.ListQuery) []int {
			t.Helper()
			p, err := w.s.List(ctx, w.actor(as), q)
			if err != nil {
				t.Fatal(err)
			}
			var out []int
			for _, it := range p.Items {
				out = append(out, it.ID)
			}
			return out
		}
		eq := func(got, want []int) {
			t.Helper()
			if fmtInts(got) != fmtInts(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		}
		eq(list("alice", feedback.ListQuery{Board: w.board.ID}), []int{ids[2], ids[4], ids[3], ids[1], ids[0]})
		eq(list("alice", feedback.ListQuery{Board: w.board.ID, Sort: "newest"}), []int{ids[4], ids[3], ids[2], ids[1], ids[0]})
		eq(list("alice", feedback.ListQuery{Board: w.board.ID, Statuses: []string{"planned"}}), []int{ids[1]})
		eq(list("alice", feedback.ListQuery{Area: "Reports"}), []int{ids[2], ids[4], ids[0]})
		eq(list("alice", feedback.ListQuery{Types: []string{"bug"}}), []int{bug.ID})
		eq(list("", feedback.ListQuery{Types: []string{"bug"}}), nil) // guests do not see the members' board
		// Trending: votes of the last 7 days. Old votes count for nothing.
		w.clock.add(8 * 24 * 3600e9)
		w.vote("frank", ids[0])
		w.vote("erin", ids[0])
		eq(list("alice", feedback.ListQuery{Board: w.board.ID, Sort: "trending", Limit: 2}), []int{ids[0], ids[2]})
		// Pages of 2 cover everything once, for each sort.
		for _, sort := range []string{"votes", "newest", "trending"} {
			var all []int
			cursor := ""
			for range 10 {
				p, err := w.s.List(ctx, w.actor("alice"), feedback.ListQuery{Board: w.board.ID, Sort: sort, Limit: 2, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range p.Items {
					all = append(all, it.ID)
				}
				if cursor = p.Next; cursor == "" {
					break
				}
			}
			if len(all) != 5 || len(uniq(all)) != 5 {
				t.Fatalf("%s pages: %v", sort, all)
			}
		}
		_, err = w.s.List(ctx, w.actor("alice"), feedback.ListQuery{Sort: "hot"})
		wantKind(t, err, apperr.KindUnprocessable, "validation_failed")
		_, err = w.s.List(ctx, w.actor("alice"), feedback.ListQuery{Statuses: []string{"shipped"}})
		wantKind(t, err, apperr.KindUnprocessable, "validation_failed")
		_, err = w.s.List(ctx, w.actor("alice"), feedback.ListQuery{Cursor: "garbage"})
		wantKind(t, err, apperr.KindInvalid, "invalid_cursor")
	})
}

func fmtInts(xs []int) string {
	var b strings.Builder
	for _, x := range xs {
		b.WriteString(fmtInt(x) + ",")
	}
	return b.String()
}

func uniq(xs []int) map[int]bool {
	m := map[int]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// Concurrent votes (and repeated ones) end with exactly one vote per
// customer and a vote_count that matches the rows.
func TestConcurrentVotes(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		it := w.item("alice", "Concurrent")
		names := []string{"bob", "carol", "dave", "erin", "frank"}
		errs := make(chan error, 3*len(names))
		var wg sync.WaitGroup
		for _, n := range names {
			a := w.actor(n)
			for range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := w.s.Vote(ctx, a, it.ID, feedback.VoteInput{})
					errs <- err
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		rows := db.Client.FeedbackVote.Query().Where(feedbackvote.ItemID(it.ID), feedbackvote.Active(true)).CountX(ctx)
		if got := w.get(it.ID).VoteCount; got != 6 || rows != 6 {
			t.Fatalf("vote_count %d, rows %d, want 6", got, rows)
		}
	})
}

// Merging notifies the duplicate's author, voters and followers: its
// status changed to duplicate.
func TestMergeClosesTheLoop(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		a, b := w.item("alice", "Keep"), w.item("bob", "Dup")
		w.vote("carol", b.ID)
		w.relay()
		if _, err := w.s.Merge(ctx, w.actor("staffer"), b.ID, a.ID, ""); err != nil {
			t.Fatal(err)
		}
		w.relay()
		for name, want := range map[string]int{"bob": 1, "carol": 1, "alice": 0} {
			ns := db.Client.Notification.Query().Where(notification.UserID(w.users[name].ID), notification.Kind("feedback_status")).AllX(ctx)
			if len(ns) != want {
				t.Fatalf("%s: %d notifications, want %d", name, len(ns), want)
			}
			if want == 1 && (ns[0].Data["status"] != "duplicate" || intOf(ns[0].Data["duplicate_of"]) != a.ID) {
				t.Fatalf("%s: %v", name, ns[0].Data)
			}
		}
	})
}

func intOf(v any) int {
	if f, ok := v.(float64); ok {
		return int(f)
	}
	return 0
}
