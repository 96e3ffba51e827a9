package database_test

import (
	"strings"
	"testing"

	"github.com/crn-dev/crn/internal/database"
)

// The migration that adds users.unread_notifications starts each counter
// at the count of that user's unread notifications, so badges are right
// the moment a node running the new code starts.
func TestUnreadNotificationsCounterBackfill(t *testing.T) {
	for _, d := range allDialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := t.Context()
			db := openEmpty(t, d)
			status, err := db.MigrateStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var target, before uint
			for i, m := range status.Pending {
				if m.Name == "user_unread_notifications" {
					target, before = m.Version, status.Pending[i-1].Version
				}
			}
			if target == 0 {
				t.Fatal("no user_unread_notifications migration")
			}
			if err := db.MigrateTo(ctx, before); err != nil {
				t.Fatal(err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if d == database.SQLite {
					for i := len(args); i >= 1; i-- {
						q = strings.ReplaceAll(q, "$"+string(rune('0'+i)), "?")
					}
				}
				if _, err := db.SQL.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			for _, name := range []string{"ann", "ben", "cy"} {
				exec(`INSERT INTO users (created_at, updated_at, username, username_key, email, email_key, password_hash)
					VALUES (CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, $1, $2, $3, $4, 'x')`, name, name, name+"@example.com", name+"@example.com")
			}
			// ann: 3 unread and 1 read; ben: 1 read; cy: none.
			note := func(user string, event int, read bool) {
				readAt := "NULL"
				if read {
					readAt = "CURRENT_TIMESTAMP"
				}
				exec(`INSERT INTO notifications (user_id, kind, event_id, created_at, read_at)
					SELECT id, 'reply', $1, CURRENT_TIMESTAMP, `+readAt+` FROM users WHERE username = $2`, event, user)
			}
			note("ann", 1, false)
			note("ann", 2, false)
			note("ann", 3, true)
			note("ann", 4, false)
			note("ben", 5, true)

			if _, err := db.MigrateUp(ctx); err != nil {
				t.Fatal(err)
			}
			want := map[string]int{"ann": 3, "ben": 0, "cy": 0}
			users, err := db.Client.User.Query().All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(users) != len(want) {
				t.Fatalf("%d users after migrating, want %d", len(users), len(want))
			}
			for _, u := range users {
				if u.UnreadNotifications != want[u.Username] {
					t.Errorf("%s: unread_notifications = %d after migrating, want %d", u.Username, u.UnreadNotifications, want[u.Username])
				}
			}
		})
	}
}
