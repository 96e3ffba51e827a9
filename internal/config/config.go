// Package config defines crn's typed configuration. It is loaded once, from
// command-line flags and CRN_* environment variables (flags win), and passed
// down explicitly; no package reads the environment on its own.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of a crn process.
type Config struct {
	Addr            string        // listen address of the HTTP server
	DataDir         string        // SQLite file, embedded index and uploads live here
	DatabaseURL     string        // empty: SQLite in DataDir; postgres://... for PostgreSQL
	RedisURL        string        // empty: in-process broker
	MeiliURL        string        // empty: embedded full-text index
	MeiliKey        string        // Meilisearch API key
	MeiliIndex      string        // prefix of crn's Meilisearch index names
	MigrateOnStart  bool          // apply pending migrations when serve starts
	PublicURL       string        // the URL users reach crn at; decides cookie Secure flag and origin checks
	CookieSecure    bool          // set the Secure attribute on cookies
	CORSOrigins     []string      // origins allowed for cross-site API calls; empty disables CORS
	TrustedProxies  []*net.IPNet  // proxies whose X-Forwarded-For is believed
	BodyLimit       int64         // maximum request body, bytes
	SessionTTL      time.Duration // lifetime of a browser session
	AuthCacheTTL    time.Duration // how long a node may reuse a token's principal; 0 disables
	SignupEnabled   bool          // whether anyone may create an account
	AuthRatePerMin  int           // sign-in and sign-up attempts per minute per client IP
	AuthRateBurst   int           // attempts allowed in a burst before the rate applies
	PasswordMinLen  int           // shortest accepted password
	ShutdownTimeout time.Duration // how long in-flight requests get on SIGTERM
	EditWindow      time.Duration // how long authors may edit their posts
	TitleMaxLen     int           // longest topic title, characters
	PostMaxLen      int           // longest post, characters
	DebugAddr       string        // where to serve pprof (and metrics); empty: nowhere
	MetricsToken    string        // bearer token /metrics requires; empty: loopback and private peers only
	NodeID          string        // this node's name in presence; default host name and process id
	RedisPrefix     string        // prefix of every Redis key crn writes
	PresenceTTL     time.Duration // how long presence lasts without a heartbeat
	WSConnsPerIP    int           // WebSocket connections allowed per client IP
	WSSendQueue     int           // frames buffered per WebSocket before it is closed as too slow
	CacheBytes      int64         // memory for guests' cached responses; 0 disables the cache
	BacklogLen      int           // events kept per realtime channel for resuming
	BacklogAge      time.Duration // how long events are kept per realtime channel
	GraphHalfLife   time.Duration // how long an interaction takes to count half as much in the graph
	GraphWeights    string        // kind=weight overrides of the graph's interaction weights
	GraphRefresh    time.Duration // how often a serving node reads graph changes into memory
	LogLevel        string        // debug, info, warn, error
	LogFormat       string        // json or text
	// FeedbackPlanWeights weight feedback votes by the voter's plan.
	FeedbackPlanWeights map[string]float64

	Storage        string // where uploaded files live: disk or s3
	UploadDir      string // disk storage root; empty: <DataDir>/uploads (see UploadRoot)
	UploadMaxBytes int64  // largest uploaded file
	S3             S3     // the S3-compatible bucket when Storage is s3
	ResourcesForum string // slug of the forum holding resource discussions; empty: none

	cookieAuto bool // CookieSecure follows the public URL's scheme
}

// UploadRoot is the directory of the disk blob store.
func (c Config) UploadRoot() string {
	if c.UploadDir != "" {
		return c.UploadDir
	}
	return filepath.Join(c.DataDir, "uploads")
}

// S3 locates an S3-compatible bucket.
type S3 struct {
	Endpoint  string // host:port, or an http(s):// URL
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string
	UseSSL    bool
	Prefix    string // prepended to every object name
}

// Setting describes one configuration value: its flag, its environment
// variable, default and meaning. Settings() is the single list the README
// table and `--help` are checked against.
type Setting struct {
	Flag    string
	Env     string
	Default string
	Usage   string
	apply   func(c *Config, v string) error
}

// Settings returns every setting in display order.
func Settings() []Setting {
	return []Setting{
		{"addr", "CRN_ADDR", ":8080", "listen address of the HTTP server", func(c *Config, v string) error { c.Addr = v; return nil }},
		{"data-dir", "CRN_DATA_DIR", "./data", "directory for the SQLite database, embedded search index and uploads", func(c *Config, v string) error { c.DataDir = v; return nil }},
		{"database-url", "CRN_DATABASE_URL", "", "database URL; empty uses SQLite at <data-dir>/crn.db, postgres://user@host/db uses PostgreSQL", func(c *Config, v string) error { c.DatabaseURL = v; return nil }},
		{"redis-url", "CRN_REDIS_URL", "", "Redis URL (redis://host:6379/0) for presence and fan-out across nodes; empty uses an in-process broker", func(c *Config, v string) error { c.RedisURL = v; return nil }},
		{"meili-url", "CRN_MEILI_URL", "", "Meilisearch URL; empty uses the embedded full-text index", func(c *Config, v string) error { c.MeiliURL = v; return nil }},
		{"meili-key", "CRN_MEILI_KEY", "", "Meilisearch API (master or admin) key", func(c *Config, v string) error { c.MeiliKey = v; return nil }},
		{"meili-index", "CRN_MEILI_INDEX", "crn_", "prefix of crn's Meilisearch index names, so several communities can share one Meilisearch", func(c *Config, v string) error { c.MeiliIndex = v; return nil }},
		{"migrate-on-start", "CRN_MIGRATE_ON_START", "true", "apply pending database migrations when serve starts", boolSetter(func(c *Config) *bool { return &c.MigrateOnStart })},
		{"public-url", "CRN_PUBLIC_URL", "", "URL users reach crn at (https://community.example.com); used for origin checks and secure cookies", func(c *Config, v string) error { c.PublicURL = strings.TrimRight(v, "/"); return nil }},
		{"cookie-secure", "CRN_COOKIE_SECURE", "auto", "Secure attribute on cookies: true, false or auto (true when the public URL is https)", func(c *Config, v string) error { return c.setCookieSecure(v) }},
		{"cors-origins", "CRN_CORS_ORIGINS", "", "comma-separated origins allowed to call the API from browsers; empty disables CORS", func(c *Config, v string) error { c.CORSOrigins = splitList(v); return nil }},
		{"trusted-proxies", "CRN_TRUSTED_PROXIES", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is trusted for client IPs", func(c *Config, v string) error { return c.setProxies(v) }},
		{"body-limit", "CRN_BODY_LIMIT", "1MB", "largest accepted request body (KB, MB suffixes)", func(c *Config, v string) error { return c.setBodyLimit(v) }},
		{"session-ttl", "CRN_SESSION_TTL", "720h", "lifetime of a browser session", durationSetter(func(c *Config) *time.Duration { return &c.SessionTTL })},
		{"auth-cache-ttl", "CRN_AUTH_CACHE_TTL", "5s", "how long a node reuses a signed-in caller's identity and permissions, and users' names and avatars, without asking the database (0 disables); a change made on another node takes effect within this", func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 || d > time.Minute {
				return fmt.Errorf("want a duration from 0 to 1m such as 5s, got %q", v)
			}
			c.AuthCacheTTL = d
			return nil
		}},
		{"signup-enabled", "CRN_SIGNUP_ENABLED", "true", "allow anyone to create an account", boolSetter(func(c *Config) *bool { return &c.SignupEnabled })},
		{"auth-rate", "CRN_AUTH_RATE", "10", "sign-in and sign-up attempts allowed per minute per client IP", intSetter(func(c *Config) *int { return &c.AuthRatePerMin }, 1)},
		{"auth-burst", "CRN_AUTH_BURST", "10", "sign-in and sign-up attempts allowed in a burst", intSetter(func(c *Config) *int { return &c.AuthRateBurst }, 1)},
		{"password-min-length", "CRN_PASSWORD_MIN_LENGTH", "8", "shortest accepted password, in characters", intSetter(func(c *Config) *int { return &c.PasswordMinLen }, 6)},
		{"shutdown-timeout", "CRN_SHUTDOWN_TIMEOUT", "15s", "time in-flight requests get to finish on SIGTERM/SIGINT", durationSetter(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
		{"edit-window", "CRN_EDIT_WINDOW", "24h", "how long authors may edit their own posts (moderators always may)", durationSetter(func(c *Config) *time.Duration { return &c.EditWindow })},
		{"title-max-length", "CRN_TITLE_MAX_LENGTH", "200", "longest topic title, in characters", intSetter(func(c *Config) *int { return &c.TitleMaxLen }, 10)},
		{"post-max-length", "CRN_POST_MAX_LENGTH", "32000", "longest post, in characters", intSetter(func(c *Config) *int { return &c.PostMaxLen }, 100)},
		{"redis-prefix", "CRN_REDIS_PREFIX", "crn:", "prefix of every Redis key crn uses, so several communities can share one Redis", func(c *Config, v string) error { c.RedisPrefix = v; return nil }},
		{"presence-ttl", "CRN_PRESENCE_TTL", "60s", "how long a user stays present without a heartbeat; a node that dies drops its users after this", durationSetter(func(c *Config) *time.Duration { return &c.PresenceTTL })},
		{"node-id", "CRN_NODE_ID", "", "this node's name for presence across nodes; empty uses the host name and process id", func(c *Config, v string) error { c.NodeID = v; return nil }},
		{"ws-conns-per-ip", "CRN_WS_CONNS_PER_IP", "50", "WebSocket connections allowed per client IP", intSetter(func(c *Config) *int { return &c.WSConnsPerIP }, 1)},
		{"cache-size", "CRN_CACHE_SIZE", "64MB", "memory for guests' cached topic pages and forum lists (dropped as events change them); 0 disables", func(c *Config, v string) error {
			n, err := ParseBytes(v)
			c.CacheBytes = n
			return err
		}},
		{"ws-send-queue", "CRN_WS_SEND_QUEUE", "256", "frames buffered per WebSocket before a slow client is closed (code 4008) to resume later", intSetter(func(c *Config) *int { return &c.WSSendQueue }, 8)},
		{"event-backlog", "CRN_EVENT_BACKLOG", "1000", "events kept per realtime channel so reconnecting clients can resume", intSetter(func(c *Config) *int { return &c.BacklogLen }, 10)},
		{"event-backlog-age", "CRN_EVENT_BACKLOG_AGE", "24h", "how long events are kept per realtime channel", durationSetter(func(c *Config) *time.Duration { return &c.BacklogAge })},
		{"graph-half-life", "CRN_GRAPH_HALF_LIFE", "2160h", "how long an interaction takes to count half as much in the relationship graph (follows and shared groups do not fade)", durationSetter(func(c *Config) *time.Duration { return &c.GraphHalfLife })},
		{"graph-weights", "CRN_GRAPH_WEIGHTS", "", "comma-separated kind=weight overrides of the graph's interaction weights (e.g. reply=2,follow=3); see docs/graph.md", func(c *Config, v string) error { c.GraphWeights = v; return nil }},
		{"graph-refresh", "CRN_GRAPH_REFRESH", "1s", "how often a serving node reads graph changes into its in-memory graph", durationSetter(func(c *Config) *time.Duration { return &c.GraphRefresh })},
		{"debug-addr", "CRN_DEBUG_ADDR", "", "address for Go's pprof profiler and a token-free /metrics (e.g. 127.0.0.1:6060); empty disables it; never expose it publicly", func(c *Config, v string) error { c.DebugAddr = v; return nil }},
		{"metrics-token", "CRN_METRICS_TOKEN", "", "bearer token GET /metrics requires (16+ characters); empty serves /metrics only to loopback and private-network peers that are not proxied", func(c *Config, v string) error { return c.setMetricsToken(v) }},
		{"log-level", "CRN_LOG_LEVEL", "info", "log level: debug, info, warn, error", func(c *Config, v string) error { return c.setLogLevel(v) }},
		{"log-format", "CRN_LOG_FORMAT", "json", "log format: json or text", func(c *Config, v string) error { return c.setLogFormat(v) }},
		{"storage", "CRN_STORAGE", "disk", "where uploaded files are kept: disk (CRN_UPLOAD_DIR) or s3 (an S3-compatible bucket, for several nodes)", func(c *Config, v string) error { return c.setStorage(v) }},
		{"upload-dir", "CRN_UPLOAD_DIR", "", "directory of uploaded files with disk storage; empty uses <data-dir>/uploads", func(c *Config, v string) error { c.UploadDir = v; return nil }},
		{"upload-max-bytes", "CRN_UPLOAD_MAX_BYTES", "100MB", "largest uploaded file (KB, MB, GB suffixes)", func(c *Config, v string) error { return c.setUploadMax(v) }},
		{"s3-endpoint", "CRN_S3_ENDPOINT", "", "S3-compatible endpoint, host:port or an http(s):// URL (s3.amazonaws.com, minio.internal:9000)", func(c *Config, v string) error { c.S3.Endpoint = v; return nil }},
		{"s3-bucket", "CRN_S3_BUCKET", "", "bucket of uploaded files with s3 storage; created when missing", func(c *Config, v string) error { c.S3.Bucket = v; return nil }},
		{"s3-access-key", "CRN_S3_ACCESS_KEY", "", "S3 access key id", func(c *Config, v string) error { c.S3.AccessKey = v; return nil }},
		{"s3-secret-key", "CRN_S3_SECRET_KEY", "", "S3 secret access key", func(c *Config, v string) error { c.S3.SecretKey = v; return nil }},
		{"s3-region", "CRN_S3_REGION", "", "S3 region; empty lets the client discover it", func(c *Config, v string) error { c.S3.Region = v; return nil }},
		{"s3-use-ssl", "CRN_S3_USE_SSL", "true", "talk HTTPS to the S3 endpoint (an http:// or https:// endpoint decides by itself)", boolSetter(func(c *Config) *bool { return &c.S3.UseSSL })},
		{"s3-prefix", "CRN_S3_PREFIX", "", "prefix of crn's object names, so several communities can share a bucket", func(c *Config, v string) error { c.S3.Prefix = v; return nil }},
		{"resources-forum", "CRN_RESOURCES_FORUM", "resources", "slug of the forum (created on demand) where shared resources get their discussion topics; members-only resources use <slug>-members; empty disables discussions", func(c *Config, v string) error { c.ResourcesForum = v; return nil }},
		{"feedback-plan-weights", "CRN_FEEDBACK_PLAN_WEIGHTS", "free=1,starter=2,pro=5,business=10,enterprise=20", "weight of a feedback vote by the voter's CRM plan (plan=weight, comma-separated); other plans weigh 1", func(c *Config, v string) error { return c.setPlanWeights(v) }},
	}
}

// Load registers every setting as a flag on fs, parses args, and fills a
// Config with, for each setting, the flag if given, else the environment
// variable from getenv if non-empty, else the default.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	settings := Settings()
	given := map[string]*string{}
	for _, s := range settings {
		given[s.Flag] = fs.String(s.Flag, s.Default, s.Usage+" (env "+s.Env+")")
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	var c Config
	var errs []error
	for _, s := range settings {
		v := s.Default
		if set[s.Flag] {
			v = *given[s.Flag]
		} else if e := getenv(s.Env); e != "" {
			v = e
		}
		if err := s.apply(&c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s (--%s): %w", s.Env, s.Flag, err))
		}
	}
	if err := c.finish(); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	c, err := Load(flag.NewFlagSet("default", flag.ContinueOnError), nil, func(string) string { return "" })
	if err != nil {
		panic("config: defaults do not load: " + err.Error())
	}
	return c
}

// LoadEnv is Load with the process environment.
func LoadEnv(fs *flag.FlagSet, args []string) (Config, error) { return Load(fs, args, os.Getenv) }

func (c *Config) setCookieSecure(v string) error {
	switch strings.ToLower(v) {
	case "auto", "":
		c.CookieSecure = false
		c.cookieAuto = true
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("want true, false or auto, got %q", v)
	}
	c.CookieSecure = b
	return nil
}

func (c *Config) finish() error {
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("CRN_PUBLIC_URL: want an absolute http(s) URL, got %q", c.PublicURL)
		}
		if c.cookieAuto {
			c.CookieSecure = u.Scheme == "https"
		}
	}
	if c.DataDir != "" {
		c.DataDir = filepath.Clean(c.DataDir)
	}
	if c.Storage == "s3" && (c.S3.Endpoint == "" || c.S3.Bucket == "") {
		return errors.New("CRN_STORAGE=s3 needs CRN_S3_ENDPOINT and CRN_S3_BUCKET")
	}
	return nil
}

func (c *Config) setMetricsToken(v string) error {
	if v != "" && len(v) < 16 {
		return errors.New("want at least 16 characters (e.g. openssl rand -hex 32)")
	}
	if strings.ContainsAny(v, " \t\r\n") {
		return errors.New("must not contain white space")
	}
	c.MetricsToken = v
	return nil
}

func (c *Config) setStorage(v string) error {
	switch strings.ToLower(v) {
	case "disk", "s3":
		c.Storage = strings.ToLower(v)
		return nil
	}
	return fmt.Errorf("want disk or s3, got %q", v)
}

func (c *Config) setUploadMax(v string) error {
	n, err := ParseBytes(v)
	if err != nil {
		return err
	}
	if n < 1 {
		return fmt.Errorf("must be at least 1 byte, got %q", v)
	}
	c.UploadMaxBytes = n
	return nil
}

func (c *Config) setProxies(v string) error {
	c.TrustedProxies = nil
	for _, s := range splitList(v) {
		if !strings.Contains(s, "/") {
			if ip := net.ParseIP(s); ip != nil && ip.To4() != nil {
				s += "/32"
			} else {
				s += "/128"
			}
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return fmt.Errorf("bad CIDR %q", s)
		}
		c.TrustedProxies = append(c.TrustedProxies, n)
	}
	return nil
}

func (c *Config) setBodyLimit(v string) error {
	n, err := ParseBytes(v)
	if err != nil {
		return err
	}
	if n < 1024 {
		return fmt.Errorf("must be at least 1KB, got %q", v)
	}
	c.BodyLimit = n
	return nil
}

func (c *Config) setLogLevel(v string) error {
	switch strings.ToLower(v) {
	case "debug", "info", "warn", "error":
		c.LogLevel = strings.ToLower(v)
		return nil
	}
	return fmt.Errorf("want debug, info, warn or error, got %q", v)
}

func (c *Config) setLogFormat(v string) error {
	switch strings.ToLower(v) {
	case "json", "text":
		c.LogFormat = strings.ToLower(v)
		return nil
	}
	return fmt.Errorf("want json or text, got %q", v)
}

// ParseBytes reads sizes such as "512", "64KB", "1MB", "2GB" (powers of 1024).
func ParseBytes(v string) (int64, error) {
	s := strings.ToUpper(strings.TrimSpace(v))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a size such as 512KB or 1MB, got %q", v)
	}
	return n * mult, nil
}

func boolSetter(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		*field(c) = b
		return nil
	}
}

func intSetter(field func(*Config) *int, min int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < min {
			return fmt.Errorf("want a whole number of at least %d, got %q", min, v)
		}
		*field(c) = n
		return nil
	}
}

func durationSetter(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration such as 30s or 720h, got %q", v)
		}
		*field(c) = d
		return nil
	}
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// setPlanWeights parses "plan=weight,plan=weight"; plans are case-folded.
func (c *Config) setPlanWeights(v string) error {
	c.FeedbackPlanWeights = map[string]float64{}
	for _, pair := range splitList(v) {
		plan, w, ok := strings.Cut(pair, "=")
		plan = strings.ToLower(strings.TrimSpace(plan))
		f, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
		if !ok || plan == "" || err != nil || f < 0 || f > 1e9 {
			return fmt.Errorf("%q is not plan=weight with a weight from 0 to 1e9", pair)
		}
		c.FeedbackPlanWeights[plan] = f
	}
	return nil
}
