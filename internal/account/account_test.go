package account_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crn-dev/crn/ent/authtoken"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/database/dbtest"
)

// cheap keeps argon2id real but fast enough for tests.
var cheap = account.HashParams{MemoryKiB: 64, Time: 1, Threads: 1}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newService(t *testing.T, db *database.DB, c *clock) *account.Service {
	t.Helper()
	opts := account.Options{SessionTTL: time.Hour, PasswordMinLen: 8, SignupEnabled: true, Hash: cheap}
	if c != nil {
		opts.Now = c.now
	}
	s, err := account.New(db.Client, database.IsUnique, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func alice() account.NewUser {
	return account.NewUser{Username: "Alice", Email: "Alice@Example.com", Password: "correct horse", DisplayName: "爱丽丝 Alice"}
}

func wantKind(t *testing.T, err error, k apperr.Kind) *apperr.Error {
	t.Helper()
	if !apperr.Is(err, k) {
		t.Fatalf("want %s error, got %v", k, err)
	}
	return apperr.As(err)
}

func countUsers(t *testing.T, db *database.DB) int {
	t.Helper()
	n, err := db.Client.User.Query().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignupLoginAuthenticate(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newService(t, db, nil)
		u, iss, err := s.Signup(ctx, alice(), account.Client{UserAgent: "test", IP: "10.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		if u.Role != user.RoleMember || u.DisplayName != "爱丽丝 Alice" || u.UsernameKey != "alice" || u.EmailKey != "alice@example.com" {
			t.Fatalf("unexpected user: %+v", u)
		}
		if !strings.HasPrefix(iss.Secret, "crn_") || iss.Token.Kind != authtoken.KindSession {
			t.Fatalf("unexpected token: %+v", iss)
		}
		// The secret itself is never stored.
		stored, _ := db.Client.AuthToken.Get(ctx, iss.Token.ID)
		if stored.TokenHash == iss.Secret || strings.Contains(stored.TokenHash, iss.Secret) {
			t.Fatal("token stored in clear")
		}
		for _, login := range []string{"alice", "ALICE", "alice@example.com", "ALICE@EXAMPLE.COM"} {
			if _, _, err := s.Login(ctx, login, "correct horse", account.Client{}); err != nil {
				t.Errorf("login as %q: %v", login, err)
			}
		}
		p, err := s.Authenticate(ctx, iss.Secret)
		if err != nil || p.User.ID != u.ID {
			t.Fatalf("authenticate: %v %+v", err, p)
		}
	})
}

func TestSignupRejectsBadInputAndStoresNothing(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newService(t, db, nil)
		cases := map[string]struct {
			mutate func(*account.NewUser)
			field  string
		}{
			"short username":   {func(u *account.NewUser) { u.Username = "al" }, "username"},
			"long username":    {func(u *account.NewUser) { u.Username = strings.Repeat("a", 31) }, "username"},
			"bad chars":        {func(u *account.NewUser) { u.Username = "al ice<script>" }, "username"},
			"reserved":         {func(u *account.NewUser) { u.Username = "Me" }, "username"},
			"email":            {func(u *account.NewUser) { u.Email = "not-an-email" }, "email"},
			"email with name":  {func(u *account.NewUser) { u.Email = "Alice <a@example.com>" }, "email"},
			"short password":   {func(u *account.NewUser) { u.Password = "short" }, "password"},
			"huge password":    {func(u *account.NewUser) { u.Password = strings.Repeat("x", 300) }, "password"},
			"long display":     {func(u *account.NewUser) { u.DisplayName = strings.Repeat("名", 101) }, "display_name"},
			"control in name":  {func(u *account.NewUser) { u.DisplayName = "a\x00b" }, "display_name"},
			"bad locale":       {func(u *account.NewUser) { u.Locale = "not a locale!" }, "locale"},
			"missing username": {func(u *account.NewUser) { u.Username = "" }, "username"},
		}
		for name, tc := range cases {
			in := alice()
			tc.mutate(&in)
			_, _, err := s.Signup(ctx, in, account.Client{})
			e := wantKind(t, err, apperr.KindUnprocessable)
			if _, ok := e.Fields[tc.field]; !ok {
				t.Errorf("%s: fields %v do not name %s", name, e.Fields, tc.field)
			}
		}
		if n := countUsers(t, db); n != 0 {
			t.Fatalf("bad sign-ups stored %d users", n)
		}
	})
}

func TestUsernamesAndEmailsUniqueIgnoringCase(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newService(t, db, nil)
		if _, _, err := s.Signup(ctx, alice(), account.Client{}); err != nil {
			t.Fatal(err)
		}
		dupName := alice()
		dupName.Username, dupName.Email = "ALICE", "other@example.com"
		e := wantKind(t, func() error { _, _, err := s.Signup(ctx, dupName, account.Client{}); return err }(), apperr.KindConflict)
		if e.Fields["username"] == "" || e.Fields["email"] != "" {
			t.Errorf("fields: %v", e.Fields)
		}
		dupMail := alice()
		dupMail.Username, dupMail.Email = "alice2", "ALICE@example.COM"
		e = wantKind(t, func() error { _, _, err := s.Signup(ctx, dupMail, account.Client{}); return err }(), apperr.KindConflict)
		if e.Fields["email"] == "" {
			t.Errorf("fields: %v", e.Fields)
		}
		if n := countUsers(t, db); n != 1 {
			t.Fatalf("users = %d, want 1", n)
		}
	})
}

// Concurrent sign-ups for one name: exactly one wins, the rest get a
// conflict (from the pre-check or the unique index), never a 500.
func TestConcurrentSignupsForOneName(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newService(t, db, nil)
		const n = 8
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := alice()
				in.Email = strings.Replace(in.Email, "@", "+"+string(rune('a'+i))+"@", 1)
				_, _, err := s.Signup(ctx, in, account.Client{})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		ok := 0
		for err := range errs {
			switch {
			case err == nil:
				ok++
			case !apperr.Is(err, apperr.KindConflict):
				t.Errorf("want conflict, got %v", err)
			}
		}
		if ok != 1 || countUsers(t, db) != 1 {
			t.Fatalf("%d sign-ups succeeded, %d users stored; want 1 and 1", ok, countUsers(t, db))
		}
	})
}

func TestLoginFailures(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newService(t, db, nil)
		u, _, err := s.Signup(ctx, alice(), account.Client{})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = s.Login(ctx, "alice", "wrong password", account.Client{})
		wrong := wantKind(t, err, apperr.KindUnauthenticated)
		_, _, err = s.Login(ctx, "nobody", "correct horse", account.Client{})
		unknown := wantKind(t, err, apperr.KindUnauthenticated)
		if wrong.Code != unknown.Code || wrong.Message != unknown.Message {
			t.Error("wrong password and unknown user must look the same")
		}
		_, _, err = s.Login(ctx, "", "", account.Client{})
		wantKind(t, err, apperr.KindUnprocessable)

		if err := db.Client.User.UpdateOneID(u.ID).SetStatus(user.StatusSuspended).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		_, _, err = s.Login(ctx, "alice", "correct horse", account.Client{})
		wantKind(t, err, apperr.KindForbidden)
	})
}

func TestTokensExpireRevokeAndSuspend(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
		s := newService(t, db, c)
		u, sess, err := s.Signup(ctx, alice(), account.Client{})
		if err != nil {
			t.Fatal(err)
		}
		api, err := s.CreateAPIToken(ctx, u.ID, "ci bot", 0, account.Client{})
		if err != nil {
			t.Fatal(err)
		}
		if api.Token.ExpiresAt != nil {
			t.Fatal("ttl 0 must never expire")
		}
		// A session lives SessionTTL (1h here).
		c.add(59 * time.Minute)
		if _, err := s.Authenticate(ctx, sess.Secret); err != nil {
			t.Fatalf("session before expiry: %v", err)
		}
		c.add(2 * time.Minute)
		_, err = s.Authenticate(ctx, sess.Secret)
		if e := wantKind(t, err, apperr.KindUnauthenticated); e.Code != "token_expired" {
			t.Fatalf("code %s", e.Code)
		}
		p, err := s.Authenticate(ctx, api.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if p.Token.LastUsedAt == nil || p.User.LastSeenAt == nil {
			t.Error("authenticate should record last use and last seen")
		}
		ts, err := s.Tokens(ctx, u.ID)
		if err != nil || len(ts) != 1 || ts[0].ID != api.Token.ID {
			t.Fatalf("live tokens: %v %v", ts, err)
		}
		// Revoking: idempotent, only one's own.
		other, _, err := s.Signup(ctx, account.NewUser{Username: "bob", Email: "bob@example.com", Password: "correct horse"}, account.Client{})
		if err != nil {
			t.Fatal(err)
		}
		wantKind(t, s.RevokeToken(ctx, other.ID, api.Token.ID), apperr.KindNotFound)
		if err := s.RevokeToken(ctx, u.ID, api.Token.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, u.ID, api.Token.ID); err != nil {
			t.Fatal("second revoke should be a no-op:", err)
		}
		wantKind(t, func() error { _, err := s.Authenticate(ctx, api.Secret); return err }(), apperr.KindUnauthenticated)

		// Suspension cuts existing tokens off.
		api2, _ := s.CreateAPIToken(ctx, u.ID, "second", 0, account.Client{})
		db.Client.User.UpdateOneID(u.ID).SetStatus(user.StatusSuspended).ExecX(ctx)
		wantKind(t, func() error { _, err := s.Authenticate(ctx, api2.Secret); return err }(), apperr.KindUnauthenticated)

		for _, forged := range []string{"", "crn_", "crn_AAAA", "Bearer x", strings.Repeat("x", 500)} {
			wantKind(t, func() error { _, err := s.Authenticate(ctx, forged); return err }(), apperr.KindUnauthenticated)
		}
	})
}

func TestChangePasswordSignsOutOtherSessions(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newService(t, db, nil)
		u, keep, err := s.Signup(ctx, alice(), account.Client{})
		if err != nil {
			t.Fatal(err)
		}
		_, other, err := s.Login(ctx, "alice", "correct horse", account.Client{})
		if err != nil {
			t.Fatal(err)
		}
		wantKind(t, s.ChangePassword(ctx, u.ID, "wrong", "new password!", keep.Token.ID), apperr.KindForbidden)
		wantKind(t, s.ChangePassword(ctx, u.ID, "correct horse", "short", keep.Token.ID), apperr.KindUnprocessable)
		if _, err := s.Authenticate(ctx, other.Secret); err != nil {
			t.Fatal("failed changes must not sign anyone out")
		}
		if err := s.ChangePassword(ctx, u.ID, "correct horse", "new password!", keep.Token.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, keep.Secret); err != nil {
			t.Fatalf("the caller's session must survive: %v", err)
		}
		wantKind(t, func() error { _, err := s.Authenticate(ctx, other.Secret); return err }(), apperr.KindUnauthenticated)
		wantKind(t, func() error { _, _, err := s.Login(ctx, "alice", "correct horse", account.Client{}); return err }(), apperr.KindUnauthenticated)
		if _, _, err := s.Login(ctx, "alice", "new password!", account.Client{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestProfileAndCRM(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newService(t, db, nil)
		u, _, err := s.Signup(ctx, alice(), account.Client{})
		if err != nil {
			t.Fatal(err)
		}
		name, bio, locale := "  王小明  ", "我喜欢这个产品\nline two", "zh-hans-cn"
		u, err = s.UpdateProfile(ctx, u.ID, account.ProfilePatch{DisplayName: &name, Bio: &bio, Locale: &locale})
		if err != nil {
			t.Fatal(err)
		}
		if u.DisplayName != "王小明" || u.Bio != bio || u.Locale != "zh-Hans-CN" {
			t.Fatalf("profile: %q %q %q", u.DisplayName, u.Bio, u.Locale)
		}
		bad := "javascript:alert(1)"
		_, err = s.UpdateProfile(ctx, u.ID, account.ProfilePatch{AvatarURL: &bad, DisplayName: &name})
		wantKind(t, err, apperr.KindUnprocessable)
		again, _ := s.ByID(ctx, u.ID)
		if again.AvatarURL != "" {
			t.Fatal("a rejected patch must change nothing")
		}

		ext := "CRM-1"
		u, err = s.LinkCRM(ctx, u.ID, account.CRMLink{ExternalID: &ext, Attributes: map[string]any{"company": "Acme", "arr": 12000}})
		if err != nil || *u.ExternalID != "CRM-1" || u.CrmAttributes["company"] != "Acme" {
			t.Fatalf("crm: %v %+v", err, u)
		}
		bob, _, _ := s.Signup(ctx, account.NewUser{Username: "bob", Email: "bob@example.com", Password: "correct horse"}, account.Client{})
		_, err = s.LinkCRM(ctx, bob.ID, account.CRMLink{ExternalID: &ext})
		wantKind(t, err, apperr.KindConflict)
	})
}

func TestAdminCreatesRoles(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := newService(t, db, nil)
		in := alice()
		in.Role = "admin"
		u, err := s.CreateUser(ctx, in)
		if err != nil || u.Role != user.RoleAdmin {
			t.Fatalf("%v %+v", err, u)
		}
		in = account.NewUser{Username: "eve", Email: "eve@example.com", Password: "correct horse", Role: "superuser"}
		_, err = s.CreateUser(ctx, in)
		wantKind(t, err, apperr.KindUnprocessable)
		// Sign-up never grants a role.
		in.Role = "admin"
		u, _, err = s.Signup(ctx, in, account.Client{})
		if err != nil || u.Role != user.RoleMember {
			t.Fatalf("signup role: %v %+v", err, u)
		}
	})
}

func TestSignupDisabled(t *testing.T) {
	db := dbtest.Open(t, database.SQLite)
	s, err := account.New(db.Client, database.IsUnique, account.Options{SignupEnabled: false, Hash: cheap})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Signup(context.Background(), alice(), account.Client{})
	wantKind(t, err, apperr.KindForbidden)
}
