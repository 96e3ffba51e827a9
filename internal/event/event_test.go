package event_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/event"
)

// Events recorded in a transaction that rolls back never reach a consumer;
// committed ones arrive in order with every field and the payload intact.
func TestRecordDeliversOnlyCommittedEvents(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		pg := db.Dialect == database.Postgres
		ghost := func(n int) event.Event {
			return event.Event{Type: "test.ghost", PostID: n, Visibility: event.Public, Payload: map[string]any{"n": n}}
		}
		rollBack := func(evs ...event.Event) {
			t.Helper()
			tx, err := db.Client.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := event.Record(ctx, tx, pg, evs...); err != nil {
				t.Fatalf("record: %v", err)
			}
			if err := tx.Rollback(); err != nil {
				t.Fatalf("rollback: %v", err)
			}
		}
		errFail := errors.New("the write after Record failed")

		created := event.Event{
			Type: event.PostCreated, ActorID: 7, ForumID: 3, TopicID: 11, PostID: 42, UserID: 9,
			Visibility: event.Members,
			Payload: map[string]any{
				"post_number":        5,
				"reply_to_post_id":   41,
				"mentioned_user_ids": []int{1, 2, 3},
				"excerpt":            "héllo \"quoted\" <b>bold</b> 🎉",
				"nested":             map[string]any{"ok": true, "nothing": nil, "ratio": 0.25},
			},
		}
		read := event.Event{Type: event.TopicRead, UserID: 9, TopicID: 11, Visibility: event.UserOnly(9),
			Payload: map[string]any{"post_number": 5}}
		bare := event.Event{Type: event.ForumCreated, Visibility: event.Public} // no ids, no payload
		staff := event.Event{Type: event.TopicMoved, ActorID: 1, TopicID: 11, Visibility: event.Staff,
			Payload: map[string]any{"from_forum_id": 3, "to_forum_id": 4}}

		before := time.Now().Truncate(time.Microsecond)
		recordTx(t, db, created)
		rollBack(ghost(1), ghost(2))
		recordTx(t, db, read, bare) // two events, one transaction
		if err := inTx(ctx, db, func(tx *ent.Tx) error {
			if err := event.Record(ctx, tx, pg, ghost(3)); err != nil {
				return err
			}
			return errFail
		}); !errors.Is(err, errFail) {
			t.Fatalf("failing transaction: err = %v, want %v", err, errFail)
		}
		recordTx(t, db, staff)
		after := time.Now()

		want := []event.Event{created, read, bare, staff}
		if got := allIDs(t, db); len(got) != len(want) {
			t.Fatalf("outbox holds %d events after commits and rollbacks, want %d", len(got), len(want))
		}

		c := &plainConsumer{name: "committed-only"}
		r := event.NewRelay(db.Client, testLogger(t), event.RelayOptions{PollInterval: 10 * time.Millisecond}, c)
		startRelay(t, r)
		last := latest(t, db)
		waitFor(t, "the last committed event to be delivered", func() bool {
			return c.log.last() == last && position(t, db, c.name) == last
		})

		got := c.log.events()
		if len(got) != len(want) {
			t.Fatalf("delivered %d events, want %d: %+v", len(got), len(want), got)
		}
		for i, g := range got {
			w := want[i]
			if i > 0 && g.ID <= got[i-1].ID {
				t.Errorf("event %d: id %d not after %d", i, g.ID, got[i-1].ID)
			}
			if g.Type == "test.ghost" {
				t.Errorf("event %d: a rolled-back event was delivered: %+v", i, g)
			}
			if g.Type != w.Type || g.ActorID != w.ActorID || g.ForumID != w.ForumID || g.TopicID != w.TopicID ||
				g.PostID != w.PostID || g.UserID != w.UserID || g.Visibility != w.Visibility {
				t.Errorf("event %d:\n got %+v\nwant %+v", i, g, w)
			}
			// The payload comes back as JSON decodes it (numbers are float64).
			if wp := jsonRoundTrip(t, w.Payload); len(wp) == 0 {
				if len(g.Payload) != 0 {
					t.Errorf("event %d: payload = %v, want none", i, g.Payload)
				}
			} else if !reflect.DeepEqual(g.Payload, wp) {
				t.Errorf("event %d: payload\n got %#v\nwant %#v", i, g.Payload, wp)
			}
			if g.CreatedAt.Before(before) || g.CreatedAt.After(after) {
				t.Errorf("event %d: created_at %v outside [%v, %v]", i, g.CreatedAt, before, after)
			}
		}
		if !got[1].CreatedAt.Equal(got[2].CreatedAt) {
			t.Errorf("events recorded together have created_at %v and %v, want equal", got[1].CreatedAt, got[2].CreatedAt)
		}
	})
}

// Record refuses an event without visibility, and recording nothing is a no-op.
func TestRecordValidates(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		pg := db.Dialect == database.Postgres
		err := inTx(ctx, db, func(tx *ent.Tx) error {
			if err := event.Record(ctx, tx, pg); err != nil {
				t.Errorf("Record of no events: %v", err)
			}
			return event.Record(ctx, tx, pg, event.Event{Type: event.PostCreated, Visibility: event.Public},
				event.Event{Type: event.PostEdited})
		})
		if err == nil {
			t.Fatal("Record accepted an event without visibility")
		}
		if n := len(allIDs(t, db)); n != 0 {
			t.Errorf("outbox holds %d events after a refused Record, want 0", n)
		}
	})
}

func jsonRoundTrip(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
