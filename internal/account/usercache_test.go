package account_test

import (
	"context"
	"testing"
	"time"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
)

// ByIDs serves users' public fields from the node's cache. A profile
// changed through this node shows at once; one changed elsewhere (here
// straight in the database, as another node would) shows after
// ForgetProfiles (the app calls it for user.updated from any node) or at
// the latest after the TTL. Callers get copies, and without a TTL nothing
// is cached.
func TestByIDsCache(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
		s := node(t, db, c, &countingActors{})
		u, _, err := s.Signup(ctx, alice(), account.Client{})
		if err != nil {
			t.Fatal(err)
		}
		name := func(s *account.Service) string {
			t.Helper()
			us, err := s.ByIDs(ctx, []int{u.ID, u.ID + 1000})
			if err != nil {
				t.Fatal(err)
			}
			if len(us) != 1 || us[u.ID] == nil || us[u.ID].Username != u.Username {
				t.Fatalf("ByIDs: %v", us)
			}
			got := us[u.ID].DisplayName
			us[u.ID].DisplayName = "changed by a caller" // must not reach the cache
			return got
		}
		if got := name(s); got != u.DisplayName {
			t.Fatalf("display name %q, want %q", got, u.DisplayName)
		}
		if got := name(s); got != u.DisplayName {
			t.Fatalf("a cached user was changed through a returned copy: %q", got)
		}

		// Through this node: at once.
		mine := "Alice on this node"
		if _, err := s.UpdateProfile(ctx, u.ID, account.ProfilePatch{DisplayName: &mine}); err != nil {
			t.Fatal(err)
		}
		if got := name(s); got != mine {
			t.Fatalf("after UpdateProfile: %q", got)
		}

		// Elsewhere: after the event, or after the TTL.
		db.Client.User.UpdateOneID(u.ID).SetDisplayName("Alice elsewhere").ExecX(ctx)
		if got := name(s); got != mine {
			t.Fatalf("served %q before the TTL or an event; want the cached %q", got, mine)
		}
		s.ForgetProfiles()
		if got := name(s); got != "Alice elsewhere" {
			t.Fatalf("after ForgetProfiles: %q", got)
		}
		db.Client.User.UpdateOneID(u.ID).SetDisplayName("Alice later").ExecX(ctx)
		c.add(principalTTL)
		if got := name(s); got != "Alice later" {
			t.Fatalf("after the TTL: %q", got)
		}

		// No TTL, no cache.
		uncached, err := account.New(db.Client, database.IsUnique, account.Options{Hash: cheap, Now: c.now})
		if err != nil {
			t.Fatal(err)
		}
		name(uncached)
		db.Client.User.UpdateOneID(u.ID).SetDisplayName("Alice uncached").ExecX(ctx)
		if got := name(uncached); got != "Alice uncached" {
			t.Fatalf("without a TTL: %q", got)
		}
	})
}
