package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/agentry/agentry/server"
)

// auditCommand writes the audit trail, or the part of it the flags select,
// as JSON lines: agentry audit [--from T] [--to T] [--principal ARN]
// [--resource ARN|PREFIX*] [--operation NAME] [--limit N].
func auditCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agentry audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "first time (RFC 3339), inclusive")
	to := fs.String("to", "", "last time (RFC 3339), exclusive")
	principal := fs.String("principal", "", "the caller's ARN")
	resource := fs.String("resource", "", "the resource's ARN, or a prefix ending in *")
	operation := fs.String("operation", "", "the operation, such as UpdateRegistryRecordStatus")
	limit := fs.Int("limit", 0, "the most entries to write; 0 = all")
	dataDir := fs.String("data-dir", "", "as for agentry serve (AGENTRY_DATA_DIR)")
	dbURL := fs.String("database-url", "", "as for agentry serve (AGENTRY_DATABASE_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("agentry audit takes no arguments, got %q", fs.Args())
	}
	q := server.AuditQuery{Principal: *principal, Resource: *resource, Operation: *operation, Limit: *limit}
	for name, v := range map[string]struct {
		s string
		t *time.Time
	}{"--from": {*from, &q.From}, "--to": {*to, &q.To}} {
		if v.s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v.s)
		if err != nil {
			return fmt.Errorf("%s must be an RFC 3339 time such as 2026-01-02T15:04:05Z", name)
		}
		*v.t = t
	}
	if *limit < 0 {
		return fmt.Errorf("--limit must not be negative")
	}
	var dbArgs []string
	if *dataDir != "" {
		dbArgs = append(dbArgs, "--data-dir", *dataDir)
	}
	if *dbURL != "" {
		dbArgs = append(dbArgs, "--database-url", *dbURL)
	}
	cfg, err := server.LoadConfig("agentry audit", server.SettingsNamed("database-url", "data-dir"), dbArgs, os.LookupEnv, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, err = server.ExportAudit(ctx, cfg, q, stdout)
	return err
}
