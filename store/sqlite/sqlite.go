// Package sqlite is the embedded store: one SQLite file in WAL mode through
// the pure-Go modernc.org/sqlite driver.
//
// Writes go through a single connection, so they queue in Go rather than
// failing with "database is locked", and every commit is fsynced
// (synchronous=FULL) before it is acknowledged. Reads use a pool of their
// own and never wait for writers.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/store/internal/stored"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a registry.Store on one SQLite database file.
type Store struct {
	write *sql.DB
	read  *sql.DB
	// Statements of the hottest reads, prepared once per connection of
	// the read pool (txn.query).
	readStmts *stmtCache
	summaries stored.SummaryCache
}

var _ registry.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and applies any
// pending migrations. A database it creates is readable by its owner only.
func Open(ctx context.Context, path string) (*Store, error) {
	// SQLite would create the file 0644, and it gives the -wal and -shm
	// files the database file's mode: creating it 0600 first keeps all
	// three (drafts, the paging key) private. An error here, such as a
	// missing directory, is left for SQLite to report.
	if f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600); err == nil {
		f.Close()
	}
	dsn := func(txlock string) string {
		q := url.Values{}
		for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)"} {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", txlock)
		return "file:" + path + "?" + q.Encode()
	}
	write, err := sql.Open("sqlite", dsn("immediate"))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", dsn("deferred"))
	if err != nil {
		write.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	s := &Store{write: write, read: read}
	if err := write.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if s.readStmts, err = newStmtCache(ctx, read); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY) STRICT`); err != nil {
		return err
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		base := strings.TrimPrefix(f, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", f)
		}
		body, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		err = s.inTx(ctx, s.write, func(tx *sql.Tx) error {
			var done int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&done); err != nil || done > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("%s: %w", base, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, version)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Update runs fn in a write transaction.
func (s *Store) Update(ctx context.Context, fn func(registry.Tx) error) error {
	return s.run(ctx, s.write, false, fn)
}

// View runs fn in a read transaction.
func (s *Store) View(ctx context.Context, fn func(registry.Tx) error) error {
	return s.run(ctx, s.read, true, fn)
}

func (s *Store) run(ctx context.Context, db *sql.DB, readOnly bool, fn func(registry.Tx) error) error {
	err := s.inTx(ctx, db, func(tx *sql.Tx) error {
		t := &txn{ctx: ctx, tx: tx, readOnly: readOnly}
		if db == s.read {
			t.stmts, t.summaries = s.readStmts, &s.summaries
		}
		return fn(t)
	})
	var re *registry.Error
	if err != nil && !errors.As(err, &re) {
		return registry.Internal(err)
	}
	return err
}

// stmtCache holds prepared statements of the read pool by their SQL. The
// driver parses a query's SQL every time it runs one: for a list of 100
// records that cost as much as reading a quarter of its rows. The
// statements are prepared when the store opens: preparing one on the
// pool later needs a free connection, which a transaction waiting for it
// while holding its own may never get. A transaction runs a statement on
// its own connection (sql.Tx.StmtContext prepares it there once).
type stmtCache struct {
	m map[string]*sql.Stmt // read-only once built
}

// hotReads are the SQL texts stmtCache prepares: a registry by id, and
// the ids and revs of a page of records with every combination of filters.
func hotReads() []string {
	out := []string{sqlRegistry}
	for mask := range 32 {
		q := registry.RecordQuery{RegistryID: "r"}
		if mask&1 != 0 {
			q.Name = "n"
		}
		if mask&2 != 0 {
			q.Status = "s"
		}
		if mask&4 != 0 {
			q.DescriptorType = "t"
		}
		if mask&8 != 0 {
			q.AfterName = "a"
		}
		if mask&16 != 0 {
			q.AfterID = "a"
		}
		where, _ := recordFilter(q)
		out = append(out, pageRevsSQL(where))
	}
	return out
}

func newStmtCache(ctx context.Context, db *sql.DB) (*stmtCache, error) {
	c := &stmtCache{m: map[string]*sql.Stmt{}}
	for _, q := range hotReads() {
		if c.m[q] != nil {
			continue
		}
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("prepare %q: %w", q, err)
		}
		c.m[q] = st
	}
	return c, nil
}

// ChangesSince returns change feed entries after seq, oldest first.
func (s *Store) ChangesSince(ctx context.Context, after int64, limit int) ([]registry.ChangeEntry, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT seq, registry_id, record_id, at FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, registry.Internal(err)
	}
	defer rows.Close()
	var out []registry.ChangeEntry
	for rows.Next() {
		var e registry.ChangeEntry
		var at int64
		if err := rows.Scan(&e.Seq, &e.RegistryID, &e.RecordID, &at); err != nil {
			return nil, registry.Internal(err)
		}
		e.At = fromMillis(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, registry.Internal(err)
	}
	return out, nil
}

// LatestChange returns the highest sequence number of the change feed.
func (s *Store) LatestChange(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&seq); err != nil {
		return 0, registry.Internal(err)
	}
	return seq, nil
}

// LoadVectors returns the stored vectors of the given keys under a model
// (search.VectorStore).
func (s *Store) LoadVectors(ctx context.Context, fingerprint string, keys [][32]byte) (map[[32]byte][]byte, error) {
	out := make(map[[32]byte][]byte, len(keys))
	const chunk = 500 // well under SQLite's limit on bound parameters
	for len(keys) > 0 {
		part := keys[:min(len(keys), chunk)]
		keys = keys[len(part):]
		args := []any{fingerprint}
		for _, k := range part {
			args = append(args, k[:])
		}
		rows, err := s.read.QueryContext(ctx, `SELECT text_hash, vector FROM vectors WHERE fingerprint = ? AND text_hash IN (?`+
			strings.Repeat(", ?", len(part)-1)+`)`, args...)
		if err != nil {
			return nil, registry.Internal(err)
		}
		for rows.Next() {
			var hash, blob []byte
			if err := rows.Scan(&hash, &blob); err != nil {
				rows.Close()
				return nil, registry.Internal(err)
			}
			if len(hash) == 32 {
				out[[32]byte(hash)] = blob
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, registry.Internal(err)
		}
	}
	return out, nil
}

// SaveVectors stores vectors under a model; existing ones are kept.
func (s *Store) SaveVectors(ctx context.Context, fingerprint string, vectors map[[32]byte][]byte) error {
	err := s.inTx(ctx, s.write, func(tx *sql.Tx) error {
		for k, v := range vectors {
			if _, err := tx.ExecContext(ctx, `INSERT INTO vectors (fingerprint, text_hash, vector) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				fingerprint, k[:], v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return registry.Internal(err)
	}
	return nil
}

// PruneVectors deletes the vectors of other models and those of
// fingerprint not in keep, through a temporary table of the keys.
func (s *Store) PruneVectors(ctx context.Context, fingerprint string, keep [][32]byte) (int64, error) {
	var deleted int64
	err := s.inTx(ctx, s.write, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS keep_vectors (h BLOB PRIMARY KEY) WITHOUT ROWID`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM temp.keep_vectors`); err != nil {
			return err
		}
		const chunk = 500 // well under SQLite's limit on bound parameters
		for rest := keep; len(rest) > 0; {
			part := rest[:min(len(rest), chunk)]
			rest = rest[len(part):]
			args := make([]any, len(part))
			for i := range part {
				args[i] = part[i][:]
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO temp.keep_vectors (h) VALUES (?)`+
				strings.Repeat(", (?)", len(part)-1), args...); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM vectors WHERE fingerprint <> ? OR text_hash NOT IN (SELECT h FROM temp.keep_vectors)`, fingerprint)
		if err != nil {
			return err
		}
		deleted, err = res.RowsAffected()
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM temp.keep_vectors`)
		return err
	})
	if err != nil {
		return 0, registry.Internal(err)
	}
	return deleted, nil
}
