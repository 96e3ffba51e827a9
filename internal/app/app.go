// Package app wires crn together: it builds every dependency from the
// configuration in order, and stops them in reverse order.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/meilisearch/meilisearch-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/crn-dev/crn/internal/account"
	"github.com/crn-dev/crn/internal/config"
	"github.com/crn-dev/crn/internal/database"
	"github.com/crn-dev/crn/internal/discovery"
	"github.com/crn-dev/crn/internal/event"
	"github.com/crn-dev/crn/internal/feedback"
	"github.com/crn-dev/crn/internal/forum"
	"github.com/crn-dev/crn/internal/graph"
	"github.com/crn-dev/crn/internal/group"
	"github.com/crn-dev/crn/internal/httpapi"
	"github.com/crn-dev/crn/internal/markup"
	"github.com/crn-dev/crn/internal/moderation"
	"github.com/crn-dev/crn/internal/notify"
	"github.com/crn-dev/crn/internal/presence"
	"github.com/crn-dev/crn/internal/pubsub"
	"github.com/crn-dev/crn/internal/realtime"
	"github.com/crn-dev/crn/internal/resource"
	"github.com/crn-dev/crn/internal/respcache"
	"github.com/crn-dev/crn/internal/search"
	"github.com/crn-dev/crn/internal/storage"
	"github.com/crn-dev/crn/internal/webui"
	"github.com/crn-dev/crn/web"
)

// NewLogger returns the process logger the configuration asks for.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// App is a built crn process.
type App struct {
	Config        config.Config
	Log           *slog.Logger
	DB            *database.DB
	Accounts      *account.Service
	Forums        *forum.Service
	Groups        *group.Service
	Moderation    *moderation.Service
	Notifications *notify.Service
	Relay         *event.Relay
	Broker        pubsub.Broker
	Presence      presence.Store
	Hub           *realtime.Hub
	Cache         *respcache.Cache // guests' cached responses; nil when disabled
	Index         search.Index
	Indexer       *discovery.Indexer
	Discovery     *discovery.Service
	Store         storage.Store // uploaded files; nil unless serving or Options.Resources
	Resources     *resource.Service
	Graph         *graph.Service
	Feedback      *feedback.Service
	Redis         *redis.Client              // nil unless CRN_REDIS_URL is set
	Meili         meilisearch.ServiceManager // nil unless CRN_MEILI_URL is set
	Handler       http.Handler
	Metrics       *prometheus.Registry // what /metrics serves; nil unless serving

	closers []func() error
}

// Options tune what Build constructs.
type Options struct {
	// Migrate applies pending migrations after opening the database.
	Migrate bool
	// Hash overrides the password-hashing cost (tests use a cheap one).
	Hash account.HashParams
	// Now overrides the forum's clock (the demo seed back-dates content).
	Now func() time.Time
	// Serve builds what a serving node runs besides the database: the
	// search index, the broker, presence, the outbox relay and the WebSocket
	// hub. Commands (admin, migrate, seed) leave it off, so they can run
	// next to a serving node; the events they record wait in the outbox
	// until that node's relay hands them on.
	Serve bool
	// Search opens the search index without serving (crn reindex).
	Search bool
	// Resources opens the blob store and builds the resource service
	// without serving (crn seed shares files).
	Resources bool
	// Unscreened stores posts without auto-moderation (crn seed writes a
	// history of months in minutes, which the rate limits would refuse).
	Unscreened bool
}

// Build opens every backend the configuration names and builds the services
// and the HTTP handler. On error, whatever was opened is closed again.
func Build(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (_ *App, err error) {
	a := &App{Config: cfg, Log: log}
	defer func() {
		if err != nil {
			_ = a.Close()
		}
	}()

	a.DB, err = database.Open(ctx, database.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.DB.Close)
	if opts.Migrate {
		n, err := a.DB.MigrateUp(ctx)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			log.Info("database migrated", "applied", n, "dialect", a.DB.Dialect)
		}
	}

	checks := []httpapi.Check{{Name: "database", Ping: a.DB.Ping}}
	if cfg.RedisURL != "" {
		ropts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("CRN_REDIS_URL: %w", err)
		}
		a.Redis = redis.NewClient(ropts)
		a.closers = append(a.closers, a.Redis.Close)
		checks = append(checks, httpapi.Check{Name: "redis", Ping: func(ctx context.Context) error { return a.Redis.Ping(ctx).Err() }})
	}
	if cfg.MeiliURL != "" {
		// Not meilisearch.New's default client: it asks for gzip, and the
		// chunked compressed answers stall ~40 ms on delayed ACKs (see
		// search.NewMeiliClient).
		a.Meili = search.NewMeiliClient(cfg.MeiliURL, cfg.MeiliKey)
		a.closers = append(a.closers, func() error { a.Meili.Close(); return nil })
		checks = append(checks, httpapi.Check{Name: "meilisearch", Ping: func(ctx context.Context) error {
			// /version needs a valid key, so this also catches a wrong CRN_MEILI_KEY.
			_, err := a.Meili.VersionWithContext(ctx)
			return err
		}})
	}

	renderer := markup.New(markup.Options{
		UserURL: func(u string) string { return "/u/" + url.PathEscape(u) },
		TagURL:  func(t string) string { return "/tags/" + url.PathEscape(t) },
	})
	if opts.Serve || opts.Search {
		if a.Meili != nil {
			a.Index, err = search.NewMeili(ctx, a.Meili, cfg.MeiliIndex)
		} else {
			if a.Redis != nil && a.DB.Dialect == database.Postgres {
				log.Warn("scaling out without Meilisearch: every node keeps its own embedded search index, and only the node relaying the outbox fills it; run a single node or set CRN_MEILI_URL")
			}
			a.Index, err = search.NewEmbedded(filepath.Join(cfg.DataDir, "search"))
		}
		if err != nil {
			return nil, fmt.Errorf("search index: %w", err)
		}
		a.closers = append(a.closers, a.Index.Close)
		if err := a.Index.Ping(ctx); err != nil {
			log.Warn("search backend unavailable; writes go on and indexing catches up when it returns", "err", err)
		}
		checks = append(checks, httpapi.Check{Name: "search", Ping: a.Index.Ping})
		a.Indexer = discovery.NewIndexer(a.DB.Client, a.Index, renderer)
		a.Discovery = discovery.NewService(a.DB.Client, a.Index)
	}
	committed := func() {}
	if opts.Serve {
		retention := pubsub.Retention{MaxLen: cfg.BacklogLen, MaxAge: cfg.BacklogAge}
		node := cfg.NodeID
		if node == "" {
			host, _ := os.Hostname()
			node = fmt.Sprintf("%s-%d", host, os.Getpid())
		}
		if a.Redis != nil {
			a.Broker = pubsub.NewRedis(a.Redis, cfg.RedisPrefix, retention)
			a.Presence = presence.NewRedis(a.Redis, cfg.RedisPrefix, node)
		} else {
			a.Broker = pubsub.NewMemory(retention)
			a.Presence = presence.NewMemory(node, nil)
		}
		a.closers = append(a.closers, a.Broker.Close, a.Presence.Close)
		// The relay is built once its consumers exist (below); services
		// only wake it after commits, which start with the first request.
		committed = func() {
			if a.Relay != nil {
				a.Relay.Notify()
			}
		}
	}
	limits := forum.DefaultLimits
	limits.EditWindow, limits.TitleMax, limits.BodyMax = cfg.EditWindow, cfg.TitleMaxLen, cfg.PostMaxLen
	// Moderation screens what the forum stores, and acts through the forum:
	// the screener is filled in once both exist.
	screener := &moderation.Screener{}
	fopts := forum.Options{Limits: limits, Committed: committed, Now: opts.Now, Screen: screener}
	if opts.Unscreened {
		fopts.Screen = nil
	}
	a.Forums = forum.New(a.DB, renderer, fopts)
	modResources := &moderatedResources{} // filled in once resources exist
	postBuckets := newPostBuckets(cfg, a.Redis, opts.Now)
	a.Moderation = moderation.New(a.DB, a.Forums, moderation.Options{Committed: committed, Now: opts.Now, Resources: modResources,
		RateBuckets: postBuckets,
		DisconnectUser: func(id int) {
			if a.Hub != nil {
				a.Hub.DisconnectUser(id)
			}
		},
		UserChanged: a.forgetSignIns})
	screener.S = a.Moderation
	a.Groups = group.New(a.DB, group.Options{Committed: committed, Now: opts.Now, MembershipChanged: a.forgetSignIns})
	a.Notifications = notify.NewService(a.DB.Client)
	a.Accounts, err = account.New(a.DB.Client, database.IsUnique, account.Options{
		SessionTTL: cfg.SessionTTL, PasswordMinLen: cfg.PasswordMinLen, SignupEnabled: cfg.SignupEnabled, Hash: opts.Hash,
		Postgres: a.DB.Dialect == database.Postgres, Committed: committed,
		PrincipalTTL: cfg.AuthCacheTTL, Actors: a.Forums,
	})
	if err != nil {
		return nil, err
	}
	weights, err := graph.ParseWeights(cfg.GraphWeights)
	if err != nil {
		return nil, fmt.Errorf("CRN_GRAPH_WEIGHTS: %w", err)
	}
	a.Graph = graph.New(a.DB, graph.NewMemory(cfg.GraphHalfLife), graph.Options{
		Decay: graph.Decay{HalfLife: cfg.GraphHalfLife}, Weights: weights, Committed: committed, Now: opts.Now,
		Groups: graphGroups{a.Forums},
	})
	a.closers = append(a.closers, func() error { a.Graph.Close(); return nil }) // background community detection
	{
		fopts := feedback.Options{Committed: committed, Now: opts.Now, PlanWeights: cfg.FeedbackPlanWeights}
		if a.Discovery != nil {
			fopts.Search = a.Discovery // similar items from the index, SQL otherwise
		}
		a.Feedback = feedback.New(a.DB, a.Forums, fopts)
	}
	if opts.Serve || opts.Resources {
		storeCheck, err := a.buildResources(ctx, renderer, committed, opts.Now)
		if err != nil {
			return nil, err
		}
		checks = append(checks, storeCheck)
		modResources.s = a.Resources
	}
	if !opts.Serve {
		return a, nil
	}
	a.Relay = a.newRelay(log)
	if cfg.CacheBytes > 0 {
		a.Cache = respcache.New(cfg.CacheBytes)
	}
	a.Hub = realtime.NewHub(a.Broker, a.Presence, a.Forums, a.Accounts, log, realtime.Options{
		SendQueue: cfg.WSSendQueue, MaxConnsPerIP: cfg.WSConnsPerIP, PresenceTTL: cfg.PresenceTTL,
		AllowedOrigins: append([]string{cfg.PublicURL}, cfg.CORSOrigins...),
		OnEvent:        joinOnEvent(cacheInvalidator(a.Cache), a.signInInvalidator, a.profilesInvalidator, a.forumsInvalidator),
		OnGap:          a.Cache.Flush,
	})

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.Metrics = reg
	authLimiter := newAuthLimiter(cfg, a.Redis, reg)
	registerBucketErrors(reg, postBuckets)
	pages, err := webui.New(webui.Deps{
		Config: cfg, Log: log, Accounts: a.Accounts, Forums: a.Forums, Notifications: a.Notifications,
		Discovery: a.Discovery, Realtime: a.Hub, Markup: renderer, AuthLimiter: authLimiter,
		Groups: a.Groups, Resources: a.Resources,
		Feedback: a.Feedback, Moderation: a.Moderation,
		Graph:     a.Graph, // the graph explorer, follows on profiles, the opt-out in settings
		Templates: web.Templates(), Static: web.Static(), Locales: web.Locales(),
	})
	if err != nil {
		return nil, err
	}

	a.Handler = httpapi.New(httpapi.Deps{
		Config:        cfg,
		Log:           log,
		Accounts:      a.Accounts,
		Forums:        a.Forums,
		Notifications: a.Notifications,
		Realtime:      a.Hub,
		Discovery:     a.Discovery,
		Groups:        a.Groups,
		Resources:     a.Resources,
		Graph:         a.Graph,
		Moderation:    a.Moderation,
		Feedback:      a.Feedback,
		AuthLimiter:   authLimiter,
		Checks:        checks,
		Registry:      reg,
		Web:           pages,
		WebUpload:     webui.IsUpload,
		Cache:         a.Cache,
	})
	return a, nil
}

// Serve answers HTTP on the configured address until ctx is done, then
// drains in-flight requests for up to the shutdown timeout.
func (a *App) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", a.Config.Addr, err)
	}
	return a.ServeListener(ctx, ln)
}

// ServeListener is Serve on a listener the caller opened.
func (a *App) ServeListener(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	// WebSockets are hijacked connections that Shutdown does not wait for:
	// tell their clients to reconnect elsewhere and resume.
	srv.RegisterOnShutdown(a.Hub.Shutdown)
	a.Log.Info("serving", "addr", ln.Addr().String(), "dialect", a.DB.Dialect,
		"redis", a.Redis != nil, "meilisearch", a.Meili != nil)
	stopWorkers := a.startWorkers()
	defer stopWorkers()
	if a.Config.DebugAddr != "" {
		stopDebug, err := a.serveDebug()
		if err != nil {
			return err
		}
		defer stopDebug()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.Log.Info("shutting down", "timeout", a.Config.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// serveDebug serves Go's profiler on its own listener, apart from the
// public address, so it can be bound to loopback only.
func (a *App) serveDebug() (func(), error) {
	ln, err := net.Listen("tcp", a.Config.DebugAddr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", a.Config.DebugAddr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// The debug listener is private by configuration, so metrics need no
	// token here: a scraper may use it instead of the public listener.
	if a.Metrics != nil {
		mux.Handle("/metrics", promhttp.HandlerFor(a.Metrics, promhttp.HandlerOpts{Registry: a.Metrics}))
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	a.Log.Info("serving pprof and metrics", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}

// viewFlushInterval is how often buffered topic view counts are written.
const viewFlushInterval = 5 * time.Second

// graphGroups tells the graph which groups a viewer belongs to, so edges
// that come from a group's private activity show to its members only.
type graphGroups struct{ forums *forum.Service }

func (g graphGroups) MemberGroupIDs(ctx context.Context, userID int) ([]int, error) {
	roles, _, err := g.forums.GroupRoles(ctx, userID)
	if err != nil {
		return nil, err
	}
	ids := make([]int, 0, len(roles))
	for id := range roles {
		ids = append(ids, id)
	}
	return ids, nil
}

// cacheInvalidator drops the guest responses an event may change: a
// topic's pages for events on its channel, a forum's lists (and the forum
// list, which shows counts) for events on the forum's, and everything for
// what may change any page (an author renamed, a forum's visibility, a
// topic moved, anything new).
func cacheInvalidator(c *respcache.Cache) func(channel, event string) {
	if c == nil {
		return nil
	}
	return func(channel, ev string) {
		switch event.Type(ev) {
		case event.ForumCreated, event.ForumUpdated, event.ForumDeleted, event.TopicMoved:
			c.Flush()
			return
		}
		kind, _, _ := strings.Cut(channel, ":")
		switch kind {
		case "topic":
			c.Invalidate(channel)
		case "forum":
			c.Invalidate(channel, "forums")
		case "user":
			// a user's own notifications and read state: never cached
		case "group":
			// a group's topics and posts are on their topic and forum
			// channels too; membership and visibility changes are not
			if strings.HasPrefix(ev, "group.") {
				c.Flush()
			}
		default:
			c.Flush()
		}
	}
}

// forgetSignIns drops what this node has cached about userID's sign-ins
// (0: everyone's), after a change to what they may do.
func (a *App) forgetSignIns(userID int) {
	switch {
	case a.Accounts == nil:
	case userID == 0:
		a.Accounts.ForgetAll()
	default:
		a.Accounts.ForgetUser(userID)
	}
}

// signInInvalidator drops cached sign-ins when an event from any node says
// what someone may do has changed: the node that made the change has done
// so already (forgetSignIns), the others do it here, as soon as the event
// reaches them; the cache's TTL bounds the rest.
func (a *App) signInInvalidator(channel, ev string) {
	switch event.Type(ev) {
	case event.UserSuspended, event.UserUnsuspended, event.UserSilenced, event.UserUnsilenced, event.UserTrustChanged,
		event.GroupMemberJoined, event.GroupMemberLeft, event.GroupMemberRemoved, event.GroupMemberBanned,
		event.GroupMemberUnbanned, event.GroupMemberRoleChanged, event.GroupRequestApproved, event.GroupDeleted,
		event.ForumUpdated, event.ForumDeleted: // a forum's moderators
		a.forgetSignIns(0)
	}
}

// profilesInvalidator drops the users' public fields this node cached
// (names and avatars next to posts) when an event from any node says a
// profile or an account's status changed; the cache's TTL bounds the rest.
func (a *App) profilesInvalidator(_, ev string) {
	switch event.Type(ev) {
	case event.UserUpdated, event.UserSuspended, event.UserUnsuspended:
		if a.Accounts != nil {
			a.Accounts.ForgetProfiles()
		}
	}
}

// forumsInvalidator drops the forums this node's forum service cached when
// an event from any node says a forum or its group changed.
func (a *App) forumsInvalidator(_, ev string) {
	if forum.ChangesForums(event.Type(ev)) {
		a.Forums.ForgetForums()
	}
}

// joinOnEvent calls each non-nil fn in turn.
func joinOnEvent(fns ...func(channel, event string)) func(channel, event string) {
	return func(channel, ev string) {
		for _, fn := range fns {
			if fn != nil {
				fn(channel, ev)
			}
		}
	}
}

// startWorkers runs the background work of a serving node: the outbox relay
// and the view-count flusher. The returned function stops them and waits;
// Serve calls it after the HTTP server has drained, so the last requests'
// events and views are still handled.
func (a *App) startWorkers() func() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(5)
	go func() {
		defer wg.Done()
		_ = a.Relay.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		a.Moderation.Run(ctx, func(msg string, err error) { a.Log.Warn(msg, "err", err) })
	}()
	go func() {
		defer wg.Done()
		// The in-memory graph starts empty and loads graph_edges here, then
		// follows its changes.
		a.Graph.Memory().Run(ctx, a.DB.Client, a.Config.GraphRefresh, func(err error) {
			a.Log.Warn("refreshing the relationship graph", "err", err)
		})
	}()
	go func() {
		defer wg.Done()
		// The guest cache answers only while the hub hears the events that
		// invalidate it.
		a.Cache.SetLive(true)
		defer a.Cache.SetLive(false)
		_ = a.Hub.Run(ctx)
	}()
	if e, ok := a.Index.(*search.Embedded); ok && e.NeedsReindex() {
		// A new or outdated embedded index is filled from the database; the
		// cursor rewind at the end replays what committed meanwhile.
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.Log.Info("search index is new or outdated; rebuilding it from the database")
			sum, err := a.Indexer.Reindex(ctx, nil)
			if err != nil {
				a.Log.Error("rebuilding the search index", "err", err)
				return
			}
			a.Log.Info("search index rebuilt", "summary", sum.String())
		}()
	}
	go func() {
		defer wg.Done()
		t := time.NewTicker(viewFlushInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := a.Forums.FlushViews(ctx); err != nil {
					a.Log.Warn("flushing view counts", "err", err)
				}
			}
		}
	}()
	return func() {
		cancel()
		wg.Wait()
		fctx, fcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer fcancel()
		if err := a.Forums.FlushViews(fctx); err != nil {
			a.Log.Warn("flushing view counts", "err", err)
		}
	}
}

// Close releases everything Build opened, in reverse order.
func (a *App) Close() error {
	var errs []error
	for i := len(a.closers) - 1; i >= 0; i-- {
		errs = append(errs, a.closers[i]())
	}
	a.closers = nil
	return errors.Join(errs...)
}

// newRelay builds an outbox relay for the consumers this app has: the
// notifications always, the realtime publisher when it serves, the search
// indexer when it has an index.
func (a *App) newRelay(log *slog.Logger) *event.Relay {
	opts := event.RelayOptions{}
	if a.DB.Dialect == database.Postgres {
		// One node per consumer, by advisory lock. That node learns of
		// commits on other nodes only by polling (Notify is in-process), so
		// it polls often: a post made elsewhere waits at most this long.
		// A pg_notify wake would remove the wait; see the issue notes.
		opts.SQL, opts.PollInterval = a.DB.SQL, 100*time.Millisecond
	}
	return event.NewRelay(a.DB.Client, log, opts, a.consumers()...)
}

func (a *App) consumers() []event.Consumer {
	cs := []event.Consumer{
		notify.Consumer{Postgres: a.DB.Dialect == database.Postgres},
		forum.CountsConsumer{Postgres: a.DB.Dialect == database.Postgres, DB: a.DB.Client},
		graph.Consumer{Decay: graph.Decay{HalfLife: a.Config.GraphHalfLife}, Limits: graph.DefaultLimits},
		moderation.Consumer{S: a.Moderation},
	}
	if a.Broker != nil {
		cs = append(cs, realtime.Publisher{Broker: a.Broker})
	}
	if a.Indexer != nil {
		cs = append(cs, a.Indexer)
	}
	return cs
}

// DrainEvents runs an outbox relay until every event committed so far has
// been handled by each consumer this app has (commands that write outside
// serve use it for notifications; the rest waits for a serving node).
func (a *App) DrainEvents(ctx context.Context) error {
	latest, err := event.Latest(ctx, a.DB.Client)
	if err != nil {
		return err
	}
	consumers := a.consumers()
	relay := a.newRelay(a.Log)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = relay.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()
	for {
		behind := false
		for _, c := range consumers {
			pos, err := event.Position(ctx, a.DB.Client, c.Name())
			if err != nil {
				return err
			}
			behind = behind || pos < latest
		}
		if !behind {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("drain events: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
