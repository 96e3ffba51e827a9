package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
	"github.com/crn-dev/crn/internal/notify"
)

func TestOpenMarksOneNotificationRead(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		user := func(name string) *ent.User {
			return db.Client.User.Create().SetUsername(name).SetUsernameKey(name).SetEmail(name + "@example.com").
				SetEmailKey(name + "@example.com").SetPasswordHash("x").SaveX(ctx)
		}
		alice, bob := user("alice"), user("bob")
		// Two unread notifications, as the consumer leaves them: the rows
		// and the recipient's counter.
		first := db.Client.Notification.Create().SetUserID(alice.ID).SetKind("reply").SetEventID(1).SaveX(ctx)
		db.Client.Notification.Create().SetUserID(alice.ID).SetKind("mention").SetEventID(2).SaveX(ctx)
		db.Client.User.UpdateOne(alice).SetUnreadNotifications(2).ExecX(ctx)
		s := notify.NewService(db.Client)

		if _, err := s.Open(ctx, bob.ID, first.ID); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatalf("bob opening alice's notification: %v", err)
		}
		n, err := s.Open(ctx, alice.ID, first.ID)
		if err != nil || n.ReadAt == nil || n.Kind != "reply" {
			t.Fatalf("open: %+v %v", n, err)
		}
		if c, _ := s.UnreadCount(ctx, alice.ID); c != 1 {
			t.Fatalf("after opening one of two, %d unread", c)
		}
		again, err := s.Open(ctx, alice.ID, first.ID) // idempotent; keeps the first read time
		if err != nil || again.ReadAt == nil || again.ReadAt.Sub(*n.ReadAt).Abs() > time.Millisecond {
			t.Fatalf("open again: %v %v vs %v", err, again.ReadAt, n.ReadAt)
		}
		if c, _ := s.UnreadCount(ctx, alice.ID); c != 1 {
			t.Fatalf("opening a read notification again took the unread count to %d, want 1", c)
		}
	})
}
