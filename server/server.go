// Package server assembles agentry from its parts and runs it. Config is
// all it needs: LoadConfig fills it from the flags and environment variables
// of the one table Settings, and New builds from it the store, the
// embedder, the search index, the registry service, the authenticators and
// the HTTP handler. Serve runs it until its context ends, then drains
// in-flight requests.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/agentry/agentry/audit"
	"github.com/agentry/agentry/console"
	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/embedding"
	"github.com/agentry/agentry/events"
	"github.com/agentry/agentry/httpapi"
	"github.com/agentry/agentry/iam"
	"github.com/agentry/agentry/jwtauth"
	"github.com/agentry/agentry/mcpregistry"
	"github.com/agentry/agentry/metrics"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/safehttp"
	"github.com/agentry/agentry/search"
	"github.com/agentry/agentry/semantic"
	"github.com/agentry/agentry/sigv4"
	"github.com/agentry/agentry/store/postgres"
	"github.com/agentry/agentry/store/sqlite"
	"github.com/agentry/agentry/synchronize"
	"github.com/agentry/agentry/tracing"
)

// DatabaseFile is the SQLite file inside the data directory.
const DatabaseFile = "agentry.db"

// Server is an assembled agentry, ready to serve.
type Server struct {
	cfg     Config
	store   database
	index   *search.Index
	feed    *search.Follower
	iam     *iam.Store
	jwt     *jwtauth.Verifier
	handler http.Handler
	metrics *metrics.Metrics // nil when Config.NoMetrics
	// dispatcher delivers lifecycle events to webhooks; nil without any.
	dispatcher *events.Dispatcher
	audit      *audit.Recorder // nil when Config.NoAudit
	// shutdownTraces flushes the spans not yet exported.
	shutdownTraces func(context.Context) error
	background     sync.WaitGroup // goroutines that use the store
	// stopBackground ends work started by New (computing vectors,
	// synchronizing records); syncDone is closed when synchronization has
	// handed back its unfinished jobs.
	stopBackground context.CancelFunc
	syncDone       chan struct{}
}

// New opens the store and builds the handler.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	embedder, err := newEmbedder(cfg)
	if err != nil {
		return nil, err
	}
	cfg.Embedder = embedder
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	warnOpenDataDir(cfg.DataDir, cfg.Logger)
	if cfg.Root, err = loadRoot(cfg); err != nil {
		return nil, err
	}
	urlPolicy := func(u string) error { return safehttp.CheckConfiguredURL(u, cfg.AllowPrivateURLs) }
	var webhooks []events.Webhook
	if cfg.WebhooksFile != "" {
		if webhooks, err = events.LoadWebhooks(cfg.WebhooksFile, urlPolicy); err != nil {
			return nil, err
		}
	}
	tp, shutdownTraces, err := tracerProvider(ctx, cfg)
	if err != nil {
		return nil, err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		shutdownTraces(ctx)
		return nil, err
	}
	var svcStore registry.Store = store
	var searcher httpapi.Searcher
	if tp != nil {
		svcStore = tracing.Store(tp, store)
	}
	// The metrics read the index at each scrape, and the index reports to
	// them each search's legs: they are made once both exist.
	var m *metrics.Metrics
	var observeLeg func(search.Leg, time.Duration, int)
	if !cfg.NoMetrics {
		observeLeg = func(leg search.Leg, d time.Duration, n int) { m.SearchLeg(leg.String(), d, n) }
	}
	index := search.NewIndex(search.Options{
		Embedder: cfg.Embedder, Fusion: cfg.Fusion, ApproxThreshold: cfg.ApproxThreshold,
		QueryEmbedTimeout: cfg.QueryEmbedTimeout, Observe: observeLeg,
		// Vectors are kept in the store; at start-up the index serves
		// lexically at once and computes missing vectors in the background.
		Vectors: store, DeferVectors: true,
		OnError: func(err error) {
			cfg.Logger.Warn("semantic search unavailable; serving lexical results", "err", err)
		}})
	var svc *registry.Service
	catalog := mcpregistry.New()
	feedOpts := search.FollowerOptions{Logger: cfg.Logger, ForgetRegistry: func(id string) { svc.ForgetRegistry(id) }, Sink: catalog}
	if cfg.DatabaseURL != "" {
		feedOpts.Poll = feedPoll // other replicas write to the same database
	}
	feed := search.NewFollower(store, index, feedOpts)
	svc, err = registry.NewService(ctx, registry.Options{Store: svcStore, Region: cfg.Region, AccountID: cfg.AccountID,
		// A write returns once this replica's index has applied it.
		AfterCommit: feed.AfterCommit,
		// Refuse at once a discovery URL the verifier would refuse to fetch.
		URLPolicy: urlPolicy,
		// Lifecycle events are written only when webhooks deliver them.
		Events: len(webhooks) > 0})
	if err != nil {
		store.Close()
		return nil, err
	}
	if err := feed.Load(ctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("build the search index: %w", err)
	}
	// Loading page by page left spare capacity in the index and a heap of
	// garbage: give both back before serving, so that resident memory is
	// what the index needs.
	index.Trim()
	debug.FreeOSMemory()
	if cfg.Embedder == nil {
		cfg.Logger.Info("search is lexical only: no embedder is configured")
	} else {
		cfg.Logger.Info("search is hybrid", "embedder", cfg.Embedder.Fingerprint())
	}
	principals, err := iam.NewStore(cfg.IAMFile, cfg.AccountID,
		iam.WithRoot(iam.Root(cfg.Root.AccessKeyID, cfg.Root.SecretAccessKey, cfg.AccountID)),
		iam.WithLogger(cfg.Logger))
	if err != nil {
		store.Close()
		return nil, err
	}
	verifier := &sigv4.Verifier{
		Region:   cfg.Region,
		Services: []string{"bedrock-agentcore", "agent-registry"},
	}
	if cfg.ReplayProtection {
		verifier.Replay = sigv4.NewReplayGuard(0)
	}
	if !cfg.NoMetrics {
		m = newMetrics(store, index, feed)
	}
	jwtClient := safehttp.NewClient(cfg.AllowPrivateURLs)
	jwtClient.Transport = m.CountFetches(jwtClient.Transport)
	searcher = index
	webhookClient := safehttp.NewClient(cfg.AllowPrivateURLs)
	if tp != nil {
		jwtClient.Transport = tracing.Transport(tp, "jwks", jwtClient.Transport)
		webhookClient.Transport = tracing.Transport(tp, "webhook", webhookClient.Transport)
		searcher = tracing.Search(tp, index)
	}
	jwt := jwtauth.New(jwtauth.Options{AllowPrivate: cfg.AllowPrivateURLs, Skew: cfg.JWTClockSkew, Logger: cfg.Logger, HTTPClient: jwtClient})
	publicURL := cfg.PublicURL
	if publicURL == "" {
		publicURL = "http://" + cfg.Listen
	}
	var recorder *audit.Recorder
	if !cfg.NoAudit {
		recorder = audit.New(store, audit.Options{Retention: cfg.AuditRetention, Logger: cfg.Logger})
	}
	var observe func(httpapi.Finished)
	if m != nil || recorder != nil || tp != nil {
		observe = func(f httpapi.Finished) {
			if tp != nil {
				tracing.Finish(f.Context, f.Operation, registryIDOf(f.Resource), f.Status, f.ErrorName)
			}
			if m != nil {
				observeMetrics(m, f)
			}
			if recorder != nil && auditable(f) {
				recorder.Record(auditEntry(f))
			}
		}
	}
	var metricsOnAPI http.Handler
	if m != nil && cfg.MetricsListen == "" {
		metricsOnAPI = m.Handler()
	}
	h := httpapi.New(httpapi.Config{
		Service: svc, ARNs: svc.ARNs, Verifier: verifier, Credentials: principals, Logger: cfg.Logger,
		Index: searcher, JWT: jwt, PublicURL: publicURL,
		Catalog: catalog, MCPRegistryRoot: cfg.MCPRegistryRoot, AnonymousRegistries: cfg.AnonymousRegistries,
		AllowedHosts: cfg.AllowedHosts, AllowedOrigins: cfg.AllowedOrigins, Version: cfg.Version, Transfers: cfg.Transfers,
		Ready:   func(ctx context.Context) error { return ready(ctx, store, feed, cfg.DatabaseURL != "") },
		Observe: observe, Metrics: metricsOnAPI, Audit: auditExport{store},
	})
	var syncCreds *synchronize.Credentials
	if cfg.SyncCredentialsFile != "" {
		if syncCreds, err = synchronize.LoadCredentials(cfg.SyncCredentialsFile, cfg.Logger); err != nil {
			store.Close()
			return nil, err
		}
	}
	// The web console acts through the same service, credentials and IAM
	// policies as the API.
	con, err := console.New(console.Config{Service: svc, ARNs: svc.ARNs, Index: index, Credentials: principals,
		PublicURL: publicURL, Logger: cfg.Logger,
		JWT: jwt, OAuthClientID: cfg.ConsoleOAuthClientID, OAuthHTTPClient: safehttp.NewClient(cfg.AllowPrivateURLs)})
	if err != nil {
		store.Close()
		return nil, err
	}
	top := http.NewServeMux()
	top.Handle(console.Prefix, con)
	top.Handle("GET /console", http.RedirectHandler(console.Prefix, http.StatusSeeOther))
	top.Handle("/", h)
	bg, stopBackground := context.WithCancel(context.Background())
	var handler http.Handler = top
	if tp != nil {
		handler = tracing.Middleware(tp, top)
	}
	srv := &Server{cfg: cfg, store: store, shutdownTraces: shutdownTraces, index: index, feed: feed, iam: principals, jwt: jwt, handler: handler,
		metrics: m, audit: recorder, stopBackground: stopBackground, syncDone: make(chan struct{})}
	feed.Start()
	go func() {
		defer close(srv.syncDone)
		svc.RunSync(bg, registry.SyncOptions{
			Fetcher:     synchronize.New(synchronize.Options{AllowPrivate: cfg.AllowPrivateURLs, Credentials: syncCreds}),
			Concurrency: cfg.SyncConcurrency, Timeout: cfg.SyncTimeout, Interval: cfg.SyncInterval, Logger: cfg.Logger,
		})
	}()
	if len(webhooks) > 0 {
		srv.dispatcher = events.New(store, events.Options{Webhooks: webhooks, ARNs: svc.ARNs,
			Client: webhookClient, MaxAttempts: cfg.WebhookMaxAttempts,
			RetryMin: cfg.WebhookRetryMin, RetryMax: cfg.WebhookRetryMax, Metrics: m, Logger: cfg.Logger})
		if err := srv.dispatcher.Init(ctx); err != nil {
			srv.Close()
			return nil, err
		}
		m.Gauge("agentry_webhook_outbox_lag_seconds", "How long the oldest event a webhook is still trying has waited since its commit.",
			func() float64 { return srv.dispatcher.Lag().Seconds() })
		srv.background.Add(1)
		go func() {
			defer srv.background.Done()
			srv.dispatcher.Run(bg)
		}()
	}
	if cfg.Embedder != nil {
		go func() {
			start := time.Now()
			// FillVectors returns once every record has its vector: while
			// the embedder is down, not before it is back.
			if err := index.FillVectors(bg); err != nil {
				return
			}
			debug.FreeOSMemory() // what computing them took is garbage now
			cfg.Logger.Info("semantic vectors ready", "embedder", cfg.Embedder.Fingerprint(), "seconds", time.Since(start).Seconds())
			pruneVectors(bg, index, cfg.Logger)
			// Large registries get an approximate index, built meanwhile
			// in the background; say when it serves.
			if n, err := index.BuildApprox(bg); err == nil && n > 0 {
				cfg.Logger.Info("approximate semantic index ready", "registries", n, "seconds", time.Since(start).Seconds())
			}
		}()
	}
	return srv, nil
}

// newEmbedder returns the semantic leg the configuration names, or nil for
// lexical search only.
func newEmbedder(cfg Config) (search.Embedder, error) {
	switch {
	case cfg.Embedder != nil:
		return cfg.Embedder, nil
	case cfg.EmbedderURL != "":
		return embedding.NewHTTP(embedding.HTTPConfig{URL: cfg.EmbedderURL, Model: cfg.EmbedderModel, APIKey: cfg.EmbedderAPIKey})
	case cfg.EmbedderModelDir != "":
		return embedding.LoadStatic(cfg.EmbedderModelDir)
	case cfg.BuiltinModel:
		m, err := semantic.Default()
		if err != nil {
			return nil, fmt.Errorf("the built-in semantic model: %w", err)
		}
		return m, nil
	}
	return nil, nil
}

// loadRoot returns the root key: the configured one, else the one kept in
// the data directory, generated at first start and then shown once.
func loadRoot(cfg Config) (credentials.Key, error) {
	root, created, err := credentials.LoadRoot(cfg.DataDir, cfg.Root.AccessKeyID, cfg.Root.SecretAccessKey)
	if err != nil || !created {
		return root, err
	}
	out := cfg.CredentialsOut
	if out == nil {
		out = os.Stdout
	}
	fmt.Fprintf(out, "agentry: created root credentials in %s (mode 0600); they are shown only now:\n"+
		"  export AWS_ACCESS_KEY_ID=%s\n  export AWS_SECRET_ACCESS_KEY=%s\n",
		cfg.DataDir, root.AccessKeyID, root.SecretAccessKey)
	return root, nil
}

// pruneVectors deletes the stored vectors no indexed record uses: those of
// texts since edited and of other models (search.Index.PruneVectors).
func pruneVectors(ctx context.Context, index *search.Index, log *slog.Logger) {
	n, err := index.PruneVectors(ctx)
	switch {
	case err != nil:
		log.Warn("pruning stored vectors failed", "err", err)
	case n > 0:
		log.Info("stale stored vectors deleted", "vectors", n)
	}
}

// DeadLetters returns the events a webhook ("" = any) gave up on.
func (s *Server) DeadLetters(ctx context.Context, webhook string) ([]registry.DeadLetter, error) {
	return s.store.DeadLetters(ctx, webhook)
}

// ReloadIAM re-reads the principals file; on error the previous one stays
// in force.
func (s *Server) ReloadIAM() error { return s.iam.Reload() }

// MetricsHandler serves GET /metrics without authentication, for the
// separate listener of --metrics-listen; nil when metrics are off.
func (s *Server) MetricsHandler() http.Handler {
	if s.metrics == nil {
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.Handler())
	return mux
}

// Handler is the whole HTTP surface.
func (s *Server) Handler() http.Handler { return s.handler }

// Close releases the store and stops background work.
func (s *Server) Close() error {
	s.stopBackground()
	<-s.syncDone
	s.background.Wait()
	if s.audit != nil {
		s.audit.Close()
	}
	s.feed.Close()
	s.index.Close()
	s.jwt.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.shutdownTraces(ctx)
	return s.store.Close()
}

// Serve answers requests on ln until ctx ends, then stops taking new
// connections, waits for in-flight requests, and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if s.cfg.MetricsListen != "" && s.metrics != nil {
		mln, err := net.Listen("tcp", s.cfg.MetricsListen)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		msrv := &http.Server{Handler: s.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: srv.ErrorLog}
		go func() {
			if err := msrv.Serve(mln); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
		defer msrv.Close()
	}
	if s.cfg.IAMFile != "" {
		go s.iam.Watch(ctx, iam.DefaultPollInterval)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	timeout := s.cfg.ShutdownTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}

// warnOpenDataDir warns when other users can enter the data directory: it
// holds the root credentials and the database (drafts, the paging key),
// and a database created by an older version is readable by all.
func warnOpenDataDir(dir string, log *slog.Logger) {
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	log.Warn("other users can access the data directory; restrict it to its owner with chmod 700",
		"data_dir", dir, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
}

// feedPoll is how often a replica looks for other replicas' changes when no
// notification arrives.
const feedPoll = time.Second

// database is what agentry keeps in its database: the registry's data and
// the search index's vectors.
type database interface {
	registry.Store
	search.VectorStore
	events.Store
	audit.Store
	DeadLetters(ctx context.Context, webhook string) ([]registry.DeadLetter, error)
	DeleteDeadLetter(ctx context.Context, webhook string, seq int64) error
}

// openStore opens PostgreSQL when a database URL is configured, else the
// embedded SQLite file in the data directory.
func openStore(ctx context.Context, cfg Config) (database, error) {
	if cfg.DatabaseURL != "" {
		return postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{MaxConns: cfg.DBMaxConns, Logger: cfg.Logger})
	}
	return sqlite.Open(ctx, filepath.Join(cfg.DataDir, DatabaseFile))
}

// Migrate brings the configured database's schema up to date.
func Migrate(ctx context.Context, cfg Config) error {
	if cfg.DatabaseURL != "" {
		return postgres.Migrate(ctx, cfg.DatabaseURL)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	store, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, DatabaseFile))
	if err != nil {
		return err
	}
	return store.Close()
}

// ready reports whether this replica can serve: its database answers and,
// when it shares the database with other replicas, its search index is
// following the change feed.
func ready(ctx context.Context, store registry.Store, feed *search.Follower, shared bool) error {
	if p, ok := store.(interface{ Ping(context.Context) error }); ok {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := p.Ping(ctx); err != nil {
			return errors.New("the database cannot be reached")
		}
	}
	if shared && !feed.Healthy(3*feedPoll) {
		return errors.New("the search index is behind the database")
	}
	return nil
}
