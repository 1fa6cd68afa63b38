// Package pgtest gives tests a PostgreSQL database of their own: created
// for the test (empty, or cloned from a template migrated once per run)
// and dropped afterwards. Without a reachable server the test is skipped,
// unless CI=true, where that is a failure.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentry/agentry/store/postgres"
)

// The tests create a database per test, cloned from a template migrated
// once per run, on the server that AGENTRY_TEST_DATABASE_URL (a URL naming a
// maintenance database, for a role that may create databases) points at.
const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	templateMu sync.Mutex
	template   string // the migrated template database, "" until made

	// DROP DATABASE waits for a checkpoint, which takes most of a second;
	// the drops of a run's databases run in the background, where their
	// checkpoints coalesce, and TestMain waits for them.
	drops sync.WaitGroup
)

// Wait waits for the background drops of the databases this run made and
// drops the template; call it from TestMain after m.Run.
func Wait() {
	drops.Wait()
	if template != "" {
		if err := dropDatabase(context.Background(), template); err != nil {
			fmt.Fprintf(os.Stderr, "drop the template database %s: %v\n", template, err)
		}
	}
}

// AdminURL is the URL of the maintenance database tests create databases
// through: AGENTRY_TEST_DATABASE_URL, or the local server.
func AdminURL() string {
	if u := os.Getenv("AGENTRY_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultAdminURL
}

// ConnectAdmin connects to the maintenance database. Without a server the
// test is skipped, unless it runs under CI, where that is a failure.
func ConnectAdmin(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, AdminURL())
	if err == nil {
		return conn
	}
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatalf("PostgreSQL is required under CI and not reachable: %v", err)
	}
	t.Skipf("PostgreSQL not reachable (%v); set AGENTRY_TEST_DATABASE_URL, or start the local server with "+
		"pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start", err)
	return nil
}

func dropDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`)
	return err
}

// DatabaseURL returns adminURL with the database replaced by name.
func DatabaseURL(t testing.TB, name string) string {
	t.Helper()
	u, err := url.Parse(AdminURL())
	if err != nil || u.Scheme == "" {
		t.Fatalf("AGENTRY_TEST_DATABASE_URL must be a postgres:// URL (%v)", err)
	}
	u.Path = "/" + name
	return u.String()
}

// RandomName returns prefix and 12 random hex digits.
func RandomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// NewDatabase creates a database for this test, dropped when it ends, and
// returns its URL. A migrated one is a copy of the template, which is much
// faster than migrating; an empty one has no tables at all.
func NewDatabase(t testing.TB, migrated bool) string {
	t.Helper()
	conn := ConnectAdmin(t)
	ctx := context.Background()
	defer conn.Close(ctx)
	name := RandomName("agentry_test_")
	create := `CREATE DATABASE ` + pgx.Identifier{name}.Sanitize()
	if migrated {
		create += ` TEMPLATE ` + pgx.Identifier{migratedTemplate(t, conn)}.Sanitize()
	}
	if _, err := conn.Exec(ctx, create); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		drops.Go(func() {
			if err := dropDatabase(context.Background(), name); err != nil {
				fmt.Fprintf(os.Stderr, "drop database %s: %v\n", name, err)
			}
		})
	})
	return DatabaseURL(t, name)
}

// migratedTemplate returns the template database, creating and migrating
// it on first use.
func migratedTemplate(t testing.TB, conn *pgx.Conn) string {
	t.Helper()
	templateMu.Lock()
	defer templateMu.Unlock()
	if template != "" {
		return template
	}
	name := RandomName("agentry_template_")
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create template database: %v", err)
	}
	template = name // dropped by TestMain, even if migrating fails
	if err := postgres.Migrate(ctx, DatabaseURL(t, name)); err != nil {
		t.Fatalf("migrate the template database: %v", err)
	}
	return template
}
