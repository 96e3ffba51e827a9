package webui

import (
	"net/url"
	"strings"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/apperr"
)

type authData struct {
	Next     string
	Login    string
	Username string
	Email    string
	Name     string
	Errors   map[string]string
	Message  string
	Signup   bool
}

// safeNext keeps a post-sign-in destination on this site.
func safeNext(v string) string {
	u, err := url.Parse(v)
	if v == "" || err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") || strings.HasPrefix(v, "/\\") {
		return "/"
	}
	return v
}

func (s *server) signinPage(rq *request) error {
	if rq.user != nil {
		return rq.redirect(safeNext(rq.r.URL.Query().Get("next")))
	}
	return rq.render("signin", rq.lang.T("signin.title"), authData{Next: safeNext(rq.r.URL.Query().Get("next"))})
}

// limit applies the sign-in and sign-up rate limit per client IP.
func (s *server) limit(rq *request) error {
	if s.AuthLimiter == nil {
		return nil
	}
	ok, retry, err := s.AuthLimiter.Allow(rq.r.Context(), "auth:"+rq.client().IP)
	if err != nil {
		s.Log.Warn("rate limiter unavailable", "err", err)
		return nil
	}
	if !ok {
		return apperr.RateLimited(retry)
	}
	return nil
}

func (s *server) signin(rq *request) error {
	if err := s.limit(rq); err != nil {
		return err
	}
	d := authData{Next: safeNext(rq.form("next")), Login: rq.form("login")}
	_, iss, err := s.Accounts.Login(rq.r.Context(), d.Login, rq.form("password"), rq.client())
	if e := apperr.As(err); e != nil && (e.Kind == apperr.KindUnauthenticated || e.Kind == apperr.KindUnprocessable || e.Kind == apperr.KindForbidden) {
		d.Errors, d.Message = e.Fields, rq.lang.Err(e.Code, e.Message)
		return rq.renderView(statusOf(e), "signin", rq.view(rq.lang.T("signin.title"), d))
	}
	if err != nil {
		return err
	}
	rq.setSession(iss.Secret)
	return rq.redirect(d.Next)
}

func (s *server) signupPage(rq *request) error {
	if rq.user != nil {
		return rq.redirect("/")
	}
	return rq.render("signup", rq.lang.T("signup.title"), authData{Next: safeNext(rq.r.URL.Query().Get("next")), Signup: true})
}

// signup creates an account in the language the page is shown in.
func (s *server) signup(rq *request) error {
	if err := s.limit(rq); err != nil {
		return err
	}
	d := authData{Next: safeNext(rq.form("next")), Username: rq.form("username"), Email: rq.form("email"), Name: rq.form("display_name"), Signup: true}
	_, iss, err := s.Accounts.Signup(rq.r.Context(), account.NewUser{
		Username: d.Username, Email: d.Email, Password: rq.form("password"), DisplayName: d.Name, Locale: rq.lang.Code(),
	}, rq.client())
	if e := apperr.As(err); e != nil && (e.Kind == apperr.KindUnprocessable || e.Kind == apperr.KindConflict || e.Kind == apperr.KindForbidden) {
		d.Errors, d.Message = e.Fields, rq.lang.Err(e.Code, e.Message)
		return rq.renderView(statusOf(e), "signup", rq.view(rq.lang.T("signup.title"), d))
	}
	if err != nil {
		return err
	}
	rq.setSession(iss.Secret)
	return rq.redirect(d.Next)
}

func (s *server) signout(rq *request) error {
	if rq.user != nil {
		if err := s.Accounts.Logout(rq.r.Context(), account.Principal{User: rq.user, Token: rq.token}); err != nil {
			return err
		}
	}
	rq.clearSession()
	return rq.redirect("/")
}

func statusOf(e *apperr.Error) int { return status(e.Kind) }
