package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/store/sqlite"
	"github.com/agentry/agentry/store/storetest"
)

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return open(t, filepath.Join(t.TempDir(), "agentry.db"))
	})
}

func TestPragmas(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "agentry.db"))
	defer s.Close()
	write, read := s.Pools()
	// Hold several read connections at once so the check covers more than
	// the one connection a pool would otherwise hand out every time.
	pools := []struct {
		name  string
		db    *sql.DB
		conns int
	}{
		{"write", write, 1},
		{"read", read, 3},
	}
	ctx := t.Context()
	for _, p := range pools {
		for i := range p.conns {
			conn, err := p.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			for _, want := range []struct{ pragma, value string }{
				{"journal_mode", "wal"},
				{"synchronous", "2"}, // FULL
				{"foreign_keys", "1"},
			} {
				var got string
				if err := conn.QueryRowContext(ctx, "PRAGMA "+want.pragma).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != want.value {
					t.Errorf("%s pool, connection %d: %s = %s, want %s", p.name, i, want.pragma, got, want.value)
				}
			}
		}
	}
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agentry.db")
	ctx := t.Context()
	reg := registry.Registry{ID: registry.NewID(12), Name: "kept", AuthorizerType: registry.AuthorizerAWSIAM, Status: registry.RegistryReady}

	s := open(t, path)
	err := s.Update(ctx, func(tx registry.Tx) error {
		return errors.Join(tx.CreateRegistry(reg), tx.PutSetting("paging-key", []byte("secret")))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A second Open finds the schema in place: the migrations, which create
	// their tables unconditionally, would fail if they ran again.
	s = open(t, path)
	defer s.Close()
	err = s.View(ctx, func(tx registry.Tx) error {
		got, err := tx.Registry(reg.ID)
		if err != nil {
			return err
		}
		if got.Name != reg.Name {
			t.Errorf("reopened registry name = %q, want %q", got.Name, reg.Name)
		}
		if v, ok, err := tx.Setting("paging-key"); err != nil || !ok || string(v) != "secret" {
			t.Errorf("reopened setting = %q, ok %v, err %v", v, ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations found (%v)", err)
	}
	write, _ := s.Pools()
	var applied int
	if err := write.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != len(files) {
		t.Errorf("schema_migrations has %d rows after two opens, want one per migration (%d)", applied, len(files))
	}
}

func TestOpenMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "agentry.db")
	s, err := sqlite.Open(context.Background(), path)
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded in a directory that does not exist")
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "unable to open database file") {
		t.Errorf("error %q should name the path and say the file cannot be opened", msg)
	}
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Errorf("Open created the missing directory (stat: %v)", err)
	}
}

// The database holds drafts and the paging key: it and its -wal and -shm
// files are for the owner only, whatever the umask and the directory allow.
func TestFilesOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "agentry.db")
	s := open(t, path)
	defer s.Close()
	err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.PutSetting("paging-key", []byte("secret")) })
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", filepath.Base(name), mode)
		}
	}
}

// TestStoredV1 reads and writes the stored JSON of earlier versions.
func TestStoredV1(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "agentry.db"))
	defer s.Close()
	write, read := s.Pools()
	storetest.RunStoredV1(t, s, storetest.Raw{
		InsertRegistry: func(id, name, authorizer string) error {
			_, err := write.Exec(`INSERT INTO registries (id, name, description, authorizer_type, authorizer_config,
				auto_approval, status, status_reason, created_at, updated_at)
				VALUES (?, ?, '', 'CUSTOM_JWT', ?, 0, 'READY', '', 0, 0)`, id, name, authorizer)
			return err
		},
		InsertRecord: func(registryID, id, name, latest, approved string) error {
			_, err := write.Exec(`INSERT INTO records (registry_id, id, name, status, descriptor_type, created_at, latest, approved)
				VALUES (?, ?, ?, 'DRAFT', 'CUSTOM', 0, ?, ?)`, registryID, id, name, latest, approved)
			return err
		},
		Authorizer: func(id string) (authorizer string, err error) {
			err = read.QueryRow(`SELECT authorizer_config FROM registries WHERE id = ?`, id).Scan(&authorizer)
			return authorizer, err
		},
		Revisions: func(registryID, id string) (latest, approved string, err error) {
			err = read.QueryRow(`SELECT latest, approved FROM records WHERE registry_id = ? AND id = ?`, registryID, id).
				Scan(&latest, &approved)
			return latest, approved, err
		},
	})
}

// Migration 0004 fills the summary columns of the records already stored.
func TestSummaryMigrationFillsColumns(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "agentry.db")
	s := open(t, path)
	recs := storetest.SummarySamples(t, s)
	// Back to the schema before 0004, with the records in it.
	write, _ := s.Pools()
	for _, stmt := range []string{`ALTER TABLE records DROP COLUMN description`, `ALTER TABLE records DROP COLUMN version`,
		`ALTER TABLE records DROP COLUMN updated_at`, `ALTER TABLE records DROP COLUMN summary_extra`,
		`DELETE FROM schema_migrations WHERE version = 4`} {
		if _, err := write.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	defer s.Close()
	storetest.CheckSummaries(t, s, recs)
}

// TestReplicas: two stores on one database file, as two processes.
func TestReplicas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agentry.db")
	a, b := open(t, path), open(t, path)
	defer a.Close()
	defer b.Close()
	storetest.RunReplicas(t, a, b)
}

// TestConcurrentFirstReads: more transactions than the read pool has
// connections, each listing with other filters, right after Open. A
// statement prepared on the pool while they held every connection would
// wait for one forever.
func TestConcurrentFirstReads(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "agentry.db"))
	defer s.Close()
	reg := registry.Registry{ID: registry.NewID(12), Name: "r", AuthorizerType: registry.AuthorizerAWSIAM, Status: registry.RegistryReady}
	if err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.CreateRegistry(reg) }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			q := registry.RecordQuery{RegistryID: reg.ID, Limit: 10}
			if i&1 != 0 {
				q.Name = "n"
			}
			if i&2 != 0 {
				q.Status = registry.StatusDraft
			}
			if i&4 != 0 {
				q.DescriptorType = registry.DescriptorMCP
			}
			if i&8 != 0 {
				q.AfterName, q.AfterID = "a", "b"
			}
			err := s.View(ctx, func(tx registry.Tx) error {
				time.Sleep(10 * time.Millisecond) // hold the connection while others start
				if _, err := tx.Registry(reg.ID); err != nil {
					return err
				}
				_, err := tx.ListRecordSummaries(q)
				return err
			})
			if err != nil {
				t.Errorf("list %d: %v", i, err)
			}
		})
	}
	wg.Wait()
}
