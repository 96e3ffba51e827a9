package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/internal/account"
)

// SessionResponse answers sign-up and sign-in. Token is the bearer token for
// API clients; browsers get the same secret as an HttpOnly cookie, and must
// echo CSRFToken in the X-CSRF-Token header on writes.
type SessionResponse struct {
	User      Me     `json:"user"`
	Token     string `json:"token"`
	CSRFToken string `json:"csrf_token"`
}

type signupRequest struct {
	Username    string `json:"username"`
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
	Locale      string `json:"locale"`
}

func (s *server) signup(c echo.Context) error {
	var req signupRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, iss, err := s.Accounts.Signup(c.Request().Context(), account.NewUser{
		Username: req.Username, Email: req.Email, Password: req.Password,
		DisplayName: req.DisplayName, Locale: req.Locale,
	}, clientOf(c))
	if err != nil {
		return err
	}
	s.setSession(c, iss.Secret)
	return c.JSON(http.StatusCreated, SessionResponse{User: me(u), Token: iss.Secret, CSRFToken: account.CSRFToken(iss.Secret)})
}

type loginRequest struct {
	Login    string `json:"login"`
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *server) login(c echo.Context) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	login := req.Login
	if login == "" {
		login = req.Username
	}
	if login == "" {
		login = req.Email
	}
	u, iss, err := s.Accounts.Login(c.Request().Context(), login, req.Password, clientOf(c))
	if err != nil {
		return err
	}
	s.setSession(c, iss.Secret)
	return c.JSON(http.StatusOK, SessionResponse{User: me(u), Token: iss.Secret, CSRFToken: account.CSRFToken(iss.Secret)})
}

func (s *server) logout(c echo.Context) error {
	if err := s.Accounts.Logout(c.Request().Context(), mustPrincipal(c)); err != nil {
		return err
	}
	s.clearSession(c)
	return c.NoContent(http.StatusNoContent)
}
