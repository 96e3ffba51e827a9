package forum_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/forum"
)

// statementCounter counts the statements an ent client sends, from ent's
// debug driver's log lines (one per Exec or Query, in or out of a transaction).
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) log(args ...any) {
	line := fmt.Sprint(args...)
	if strings.Contains(line, "query=") {
		c.n.Add(1)
	}
}

// countedNode is another forum service on the world's database whose
// statements are counted.
func (w *world) countedNode() (*forum.Service, *statementCounter) {
	counter := &statementCounter{}
	db := w.db
	drv := dialect.Debug(entsql.OpenDB(db.Dialect.Ent(), db.SQL), counter.log)
	return w.node(&database.DB{Client: ent.NewClient(ent.Driver(drv)), SQL: db.SQL, Dialect: db.Dialect}), counter
}

// A reply by a member who has posted in the topic before runs a fixed,
// small number of statements (docs/BENCHMARKS.md, "Statements per
// request"): the topic with its forum, then in the transaction one UPDATE
// … RETURNING for the number and the topic's counters, the post, the
// member's topic state (read and upsert; one statement on PostgreSQL) and
// the event (on PostgreSQL the
// topic's update has given the transaction its id already). The forum's counters follow from the event
// (CountsConsumer).
func TestCreatePostStatements(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		f := w.forum("Counted", forum.ForumInput{})
		tv, _ := w.topic("alice", f, "Count the statements")
		w.reply("bob", tv.ID, "first reply, which adds bob to the participants", 0)

		s, counter := w.countedNode()
		bob := w.actor("bob")

		p, err := s.CreatePost(ctx, bob, tv.ID, forum.PostInput{Body: "second reply"})
		if err != nil {
			t.Fatal(err)
		}
		// topic, forum; UPDATE topics … RETURNING; INSERT post; SELECT +
		// upsert topic_users (one statement on PostgreSQL); INSERT event.
		want := map[database.Dialect]int{database.SQLite: 7, database.Postgres: 6}[db.Dialect]
		if got := counter.n.Load(); got != int64(want) {
			t.Errorf("CreatePost ran %d statements, want %d", got, want)
		}
		if p.PostNumber != 3 {
			t.Fatalf("post number %d, want 3", p.PostNumber)
		}
		t.Logf("%s: %d statements (plus BEGIN and COMMIT)", db.Dialect, counter.n.Load())

		// The next reply takes the topic and its forum from this node's
		// caches: the transaction's UPDATE … RETURNING reads back what
		// authorization needs from the locked row.
		counter.n.Store(0)
		if _, err := s.CreatePost(ctx, bob, tv.ID, forum.PostInput{Body: "third reply"}); err != nil {
			t.Fatal(err)
		}
		if got := counter.n.Load(); got != int64(want-2) {
			t.Errorf("a reply to a cached topic ran %d statements, want %d", got, want-2)
		}
	})
}

// A page of posts for a signed-in reader reads the topic (eager loading
// its tags), the reader's topic_users row and the posts; a bare page (the
// API's, which renders the posts alone) only the topic and the posts. The
// forum comes from the node's cache.
func TestPostsPageStatements(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		f := w.forum("Counted reads", forum.ForumInput{})
		tv, _ := w.topic("alice", f, "Count the reads")
		w.reply("bob", tv.ID, "a reply to page through", 0)

		s, counter := w.countedNode()
		bob := w.actor("bob")
		if _, err := s.Posts(ctx, bob, tv.ID, forum.PostQuery{}); err != nil { // fills the forum cache
			t.Fatal(err)
		}
		for _, c := range []struct {
			bare bool
			want int
		}{{false, 4}, {true, 2}} {
			counter.n.Store(0)
			page, err := s.Posts(ctx, bob, tv.ID, forum.PostQuery{Bare: c.bare})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Posts) != 2 || page.Topic.ID != tv.ID {
				t.Fatalf("bare=%v: %d posts of topic %d", c.bare, len(page.Posts), page.Topic.ID)
			}
			if c.bare && (page.Topic.Tags != nil || page.Topic.Level != "") {
				t.Errorf("a bare page loaded the topic's tags %v or the reader's level %q", page.Topic.Tags, page.Topic.Level)
			}
			if !c.bare && page.Topic.Level == "" {
				t.Error("a full page has no reader level")
			}
			if got := counter.n.Load(); got != int64(c.want) {
				t.Errorf("bare=%v: %d statements, want %d", c.bare, got, c.want)
			}
		}
	})
}
