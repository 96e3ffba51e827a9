// Package httpapi is crn's HTTP transport: the Echo router, its middleware,
// one file per resource, the single error handler and the OpenAPI document.
// Handlers authenticate, bind, call one service method and render; the rules
// live in the domain packages.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/discovery"
	"github.com/crn-dev/crn/internal/feedback"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/graph"
	"github.com/crn-dev/crn/internal/group"
	"github.com/crn-dev/crn/internal/moderation"
	"github.com/crn-dev/crn/internal/notify"
	"github.com/crn-dev/crn/internal/ratelimit"
	"github.com/crn-dev/crn/internal/realtime"
	"github.com/crn-dev/crn/internal/resource"
	"github.com/crn-dev/crn/internal/respcache"
)

// Check is one dependency /readyz reports on.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
}

// Deps is everything the HTTP API needs, built by internal/app.
type Deps struct {
	Config        config.Config
	Log           *slog.Logger
	Accounts      *account.Service
	Forums        *forum.Service
	Notifications *notify.Service
	Realtime      *realtime.Hub
	Discovery     *discovery.Service
	Groups        *group.Service
	Resources     *resource.Service
	Graph         *graph.Service // nil: no graph routes
	Moderation    *moderation.Service
	Feedback      *feedback.Service // nil: no feedback routes
	AuthLimiter   ratelimit.Limiter // sign-in and sign-up attempts per client IP
	Checks        []Check           // what /readyz pings
	Registry      *prometheus.Registry
	Web           http.Handler // the web app, served for everything outside /api; nil for none
	// WebUpload reports the web app's upload requests, which bound their
	// own bodies (at the upload limit) instead of the API's body limit.
	WebUpload func(*http.Request) bool
	// Cache holds guests' responses to the hottest reads; nil disables it.
	// Only set it where the realtime hub runs: the hub invalidates it.
	Cache *respcache.Cache
}

type server struct {
	Deps
	builds flights // guest responses being built (cache.go)
}

// Cookie and header names of browser sessions.
const (
	SessionCookie = "crn_session"
	CSRFCookie    = "crn_csrf"
	CSRFHeader    = "X-CSRF-Token"
)

// New builds the Echo instance with every route and middleware.
func New(d Deps) *echo.Echo {
	s := &server{Deps: d}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(d.Log)
	e.IPExtractor = ipExtractor(d.Config)

	m := newMetrics(d.Registry)
	e.Use(
		middleware.RequestIDWithConfig(middleware.RequestIDConfig{Generator: newRequestID, RequestIDHandler: keepRequestID}),
		s.logRequests,
		m.middleware,
		s.recoverPanics,
		middleware.SecureWithConfig(middleware.SecureConfig{
			XSSProtection:         "0", // obsolete filter; CSP is the protection
			ContentTypeNosniff:    "nosniff",
			XFrameOptions:         "DENY",
			HSTSMaxAge:            hstsAge(d.Config),
			ContentSecurityPolicy: "default-src 'self'; img-src 'self' https: data:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'",
			ReferrerPolicy:        "strict-origin-when-cross-origin",
		}),
	)
	if len(d.Config.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:     d.Config.CORSOrigins,
			AllowMethods:     []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
			AllowHeaders:     []string{echo.HeaderAuthorization, echo.HeaderContentType, CSRFHeader, echo.HeaderXRequestID},
			AllowCredentials: true,
			MaxAge:           600,
		}))
	}
	e.Use(
		s.guestCache,
		skipWhen(s.isUploadRoute, bodyLimit(d.Config.BodyLimit)), // uploads have their own limit
		middleware.GzipWithConfig(middleware.GzipConfig{Skipper: func(c echo.Context) bool {
			return c.Path() == "/metrics" || strings.HasSuffix(c.Request().URL.Path, "/ws") || isDownloadRoute(c) || s.guestCacheable(c)
		}}),
	)

	e.GET("/healthz", s.healthz)
	e.HEAD("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.HEAD("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(m.handler()), s.guardMetrics)

	// Only the API looks at credentials: probes and metrics must answer even
	// when a caller sends a stale token or the database is down.
	api := e.Group("/api/v1", s.authenticate)
	api.GET("/openapi.json", s.openapi)

	auth := api.Group("/auth")
	auth.POST("/signup", s.signup, s.limitAuth)
	auth.POST("/login", s.login, s.limitAuth)
	auth.POST("/logout", s.logout, requireUser)

	me := api.Group("/me", requireUser)
	me.GET("", s.getMe)
	me.PATCH("", s.patchMe)
	me.POST("/password", s.changePassword)
	me.GET("/tokens", s.listTokens)
	me.POST("/tokens", s.createToken)
	me.DELETE("/tokens/:id", s.revokeToken)
	me.GET("/bookmarks", s.listBookmarks)

	api.GET("/users/:username", s.getUser)
	api.GET("/users/:username/posts", s.listUserPosts)
	api.GET("/users/:username/topics", s.listUserTopics)
	api.PUT("/users/:username/mute", s.mute(true), requireUser)
	api.DELETE("/users/:username/mute", s.mute(false), requireUser)

	api.GET("/forums", s.listForums)
	api.POST("/forums", s.createForum, requireUser)
	api.GET("/forums/:id", s.getForum)
	api.PATCH("/forums/:id", s.patchForum, requireUser)
	api.DELETE("/forums/:id", s.deleteForum, requireUser)
	api.GET("/forums/:id/topics", s.listTopics)
	api.POST("/forums/:id/topics", s.createTopic, requireUser)
	api.PUT("/forums/:id/subscription", s.putForumSubscription, requireUser)

	api.GET("/topics/:id", s.getTopic)
	api.PATCH("/topics/:id", s.patchTopic, requireUser)
	api.GET("/topics/:id/posts", s.listPosts)
	api.POST("/topics/:id/posts", s.createPost, requireUser)
	api.POST("/topics/:id/accept", s.acceptAnswer, requireUser)
	api.PUT("/topics/:id/subscription", s.putTopicSubscription, requireUser)
	api.POST("/topics/:id/read", s.markRead, requireUser)

	api.GET("/posts/:id", s.getPost)
	api.PATCH("/posts/:id", s.patchPost, requireUser)
	api.DELETE("/posts/:id", s.deletePost, requireUser)
	api.POST("/posts/:id/restore", s.restorePost, requireUser)
	api.GET("/posts/:id/revisions", s.listRevisions)
	api.PUT("/posts/:id/reactions/:kind", s.react(true), requireUser)
	api.DELETE("/posts/:id/reactions/:kind", s.react(false), requireUser)
	api.PUT("/posts/:id/bookmark", s.bookmark(true), requireUser)
	api.DELETE("/posts/:id/bookmark", s.bookmark(false), requireUser)

	api.GET("/search", s.search)
	api.GET("/search/suggest", s.suggest)

	api.GET("/ws", s.websocket)
	api.GET("/presence", s.presence)

	api.GET("/notifications", s.listNotifications, requireUser)
	api.POST("/notifications/read", s.markNotificationsRead, requireUser)

	s.routesGroups(api)
	s.routesResources(api)
	s.routesGraph(api)
	s.routesModeration(api)
	s.routesFeedback(api)

	// Unknown API paths answer JSON 404s, never the web app.
	api.Any("/*", func(c echo.Context) error { return echo.ErrNotFound })
	if d.Web != nil {
		e.Any("/*", echo.WrapHandler(d.Web))
	}
	return e
}

// bodyLimit caps request bodies; a larger body is a 413 in the error shape.
func bodyLimit(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength > limit {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the body is larger than the limit")
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
			return next(c)
		}
	}
}

func hstsAge(c config.Config) int {
	if c.CookieSecure {
		return 31536000
	}
	return 0
}

// ipExtractor decides which address a request comes from: the peer itself,
// or, behind configured proxies, the X-Forwarded-For entry they vouch for.
func ipExtractor(c config.Config) echo.IPExtractor {
	if len(c.TrustedProxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range c.TrustedProxies {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
