// Command agentry is a self-hosted agent registry, wire-compatible with the
// Amazon Bedrock AgentCore registry API.
//
//	agentry serve     run the registry (embedded SQLite by default)
//	agentry version   print the version
//
// This file dispatches the commands; serve's flags and environment are
// server.Settings, and server.New builds everything from them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

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
  agentry import-aws --to URL [flags]
                            copy registries and records from an AWS
                            account's registry into agentry
  agentry search-eval --registry ID --queries FILE
                            score a registry's search on your own labelled
                            queries (nDCG@10, Recall@10, MRR@10)
  agentry model train|corpus|neighbors|info
                            build and inspect the built-in semantic model
                            (docs/model.md)
  agentry audit [flags]     write the audit trail as JSON lines (--from,
                            --to, --principal, --resource, --operation,
                            --limit; docs/audit.md)
  agentry webhooks dead-letters [--webhook NAME]
                            list the events webhooks gave up on, as JSON lines
  agentry webhooks redeliver [--webhook NAME] EVENT-ID|--all
                            send dead letters again and drop those delivered
                            (docs/events.md)
  agentry import --registry ID SOURCE...
                            import MCP servers (another MCP Registry v0.1
                            registry, server.json, seed.json), A2A cards and
                            SKILL.md files into a registry, through the API
  agentry keys new NAME     print a principal with a new access key for the
                            IAM file (docs/iam.md)
  agentry version           print the version and VCS revision

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
	case "import-aws":
		err = importAWS(os.Args[2:], os.Stdout, os.Stderr)
	case "import":
		err = importCommand(os.Args[2:], os.Stdout, os.Stderr)
	case "keys":
		err = keysCommand(os.Args[2:], os.Stdout, os.Stderr)
	case "audit":
		err = auditCommand(os.Args[2:], os.Stdout, os.Stderr)
	case "webhooks":
		err = webhooksCommand(os.Args[2:], os.Stdout, os.Stderr)
	case "version", "--version", "-version":
		fmt.Println("agentry", version()+revision())
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

// revision describes the VCS revision the binary was built from, as
// " (revision abc123, modified)", or "" when the build did not record it
// (go run, go test).
func revision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	return revisionOf(info.Settings)
}

func revisionOf(settings []debug.BuildSetting) string {
	var rev, at, modified string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if rev == "" {
		return ""
	}
	if at != "" {
		at = ", " + at
	}
	return " (revision " + rev + at + modified + ")"
}

func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}

// serve runs the registry: the flags and environment become a
// server.Config (server.Settings), and server.New builds everything from
// it. What is left here belongs to the process: the listening socket,
// signals, and the lines it logs about itself.
func serve(args []string, stdout, stderr io.Writer) error {
	cfg, err := server.LoadConfig("agentry serve", server.Settings, args, os.LookupEnv, stderr)
	if err != nil {
		return err
	}
	cfg.Version, cfg.CredentialsOut = version(), stdout
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + cfg.Listen
	}
	// Bind before anything has an effect: a taken port must not leave a
	// data directory and new root credentials behind.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	defer ln.Close() // on an early return; Serve closes it otherwise

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

func migrate(args []string, stderr io.Writer) error {
	cfg, err := server.LoadConfig("agentry migrate", server.SettingsNamed("database-url", "data-dir"), args, os.LookupEnv, stderr)
	if err != nil {
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
