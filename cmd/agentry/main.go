// Command agentry is a self-hosted agent registry, wire-compatible with the
// Amazon Bedrock AgentCore registry API.
//
//	agentry serve     run the registry (embedded SQLite by default)
//	agentry version   print the version
//
// This file only parses flags and environment and wires the server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/embedding"
	"github.com/agentry/agentry/httpapi"
	"github.com/agentry/agentry/search"
	"github.com/agentry/agentry/semantic"
	"github.com/agentry/agentry/server"
)

const usage = `agentry: a self-hosted agent registry.

Usage:
  agentry serve [flags]     run the registry
  agentry migrate [flags]   bring the database schema up to date and exit
                            (serve also does this at start)
  agentry mcp-proxy [flags] <endpoint>
                            serve a registry's MCP endpoint to a local MCP
                            client (stdio, or HTTP with --listen), signing
                            each request with SigV4 or adding a bearer token
  agentry search-eval --registry ID --queries FILE
                            score a registry's search on your own labelled
                            queries (nDCG@10, Recall@10, MRR@10)
  agentry model train|corpus|neighbors|info
                            build and inspect the built-in semantic model
                            (docs/model.md)
  agentry version           print the version

Run "agentry serve -h" for the flags of serve.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:], os.Stdout, os.Stderr)
	case "mcp-proxy":
		err = proxyCommand(os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	case "model":
		err = modelCommand(os.Args[2:], os.Stdout, os.Stderr)
	case "search-eval":
		err = searchEval(os.Args[2:], os.Stdout, os.Stderr)
	case "migrate":
		err = migrate(os.Args[2:], os.Stderr)
	case "version", "--version", "-version":
		fmt.Println("agentry", version())
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "agentry: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "agentry:", err)
			os.Exit(1)
		}
	}
}

func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}

// env returns the environment variable name, or def when it is unset.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
var regionPattern = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

func serve(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agentry serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg server.Config
	fs.StringVar(&cfg.Listen, "listen", env("AGENTRY_LISTEN", "127.0.0.1:8080"), "address to listen on (AGENTRY_LISTEN)")
	fs.StringVar(&cfg.DataDir, "data-dir", env("AGENTRY_DATA_DIR", "./agentry-data"), "directory for the database and root credentials (AGENTRY_DATA_DIR)")
	fs.StringVar(&cfg.Region, "region", env("AGENTRY_REGION", "us-east-1"), "AWS region this registry answers as, in ARNs and SigV4 scopes (AGENTRY_REGION)")
	fs.StringVar(&cfg.AccountID, "account-id", env("AGENTRY_ACCOUNT_ID", "000000000000"), "12-digit account id in ARNs (AGENTRY_ACCOUNT_ID)")
	fs.StringVar(&cfg.PublicURL, "public-url", env("AGENTRY_PUBLIC_URL", ""), "externally visible base URL (AGENTRY_PUBLIC_URL; default from --listen)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", env("AGENTRY_DATABASE_URL", ""), "PostgreSQL URL (postgres://...) for several replicas; default: SQLite in --data-dir (AGENTRY_DATABASE_URL)")
	dbMaxConns := fs.Int("db-max-conns", envInt("AGENTRY_DB_MAX_CONNS", 16), "PostgreSQL connection pool size per replica (AGENTRY_DB_MAX_CONNS)")
	fs.StringVar(&cfg.IAMFile, "iam-file", env("AGENTRY_IAM_FILE", ""), "principals-and-policies file, reloaded on SIGHUP and on change (AGENTRY_IAM_FILE)")
	fs.BoolVar(&cfg.ReplayProtection, "sigv4-replay-protection", env("AGENTRY_SIGV4_REPLAY_PROTECTION", "") == "true",
		"refuse a signed write request seen before within the 5-minute signing window (AGENTRY_SIGV4_REPLAY_PROTECTION=true)")
	fs.BoolVar(&cfg.AllowPrivateURLs, "allow-private-urls", env("AGENTRY_ALLOW_PRIVATE_URLS", "") == "true",
		"allow fetching OIDC discovery and JWKS from loopback and private addresses (AGENTRY_ALLOW_PRIVATE_URLS=true)")
	allowedHosts := fs.String("allowed-hosts", env("AGENTRY_ALLOWED_HOSTS", ""), "extra Host names the MCP endpoint accepts, comma-separated (AGENTRY_ALLOWED_HOSTS)")
	allowedOrigins := fs.String("allowed-origins", env("AGENTRY_ALLOWED_ORIGINS", ""), "extra browser origins the MCP endpoint accepts, comma-separated (AGENTRY_ALLOWED_ORIGINS)")
	embedderURL := fs.String("embedder-url", env("AGENTRY_EMBEDDER_URL", ""), "OpenAI-compatible embeddings API for semantic search, e.g. http://localhost:11434/v1 (AGENTRY_EMBEDDER_URL; key in AGENTRY_EMBEDDER_API_KEY)")
	embedderModel := fs.String("embedder-model", env("AGENTRY_EMBEDDER_MODEL", ""), "model name for --embedder-url (AGENTRY_EMBEDDER_MODEL)")
	semanticMode := fs.String("semantic", env("AGENTRY_SEMANTIC", "builtin"), "semantic leg of search when no embedder is given: builtin (agentry's own model) or off (AGENTRY_SEMANTIC)")
	fusion := fs.String("fusion", env("AGENTRY_FUSION", "convex"), "how the lexical and semantic rankings combine: convex or rrf (AGENTRY_FUSION)")
	lexicalWeight := fs.Float64("lexical-weight", envFloat("AGENTRY_LEXICAL_WEIGHT", 0), "the lexical leg's share, 0 to 1 (default 0.45 for convex, 0.5 for rrf) (AGENTRY_LEXICAL_WEIGHT)")
	fs.IntVar(&cfg.ApproxThreshold, "semantic-approx-threshold", envInt("AGENTRY_SEMANTIC_APPROX_THRESHOLD", 0),
		"records with vectors in a registry from which semantic search uses an approximate index; 0 = the default (20000), negative = never (AGENTRY_SEMANTIC_APPROX_THRESHOLD)")
	embedderDir := fs.String("embedder-model-dir", env("AGENTRY_EMBEDDER_MODEL_DIR", ""), "directory of a model2vec static embedding model (AGENTRY_EMBEDDER_MODEL_DIR)")
	logFormat := fs.String("log-format", env("AGENTRY_LOG_FORMAT", "json"), "log format: json or text (AGENTRY_LOG_FORMAT)")
	inFlight := fs.Int("max-inflight-mib", envInt("AGENTRY_MAX_INFLIGHT_MIB", httpapi.DefaultInFlightBytes>>20),
		"MiB of request bodies and large answers in transit, across all clients; past it requests get 503 (AGENTRY_MAX_INFLIGHT_MIB)")
	clientInFlight := fs.Int("max-client-inflight-mib", envInt("AGENTRY_MAX_CLIENT_INFLIGHT_MIB", httpapi.DefaultClientBytes>>20),
		"one client's share of --max-inflight-mib; past it its requests get 429 (AGENTRY_MAX_CLIENT_INFLIGHT_MIB)")
	minRate := fs.Int("min-transfer-rate-kib", envInt("AGENTRY_MIN_TRANSFER_RATE_KIB", httpapi.DefaultMinRate>>10),
		"KiB/s at which a client must send a request body or read a large answer, after --transfer-grace (AGENTRY_MIN_TRANSFER_RATE_KIB)")
	grace := fs.Duration("transfer-grace", envDuration("AGENTRY_TRANSFER_GRACE", httpapi.DefaultTransferGrace),
		"time a request body or large answer gets on top of its size at --min-transfer-rate-kib (AGENTRY_TRANSFER_GRACE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	if !accountIDPattern.MatchString(cfg.AccountID) {
		return fmt.Errorf("--account-id must be 12 digits, got %q", cfg.AccountID)
	}
	if !regionPattern.MatchString(cfg.Region) {
		return fmt.Errorf("--region must be a region name such as us-east-1, got %q", cfg.Region)
	}
	switch *logFormat {
	case "json":
		cfg.Logger = slog.New(slog.NewJSONHandler(stderr, nil))
	case "text":
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	default:
		return fmt.Errorf("--log-format must be json or text, got %q", *logFormat)
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + cfg.Listen
	}
	cfg.AllowedHosts, cfg.AllowedOrigins = splitList(*allowedHosts), splitList(*allowedOrigins)
	switch {
	case *embedderURL != "" && *embedderDir != "":
		return errors.New("choose one embedder: --embedder-url or --embedder-model-dir")
	case *embedderURL != "":
		if *embedderModel == "" {
			return errors.New("--embedder-url needs --embedder-model")
		}
		e, err := embedding.NewHTTP(embedding.HTTPConfig{URL: *embedderURL, Model: *embedderModel, APIKey: os.Getenv("AGENTRY_EMBEDDER_API_KEY")})
		if err != nil {
			return err
		}
		cfg.Embedder = e
	case *embedderDir != "":
		e, err := embedding.LoadStatic(*embedderDir)
		if err != nil {
			return err
		}
		cfg.Embedder = e
	case *semanticMode == "builtin":
		m, err := semantic.Default()
		if err != nil {
			return fmt.Errorf("the built-in semantic model: %w", err)
		}
		cfg.Embedder = m
	case *semanticMode != "off":
		return fmt.Errorf("--semantic must be builtin or off, got %q", *semanticMode)
	}
	switch *fusion {
	case "convex":
		cfg.Fusion.Method = search.FusionConvex
	case "rrf":
		cfg.Fusion.Method = search.FusionRRF
	default:
		return fmt.Errorf("--fusion must be convex or rrf, got %q", *fusion)
	}
	if *lexicalWeight < 0 || *lexicalWeight > 1 {
		return fmt.Errorf("--lexical-weight must be between 0 and 1, got %v", *lexicalWeight)
	}
	cfg.Fusion.LexicalWeight = *lexicalWeight
	if v, ok := os.LookupEnv("AGENTRY_SEMANTIC_APPROX_THRESHOLD"); ok {
		if _, err := strconv.Atoi(v); err != nil {
			return fmt.Errorf("AGENTRY_SEMANTIC_APPROX_THRESHOLD must be an integer, got %q", v)
		}
	}
	if *dbMaxConns < 1 || *dbMaxConns > 1000 {
		return fmt.Errorf("--db-max-conns must be 1 to 1000, got %d", *dbMaxConns)
	}
	cfg.DBMaxConns = int32(*dbMaxConns)
	if *inFlight < 4 || *inFlight > 1<<20 {
		return fmt.Errorf("--max-inflight-mib must be 4 to 1048576, got %d", *inFlight)
	}
	if *clientInFlight < 1 || *clientInFlight > *inFlight {
		return fmt.Errorf("--max-client-inflight-mib must be 1 to --max-inflight-mib (%d), got %d", *inFlight, *clientInFlight)
	}
	if *minRate < 1 || *minRate > 1<<20 {
		return fmt.Errorf("--min-transfer-rate-kib must be 1 to 1048576, got %d", *minRate)
	}
	if *grace < time.Second || *grace > 10*time.Minute {
		return fmt.Errorf("--transfer-grace must be 1s to 10m, got %v", *grace)
	}
	cfg.Transfers = httpapi.TransferLimits{InFlightBytes: int64(*inFlight) << 20, ClientBytes: int64(*clientInFlight) << 20,
		MinRate: int64(*minRate) << 10, Grace: *grace}
	cfg.Version = version()
	// Bind before anything has an effect: a taken port must not leave a
	// data directory and new root credentials behind.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	defer ln.Close() // on an early return; Serve closes it otherwise
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	root, created, err := credentials.LoadRoot(cfg.DataDir, os.Getenv("AGENTRY_ROOT_ACCESS_KEY_ID"), os.Getenv("AGENTRY_ROOT_SECRET_ACCESS_KEY"))
	if err != nil {
		return err
	}
	cfg.Root = root
	if created {
		// Printed once, on stdout and never in the log stream.
		fmt.Fprintf(stdout, "agentry: created root credentials in %s (mode 0600); they are shown only now:\n"+
			"  export AWS_ACCESS_KEY_ID=%s\n  export AWS_SECRET_ACCESS_KEY=%s\n",
			cfg.DataDir, root.AccessKeyID, root.SecretAccessKey)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	cfg.Logger.Info("agentry serving", "listen", ln.Addr().String(), "public_url", cfg.PublicURL,
		"data_dir", cfg.DataDir, "region", cfg.Region, "account_id", cfg.AccountID, "version", version())
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if err := srv.ReloadIAM(); err != nil {
				cfg.Logger.Error("IAM file not reloaded; the previous one stays in force", "err", err)
			} else {
				cfg.Logger.Info("IAM file reloaded", "file", cfg.IAMFile)
			}
		}
	}()
	err = srv.Serve(ctx, ln)
	cfg.Logger.Info("agentry stopped")
	return err
}

// envFloat is env for numbers; an unparsable value becomes -1, which the
// flag check refuses.
func envFloat(name string, def float64) float64 {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return -1
	}
	return f
}

// envDuration is env for durations; an unparsable value becomes 0, which
// the flag check refuses.
func envDuration(name string, def time.Duration) time.Duration {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	d, _ := time.ParseDuration(v)
	return d
}

// envInt is env for integers; an unparsable value is reported by the flag
// check that follows, as 0.
func envInt(name string, def int) int {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	n, _ := strconv.Atoi(v)
	return n
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func migrate(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("agentry migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg server.Config
	fs.StringVar(&cfg.DatabaseURL, "database-url", env("AGENTRY_DATABASE_URL", ""), "PostgreSQL URL; default: SQLite in --data-dir (AGENTRY_DATABASE_URL)")
	fs.StringVar(&cfg.DataDir, "data-dir", env("AGENTRY_DATA_DIR", "./agentry-data"), "data directory of the SQLite database (AGENTRY_DATA_DIR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := server.Migrate(ctx, cfg); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "agentry: the database schema is up to date")
	return nil
}
