package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/server"
)

// The data directory holds the database (drafts, the paging key) and the
// root credentials: agentry creates it and the database for their owner
// only, and warns when it finds a directory other users can enter.
func TestDataDirectoryPermissions(t *testing.T) {
	cases := []struct {
		name     string
		existing os.FileMode // 0: agentry creates the directory
		warn     bool
	}{
		{"created", 0, false},
		{"owner only", 0o700, false},
		{"world-readable", 0o755, true},
		{"group-writable", 0o770, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if c.existing != 0 {
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(dir, c.existing); err != nil {
					t.Fatal(err)
				}
			}
			var log bytes.Buffer
			srv, err := server.New(context.Background(), server.Config{
				DataDir: dir, Region: "us-east-1", AccountID: "123456789012", Root: credentials.Generate(),
				Logger: slog.New(slog.NewTextHandler(&log, nil)),
			})
			if err != nil {
				t.Fatal(err)
			}
			srv.Close()
			wantMode := c.existing
			if wantMode == 0 {
				wantMode = 0o700
			}
			checkMode(t, dir, wantMode)
			checkMode(t, filepath.Join(dir, server.DatabaseFile), 0o600)
			warned := strings.Contains(log.String(), "level=WARN") && strings.Contains(log.String(), "chmod 700")
			if warned != c.warn {
				t.Errorf("warned = %v, want %v; log:\n%s", warned, c.warn, log.String())
			}
		})
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %04o, want %04o", filepath.Base(path), got, want)
	}
}
