package account_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
)

// countingActors is an ActorLoader that counts its loads; during stale
// it runs during (once) in the middle of a load, to stand for a change
// that lands while Authenticate is reading the database.
type countingActors struct {
	loads  atomic.Int32
	during func()
}

func (c *countingActors) Actor(_ context.Context, u *ent.User) (authz.Actor, error) {
	c.loads.Add(1)
	if f := c.during; f != nil {
		c.during = nil
		f()
	}
	return authz.ActorOf(u, nil), nil
}

const principalTTL = 5 * time.Second

// node is one server's account service with the principal cache on.
func node(t *testing.T, db *database.DB, c *clock, actors account.ActorLoader) *account.Service {
	t.Helper()
	s, err := account.New(db.Client, database.IsUnique, account.Options{
		SessionTTL: time.Hour, PasswordMinLen: 8, SignupEnabled: true, Hash: cheap, Now: c.now,
		PrincipalTTL: principalTTL, Actors: actors,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Two nodes cache a token's principal. Revoking it on one node stops it
// there at once; the other node, which hears nothing, serves it until its
// cache entry is PrincipalTTL old, and not after.
func TestCachedPrincipalRevokedTokenStops(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
		actorsA, actorsB := &countingActors{}, &countingActors{}
		a, b := node(t, db, c, actorsA), node(t, db, c, actorsB)
		u, iss, err := a.Signup(ctx, alice(), account.Client{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []*account.Service{a, b, a, b} {
			p, err := s.Authenticate(ctx, iss.Secret)
			if err != nil {
				t.Fatal(err)
			}
			if p.User.ID != u.ID || p.Actor == nil || p.Actor.ID != u.ID {
				t.Fatalf("principal %+v, want user %d with its actor", p, u.ID)
			}
			p.User.DisplayName = "changed by a caller" // must not reach the cache
		}
		if actorsA.loads.Load() != 1 || actorsB.loads.Load() != 1 {
			t.Fatalf("actor loads A %d, B %d: want 1 each, the second sign-in served from the cache", actorsA.loads.Load(), actorsB.loads.Load())
		}
		if p, _ := a.Authenticate(ctx, iss.Secret); p.User.DisplayName != u.DisplayName {
			t.Fatalf("cached user was changed through a returned principal: %q", p.User.DisplayName)
		}

		if err := a.RevokeToken(ctx, u.ID, iss.Token.ID); err != nil {
			t.Fatal(err)
		}
		_, err = a.Authenticate(ctx, iss.Secret)
		wantKind(t, err, apperr.KindUnauthenticated)

		c.add(principalTTL - time.Second)
		if _, err := b.Authenticate(ctx, iss.Secret); err != nil {
			t.Fatalf("node B within the TTL: %v (its cached entry is the documented bound)", err)
		}
		c.add(time.Second)
		_, err = b.Authenticate(ctx, iss.Secret)
		wantKind(t, err, apperr.KindUnauthenticated)
	})
}

// A suspension reaches the cache through ForgetUser (the app calls it from
// moderation on the node that suspends, and from the user.suspended event
// on the others); a change that lands while a lookup is reading the
// database keeps that lookup's answer out of the cache.
func TestCachedPrincipalForgetUser(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
		actors := &countingActors{}
		s := node(t, db, c, actors)
		u, iss, err := s.Signup(ctx, alice(), account.Client{})
		if err != nil {
			t.Fatal(err)
		}
		actors.during = func() { s.ForgetUser(u.ID) }
		if _, err := s.Authenticate(ctx, iss.Secret); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, iss.Secret); err != nil {
			t.Fatal(err)
		}
		if n := actors.loads.Load(); n != 2 {
			t.Fatalf("%d loads, want 2: an answer read across a ForgetUser must not be cached", n)
		}

		if err := db.Client.User.UpdateOneID(u.ID).SetStatus(user.StatusSuspended).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, iss.Secret); err != nil {
			t.Fatalf("before ForgetUser the cached principal stands: %v", err)
		}
		s.ForgetUser(u.ID)
		_, err = s.Authenticate(ctx, iss.Secret)
		if e := wantKind(t, err, apperr.KindUnauthenticated); e.Code != "account_suspended" {
			t.Fatalf("code %q, want account_suspended", e.Code)
		}
	})
}
