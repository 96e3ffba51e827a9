package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/apperr"
)

const principalKey = "crn.principal"

// principalOf returns the signed-in caller, if any.
func principalOf(c echo.Context) (account.Principal, bool) {
	p, ok := c.Get(principalKey).(account.Principal)
	return p, ok
}

// mustPrincipal returns the caller on routes behind requireUser.
func mustPrincipal(c echo.Context) account.Principal {
	p, _ := principalOf(c)
	return p
}

// safeMethod reports methods that change nothing and need no CSRF defence.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// authenticate identifies the caller from a bearer token or the session
// cookie. A bad bearer token is an error (the client asked to be someone); a
// stale cookie is dropped and the request goes on as a guest. Writes made
// with the cookie must carry the session's CSRF token, and no write may come
// from a foreign Origin.
func (s *server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		ctx := r.Context()
		h := r.Header.Get(echo.HeaderAuthorization)
		if h == "" && r.URL.Path == "/api/v1/ws" && r.URL.Query().Get("access_token") != "" {
			// Browsers cannot set headers on a WebSocket handshake; the
			// token may come in the query there, and only there.
			h = "Bearer " + r.URL.Query().Get("access_token")
		}
		if h != "" {
			scheme, tok, ok := strings.Cut(h, " ")
			tok = strings.TrimSpace(tok)
			if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
				return apperr.Unauthenticated("invalid_authorization", "the Authorization header must be 'Bearer <token>'")
			}
			p, err := s.Accounts.Authenticate(ctx, tok)
			if err != nil {
				return err
			}
			c.Set(principalKey, p)
			return next(c)
		}
		if !safeMethod(r.Method) && !s.originAllowed(r) {
			return apperr.Forbidden("bad_origin", "cross-site requests are not allowed")
		}
		ck, err := r.Cookie(SessionCookie)
		if err != nil || ck.Value == "" {
			return next(c)
		}
		p, err := s.Accounts.Authenticate(ctx, ck.Value)
		if err != nil {
			if !apperr.Is(err, apperr.KindUnauthenticated) {
				return err
			}
			s.clearSession(c)
			return next(c)
		}
		if !safeMethod(r.Method) && !account.CheckCSRF(ck.Value, r.Header.Get(CSRFHeader)) {
			return apperr.Forbidden("csrf_failed", "missing or wrong "+CSRFHeader+" header for a cookie-authenticated request")
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

// originAllowed accepts requests without an Origin header (non-browser
// clients, same-origin navigations in old browsers) and those whose Origin
// is this server, the public URL or a configured CORS origin.
func (s *server) originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	if o == "null" {
		return false
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	if s.Config.PublicURL != "" && strings.EqualFold(o, s.Config.PublicURL) {
		return true
	}
	for _, a := range s.Config.CORSOrigins {
		if a == "*" || strings.EqualFold(a, o) {
			return true
		}
	}
	return false
}

// requireUser lets only signed-in callers through.
func requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, ok := principalOf(c); !ok {
			return apperr.Unauthenticated("unauthenticated", "sign in first")
		}
		return next(c)
	}
}

// setSession sets the HttpOnly session cookie and the readable CSRF cookie.
func (s *server) setSession(c echo.Context, secret string) {
	maxAge := int(s.Config.SessionTTL.Seconds())
	http.SetCookie(c.Response(), &http.Cookie{
		Name: SessionCookie, Value: secret, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.Config.CookieSecure, SameSite: http.SameSiteLaxMode,
	})
	http.SetCookie(c.Response(), &http.Cookie{
		Name: CSRFCookie, Value: account.CSRFToken(secret), Path: "/", MaxAge: maxAge,
		HttpOnly: false, Secure: s.Config.CookieSecure, SameSite: http.SameSiteLaxMode,
	})
}

func (s *server) clearSession(c echo.Context) {
	for _, name := range []string{SessionCookie, CSRFCookie} {
		http.SetCookie(c.Response(), &http.Cookie{
			Name: name, Value: "", Path: "/", MaxAge: -1,
			HttpOnly: name == SessionCookie, Secure: s.Config.CookieSecure, SameSite: http.SameSiteLaxMode,
		})
	}
}

func clientOf(c echo.Context) account.Client {
	return account.Client{UserAgent: c.Request().UserAgent(), IP: c.RealIP()}
}
