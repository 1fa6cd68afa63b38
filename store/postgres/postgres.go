// Package postgres is the scale-out store: any number of stateless agentry
// replicas share one PostgreSQL database, the source of truth and their
// coordination point, through github.com/jackc/pgx/v5.
//
// Concurrency choices:
//
//   - Update runs SERIALIZABLE and runs fn again after a serialization
//     failure or a deadlock (SQLSTATE 40001, 40P01). The Service's
//     read-check-write closures (quota counts, "create the paging key
//     unless set", the idempotency check) then behave as if run one at a
//     time across replicas. REPEATABLE READ would need SELECT ... FOR
//     UPDATE at every read a decision rests on, which Tx cannot express,
//     and still allows write skew (two replicas both seeing room under a
//     quota). fn must be safe to run again: it is, since it recomputes
//     everything from its reads.
//   - Writers run together at first and alone after a failure. Every
//     Update locks the empty table write_lock as it begins, before any
//     statement takes its snapshot (LOCK TABLE takes none): its first
//     optimisticRuns runs in ROW SHARE mode, which writers share, and any
//     later run in EXCLUSIVE mode, which waits for the running writers to
//     end, on every replica, and keeps new ones out until it commits. That
//     run's snapshot has every other writer's commits and no writer runs
//     beside it, so it cannot fail to serialize with one: a valid write
//     never fails because of contention. Without it, under load (16 to
//     48 writers on two or three replicas), one write in 300 to 1,500
//     failed on all of its ten runs and answered HTTP 500: each run took
//     its snapshot, then queued for the feed lock behind the others, so
//     it overlapped dozens of commits and failed again. Running every
//     writer alone, always, made writes 2-4 times slower on a busy
//     machine: the writers' section then spans every statement of a
//     transaction instead of its last few (see docs/benchmarks.md,
//     "PostgreSQL write contention").
//   - Failures against writes made outside Update (pruning, replicas of an
//     earlier version during a rolling upgrade) remain possible: runs
//     alone are retried too, with jittered backoff, up to maxAttempts runs
//     in all, and a transaction that fails on every run ends in
//     KindThrottled, never an internal error.
//   - View runs READ ONLY REPEATABLE READ: one consistent snapshot that
//     never waits for writers and never fails to serialize.
//   - The change feed's seq is taken from a sequence at insert time, not at
//     commit time, so an entry with a lower seq could become visible after
//     one with a higher seq and be skipped by a follower that has moved past
//     it. A transaction therefore takes an advisory lock before its first
//     insert into the feed and holds it until it commits: feed entries
//     become visible in seq order, and the lock is held only from the
//     Service's last statement to the commit. (Filtering readers by the
//     oldest running transaction id would instead let any long transaction
//     on the server hold every follower back.)
//   - Expired feed entries and idempotency tokens are deleted after the
//     commit, at most once per pruneEvery per store. Inside a serializable
//     transaction the range DELETE would make any two concurrent writers
//     conflict.
//   - Open migrates in one transaction under an advisory lock, so replicas
//     that start together migrate once.
//
// Errors: unique violations become KindConflict and missing rows
// KindNotFound, with the messages of store/sqlite; anything else leaves the
// store as registry.Internal, except a transaction that failed to
// serialize on every run, which is KindThrottled.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/agentry/agentry/registry"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tunes the connection pool. Zero values take the URL's pool_*
// parameters if it has them, else the defaults below.
type Options struct {
	MaxConns        int32         // default 16
	MinConns        int32         // default 0
	MaxConnLifetime time.Duration // default 1h
	MaxConnIdleTime time.Duration // default 30m
	Logger          *slog.Logger  // default: discard
}

const defaultMaxConns = 16

// Transactions that fail to serialize run again up to maxAttempts times in
// all, waiting a jittered, doubling delay between retryBase and retryCap;
// runs after the first optimisticRuns run alone (see the package comment).
const (
	optimisticRuns = 1
	maxAttempts    = 10
	retryBase      = 4 * time.Millisecond
	retryCap       = 250 * time.Millisecond
)

// pruneEvery is how often a store deletes expired rows, measured in the
// timestamps it is given rather than by its own clock.
const pruneEvery = time.Hour

// Store is a registry.Store on a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	changes, tokens pruner

	mu        sync.Mutex      // orders Listen's start against Close
	closing   context.Context // done when Close is called; stops listeners
	close     context.CancelFunc
	listeners sync.WaitGroup
}

var _ registry.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or key=value
// string) and applies any pending migrations.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := poolConfig(url, opts)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %w", describe(cfg.ConnConfig), err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: migrate %s: %w", describe(cfg.ConnConfig), err)
	}
	s := &Store{
		pool:    pool,
		log:     opts.Logger,
		changes: pruner{query: sqlPruneChanges, keep: registry.ChangeRetention},
		tokens:  pruner{query: sqlPruneIdempotency, keep: registry.IdempotencyWindow},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.closing, s.close = context.WithCancel(context.Background())
	return s, nil
}

func poolConfig(url string, opts Options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !hasParam(url, "pool_max_conns"):
		cfg.MaxConns = defaultMaxConns
	}
	if opts.MinConns > 0 {
		cfg.MinConns = opts.MinConns
	}
	if opts.MaxConnLifetime > 0 {
		cfg.MaxConnLifetime = opts.MaxConnLifetime
	}
	if opts.MaxConnIdleTime > 0 {
		cfg.MaxConnIdleTime = opts.MaxConnIdleTime
	}
	// Name the connections, for pg_stat_activity.
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "agentry"
	}
	return cfg, nil
}

// hasParam reports whether the connection string sets param; pgxpool
// drops its own parameters from the config it returns.
func hasParam(url, param string) bool {
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		return false
	}
	_, ok := cfg.RuntimeParams[param]
	return ok
}

// describe names the database in errors, without the password.
func describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s:%d/%s", c.Host, c.Port, c.Database)
}

// Migrate applies any pending migrations to the database at url, for an
// "agentry migrate" command; Open does the same.
func Migrate(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := migrate(ctx, conn); err != nil {
		return fmt.Errorf("postgres: migrate %s: %w", describe(conn.Config()), err)
	}
	return nil
}

// migrate applies the embedded migrations in one transaction. Replicas that
// start together queue on the advisory lock; the first migrates and the
// others then find nothing left to do.
func migrate(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}) error {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(files)
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlLock, migrationLock); err != nil {
			return err
		}
		// Look before creating: CREATE TABLE IF NOT EXISTS would still need
		// the CREATE privilege, which a role that only runs a migrated
		// schema need not have.
		var exists bool
		if err := tx.QueryRow(ctx, sqlHasMigrations).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			if _, err := tx.Exec(ctx, sqlCreateMigrations); err != nil {
				return err
			}
		}
		rows, _ := tx.Query(ctx, sqlAppliedMigrations)
		applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return err
		}
		for _, f := range files {
			base := strings.TrimPrefix(f, "migrations/")
			version, err := strconv.ParseInt(strings.SplitN(base, "_", 2)[0], 10, 32)
			if err != nil {
				return fmt.Errorf("migration %s: name must start with a number", f)
			}
			if slices.Contains(applied, int32(version)) {
				continue
			}
			body, err := migrations.ReadFile(f)
			if err != nil {
				return err
			}
			// Without arguments, Exec uses the simple protocol, which runs
			// a file of several statements.
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("%s: %w", base, err)
			}
			if _, err := tx.Exec(ctx, sqlAddMigration, version); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close stops the listeners and closes the connection pool.
func (s *Store) Close() error {
	s.mu.Lock()
	s.close()
	s.mu.Unlock()
	s.listeners.Wait()
	s.pool.Close()
	return nil
}

// Ping checks that the database answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	return s.pool.Ping(ctx)
}

// Update runs fn in a serializable read-write transaction, running it again
// if the transaction fails to serialize with a concurrent one; after
// optimisticRuns, alone.
func (s *Store) Update(ctx context.Context, fn func(registry.Tx) error) error {
	for attempt := 1; ; attempt++ {
		begin := beginShared
		if attempt > optimisticRuns {
			begin = beginAlone
		}
		t, err := s.run(ctx, pgx.TxOptions{BeginQuery: begin}, false, fn)
		if err == nil {
			s.prune(ctx, &s.changes, t.changeAt)
			s.prune(ctx, &s.tokens, t.tokenAt)
			return nil
		}
		if !(t.mustRetry || retryable(err)) {
			return boundary(err)
		}
		if attempt == maxAttempts {
			s.log.WarnContext(ctx, "postgres: transaction failed to serialize; giving up", "attempts", attempt, "sqlstate", sqlState(err), "err", err)
			return contended(err)
		}
		s.log.DebugContext(ctx, "postgres: transaction failed to serialize; retrying", "attempt", attempt, "sqlstate", sqlState(err), "err", err)
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return registry.Internal(err)
		}
	}
}

// View runs fn in a read-only transaction on one consistent snapshot.
func (s *Store) View(ctx context.Context, fn func(registry.Tx) error) error {
	_, err := s.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, true, fn)
	return boundary(err)
}

// run runs fn in one transaction and commits it if fn returns nil.
func (s *Store) run(ctx context.Context, opts pgx.TxOptions, readOnly bool, fn func(registry.Tx) error) (*txn, error) {
	t := &txn{ctx: ctx, readOnly: readOnly}
	tx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return t, err
	}
	t.tx = tx
	// Releases the connection if fn panics; a no-op after Commit.
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(t); err != nil {
		return t, err
	}
	return t, t.note(tx.Commit(ctx))
}

// retryable reports whether err says the transaction lost a race and may
// succeed when run again.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// sqlState returns the SQLSTATE of err, "" if it has none.
func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// boundary lets domain errors through and hides everything else, so no
// driver error reaches a caller.
func boundary(err error) error {
	var re *registry.Error
	if err == nil || errors.As(err, &re) {
		return err
	}
	return registry.Internal(err)
}

// contended is the error of a transaction that failed to serialize on
// every run: the request may succeed later, so it is throttled, not an
// internal error.
func contended(err error) error {
	if re := (*registry.Error)(nil); errors.As(err, &re) {
		return err
	}
	return &registry.Error{Kind: registry.KindThrottled,
		Message: "The request conflicted with concurrent changes too many times; try again.", Err: err}
}

// backoff returns the delay before attempt+1: doubling, capped, and
// jittered so that transactions that collided do not collide again.
func backoff(attempt int) time.Duration {
	d := min(retryBase<<(attempt-1), retryCap)
	return d/2 + rand.N(d/2)
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pruner deletes the expired rows of one table, at most once per
// pruneEvery of the timestamps written to it.
type pruner struct {
	query string
	keep  time.Duration

	mu   sync.Mutex
	next time.Time
}

// prune runs p's DELETE if a committed transaction wrote a row at at (zero:
// none) and p is due. The transaction has committed, so a failure is only
// logged; a later one will try again.
func (s *Store) prune(ctx context.Context, p *pruner, at time.Time) {
	if at.IsZero() {
		return
	}
	p.mu.Lock()
	due := !at.Before(p.next)
	if due {
		p.next = at.Add(pruneEvery)
	}
	p.mu.Unlock()
	if !due {
		return
	}
	if _, err := s.pool.Exec(ctx, p.query, millis(at.Add(-p.keep))); err != nil {
		s.log.WarnContext(ctx, "postgres: deleting expired rows failed", "query", p.query, "err", err)
	}
}

// ChangesSince returns change feed entries after seq, oldest first.
func (s *Store) ChangesSince(ctx context.Context, after int64, limit int) ([]registry.ChangeEntry, error) {
	rows, _ := s.pool.Query(ctx, sqlChangesSince, after, limitArg(limit))
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (registry.ChangeEntry, error) {
		var e registry.ChangeEntry
		err := row.Scan(&e.Seq, &e.RegistryID, &e.RecordID, &e.At)
		e.At = e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, registry.Internal(err)
	}
	return out, nil
}

// LatestChange returns the highest sequence number of the change feed.
func (s *Store) LatestChange(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&seq); err != nil {
		return 0, registry.Internal(err)
	}
	return seq, nil
}

// LoadVectors returns the stored vectors of the given keys under a model
// (search.VectorStore).
func (s *Store) LoadVectors(ctx context.Context, fingerprint string, keys [][32]byte) (map[[32]byte][]byte, error) {
	hashes := make([][]byte, len(keys))
	for i := range keys {
		hashes[i] = keys[i][:]
	}
	rows, _ := s.pool.Query(ctx, `SELECT text_hash, vector FROM vectors WHERE fingerprint = $1 AND text_hash = ANY($2)`, fingerprint, hashes)
	out := make(map[[32]byte][]byte, len(keys))
	var hash, blob []byte
	_, err := pgx.ForEachRow(rows, []any{&hash, &blob}, func() error {
		if len(hash) == 32 {
			out[[32]byte(hash)] = blob
		}
		return nil
	})
	if err != nil {
		return nil, registry.Internal(err)
	}
	return out, nil
}

// SaveVectors stores vectors under a model; existing ones are kept.
func (s *Store) SaveVectors(ctx context.Context, fingerprint string, vectors map[[32]byte][]byte) error {
	var batch pgx.Batch
	for k, v := range vectors {
		batch.Queue(`INSERT INTO vectors (fingerprint, text_hash, vector) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			fingerprint, k[:], v)
	}
	if err := s.pool.SendBatch(ctx, &batch).Close(); err != nil {
		return registry.Internal(err)
	}
	return nil
}

// PruneVectors deletes the vectors of other models and those of
// fingerprint not in keep, through a temporary table of the keys.
func (s *Store) PruneVectors(ctx context.Context, fingerprint string, keep [][32]byte) (int64, error) {
	var deleted int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE keep_vectors (h bytea PRIMARY KEY) ON COMMIT DROP`); err != nil {
			return err
		}
		rows := make([][]any, 0, len(keep))
		seen := make(map[[32]byte]bool, len(keep))
		for _, k := range keep {
			if !seen[k] { // records with the same text share a key
				seen[k] = true
				rows = append(rows, []any{k[:]})
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"keep_vectors"}, []string{"h"}, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM vectors v WHERE v.fingerprint <> $1
			OR NOT EXISTS (SELECT 1 FROM keep_vectors k WHERE k.h = v.text_hash)`, fingerprint)
		deleted = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, registry.Internal(err)
	}
	return deleted, nil
}
