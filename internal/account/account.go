// Package account holds the rules for customers' accounts: sign-up, sign-in,
// sessions and API tokens, profiles and passwords.
package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/user"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/event"
)

// Roles a user may hold, from most to least powerful.
const (
	RoleAdmin     = "admin"
	RoleModerator = "moderator"
	RoleStaff     = "staff"
	RoleMember    = "member"
)

// Options are the account rules that configuration decides.
type Options struct {
	SessionTTL     time.Duration
	PasswordMinLen int
	SignupEnabled  bool
	Hash           HashParams
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Postgres tells event.Record which database it writes to.
	Postgres bool
	// Committed is called after a transaction that recorded events.
	Committed func()
	// PrincipalTTL is how long Authenticate may serve a token's principal
	// from memory; 0 asks the database every time.
	PrincipalTTL time.Duration
	// Actors, when set, gives every Principal its authorization view.
	Actors ActorLoader
}

// Service implements the account rules on top of the database.
type Service struct {
	db       *ent.Client
	isUnique func(error) bool
	opts     Options
	// principals caches Authenticate's answers (nil: no cache).
	principals principalCache
	// users caches ByIDs' answers (nil: no cache), for the same TTL.
	users     userCache
	dummyHash string // verified against when no user matches, so timing does not reveal which names exist
}

// New returns a Service. isUnique reports whether a database error is a
// unique-constraint violation (the dialect decides how it looks).
func New(db *ent.Client, isUnique func(error) bool, opts Options) (*Service, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Hash == (HashParams{}) {
		opts.Hash = DefaultHashParams
	}
	if opts.PasswordMinLen == 0 {
		opts.PasswordMinLen = 8
	}
	if opts.Committed == nil {
		opts.Committed = func() {}
	}
	if opts.SessionTTL == 0 {
		opts.SessionTTL = 30 * 24 * time.Hour
	}
	dummy, err := hashPassword(opts.Hash, "not a real password")
	if err != nil {
		return nil, err
	}
	return &Service{db: db, isUnique: isUnique, opts: opts, principals: newPrincipalCache(opts.PrincipalTTL),
		users: newUserCache(opts.PrincipalTTL), dummyHash: dummy}, nil
}

// NewUser is what sign-up and the admin command need to create an account.
type NewUser struct {
	Username    string
	Email       string
	Password    string
	DisplayName string
	Locale      string
	Role        string // admin only; sign-up always creates members
}

// Signup creates a member account and signs it in.
func (s *Service) Signup(ctx context.Context, in NewUser, client Client) (*ent.User, Issued, error) {
	if !s.opts.SignupEnabled {
		return nil, Issued{}, apperr.Forbidden("signup_disabled", "sign-up is disabled on this community")
	}
	in.Role = RoleMember
	u, err := s.CreateUser(ctx, in)
	if err != nil {
		return nil, Issued{}, err
	}
	iss, err := s.issue(ctx, u, "session", "", client, s.opts.SessionTTL)
	if err != nil {
		return nil, Issued{}, err
	}
	return u, iss, nil
}

// CreateUser creates an account with the given role without signing it in.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (*ent.User, error) {
	in.Username = strings.TrimSpace(in.Username)
	in.Email = strings.TrimSpace(in.Email)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if in.Role == "" {
		in.Role = RoleMember
	}
	problems := map[string]string{}
	checkUsername(in.Username, problems)
	checkEmail(in.Email, problems)
	checkPasswordRules(in.Password, s.opts.PasswordMinLen, "password", problems)
	checkText("display_name", in.DisplayName, DisplayNameMaxLen, false, problems)
	locale := "en"
	if in.Locale != "" {
		locale = normalizeLocale(in.Locale, problems)
	}
	if user.RoleValidator(user.Role(in.Role)) != nil {
		problems["role"] = "must be admin, moderator, staff or member"
	}
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	if in.DisplayName == "" {
		in.DisplayName = in.Username
	}
	hash, err := hashPassword(s.opts.Hash, in.Password)
	if err != nil {
		return nil, apperr.Internal("create user", err)
	}

	var created *ent.User
	err = withTx(ctx, s.db, func(tx *ent.Tx) error {
		taken := map[string]string{}
		if n, err := tx.User.Query().Where(user.UsernameKey(usernameKey(in.Username))).Count(ctx); err != nil {
			return err
		} else if n > 0 {
			taken["username"] = "is already taken"
		}
		if n, err := tx.User.Query().Where(user.EmailKey(emailKey(in.Email))).Count(ctx); err != nil {
			return err
		} else if n > 0 {
			taken["email"] = "is already registered"
		}
		if len(taken) > 0 {
			e := apperr.Conflict("account_exists", "an account with that username or email already exists")
			e.Fields = taken
			return e
		}
		created, err = tx.User.Create().
			SetUsername(in.Username).SetUsernameKey(usernameKey(in.Username)).
			SetEmail(in.Email).SetEmailKey(emailKey(in.Email)).
			SetDisplayName(in.DisplayName).SetLocale(locale).
			SetRole(user.Role(in.Role)).SetPasswordHash(hash).
			Save(ctx)
		if err != nil {
			return err
		}
		return event.Record(ctx, tx, s.opts.Postgres, event.Event{Type: event.UserCreated, ActorID: created.ID, UserID: created.ID,
			Visibility: event.Public, Payload: map[string]any{"username": created.Username}})
	})
	if err != nil {
		if s.isUnique(err) {
			// Lost a race with a concurrent sign-up for the same name or address.
			return nil, apperr.Conflict("account_exists", "an account with that username or email already exists").WithCause(err)
		}
		if apperr.As(err) != nil {
			return nil, err
		}
		return nil, apperr.Internal("create user", err)
	}
	s.opts.Committed()
	return created, nil
}

// ByUsername finds a user by username, ignoring case.
func (s *Service) ByUsername(ctx context.Context, username string) (*ent.User, error) {
	u, err := s.db.User.Query().Where(user.UsernameKey(usernameKey(username))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("user_not_found", "no such user")
	}
	if err != nil {
		return nil, apperr.Internal("user by username", err)
	}
	return u, nil
}

// ByID finds a user by id.
func (s *Service) ByID(ctx context.Context, id int) (*ent.User, error) {
	u, err := s.db.User.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("user_not_found", "no such user")
	}
	if err != nil {
		return nil, apperr.Internal("user by id", err)
	}
	return u, nil
}

// withTx runs fn in a transaction, committing when it returns nil.
func withTx(ctx context.Context, db *ent.Client, fn func(tx *ent.Tx) error) error {
	tx, err := db.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Username returns the username of a user id (for presence frames).
func (s *Service) Username(ctx context.Context, id int) (string, error) {
	u, err := s.db.User.Query().Where(user.ID(id)).Select(user.FieldUsername).Only(ctx)
	if err != nil {
		return "", err
	}
	return u.Username, nil
}
