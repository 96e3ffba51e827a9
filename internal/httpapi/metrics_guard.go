package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/crn-dev/crn/internal/apperr"
)

// guardMetrics decides who may read /metrics on the public listener.
//
// With CRN_METRICS_TOKEN set, a caller must send it as a bearer token, from
// any address. Without it, only direct peers on loopback or a private
// network (10/8, 172.16/12, 192.168/16, fc00::/7) may read it, which is
// where a Prometheus next to crn scrapes from; a request that went through
// a proxy (a forwarding header, or a peer in CRN_TRUSTED_PROXIES) is refused
// even from a private address, because the proxy may be relaying the
// internet. The debug listener (CRN_DEBUG_ADDR) serves metrics without
// either check.
func (s *server) guardMetrics(next echo.HandlerFunc) echo.HandlerFunc {
	want := s.Config.MetricsToken
	wantSum := sha256.Sum256([]byte(want))
	return func(c echo.Context) error {
		if want != "" {
			got, ok := bearerToken(c.Request().Header.Get(echo.HeaderAuthorization))
			gotSum := sha256.Sum256([]byte(got))
			if !ok || subtle.ConstantTimeCompare(gotSum[:], wantSum[:]) != 1 {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
				return apperr.Unauthenticated("metrics_token_required", "metrics need the bearer token set in CRN_METRICS_TOKEN")
			}
			return next(c)
		}
		if !s.localPeer(c) {
			return apperr.Forbidden("metrics_private", "metrics are served to loopback and private-network peers only; set CRN_METRICS_TOKEN to scrape from elsewhere")
		}
		return next(c)
	}
}

// localPeer reports whether the request comes straight from loopback or a
// private network, through no proxy.
func (s *server) localPeer(c echo.Context) bool {
	r := c.Request()
	for _, h := range []string{echo.HeaderXForwardedFor, echo.HeaderXRealIP, "Forwarded"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, n := range s.Config.TrustedProxies {
		if n.Contains(ip.AsSlice()) {
			return false
		}
	}
	return ip.IsLoopback() || ip.IsPrivate()
}

// bearerToken extracts the token of an "Authorization: Bearer <token>" header.
func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
