package webui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"

	"github.com/crn-dev/crn/ent"
	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/apperr"
	"github.com/crn-dev/crn/internal/authz"
)

// Cookie and field names. The session and CSRF cookies are the API's own
// (internal/httpapi): a browser signed in on the pages is signed in on the
// API, and the other way round.
const (
	sessionCookie = "crn_session"
	csrfCookie    = "crn_csrf"
	// guestCookie carries a random anti-forgery token for forms a guest
	// submits (sign in, sign up, language), compared with the form field.
	guestCookie = "crn_guest"
	csrfField   = "csrf"
	csrfHeader  = "X-CSRF-Token"
)

// formLimit bounds a form body; the API's body limit applies before it.
const formLimit = 256 << 10

type handler func(rq *request) error

// request is one page request: who asks, in which language, and how to answer.
type request struct {
	s      *server
	w      http.ResponseWriter
	r      *http.Request
	user   *ent.User // nil: a guest
	token  *ent.AuthToken
	actor  authz.Actor
	secret string // the session cookie's value, when signed in
	csrf   string // the token forms and htmx requests must send back
	lang   *lang
	htmx   bool // asked by htmx for a fragment
}

var (
	errNotFound = apperr.NotFound("page_not_found", "no such page")
	errSignIn   = apperr.Unauthenticated("unauthenticated", "sign in first")
)

// wrap authenticates the request from the session cookie, chooses its
// language, checks the anti-forgery token of writes and renders errors.
func (s *server) wrap(fn handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := &request{s: s, w: w, r: r, htmx: r.Header.Get("HX-Request") == "true"}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				buf := make([]byte, 8<<10)
				buf = buf[:runtime.Stack(buf, false)]
				s.Log.Error("panic", "panic", fmt.Sprint(v), "stack", string(buf), "path", r.URL.Path)
				rq.fail(apperr.Internal("page", fmt.Errorf("panic: %v", v)))
			}
		}()
		if err := rq.authenticate(); err != nil {
			rq.lang = s.tr.forRequest(r, "")
			rq.fail(err)
			return
		}
		locale := ""
		if rq.user != nil {
			locale = rq.user.Locale
		}
		rq.lang = s.tr.forRequest(r, locale)
		w.Header().Set("Content-Language", rq.lang.Code())
		w.Header().Add("Vary", "Cookie, Accept-Language, HX-Request")
		if !safeMethod(r.Method) {
			if err := rq.checkForgery(); err != nil {
				rq.fail(err)
				return
			}
		}
		if err := fn(rq); err != nil {
			rq.fail(err)
		}
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// authenticate resolves the session cookie. A stale cookie is cleared and
// the request goes on as a guest.
func (rq *request) authenticate() error {
	ctx := rq.r.Context()
	if ck, err := rq.r.Cookie(sessionCookie); err == nil && ck.Value != "" {
		p, err := rq.s.Accounts.Authenticate(ctx, ck.Value)
		switch {
		case err == nil:
			rq.user, rq.token, rq.secret = p.User, p.Token, ck.Value
			rq.csrf = account.CSRFToken(ck.Value)
			if p.Actor != nil { // loaded (and cached) with the principal
				rq.actor = *p.Actor
				return nil
			}
		case apperr.Is(err, apperr.KindUnauthenticated):
			rq.clearSession()
		default:
			return err
		}
	}
	a, err := rq.s.Forums.Actor(ctx, rq.user)
	if err != nil {
		return err
	}
	rq.actor = a
	if rq.user == nil {
		rq.csrf = rq.guestToken()
	}
	return nil
}

// guestToken returns the guest's anti-forgery token, setting its cookie the
// first time.
func (rq *request) guestToken() string {
	if ck, err := rq.r.Cookie(guestCookie); err == nil && len(ck.Value) >= 32 && len(ck.Value) <= 64 {
		return ck.Value
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(rq.w, &http.Cookie{
		Name: guestCookie, Value: v, Path: "/", HttpOnly: true,
		Secure: rq.s.Config.CookieSecure, SameSite: http.SameSiteLaxMode,
	})
	return v
}

// checkForgery refuses writes from another site: the Origin, when sent,
// must be this server, and the form field or X-CSRF-Token header must carry
// the token bound to the session (or, for guests, to their cookie).
func (rq *request) checkForgery() error {
	if !rq.s.originAllowed(rq.r) {
		return apperr.Forbidden("bad_origin", "cross-site requests are not allowed")
	}
	got := rq.r.Header.Get(csrfHeader)
	if got == "" && IsUpload(rq.r) && isMultipartForm(rq.r) {
		return nil // the token is a field of the form: uploadForm checks it before the file
	}
	if got == "" {
		rq.r.Body = http.MaxBytesReader(rq.w, rq.r.Body, formLimit)
		if err := rq.r.ParseForm(); err != nil {
			return apperr.Invalid("bad_form", "the form could not be read")
		}
		got = rq.r.PostForm.Get(csrfField)
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(rq.csrf)) != 1 {
		return apperr.Forbidden("csrf_failed", "the form has expired; reload the page and try again")
	}
	return nil
}

func (s *server) originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return s.Config.PublicURL != "" && strings.EqualFold(strings.TrimRight(s.Config.PublicURL, "/"), o)
}

// form reads the submitted form (parsed already by the CSRF check).
func (rq *request) form(name string) string {
	if rq.r.PostForm == nil {
		rq.r.Body = http.MaxBytesReader(rq.w, rq.r.Body, formLimit)
		_ = rq.r.ParseForm()
	}
	return rq.r.PostForm.Get(name)
}

// pathID parses a positive integer path parameter.
func (rq *request) pathID(name string) (int, error) {
	n, err := strconv.Atoi(rq.r.PathValue(name))
	if err != nil || n <= 0 {
		return 0, errNotFound
	}
	return n, nil
}

func (rq *request) queryInt(name string) int {
	n, _ := strconv.Atoi(rq.r.URL.Query().Get(name))
	return max(n, 0)
}

// requireUser sends guests to the sign-in page, returning to this page.
func (rq *request) requireUser() error {
	if rq.user == nil {
		return errSignIn
	}
	return nil
}

func (rq *request) client() account.Client {
	ip, _, err := net.SplitHostPort(rq.r.RemoteAddr)
	if err != nil {
		ip = rq.r.RemoteAddr
	}
	return account.Client{UserAgent: rq.r.UserAgent(), IP: rq.s.clientIP(ip, rq.r.Header.Values("X-Forwarded-For"))}
}

// clientIP is the peer's address or, when the peer is a trusted proxy, the
// rightmost X-Forwarded-For entry that is not itself a trusted proxy (the
// same rule as the API's).
func (s *server) clientIP(peer string, xff []string) string {
	trusted := func(v string) bool {
		ip := net.ParseIP(strings.TrimSpace(v))
		if ip == nil {
			return false
		}
		for _, n := range s.Config.TrustedProxies {
			if n.Contains(ip) {
				return true
			}
		}
		return false
	}
	if !trusted(peer) {
		return peer
	}
	var hops []string
	for _, h := range xff {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		if h := strings.TrimSpace(hops[i]); h != "" && !trusted(h) {
			return h
		}
	}
	return peer
}

// redirect answers a form post: htmx follows HX-Location without a reload
// of the whole page; browsers follow 303 See Other.
func (rq *request) redirect(to string) error {
	if rq.htmx {
		rq.w.Header().Set("HX-Redirect", to)
		rq.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(rq.w, rq.r, to, http.StatusSeeOther)
	return nil
}

func (rq *request) setSession(secret string) {
	maxAge := int(rq.s.Config.SessionTTL.Seconds())
	http.SetCookie(rq.w, &http.Cookie{
		Name: sessionCookie, Value: secret, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: rq.s.Config.CookieSecure, SameSite: http.SameSiteLaxMode,
	})
	http.SetCookie(rq.w, &http.Cookie{
		Name: csrfCookie, Value: account.CSRFToken(secret), Path: "/", MaxAge: maxAge,
		Secure: rq.s.Config.CookieSecure, SameSite: http.SameSiteLaxMode,
	})
}

func (rq *request) clearSession() {
	for _, name := range []string{sessionCookie, csrfCookie} {
		http.SetCookie(rq.w, &http.Cookie{
			Name: name, Value: "", Path: "/", MaxAge: -1,
			HttpOnly: name == sessionCookie, Secure: rq.s.Config.CookieSecure, SameSite: http.SameSiteLaxMode,
		})
	}
}

// status maps an error kind to its HTTP status.
func status(k apperr.Kind) int {
	switch k {
	case apperr.KindInvalid:
		return http.StatusBadRequest
	case apperr.KindUnprocessable:
		return http.StatusUnprocessableEntity
	case apperr.KindUnauthenticated:
		return http.StatusUnauthorized
	case apperr.KindForbidden:
		return http.StatusForbidden
	case apperr.KindNotFound:
		return http.StatusNotFound
	case apperr.KindConflict:
		return http.StatusConflict
	case apperr.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.KindRateLimited:
		return http.StatusTooManyRequests
	case apperr.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// fail renders err as an error page (or, for htmx, an error fragment).
// Guests who need to sign in are sent to the sign-in page.
func (rq *request) fail(err error) {
	if errors.Is(err, context.Canceled) && rq.r.Context().Err() != nil {
		// The reader went away (a fragment a live update replaced, a page
		// left): nobody reads an answer. 499, as the API, not a 500.
		rq.w.WriteHeader(499)
		rq.s.Log.Debug("client closed the request", "path", rq.r.URL.Path)
		return
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = apperr.TooLarge("too_large", "the form is larger than the limit")
	}
	e := apperr.As(err)
	if e == nil {
		e = apperr.Internal("page", err)
	}
	if e.Kind == apperr.KindInternal || e.Kind == apperr.KindUnavailable {
		rq.s.Log.Error("page failed", "path", rq.r.URL.Path, "err", err)
	}
	if e.Kind == apperr.KindUnauthenticated && rq.user == nil && rq.r.Method == http.MethodGet && !rq.htmx {
		http.Redirect(rq.w, rq.r, "/signin?next="+url.QueryEscape(rq.r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if e.Kind == apperr.KindRateLimited && e.RetryAfter > 0 {
		rq.w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.5)))
	}
	code := status(e.Kind)
	msg := rq.lang.Err(e.Code, e.Message)
	if rq.htmx {
		// The page's htmx configuration swaps error answers too: this one
		// goes into the page's alert region instead of the request's target.
		rq.w.Header().Set("HX-Retarget", "#flash")
		rq.w.Header().Set("HX-Reswap", "innerHTML")
		rq.renderFragment(code, "flash", map[string]any{"Message": msg})
		return
	}
	rq.renderStatus(code, "error", rq.lang.T("error.title"), map[string]any{"Status": code, "Message": msg})
}
