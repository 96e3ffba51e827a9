package account

import (
	"context"
	"strings"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/authtoken"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
)

// Client describes where a sign-in comes from, kept with the token so a user
// can recognise their sessions.
type Client struct {
	UserAgent string
	IP        string
}

// Issued is a freshly created token. Secret is shown once and never stored.
type Issued struct {
	Token  *ent.AuthToken
	Secret string
}

// Principal is an authenticated caller: the user and the token they used.
type Principal struct {
	User  *ent.User
	Token *ent.AuthToken
	// Actor is the user's authorization view, when the Service has an
	// ActorLoader (Options.Actors); nil otherwise.
	Actor *authz.Actor
}

// touchEvery bounds how often last-used and last-seen times are written, so
// that authenticating a request is a read, not a write, in the common case.
const touchEvery = time.Minute

// Login checks a username-or-email and password and opens a session.
func (s *Service) Login(ctx context.Context, login, password string, client Client) (*ent.User, Issued, error) {
	login = strings.TrimSpace(login)
	if login == "" || password == "" {
		problems := map[string]string{}
		if login == "" {
			problems["login"] = "is required"
		}
		if password == "" {
			problems["password"] = "is required"
		}
		return nil, Issued{}, apperr.Validation(problems)
	}
	if len(login) > EmailMaxLen || len(password) > PasswordMaxLen {
		return nil, Issued{}, apperr.Unauthenticated("bad_credentials", "wrong username, email or password")
	}
	pred := user.UsernameKey(usernameKey(login))
	if strings.Contains(login, "@") {
		pred = user.EmailKey(emailKey(login))
	}
	u, err := s.db.User.Query().Where(pred).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, Issued{}, apperr.Internal("login", err)
	}
	hash := s.dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	ok, err := verifyPassword(hash, password)
	if err != nil {
		return nil, Issued{}, apperr.Internal("login", err)
	}
	if u == nil || !ok {
		return nil, Issued{}, apperr.Unauthenticated("bad_credentials", "wrong username, email or password")
	}
	if u.Status == user.StatusSuspended {
		return nil, Issued{}, apperr.Forbidden("account_suspended", "this account is suspended")
	}
	iss, err := s.issue(ctx, u, authtoken.KindSession, "", client, s.opts.SessionTTL)
	if err != nil {
		return nil, Issued{}, err
	}
	return u, iss, nil
}

// Authenticate resolves a token secret to its user. Unknown, revoked and
// expired tokens, and tokens of suspended users, are all "unauthenticated".
// With Options.PrincipalTTL the answer is cached for that long (see
// principalCache for how changes reach the cache).
func (s *Service) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 100 {
		return Principal{}, apperr.Unauthenticated("invalid_token", "the token is not valid")
	}
	hash := hashToken(secret)
	now := s.opts.Now()
	if p, ok := s.principals.get(hash, now); ok {
		if p.Token.ExpiresAt != nil && !now.Before(*p.Token.ExpiresAt) {
			return Principal{}, apperr.Unauthenticated("token_expired", "the token has expired; sign in again")
		}
		if s.touch(ctx, p, now) {
			s.principals.put(hash, s.principals.generation(), p, now)
		}
		return p, nil
	}
	gen := s.principals.generation()
	t, err := s.db.AuthToken.Query().Where(authtoken.TokenHash(hash)).WithUser().Only(ctx)
	if ent.IsNotFound(err) {
		return Principal{}, apperr.Unauthenticated("invalid_token", "the token is not valid")
	}
	if err != nil {
		return Principal{}, apperr.Internal("authenticate", err)
	}
	switch {
	case t.RevokedAt != nil:
		return Principal{}, apperr.Unauthenticated("invalid_token", "the token is not valid")
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return Principal{}, apperr.Unauthenticated("token_expired", "the token has expired; sign in again")
	case t.Edges.User.Status == user.StatusSuspended:
		return Principal{}, apperr.Unauthenticated("account_suspended", "this account is suspended")
	}
	p := Principal{User: t.Edges.User, Token: t}
	if s.opts.Actors != nil {
		a, err := s.opts.Actors.Actor(ctx, p.User)
		if err != nil {
			return Principal{}, err
		}
		p.Actor = &a
	}
	s.touch(ctx, p, now)
	s.principals.put(hash, gen, p, now)
	return p, nil
}

// touch records, at most once a minute, when the token was last used and
// the user last seen; it reports whether it changed p.
func (s *Service) touch(ctx context.Context, p Principal, now time.Time) bool {
	t, u := p.Token, p.User
	if t.LastUsedAt != nil && now.Sub(*t.LastUsedAt) < touchEvery {
		return false
	}
	// Best effort: a failed touch must not fail the request.
	if err := s.db.AuthToken.Update().Where(authtoken.ID(t.ID)).SetLastUsedAt(now).Exec(ctx); err == nil {
		t.LastUsedAt = &now
	}
	if u.LastSeenAt == nil || now.Sub(*u.LastSeenAt) >= touchEvery {
		up := s.db.User.Update().Where(user.ID(u.ID)).SetLastSeenAt(now)
		if u.LastSeenAt == nil || !sameDay(*u.LastSeenAt, now) {
			up.AddDaysVisited(1) // counts towards trust levels
		}
		if err := up.Exec(ctx); err == nil {
			u.LastSeenAt = &now
		}
	}
	return true
}

// Logout revokes the token the caller used.
func (s *Service) Logout(ctx context.Context, p Principal) error {
	return s.RevokeToken(ctx, p.User.ID, p.Token.ID)
}

// CreateAPIToken issues a named bearer token for scripts and integrations.
// ttl 0 means it never expires.
func (s *Service) CreateAPIToken(ctx context.Context, userID int, name string, ttl time.Duration, client Client) (Issued, error) {
	name = strings.TrimSpace(name)
	problems := map[string]string{}
	if name == "" {
		problems["name"] = "is required"
	}
	checkText("name", name, TokenNameMaxLen, false, problems)
	if ttl < 0 {
		problems["expires_in_days"] = "must not be negative"
	}
	if len(problems) > 0 {
		return Issued{}, apperr.Validation(problems)
	}
	u, err := s.ByID(ctx, userID)
	if err != nil {
		return Issued{}, err
	}
	return s.issue(ctx, u, authtoken.KindAPI, name, client, ttl)
}

// Tokens lists a user's live sessions and API tokens, newest first.
func (s *Service) Tokens(ctx context.Context, userID int) ([]*ent.AuthToken, error) {
	now := s.opts.Now()
	ts, err := s.db.AuthToken.Query().
		Where(authtoken.UserID(userID), authtoken.RevokedAtIsNil(),
			authtoken.Or(authtoken.ExpiresAtIsNil(), authtoken.ExpiresAtGT(now))).
		Order(ent.Desc(authtoken.FieldCreatedAt), ent.Desc(authtoken.FieldID)).
		All(ctx)
	if err != nil {
		return nil, apperr.Internal("list tokens", err)
	}
	return ts, nil
}

// RevokeToken revokes one of the user's tokens. Revoking is idempotent.
func (s *Service) RevokeToken(ctx context.Context, userID, tokenID int) error {
	t, err := s.db.AuthToken.Query().Where(authtoken.ID(tokenID), authtoken.UserID(userID)).Only(ctx)
	if ent.IsNotFound(err) {
		return apperr.NotFound("token_not_found", "no such token")
	}
	if err != nil {
		return apperr.Internal("revoke token", err)
	}
	if t.RevokedAt != nil {
		return nil
	}
	if err := s.db.AuthToken.UpdateOneID(t.ID).SetRevokedAt(s.opts.Now()).Exec(ctx); err != nil {
		return apperr.Internal("revoke token", err)
	}
	s.principals.forget(userID)
	return nil
}

// RevokeAll revokes every token of the user except keep (0 keeps none).
func (s *Service) RevokeAll(ctx context.Context, userID, keep int) error {
	q := s.db.AuthToken.Update().Where(authtoken.UserID(userID), authtoken.RevokedAtIsNil())
	if keep != 0 {
		q = q.Where(authtoken.IDNEQ(keep))
	}
	if _, err := q.SetRevokedAt(s.opts.Now()).Save(ctx); err != nil {
		return apperr.Internal("revoke tokens", err)
	}
	s.principals.forget(userID)
	return nil
}

func (s *Service) issue(ctx context.Context, u *ent.User, kind authtoken.Kind, name string, client Client, ttl time.Duration) (Issued, error) {
	secret, hash, err := newToken()
	if err != nil {
		return Issued{}, apperr.Internal("issue token", err)
	}
	now := s.opts.Now()
	c := s.db.AuthToken.Create().
		SetKind(kind).SetTokenHash(hash).SetName(name).SetUserID(u.ID).
		SetUserAgent(truncate(client.UserAgent, 512)).SetIP(truncate(client.IP, 64)).
		SetCreatedAt(now)
	if ttl > 0 {
		c.SetExpiresAt(now.Add(ttl))
	}
	t, err := c.Save(ctx)
	if err != nil {
		return Issued{}, apperr.Internal("issue token", err)
	}
	return Issued{Token: t, Secret: secret}, nil
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// sameDay reports whether a and b fall on the same UTC day.
func sameDay(a, b time.Time) bool {
	ay, am, ad := a.UTC().Date()
	by, bm, bd := b.UTC().Date()
	return ay == by && am == bm && ad == bd
}
