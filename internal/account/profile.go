package account

import (
	"context"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/ent/authtoken"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/event"
)

// ProfilePatch changes the fields a user may edit on their own profile; nil
// fields are left alone.
type ProfilePatch struct {
	DisplayName *string
	Bio         *string
	AvatarURL   *string
	Locale      *string
	// GraphOptOut keeps the user out of others' relationship-graph results.
	GraphOptOut *bool
}

// UpdateProfile applies p to the user's profile and records user.updated.
func (s *Service) UpdateProfile(ctx context.Context, userID int, p ProfilePatch) (*ent.User, error) {
	problems := map[string]string{}
	var name, bio, avatar, locale *string
	if p.DisplayName != nil {
		v := strings.TrimSpace(*p.DisplayName)
		checkText("display_name", v, DisplayNameMaxLen, false, problems)
		if v == "" {
			problems["display_name"] = "must not be empty"
		}
		name = &v
	}
	if p.Bio != nil {
		v := strings.TrimSpace(*p.Bio)
		checkText("bio", v, BioMaxLen, true, problems)
		bio = &v
	}
	if p.AvatarURL != nil {
		v := strings.TrimSpace(*p.AvatarURL)
		checkAvatarURL(v, problems)
		avatar = &v
	}
	if p.Locale != nil {
		v := normalizeLocale(strings.TrimSpace(*p.Locale), problems)
		locale = &v
	}
	if len(problems) > 0 {
		return nil, apperr.Validation(problems)
	}
	var u *ent.User
	err := withTx(ctx, s.db, func(tx *ent.Tx) error {
		var err error
		u, err = tx.User.UpdateOneID(userID).SetNillableDisplayName(name).SetNillableBio(bio).
			SetNillableAvatarURL(avatar).SetNillableLocale(locale).SetNillableGraphOptOut(p.GraphOptOut).Save(ctx)
		if err != nil {
			return err
		}
		return event.Record(ctx, tx, s.opts.Postgres, event.Event{Type: event.UserUpdated, ActorID: userID, UserID: userID,
			Visibility: event.Public, Payload: map[string]any{"username": u.Username}})
	})
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("user_not_found", "no such user")
	}
	if err != nil {
		return nil, apperr.Internal("update profile", err)
	}
	s.principals.forget(userID)
	s.users.forget(userID)
	s.opts.Committed()
	return u, nil
}

// ChangePassword replaces the password after checking the current one, and
// signs out every other session and token of the user (keep stays valid).
func (s *Service) ChangePassword(ctx context.Context, userID int, current, next string, keep int) error {
	u, err := s.ByID(ctx, userID)
	if err != nil {
		return err
	}
	problems := map[string]string{}
	if current == "" {
		problems["current_password"] = "is required"
	}
	checkPasswordRules(next, s.opts.PasswordMinLen, "new_password", problems)
	if len(problems) > 0 {
		return apperr.Validation(problems)
	}
	ok, err := verifyPassword(u.PasswordHash, current)
	if err != nil {
		return apperr.Internal("change password", err)
	}
	if !ok {
		return apperr.Forbidden("wrong_password", "the current password is wrong")
	}
	hash, err := hashPassword(s.opts.Hash, next)
	if err != nil {
		return apperr.Internal("change password", err)
	}
	// The new hash and the revocation commit together: a crash in between
	// must not leave old sessions alive under a new password.
	err = withTx(ctx, s.db, func(tx *ent.Tx) error {
		if err := tx.User.UpdateOneID(userID).SetPasswordHash(hash).Exec(ctx); err != nil {
			return err
		}
		q := tx.AuthToken.Update().Where(authtoken.UserID(userID), authtoken.RevokedAtIsNil())
		if keep != 0 {
			q = q.Where(authtoken.IDNEQ(keep))
		}
		_, err := q.SetRevokedAt(s.opts.Now()).Save(ctx)
		return err
	})
	if err != nil {
		return apperr.Internal("change password", err)
	}
	s.principals.forget(userID)
	return nil
}
