package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentry/agentry/audit"
	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/events"
	"github.com/agentry/agentry/httpapi"
	"github.com/agentry/agentry/search"
	"go.opentelemetry.io/otel/trace"
)

// Config is everything agentry serve needs. LoadConfig fills it from the
// command line and the environment, as Settings describe; tests and
// programs that embed agentry build one directly, and a zero field then
// means what its comment says.
type Config struct {
	Listen    string // host:port
	DataDir   string
	Region    string
	AccountID string
	PublicURL string // externally visible base URL; "" = from Listen
	// DatabaseURL selects PostgreSQL (postgres://...); "" = SQLite in DataDir.
	DatabaseURL string
	// DBMaxConns caps the PostgreSQL connection pool; 0 = the default (16).
	DBMaxConns int32
	// IAMFile is the principals-and-policies file; "" = the root principal only.
	IAMFile string
	// Root is the root principal's key; zero = the key kept in DataDir,
	// generated at first start and then shown once on CredentialsOut.
	Root credentials.Key
	// CredentialsOut is where a root key generated at first start is shown,
	// once and never in the log; nil = standard output.
	CredentialsOut io.Writer
	// ReplayProtection refuses signed write requests seen before.
	ReplayProtection bool
	// AllowPrivateURLs lets the server fetch from loopback and private
	// addresses (OIDC discovery and JWKS of CUSTOM_JWT registries).
	AllowPrivateURLs bool
	// ConsoleOAuthClientID is the public client the web console signs
	// people in with at a CUSTOM_JWT registry's identity provider; ""
	// means the registry's first allowed client.
	ConsoleOAuthClientID string
	// JWTClockSkew is the clock tolerance for the exp, nbf and iat of
	// CUSTOM_JWT bearer tokens (jwtauth.Options.Skew): 0 = the default
	// (60 s), negative = none. Tests shorten it to see tokens expire.
	JWTClockSkew time.Duration
	// SyncCredentialsFile maps the credential providers that synchronized
	// records name to their secrets; "" = none.
	SyncCredentialsFile string
	// SyncConcurrency bounds the synchronizations run at once on this
	// replica; 0 = 8.
	SyncConcurrency int
	// SyncTimeout bounds one synchronization; 0 = 60 s.
	SyncTimeout time.Duration
	// SyncInterval re-synchronizes every synchronized record this often;
	// 0 = never (only on triggerSynchronization).
	SyncInterval time.Duration
	// AllowedHosts and AllowedOrigins extend the MCP endpoint's allow-lists.
	AllowedHosts   []string
	AllowedOrigins []string
	// MCPRegistryRoot is the registry also served at /v0.1/...;
	// AnonymousRegistries may be read through the v0.1 API without
	// credentials.
	MCPRegistryRoot     string
	AnonymousRegistries []string

	// The semantic leg of search is an OpenAI-compatible embeddings API
	// (EmbedderURL, EmbedderModel, EmbedderAPIKey), else a model2vec
	// directory (EmbedderModelDir), else agentry's own model when
	// BuiltinModel is set, else none: lexical search only.
	EmbedderURL      string
	EmbedderModel    string
	EmbedderAPIKey   string
	EmbedderModelDir string
	BuiltinModel     bool
	// Embedder, when set, is the semantic leg instead of the one the fields
	// above describe (tests and benchmarks bring their own).
	Embedder search.Embedder
	// Fusion combines the legs when there is an embedder.
	Fusion search.Fusion
	// ApproxThreshold is the number of vectors in a registry from which
	// the semantic leg searches an approximate index instead of every
	// vector (search.Options.ApproxThreshold): 0 = the default, negative =
	// never.
	ApproxThreshold int
	// QueryEmbedTimeout bounds the wait for a query's vector before a
	// search answers lexically (search.Options.QueryEmbedTimeout); 0 = the
	// default.
	QueryEmbedTimeout time.Duration

	// LogFormat is the format, json or text, of the Logger LoadConfig
	// makes on standard error.
	LogFormat string
	// Logger receives the log; nil = slog.Default().
	Logger *slog.Logger
	// Version is reported to MCP clients.
	Version string
	// ShutdownTimeout bounds the drain of in-flight requests; 0 = 30 s.
	ShutdownTimeout time.Duration
	// Transfers bound the memory that request bodies and answers in
	// transit hold; zero fields take the defaults.
	Transfers httpapi.TransferLimits

	// MetricsListen, when set, serves GET /metrics without authentication
	// on its own address (for scrapers on a private network) instead of on
	// the API listener behind the IAM action agentry:GetMetrics.
	MetricsListen string
	// NoMetrics turns metrics off (benchmarks measure their cost).
	NoMetrics bool
	// WebhooksFile lists the webhooks that receive lifecycle events
	// (events.LoadWebhooks); "" = none, and no events are written.
	WebhooksFile string
	// WebhookMaxAttempts is how many times an event is tried before it
	// goes to the dead-letter list; 0 = events.DefaultMaxAttempts.
	WebhookMaxAttempts int
	// WebhookRetryMin and WebhookRetryMax bound the backoff between tries
	// (0 = the defaults of events.Options); tests shorten them.
	WebhookRetryMin, WebhookRetryMax time.Duration
	// AuditRetention is how long the audit trail keeps entries; 0 =
	// audit.DefaultRetention.
	AuditRetention time.Duration
	// NoAudit turns the audit trail off (benchmarks measure its cost).
	NoAudit bool
	// OTLPEndpoint, when set, exports traces over OTLP/HTTP to it.
	OTLPEndpoint string
	// TracerProvider, when set, receives the traces instead (tests).
	TracerProvider trace.TracerProvider
}

// A Setting is one setting of agentry serve: a flag, the environment
// variable that sets it too (the flag wins; an empty variable counts as
// unset), its default and help, and how a value is checked into a Config.
type Setting struct {
	// Flag is the flag's name without dashes; "" for a secret, which only
	// the environment may hold, out of process listings and shell history.
	Flag string
	Env  string
	// Default is the value when neither the flag nor the variable is set,
	// written as on the command line; "" = none (the field's zero value).
	Default string
	Help    string
	// Switch marks a flag that needs no value: --flag means --flag=true.
	Switch bool
	// hide keeps the value out of error messages (it may hold a secret).
	hide bool
	// set checks v and stores it in c; its error says what v must be.
	set func(c *Config, v string) error
}

// Name is how messages and -h name the setting: its flag and variable.
func (s Setting) Name() string {
	if s.Flag == "" {
		return s.Env
	}
	return "--" + s.Flag + " (" + s.Env + ")"
}

var (
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern    = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
	registryIDForm   = regexp.MustCompile(`^[a-zA-Z0-9]{12,16}$`)
)

// Settings are the settings of agentry serve, in the order -h lists them.
// docs/configuration.md documents each (TestConfigurationDocumented).
var Settings = []Setting{
	{Flag: "listen", Env: "AGENTRY_LISTEN", Default: "127.0.0.1:8080", Help: "address to listen on",
		set: func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return errors.New("must be host:port")
			}
			c.Listen = v
			return nil
		}},
	{Flag: "data-dir", Env: "AGENTRY_DATA_DIR", Default: "./agentry-data", Help: "directory for the database and root credentials",
		set: nonEmpty(func(c *Config, v string) { c.DataDir = v })},
	{Flag: "region", Env: "AGENTRY_REGION", Default: "us-east-1", Help: "AWS region this registry answers as, in ARNs and SigV4 scopes",
		set: matching(regionPattern, "must be a region name such as us-east-1", func(c *Config, v string) { c.Region = v })},
	{Flag: "account-id", Env: "AGENTRY_ACCOUNT_ID", Default: "000000000000", Help: "12-digit account id in ARNs",
		set: matching(accountIDPattern, "must be 12 digits", func(c *Config, v string) { c.AccountID = v })},
	{Flag: "public-url", Env: "AGENTRY_PUBLIC_URL", Help: "externally visible base URL; default http:// and --listen",
		set: func(c *Config, v string) error {
			if !isHTTPURL(v) {
				return errors.New("must be an absolute http or https URL without user information")
			}
			c.PublicURL = v
			return nil
		}},
	{Flag: "database-url", Env: "AGENTRY_DATABASE_URL", hide: true, Help: "PostgreSQL URL (postgres://...) for several replicas; default SQLite in --data-dir",
		set: func(c *Config, v string) error { c.DatabaseURL = v; return nil }},
	{Flag: "db-max-conns", Env: "AGENTRY_DB_MAX_CONNS", Default: "16", Help: "PostgreSQL connection pool size per replica",
		set: intIn(1, 1000, func(c *Config, n int) { c.DBMaxConns = int32(n) })},
	{Flag: "iam-file", Env: "AGENTRY_IAM_FILE", Help: "principals-and-policies file, reloaded on SIGHUP and on change",
		set: func(c *Config, v string) error { c.IAMFile = v; return nil }},
	{Flag: "sigv4-replay-protection", Env: "AGENTRY_SIGV4_REPLAY_PROTECTION", Switch: true,
		Help: "refuse a signed write request seen before within the 5-minute signing window",
		set:  boolean(func(c *Config, b bool) { c.ReplayProtection = b })},
	{Flag: "allow-private-urls", Env: "AGENTRY_ALLOW_PRIVATE_URLS", Switch: true,
		Help: "allow fetching OIDC discovery, JWKS and synchronized records over http and from loopback and private addresses",
		set:  boolean(func(c *Config, b bool) { c.AllowPrivateURLs = b })},
	{Flag: "console-oauth-client-id", Env: "AGENTRY_CONSOLE_OAUTH_CLIENT_ID",
		Help: "client id the web console signs people in with at CUSTOM_JWT registries' identity providers; default: each registry's first allowed client",
		set: func(c *Config, v string) error {
			if len(v) > 256 || strings.ContainsFunc(v, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
				return errors.New("must be at most 256 printable ASCII characters without spaces")
			}
			c.ConsoleOAuthClientID = v
			return nil
		}},
	{Flag: "sync-credentials-file", Env: "AGENTRY_SYNC_CREDENTIALS_FILE",
		Help: "credential-provider file (mode 0600) mapping the providerArn and roleArn of synchronized records to secrets, reloaded on change",
		set:  func(c *Config, v string) error { c.SyncCredentialsFile = v; return nil }},
	{Flag: "sync-concurrency", Env: "AGENTRY_SYNC_CONCURRENCY", Default: "8", Help: "URL synchronizations run at once per replica",
		set: intIn(1, 256, func(c *Config, n int) { c.SyncConcurrency = n })},
	{Flag: "sync-timeout", Env: "AGENTRY_SYNC_TIMEOUT", Default: "60s", Help: "time one URL synchronization may take before it fails",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second || d > 10*time.Minute {
				return errors.New("must be 1s to 10m")
			}
			c.SyncTimeout = d
			return nil
		}},
	{Flag: "sync-interval", Env: "AGENTRY_SYNC_INTERVAL", Default: "0", Help: "re-synchronize every synchronized record this often (a new DRAFT revision only when its source changed); 0 = off",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || (d != 0 && (d < time.Minute || d > 30*24*time.Hour)) {
				return errors.New("must be 0 (off) or 1m to 720h")
			}
			c.SyncInterval = d
			return nil
		}},
	{Flag: "allowed-hosts", Env: "AGENTRY_ALLOWED_HOSTS", Help: "extra Host names the MCP endpoint accepts, comma-separated",
		set: func(c *Config, v string) error { c.AllowedHosts = splitList(v); return nil }},
	{Flag: "allowed-origins", Env: "AGENTRY_ALLOWED_ORIGINS", Help: "extra browser origins the MCP endpoint accepts, comma-separated",
		set: func(c *Config, v string) error { c.AllowedOrigins = splitList(v); return nil }},
	{Flag: "mcp-registry-root", Env: "AGENTRY_MCP_REGISTRY_ROOT",
		Help: "registry id whose MCP Registry v0.1 API is also served at /v0.1/servers",
		set: func(c *Config, v string) error {
			if !registryIDForm.MatchString(v) {
				return errors.New("must be a registry id")
			}
			c.MCPRegistryRoot = v
			return nil
		}},
	{Flag: "mcp-registry-anonymous", Env: "AGENTRY_MCP_REGISTRY_ANONYMOUS",
		Help: "registry ids, comma-separated, whose MCP Registry v0.1 API anyone may read without credentials",
		set: func(c *Config, v string) error {
			ids := splitList(v)
			for _, id := range ids {
				if !registryIDForm.MatchString(id) {
					return fmt.Errorf("%q is not a registry id", id)
				}
			}
			c.AnonymousRegistries = ids
			return nil
		}},
	{Flag: "semantic", Env: "AGENTRY_SEMANTIC", Default: "builtin",
		Help: "semantic leg of search when no embedder is given: builtin (agentry's own model) or off",
		set: oneOf(map[string]func(*Config){
			"builtin": func(c *Config) { c.BuiltinModel = true },
			"off":     func(c *Config) { c.BuiltinModel = false },
		})},
	{Flag: "fusion", Env: "AGENTRY_FUSION", Default: "convex", Help: "how the lexical and semantic rankings combine: convex or rrf",
		set: oneOf(map[string]func(*Config){
			"convex": func(c *Config) { c.Fusion.Method = search.FusionConvex },
			"rrf":    func(c *Config) { c.Fusion.Method = search.FusionRRF },
		})},
	{Flag: "lexical-weight", Env: "AGENTRY_LEXICAL_WEIGHT", Help: "the lexical leg's share, more than 0 and at most 1; default 0.45 for convex, 0.5 for rrf",
		set: func(c *Config, v string) error {
			// 0 is refused rather than read as "the default": the
			// semantic leg is never used alone.
			w, err := strconv.ParseFloat(v, 64)
			if err != nil || !(w > 0 && w <= 1) {
				return errors.New("must be a number more than 0 and at most 1")
			}
			c.Fusion.LexicalWeight = w
			return nil
		}},
	{Flag: "semantic-approx-threshold", Env: "AGENTRY_SEMANTIC_APPROX_THRESHOLD", Default: strconv.Itoa(search.DefaultApproxThreshold),
		Help: "records with vectors in a registry from which semantic search uses an approximate index; 0 = the default, negative = never",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return errors.New("must be an integer")
			}
			c.ApproxThreshold = n
			return nil
		}},
	{Flag: "embedder-url", Env: "AGENTRY_EMBEDDER_URL", hide: true,
		Help: "OpenAI-compatible embeddings API for semantic search, e.g. http://localhost:11434/v1; its key goes in AGENTRY_EMBEDDER_API_KEY",
		set: func(c *Config, v string) error {
			if !isHTTPURL(v) {
				return errors.New("must be an absolute http or https URL without user information")
			}
			c.EmbedderURL = v
			return nil
		}},
	{Flag: "embedder-model", Env: "AGENTRY_EMBEDDER_MODEL", Help: "model name for --embedder-url",
		set: nonEmpty(func(c *Config, v string) { c.EmbedderModel = v })},
	{Env: "AGENTRY_EMBEDDER_API_KEY", hide: true, Help: "API key for --embedder-url",
		set: func(c *Config, v string) error { c.EmbedderAPIKey = v; return nil }},
	{Flag: "embedder-model-dir", Env: "AGENTRY_EMBEDDER_MODEL_DIR", Help: "directory of a model2vec static embedding model",
		set: nonEmpty(func(c *Config, v string) { c.EmbedderModelDir = v })},
	{Flag: "embedder-query-timeout", Env: "AGENTRY_EMBEDDER_QUERY_TIMEOUT", Default: search.DefaultQueryEmbedTimeout.String(),
		Help: "how long a search waits for the embedder to embed its query before it answers lexically",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 10*time.Millisecond || d > time.Minute {
				return errors.New("must be 10ms to 1m")
			}
			c.QueryEmbedTimeout = d
			return nil
		}},
	{Flag: "log-format", Env: "AGENTRY_LOG_FORMAT", Default: "json", Help: "log format: json or text",
		set: oneOf(map[string]func(*Config){
			"json": func(c *Config) { c.LogFormat = "json" },
			"text": func(c *Config) { c.LogFormat = "text" },
		})},
	{Flag: "max-inflight-mib", Env: "AGENTRY_MAX_INFLIGHT_MIB", Default: strconv.Itoa(httpapi.DefaultInFlightBytes >> 20),
		Help: "MiB of request bodies and large answers in transit, across all clients; past it requests get 503",
		set:  intIn(4, 1<<20, func(c *Config, n int) { c.Transfers.InFlightBytes = int64(n) << 20 })},
	{Flag: "max-client-inflight-mib", Env: "AGENTRY_MAX_CLIENT_INFLIGHT_MIB", Default: strconv.Itoa(httpapi.DefaultClientBytes >> 20),
		Help: "one client's share of --max-inflight-mib; past it its requests get 429",
		// At most --max-inflight-mib: checked by crossCheck.
		set: intIn(1, 1<<20, func(c *Config, n int) { c.Transfers.ClientBytes = int64(n) << 20 })},
	{Flag: "min-transfer-rate-kib", Env: "AGENTRY_MIN_TRANSFER_RATE_KIB", Default: strconv.Itoa(httpapi.DefaultMinRate >> 10),
		Help: "KiB/s at which a client must send a request body or read a large answer, after --transfer-grace",
		set:  intIn(1, 1<<20, func(c *Config, n int) { c.Transfers.MinRate = int64(n) << 10 })},
	{Flag: "transfer-grace", Env: "AGENTRY_TRANSFER_GRACE", Default: httpapi.DefaultTransferGrace.String(),
		Help: "time a request body or large answer gets on top of its size at --min-transfer-rate-kib",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second || d > 10*time.Minute {
				return errors.New("must be 1s to 10m")
			}
			c.Transfers.Grace = d
			return nil
		}},
	{Flag: "metrics-listen", Env: "AGENTRY_METRICS_LISTEN",
		Help: "address (host:port) that serves GET /metrics without authentication; default: /metrics on --listen, for callers allowed agentry:GetMetrics",
		set: func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return errors.New("must be host:port")
			}
			c.MetricsListen = v
			return nil
		}},
	{Flag: "webhooks-file", Env: "AGENTRY_WEBHOOKS_FILE", Help: "JSON file of the webhooks that receive lifecycle events (docs/events.md)",
		set: func(c *Config, v string) error { c.WebhooksFile = v; return nil }},
	{Flag: "webhook-max-attempts", Env: "AGENTRY_WEBHOOK_MAX_ATTEMPTS", Default: strconv.Itoa(events.DefaultMaxAttempts),
		Help: "tries of a webhook delivery before the event goes to the dead-letter list",
		set:  intIn(1, 100, func(c *Config, n int) { c.WebhookMaxAttempts = n })},
	{Flag: "audit-retention", Env: "AGENTRY_AUDIT_RETENTION", Default: audit.DefaultRetention.String(),
		Help: "how long the audit trail keeps entries (1h to 87600h)",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Hour || d > 87600*time.Hour {
				return errors.New("must be a duration of 1h to 87600h, such as 2160h")
			}
			c.AuditRetention = d
			return nil
		}},
	{Flag: "otlp-endpoint", Env: "AGENTRY_OTLP_ENDPOINT",
		Help: "OTLP/HTTP endpoint (http://collector:4318) to export traces to; default: no tracing",
		set: func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("must be an http or https URL, such as http://127.0.0.1:4318")
			}
			c.OTLPEndpoint = v
			return nil
		}},
	{Env: "AGENTRY_ROOT_ACCESS_KEY_ID", Help: "the root principal's access key id (with AGENTRY_ROOT_SECRET_ACCESS_KEY; default: generated)",
		set: func(c *Config, v string) error { c.Root.AccessKeyID = v; return nil }},
	{Env: "AGENTRY_ROOT_SECRET_ACCESS_KEY", hide: true, Help: "the root principal's secret access key",
		set: func(c *Config, v string) error { c.Root.SecretAccessKey = v; return nil }},
}

// SettingsNamed returns the settings with the given flag names, for a
// command that takes only some of them.
func SettingsNamed(flags ...string) []Setting {
	var out []Setting
	for _, s := range Settings {
		for _, f := range flags {
			if s.Flag == f {
				out = append(out, s)
			}
		}
	}
	return out
}

// LoadConfig reads settings from the flags in args and from the
// environment (lookupEnv, as os.LookupEnv) into a Config whose other
// fields keep their Settings defaults, and makes its Logger on stderr. It
// checks every value before it returns and reports all that are wrong
// together, each with its flag and variable. Usage and flag errors go to
// stderr; -h returns flag.ErrHelp.
func LoadConfig(command string, settings []Setting, args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (Config, error) {
	var c Config
	for _, s := range Settings {
		if s.Default != "" {
			if err := s.set(&c, s.Default); err != nil {
				return Config{}, fmt.Errorf("the default of %s: %w", s.Name(), err)
			}
		}
	}
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { printUsage(stderr, command, settings) }
	given := map[string]*flagValue{}
	for _, s := range settings {
		if s.Flag != "" {
			given[s.Flag] = &flagValue{isBool: s.Switch}
			fs.Var(given[s.Flag], s.Flag, s.Help)
		}
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("%s takes no arguments, got %q", command, fs.Args())
	}
	var errs []error
	bad := map[string]bool{} // by Env: settings whose value was refused
	for _, s := range settings {
		v, from := "", ""
		if f := given[s.Flag]; f != nil && f.given {
			v = f.value
		} else if e, ok := lookupEnv(s.Env); ok && e != "" {
			v, from = e, " from the environment"
		} else {
			continue // the default stands
		}
		if err := s.set(&c, v); err != nil {
			bad[s.Env] = true
			if s.hide {
				errs = append(errs, fmt.Errorf("%s: %v%s", s.Name(), err, from))
			} else {
				errs = append(errs, fmt.Errorf("%s: %v, got %q%s", s.Name(), err, v, from))
			}
		}
	}
	errs = append(errs, c.crossCheck(bad)...)
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	c.Logger = slog.New(slog.NewJSONHandler(stderr, nil))
	if c.LogFormat == "text" {
		c.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	return c, nil
}

// crossCheck checks the rules that tie settings together, skipping those
// whose own value was refused (bad).
func (c *Config) crossCheck(bad map[string]bool) []error {
	name := func(env string) string {
		for _, s := range Settings {
			if s.Env == env {
				return s.Name()
			}
		}
		panic("no setting " + env)
	}
	var errs []error
	if in, client := c.Transfers.InFlightBytes>>20, c.Transfers.ClientBytes>>20; client > in &&
		!bad["AGENTRY_MAX_INFLIGHT_MIB"] && !bad["AGENTRY_MAX_CLIENT_INFLIGHT_MIB"] {
		errs = append(errs, fmt.Errorf("%s: must be 1 to --max-inflight-mib (%d), got %d", name("AGENTRY_MAX_CLIENT_INFLIGHT_MIB"), in, client))
	}
	switch {
	case c.EmbedderURL != "" && c.EmbedderModelDir != "":
		errs = append(errs, fmt.Errorf("choose one embedder: %s or %s", name("AGENTRY_EMBEDDER_URL"), name("AGENTRY_EMBEDDER_MODEL_DIR")))
	case c.EmbedderURL != "" && c.EmbedderModel == "" && !bad["AGENTRY_EMBEDDER_MODEL"]:
		errs = append(errs, fmt.Errorf("%s needs %s", name("AGENTRY_EMBEDDER_URL"), name("AGENTRY_EMBEDDER_MODEL")))
	}
	switch root := c.Root; {
	case root == credentials.Key{}:
	case root.AccessKeyID == "" || root.SecretAccessKey == "":
		errs = append(errs, errors.New("set both AGENTRY_ROOT_ACCESS_KEY_ID and AGENTRY_ROOT_SECRET_ACCESS_KEY, or neither"))
	default:
		if err := root.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("AGENTRY_ROOT_ACCESS_KEY_ID, AGENTRY_ROOT_SECRET_ACCESS_KEY: %w", err))
		}
	}
	return errs
}

// flagValue records a flag's text; LoadConfig checks it with the
// environment's values, so that every bad value is reported at once.
type flagValue struct {
	value  string
	given  bool
	isBool bool
}

func (f *flagValue) String() string     { return f.value }
func (f *flagValue) Set(v string) error { f.value, f.given = v, true; return nil }
func (f *flagValue) IsBoolFlag() bool   { return f.isBool }

// printUsage is -h: each setting with its variable and default.
func printUsage(w io.Writer, command string, settings []Setting) {
	fmt.Fprintf(w, "Usage: %s [flags]\n\nEach flag can also be set by its environment variable; the flag wins, and an empty variable counts as unset.\n\n", command)
	var envOnly []Setting
	for _, s := range settings {
		if s.Flag == "" {
			envOnly = append(envOnly, s)
			continue
		}
		note := s.Env
		if s.Switch {
			note += "=true"
		}
		if s.Default != "" {
			note += "; default " + s.Default
		}
		fmt.Fprintf(w, "  --%s\n    \t%s (%s)\n", s.Flag, s.Help, note)
	}
	if len(envOnly) > 0 {
		fmt.Fprintf(w, "\nOnly in the environment, out of process listings:\n")
		for _, s := range envOnly {
			fmt.Fprintf(w, "  %s\n    \t%s\n", s.Env, s.Help)
		}
	}
}

// Helpers that make a Setting's set function.

func nonEmpty(store func(*Config, string)) func(*Config, string) error {
	return func(c *Config, v string) error {
		if strings.TrimSpace(v) == "" {
			return errors.New("must not be empty")
		}
		store(c, v)
		return nil
	}
}

func matching(re *regexp.Regexp, rule string, store func(*Config, string)) func(*Config, string) error {
	return func(c *Config, v string) error {
		if !re.MatchString(v) {
			return errors.New(rule)
		}
		store(c, v)
		return nil
	}
}

func intIn(lo, hi int, store func(*Config, int)) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("must be %d to %d", lo, hi)
		}
		store(c, n)
		return nil
	}
}

func boolean(store func(*Config, bool)) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("must be true or false")
		}
		store(c, b)
		return nil
	}
}

func oneOf(choices map[string]func(*Config)) func(*Config, string) error {
	names := make([]string, 0, len(choices))
	for name := range choices {
		names = append(names, name)
	}
	slices.Sort(names)
	return func(c *Config, v string) error {
		choose, ok := choices[v]
		if !ok {
			return fmt.Errorf("must be %s", strings.Join(names, " or "))
		}
		choose(c)
		return nil
	}
}

func isHTTPURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// splitList splits a comma-separated value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
