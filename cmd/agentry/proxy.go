package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/agentry/agentry/mcpproxy"
)

const proxyUsage = `Usage: agentry mcp-proxy [flags] <endpoint>

Runs a local MCP server for clients that cannot sign AWS SigV4 requests
(Claude Code, Kiro, the MCP Inspector ...): every message is forwarded to
<endpoint>, a registry's MCP endpoint such as
http://127.0.0.1:8080/registry/REGISTRY_ID/mcp, signed with the credentials
of the standard AWS chain (or with a bearer token, for CUSTOM_JWT
registries). It serves stdio by default, or Streamable HTTP with --listen.

Flags:
`

var (
	servicePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	tokenPattern   = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// reservedHeaders are set by the proxy; --header may not set them.
var reservedHeaders = map[string]string{
	"Authorization":        "use --bearer-env for a bearer token",
	"Host":                 "it comes from the endpoint URL",
	"Content-Type":         "the proxy sets it",
	"Content-Length":       "the proxy sets it",
	"Accept":               "the proxy sets it",
	"Mcp-Protocol-Version": "the proxy passes on the negotiated one",
	"Mcp-Session-Id":       "the proxy passes on the server's",
}

// headerFlags collects repeated --header flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// proxyCommand is "agentry mcp-proxy".
func proxyCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agentry mcp-proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), proxyUsage)
		fs.PrintDefaults()
	}
	profile := fs.String("profile", "", "AWS `profile` of the shared config and credentials files (default: AWS_PROFILE, else the default chain)")
	region := fs.String("region", "", "`region` to sign for (default: from the AWS config and environment, else us-east-1)")
	service := fs.String("service", "bedrock-agentcore", "`service` name to sign for")
	bearerEnv := fs.String("bearer-env", "", "instead of signing, send the bearer token in environment variable `NAME`, read at each request (CUSTOM_JWT registries)")
	var headers headerFlags
	fs.Var(&headers, "header", "add the header `'Name: value'` to every request (repeatable)")
	listen := fs.String("listen", "", "serve MCP Streamable HTTP on `host:port` (such as 127.0.0.1:8765) instead of stdio")
	allowRemote := fs.Bool("allow-remote", false, "allow --listen on an address other than loopback (anyone who reaches it uses your credentials)")
	logLevel := fs.String("log-level", "info", "log `level` on stderr: debug, info, warn or error")

	// Flags may come before or after the endpoint, as in
	// "agentry mcp-proxy URL --region us-east-1".
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if len(positional) != 1 {
		fs.Usage()
		return fmt.Errorf("mcp-proxy takes one endpoint URL, got %d arguments", len(positional))
	}
	endpoint, err := parseEndpoint(positional[0])
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level must be debug, info, warn or error, got %q", *logLevel)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	header, err := parseHeaders(headers)
	if err != nil {
		return err
	}
	if *listen != "" {
		host, _, err := net.SplitHostPort(*listen)
		if err != nil {
			return fmt.Errorf("--listen must be host:port, such as 127.0.0.1:8765: %v", err)
		}
		if !*allowRemote && !mcpproxy.IsLoopback(host) {
			return fmt.Errorf("--listen %s is not a loopback address; the proxy signs with your credentials, so it listens only on 127.0.0.1, [::1] or localhost unless --allow-remote is given", *listen)
		}
	} else if *allowRemote {
		return errors.New("--allow-remote applies only with --listen")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// A transport of our own keeps HTTPS_PROXY and friends working.
	var transport http.RoundTripper = http.DefaultTransport.(*http.Transport).Clone()
	if *bearerEnv != "" {
		for _, name := range []string{"profile", "region", "service"} {
			if set[name] {
				return fmt.Errorf("--%s applies to SigV4 signing; --bearer-env sends a bearer token instead", name)
			}
		}
		if !envNamePattern.MatchString(*bearerEnv) {
			return fmt.Errorf("--bearer-env takes the name of an environment variable, got %q", *bearerEnv)
		}
		if os.Getenv(*bearerEnv) == "" {
			return fmt.Errorf("--bearer-env %s: the environment variable is empty or unset", *bearerEnv)
		}
		if endpoint.Scheme == "http" && !mcpproxy.IsLoopback(endpoint.Hostname()) {
			log.Warn("the bearer token travels in clear text over http; use an https endpoint")
		}
		transport = &mcpproxy.BearerTransport{Token: mcpproxy.EnvToken(*bearerEnv), Base: transport}
	} else {
		if !servicePattern.MatchString(*service) {
			return fmt.Errorf("--service must be a service name such as bedrock-agentcore, got %q", *service)
		}
		cfg, err := loadAWSConfig(ctx, *region, *profile)
		if err != nil {
			return err
		}
		signer := mcpproxy.NewSigV4Transport(transport, cfg.Credentials, *service, cfg.Region)
		go checkCredentials(ctx, signer, log)
		log.Info("signing with SigV4", "service", *service, "region", cfg.Region)
		transport = signer
	}

	p := &mcpproxy.Proxy{
		Endpoint:  endpoint.String(),
		Transport: transport,
		Header:    header,
		UserAgent: "agentry-mcp-proxy/" + version(),
		Logger:    log,
	}
	shown := (&url.URL{Scheme: endpoint.Scheme, Host: endpoint.Host, Path: endpoint.Path}).String()
	if *listen != "" {
		p.AllowRemote = *allowRemote
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return err
		}
		log.Info("mcp-proxy listening", "url", "http://"+ln.Addr().String()+"/mcp", "endpoint", shown)
		err = p.Serve(ctx, ln)
		log.Info("mcp-proxy stopped")
		return err
	}
	log.Info("mcp-proxy serving stdio", "endpoint", shown)
	return p.ServeStdio(ctx, stdin, stdout)
}

// checkCredentials looks for credentials at startup, so that a person
// starting the proxy by hand learns at once whether it will work. Requests
// retrieve them again through the cache, refreshed as they expire.
func checkCredentials(ctx context.Context, t *mcpproxy.SigV4Transport, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if t.Credentials == nil {
		log.Warn("no AWS credentials provider: requests will fail")
		return
	}
	creds, err := t.Credentials.Retrieve(ctx)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("no AWS credentials found: requests will fail; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile with --profile (after aws sso login, for SSO profiles)", "err", err)
		}
		return
	}
	log.Info("AWS credentials found", "source", creds.Source)
}

// parseEndpoint checks that s is an http(s) URL without credentials in it.
func parseEndpoint(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("the endpoint must be an http or https URL such as http://127.0.0.1:8080/registry/REGISTRY_ID/mcp, got %q", s)
	}
	if u.User != nil {
		return nil, errors.New("the endpoint URL must not carry credentials; the proxy signs requests")
	}
	u.Fragment = ""
	return u, nil
}

// parseHeaders parses --header values of the form "Name: value".
func parseHeaders(values []string) (http.Header, error) {
	h := http.Header{}
	for _, v := range values {
		name, value, ok := strings.Cut(v, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || !tokenPattern.MatchString(name) {
			return nil, fmt.Errorf("--header must be 'Name: value', got %q", v)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return nil, fmt.Errorf("--header %s: the value may not contain line breaks", name)
		}
		name = http.CanonicalHeaderKey(name)
		if why, reserved := reservedHeaders[name]; reserved {
			return nil, fmt.Errorf("--header may not set %s: %s", name, why)
		}
		h.Add(name, value)
	}
	return h, nil
}

// regionPattern is what a region name looks like (us-east-1).
var regionPattern = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// loadAWSConfig loads the standard AWS configuration and credential chain,
// with an optional region and profile; the region defaults to us-east-1.
func loadAWSConfig(ctx context.Context, region, profile string) (aws.Config, error) {
	if region != "" && !regionPattern.MatchString(region) {
		return aws.Config{}, fmt.Errorf("--region must be a region name such as us-east-1, got %q", region)
	}
	opts := []func(*config.LoadOptions) error{config.WithDefaultRegion("us-east-1")}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if !regionPattern.MatchString(cfg.Region) {
		return aws.Config{}, fmt.Errorf("the AWS configuration names region %q; give one such as us-east-1 with --region", cfg.Region)
	}
	return cfg, nil
}
