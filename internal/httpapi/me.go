package httpapi

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/apperr"
)

func (s *server) getMe(c echo.Context) error {
	return c.JSON(http.StatusOK, me(mustPrincipal(c).User))
}

type patchMeRequest struct {
	DisplayName *string `json:"display_name"`
	Bio         *string `json:"bio"`
	AvatarURL   *string `json:"avatar_url"`
	Locale      *string `json:"locale"`
	GraphOptOut *bool   `json:"graph_opt_out"`
}

func (s *server) patchMe(c echo.Context) error {
	var req patchMeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.Accounts.UpdateProfile(c.Request().Context(), mustPrincipal(c).User.ID, account.ProfilePatch{
		DisplayName: req.DisplayName, Bio: req.Bio, AvatarURL: req.AvatarURL, Locale: req.Locale,
		GraphOptOut: req.GraphOptOut,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, me(u))
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword keeps the caller's own session and signs out all others.
func (s *server) changePassword(c echo.Context) error {
	var req changePasswordRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p := mustPrincipal(c)
	if err := s.Accounts.ChangePassword(c.Request().Context(), p.User.ID, req.CurrentPassword, req.NewPassword, p.Token.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *server) listTokens(c echo.Context) error {
	p := mustPrincipal(c)
	ts, err := s.Accounts.Tokens(c.Request().Context(), p.User.ID)
	if err != nil {
		return err
	}
	out := make([]Token, len(ts))
	for i, t := range ts {
		out[i] = token(t, p.Token.ID)
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": out})
}

type createTokenRequest struct {
	Name          string `json:"name"`
	ExpiresInDays int    `json:"expires_in_days"`
}

// maxTokenDays bounds API token lifetimes (0 means no expiry).
const maxTokenDays = 3650

func (s *server) createToken(c echo.Context) error {
	var req createTokenRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.ExpiresInDays < 0 || req.ExpiresInDays > maxTokenDays {
		return apperr.Validation(map[string]string{"expires_in_days": "must be between 0 (never) and 3650"})
	}
	p := mustPrincipal(c)
	iss, err := s.Accounts.CreateAPIToken(c.Request().Context(), p.User.ID, req.Name,
		time.Duration(req.ExpiresInDays)*24*time.Hour, clientOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"token": token(iss.Token, p.Token.ID), "secret": iss.Secret})
}

func (s *server) revokeToken(c echo.Context) error {
	id, err := pathInt(c, "id")
	if err != nil {
		return err
	}
	p := mustPrincipal(c)
	if err := s.Accounts.RevokeToken(c.Request().Context(), p.User.ID, id); err != nil {
		return err
	}
	if id == p.Token.ID {
		s.clearSession(c)
	}
	return c.NoContent(http.StatusNoContent)
}
