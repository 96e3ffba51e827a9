package database_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/authtoken"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
)

// createUser inserts a user keyed by username and email.
func createUser(t *testing.T, db *database.DB, username, email string) (*ent.User, error) {
	t.Helper()
	return db.Client.User.Create().
		SetUsername(username).
		SetUsernameKey(username).
		SetEmail(email).
		SetEmailKey(email).
		SetPasswordHash("x").
		Save(t.Context())
}

func TestIsUnique(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := t.Context()
		if _, err := createUser(t, db, "alice", "alice@example.com"); err != nil {
			t.Fatal(err)
		}
		_, err := createUser(t, db, "alice", "other@example.com")
		if err == nil {
			t.Fatal("second user with the same username_key was accepted")
		}
		if !ent.IsConstraintError(err) || !database.IsUnique(err) {
			t.Errorf("duplicate username_key: IsConstraintError = %v, IsUnique = %v; want both true (err: %v)",
				ent.IsConstraintError(err), database.IsUnique(err), err)
		}
		// Still recognised when wrapped again by a caller.
		if !database.IsUnique(fmt.Errorf("account create: %w", err)) {
			t.Errorf("IsUnique lost the cause through another %%w wrap")
		}

		_, err = db.Client.User.Get(ctx, 1<<40)
		if !ent.IsNotFound(err) {
			t.Fatalf("Get of a missing user = %v; want not found", err)
		}
		if database.IsUnique(err) {
			t.Errorf("IsUnique(%v) = true on not found", err)
		}

		// A foreign key violation is a constraint error, but not a unique one.
		_, err = db.Client.AuthToken.Create().
			SetKind(authtoken.KindSession).
			SetTokenHash("h").
			SetUserID(1 << 40).
			SetCreatedAt(time.Now()).
			Save(ctx)
		if !ent.IsConstraintError(err) {
			t.Fatalf("token for a missing user = %v; want a constraint error (foreign keys enforced?)", err)
		}
		if database.IsUnique(err) {
			t.Errorf("IsUnique(%v) = true on a foreign key violation", err)
		}

		if database.IsUnique(nil) || database.IsUnique(errors.New("UNIQUE constraint failed")) {
			t.Error("IsUnique is true for nil or for a mere message")
		}
	})
}
