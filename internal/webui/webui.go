// Package webui serves crn's web app: server-rendered pages (html/template)
// for everything outside /api, progressively enhanced with htmx and one
// small JavaScript module for the live feed. Handlers call the domain
// services directly, not the HTTP API; templates, static files and message
// files come from package web. One file per area (home, forums, topics,
// search, users, notifications, auth, settings): adding a page is a handler
// in a new file, a route in routes, a template in web/templates/pages and
// its messages in web/locales.
package webui

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/discovery"
	"github.com/crn-dev/crn/internal/feedback"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/graph"
	"github.com/crn-dev/crn/internal/group"
	"github.com/crn-dev/crn/internal/markup"
	"github.com/crn-dev/crn/internal/moderation"
	"github.com/crn-dev/crn/internal/notify"
	"github.com/crn-dev/crn/internal/ratelimit"
	"github.com/crn-dev/crn/internal/realtime"
	"github.com/crn-dev/crn/internal/resource"
)

// Deps is what the web app needs, built by internal/app.
type Deps struct {
	Config        config.Config
	Log           *slog.Logger
	Accounts      *account.Service
	Forums        *forum.Service
	Notifications *notify.Service
	Discovery     *discovery.Service  // nil: search is not served
	Realtime      *realtime.Hub       // who is online; nil: nobody shown
	Markup        *markup.Renderer    // the composer's preview
	AuthLimiter   ratelimit.Limiter   // sign-in and sign-up attempts per client IP; nil: no limit
	Groups        *group.Service      // nil: no group pages
	Resources     *resource.Service   // nil: no resource pages
	Feedback      *feedback.Service   // nil: no feedback pages
	Moderation    *moderation.Service // nil: no review queue or flags
	Graph         *graph.Service      // nil: no graph explorer, follows or graph opt-out
	// GraphWait bounds how long the explorer waits for the graph's batch
	// analytics (PageRank, communities) before saying they are not ready;
	// 0 means DefaultGraphWait.
	GraphWait time.Duration

	Templates, Static, Locales fs.FS // package web's trees
}

type server struct {
	Deps
	tr     *translator
	pages  *pages
	assets *assets
	langs  []langOption
	slow   slowCalls // the graph's batch analytics in progress
}

// New builds the web app's handler.
func New(d Deps) (http.Handler, error) {
	s := &server{Deps: d}
	if s.GraphWait <= 0 {
		s.GraphWait = DefaultGraphWait
	}
	var err error
	if s.tr, err = newTranslator(d.Locales); err != nil {
		return nil, err
	}
	if s.assets, err = newAssets(d.Static); err != nil {
		return nil, fmt.Errorf("webui: static files: %w", err)
	}
	s.langs = s.languageOptions()
	if s.pages, err = parsePages(d.Templates, s.assets); err != nil {
		return nil, err
	}
	return s.routes(), nil
}

// routes maps every page. Handlers take a *request (see request.go).
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, fn handler) { mux.Handle(pattern, s.wrap(fn)) }
	mux.Handle("GET /static/", s.assets)

	h("GET /{$}", s.home)
	h("GET /f/{id}", s.forumPage)
	h("GET /f/{id}/new", s.newTopicPage)
	h("POST /f/{id}/new", s.createTopic)
	h("POST /f/{id}/subscription", s.subscribeForum)

	h("GET /t/{id}", s.topicPage)
	h("POST /t/{id}/reply", s.reply)
	h("POST /t/{id}/accept", s.accept)
	h("POST /t/{id}/read", s.markRead)
	h("POST /t/{id}/subscription", s.subscribe)
	h("GET /p/{id}", s.postFragment)
	h("GET /p/{id}/reactions", s.reactionsFragment)
	h("GET /p/{id}/edit", s.editPostPage)
	h("POST /p/{id}/edit", s.editPost)
	h("GET /p/{id}/delete", s.deletePostPage)
	h("POST /p/{id}/delete", s.deletePost)
	h("POST /p/{id}/react/{kind}", s.react)
	h("POST /p/{id}/bookmark", s.bookmark)
	h("POST /compose/preview", s.preview)
	h("POST /compose/suggest", s.suggest)

	h("GET /search", s.searchPage)
	h("GET /tags/{tag}", s.tagPage)
	h("GET /u/{username}", s.profilePage)
	h("GET /bookmarks", s.bookmarksPage)
	h("GET /notifications", s.notificationsPage)
	h("GET /notifications/menu", s.notificationsMenu)
	h("POST /notifications/read", s.readNotifications)
	h("GET /n/{id}", s.openNotification)

	h("GET /signin", s.signinPage)
	h("POST /signin", s.signin)
	h("GET /signup", s.signupPage)
	h("POST /signup", s.signup)
	h("POST /signout", s.signout)
	h("GET /settings", s.settingsPage)
	h("POST /settings", s.saveSettings)
	h("POST /settings/password", s.changePassword)
	h("POST /language", s.setLanguage)

	s.routesGroups(h)
	s.routesResources(h)
	s.routesFeedback(h)
	s.routesModeration(h)
	s.routesGraph(h)

	h("/", func(rq *request) error { return errNotFound })
	return mux
}
