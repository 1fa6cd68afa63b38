package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/agentry/agentry/server"
)

// webhooksCommand lists and redelivers the events webhooks gave up on:
// agentry webhooks dead-letters [--webhook NAME] and agentry webhooks
// redeliver [--webhook NAME] EVENT-ID|--all.
func webhooksCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: agentry webhooks dead-letters [--webhook NAME] | agentry webhooks redeliver [--webhook NAME] EVENT-ID|--all")
	}
	sub, args := args[0], args[1:]
	if sub != "dead-letters" && sub != "redeliver" {
		return fmt.Errorf("agentry webhooks: unknown command %q (dead-letters, redeliver)", sub)
	}
	fs := flag.NewFlagSet("agentry webhooks "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	webhook := fs.String("webhook", "", "only this webhook's dead letters (its name in the webhooks file)")
	all := fs.Bool("all", false, "redeliver every dead letter (of --webhook, if given)")
	dataDir := fs.String("data-dir", "", "as for agentry serve (AGENTRY_DATA_DIR)")
	dbURL := fs.String("database-url", "", "as for agentry serve (AGENTRY_DATABASE_URL)")
	webhooksFile := fs.String("webhooks-file", "", "as for agentry serve (AGENTRY_WEBHOOKS_FILE); redeliver needs it")
	allowPrivate := fs.Bool("allow-private-urls", false, "as for agentry serve (AGENTRY_ALLOW_PRIVATE_URLS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var cfgArgs []string
	for flag, v := range map[string]string{"--data-dir": *dataDir, "--database-url": *dbURL, "--webhooks-file": *webhooksFile} {
		if v != "" {
			cfgArgs = append(cfgArgs, flag, v)
		}
	}
	if *allowPrivate {
		cfgArgs = append(cfgArgs, "--allow-private-urls")
	}
	cfg, err := server.LoadConfig("agentry webhooks", server.SettingsNamed("database-url", "data-dir", "webhooks-file", "allow-private-urls"),
		cfgArgs, os.LookupEnv, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if sub == "dead-letters" {
		if fs.NArg() > 0 || *all {
			return errors.New("agentry webhooks dead-letters takes only --webhook")
		}
		_, err := server.ExportDeadLetters(ctx, cfg, *webhook, stdout)
		return err
	}
	var id string
	switch {
	case *all && fs.NArg() == 0:
	case !*all && fs.NArg() == 1:
		id = fs.Arg(0)
	default:
		return errors.New("agentry webhooks redeliver takes one event id, or --all")
	}
	results, err := server.RedeliverDeadLetters(ctx, cfg, *webhook, id)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
			fmt.Fprintf(stdout, "failed      %s to %s: %v\n", r.Letter.EventID, r.Letter.Webhook, r.Err)
			continue
		}
		fmt.Fprintf(stdout, "redelivered %s to %s\n", r.Letter.EventID, r.Letter.Webhook)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d dead letters not redelivered; they stay in the list", failed, len(results))
	}
	fmt.Fprintf(stderr, "%d dead letters redelivered\n", len(results))
	return nil
}
