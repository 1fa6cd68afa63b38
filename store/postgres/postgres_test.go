package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/store/postgres"
	"github.com/agentry/agentry/store/postgres/pgtest"
	"github.com/agentry/agentry/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Wait()
	os.Exit(code)
}

func open(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url, postgres.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// openClosed opens a store that is closed when the test ends.
func openClosed(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s := open(t, url)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return open(t, pgtest.NewDatabase(t, true))
	})
}

// t0 is a millisecond-precision instant in UTC, like the contract suite's.
var t0 = time.Date(2025, 6, 1, 12, 30, 45, 123_000_000, time.UTC)

func sampleRegistry(name string) registry.Registry {
	return registry.Registry{ID: registry.NewID(12), Name: name, AuthorizerType: registry.AuthorizerAWSIAM,
		Status: registry.RegistryReady, CreatedAt: t0, UpdatedAt: t0}
}

func sampleRecord(registryID, name string) registry.Record {
	return registry.Record{RegistryID: registryID, ID: registry.NewID(12), CreatedAt: t0, Latest: registry.Revision{
		Name: name, DescriptorType: registry.DescriptorCustom, Status: registry.StatusDraft, UpdatedAt: t0,
		Descriptors: registry.Descriptors{Custom: &registry.CustomDescriptor{InlineContent: `{}`}},
	}}
}

func TestOpenMigratesOnceConcurrently(t *testing.T) {
	url := pgtest.NewDatabase(t, false)
	const replicas = 3
	stores := make([]*postgres.Store, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() { stores[i], errs[i] = postgres.Open(t.Context(), url, postgres.Options{}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d of %d started together: %v", i+1, replicas, err)
		}
		defer stores[i].Close()
	}

	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations found (%v)", err)
	}
	applied := func() (n int) {
		t.Helper()
		if err := stores[0].Pool().QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := applied(); n != len(files) {
		t.Errorf("schema_migrations has %d rows, want one per migration (%d)", n, len(files))
	}
	if err := postgres.Migrate(t.Context(), url); err != nil {
		t.Errorf("Migrate on a migrated database: %v", err)
	}
	if n := applied(); n != len(files) {
		t.Errorf("schema_migrations has %d rows after Migrate, want %d", n, len(files))
	}
	// Every replica works on the schema.
	for i, s := range stores {
		reg := sampleRegistry("r" + strconv.Itoa(i))
		if err := s.Update(t.Context(), func(tx registry.Tx) error { return tx.CreateRegistry(reg) }); err != nil {
			t.Errorf("store %d: %v", i, err)
		}
	}
}

// TestOpenAsApplicationRole opens a migrated database as a role that may
// read and write the tables but not create any, as when the schema owner
// runs "agentry migrate" and the replicas run with less.
func TestOpenAsApplicationRole(t *testing.T) {
	dbURL := pgtest.NewDatabase(t, true)
	role := pgtest.RandomName("agentry_app_")
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ident := pgx.Identifier{role}.Sanitize()
	for _, stmt := range []string{
		`CREATE ROLE ` + ident + ` LOGIN`,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ` + ident,
		`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ` + ident,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() {
		// Roles belong to the server: revoke what the role was granted here
		// so that it can be dropped before its database is.
		for _, stmt := range []string{`DROP OWNED BY ` + ident, `DROP ROLE ` + ident} {
			if _, err := conn.Exec(context.Background(), stmt); err != nil {
				t.Errorf("%s: %v", stmt, err)
			}
		}
		conn.Close(context.Background())
	})

	u := mustParse(t, dbURL)
	u.User = url.User(role)
	s := openClosed(t, u.String())
	err = s.Update(ctx, func(tx registry.Tx) error {
		return errors.Join(tx.CreateRegistry(sampleRegistry("reg")), appendChange(tx, "reg", "", t0))
	})
	if err != nil {
		t.Fatalf("Update as %s: %v", role, err)
	}
	var canCreate bool
	if err := s.Pool().QueryRow(ctx, `SELECT has_schema_privilege('public', 'CREATE')`).Scan(&canCreate); err != nil || canCreate {
		t.Errorf("the role may create tables (%v, %v); the test proves nothing", canCreate, err)
	}
}

func TestOpenOptions(t *testing.T) {
	url := pgtest.NewDatabase(t, true)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	tests := []struct {
		name  string
		url   string
		opts  postgres.Options
		conns int32
	}{
		{"default", url, postgres.Options{}, 16},
		{"from the URL", url + sep + "pool_max_conns=3", postgres.Options{}, 3},
		{"options win", url + sep + "pool_max_conns=3", postgres.Options{MaxConns: 5, MinConns: 1}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := postgres.Open(t.Context(), tt.url, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := s.Pool().Config().MaxConns; got != tt.conns {
				t.Errorf("MaxConns = %d, want %d", got, tt.conns)
			}
			if got := s.Pool().Config().MinConns; got != tt.opts.MinConns {
				t.Errorf("MinConns = %d, want %d", got, tt.opts.MinConns)
			}
			if err := s.Ping(t.Context()); err != nil {
				t.Errorf("Ping: %v", err)
			}
		})
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// Port 1 refuses connections at once.
	_, err := postgres.Open(ctx, "postgres://agentry:s3cret@127.0.0.1:1/agentry?sslmode=disable", postgres.Options{})
	if err == nil {
		t.Fatal("Open succeeded without a server")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the error shows the password: %v", err)
	}
}

func TestErrorsLeaveAsDomainErrors(t *testing.T) {
	s := open(t, pgtest.NewDatabase(t, true))
	s.Close()
	err := s.Update(t.Context(), func(tx registry.Tx) error { return nil })
	if k := registry.ErrorKind(err); err == nil || k != registry.KindInternal || !isDomainError(err) {
		t.Errorf("Update on a closed store: %v (%T), want a *registry.Error of kind internal", err, err)
	}
	_, err = s.ChangesSince(t.Context(), 0, 10)
	if err == nil || !isDomainError(err) {
		t.Errorf("ChangesSince on a closed store: %v (%T), want a *registry.Error", err, err)
	}
}

func isDomainError(err error) bool {
	var e *registry.Error
	return errors.As(err, &e)
}

// TestFeedVisibleInSeqOrder holds a transaction open after it appended to
// the feed while another appends and commits. A follower polling the feed
// must see both entries: if the second could commit first, its higher seq
// would move the follower past the first entry for good.
func TestFeedVisibleInSeqOrder(t *testing.T) {
	url := pgtest.NewDatabase(t, true)
	slow, fast := openClosed(t, url), openClosed(t, url) // two replicas
	ctx := t.Context()

	var (
		mu       sync.Mutex
		followed []registry.ChangeEntry
	)
	seen := func() []registry.ChangeEntry {
		mu.Lock()
		defer mu.Unlock()
		return followed
	}
	stopFollowing, followerDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(followerDone)
		var after int64
		for {
			select {
			case <-stopFollowing:
				return
			default:
			}
			es, err := fast.ChangesSince(ctx, after, 100)
			if err != nil {
				t.Errorf("ChangesSince: %v", err)
				return
			}
			mu.Lock()
			followed = append(followed, es...)
			mu.Unlock()
			if len(es) > 0 {
				after = es[len(es)-1].Seq
			}
			time.Sleep(time.Millisecond)
		}
	}()

	appended, release := make(chan struct{}), make(chan struct{})
	appendedOnce := sync.OnceFunc(func() { close(appended) })
	slowDone := make(chan error, 1)
	go func() {
		slowDone <- slow.Update(ctx, func(tx registry.Tx) error {
			if err := appendChange(tx, "slow", "", t0); err != nil {
				return err
			}
			appendedOnce()
			<-release
			return nil
		})
	}()
	select {
	case <-appended:
	case err := <-slowDone:
		t.Fatalf("slow Update: %v", err)
	}
	fastDone := make(chan error, 1)
	go func() {
		fastDone <- fast.Update(ctx, func(tx registry.Tx) error { return appendChange(tx, "fast", "", t0) })
	}()
	// Give the fast transaction time to commit, were it allowed to, and the
	// follower time to see it.
	select {
	case err := <-fastDone:
		t.Logf("the fast Update returned (%v) while the slow one was open", err)
		fastDone <- err
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	for name, done := range map[string]chan error{"slow": slowDone, "fast": fastDone} {
		if err := <-done; err != nil {
			t.Fatalf("%s Update: %v", name, err)
		}
	}

	all, err := fast.ChangesSince(ctx, 0, 10)
	if err != nil || len(all) != 2 || all[0].RegistryID != "slow" || all[1].RegistryID != "fast" {
		t.Fatalf("feed = %+v, %v; want the slow entry, then the fast one", all, err)
	}
	deadline := time.After(10 * time.Second)
	for waiting := true; waiting; {
		select {
		case <-deadline:
			waiting = false
		case <-time.After(10 * time.Millisecond):
			waiting = len(seen()) < len(all)
		}
	}
	close(stopFollowing)
	<-followerDone
	if followed := seen(); len(followed) != 2 || followed[0].Seq != all[0].Seq || followed[1].Seq != all[1].Seq {
		t.Errorf("the follower saw %+v, want every entry of %+v", seen(), all)
	}
}

// expectSignal waits up to d for a signal on ch.
func expectSignal(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: the channel was closed", what)
		}
	case <-time.After(d):
		t.Fatalf("%s: no signal within %v", what, d)
	}
}

// expectNoSignal fails if ch signals within d.
func expectNoSignal(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("%s: got a signal", what)
	case <-time.After(d):
	}
}

var errAbort = errors.New("abort the transaction")

func TestListen(t *testing.T) {
	url := pgtest.NewDatabase(t, true)
	listener, writer := openClosed(t, url), openClosed(t, url)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch, err := listener.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}

	err = writer.Update(ctx, func(tx registry.Tx) error {
		if err := appendChange(tx, "reg", "rec", t0); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("Update: %v", err)
	}
	expectNoSignal(t, ch, 500*time.Millisecond, "after a rolled-back append")

	reg := sampleRegistry("quiet")
	if err := writer.Update(ctx, func(tx registry.Tx) error { return tx.CreateRegistry(reg) }); err != nil {
		t.Fatal(err)
	}
	expectNoSignal(t, ch, 300*time.Millisecond, "after an Update without appends")

	started := time.Now()
	if err := writer.Update(ctx, func(tx registry.Tx) error { return appendChange(tx, reg.ID, "", t0) }); err != nil {
		t.Fatal(err)
	}
	expectSignal(t, ch, 5*time.Second, "after a committed append")
	t.Logf("signal %v after the commit began", time.Since(started))

	// Several commits while nobody reads coalesce into one pending signal.
	for range 3 {
		if err := writer.Update(ctx, func(tx registry.Tx) error { return appendChange(tx, reg.ID, "", t0) }); err != nil {
			t.Fatal(err)
		}
	}
	expectSignal(t, ch, 5*time.Second, "after three appends")

	cancel()
	select {
	case _, ok := <-ch:
		for ok {
			_, ok = <-ch
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the channel stayed open after ctx ended")
	}
}

func TestListenReconnects(t *testing.T) {
	url := pgtest.NewDatabase(t, true)
	listener, writer := openClosed(t, url), openClosed(t, url)
	ch, err := listener.Listen(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	// Cut the listening connection, as a server restart or failover would.
	admin := pgtest.ConnectAdmin(t)
	defer admin.Close(context.Background())
	rows, _ := admin.Query(t.Context(), `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2`,
		strings.TrimPrefix(mustParse(t, url).Path, "/"), postgres.ListenerName)
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || len(pids) != 1 {
		t.Fatalf("found listening connections %v (%v), want one", pids, err)
	}
	var killed bool
	if err := admin.QueryRow(t.Context(), `SELECT pg_terminate_backend($1)`, pids[0]).Scan(&killed); err != nil || !killed {
		t.Fatalf("pg_terminate_backend: %v, %v", killed, err)
	}
	started := time.Now()
	expectSignal(t, ch, 15*time.Second, "after the connection was terminated")
	t.Logf("signal %v after the connection was terminated", time.Since(started))

	// It listens again.
	if err := writer.Update(t.Context(), func(tx registry.Tx) error { return appendChange(tx, "reg", "", t0) }); err != nil {
		t.Fatal(err)
	}
	expectSignal(t, ch, 5*time.Second, "after an append on the new connection")
}

func TestCloseEndsListeners(t *testing.T) {
	s := open(t, pgtest.NewDatabase(t, true))
	ch, err := s.Listen(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // waits for the listener to stop
	select {
	case _, ok := <-ch:
		if ok {
			t.Error("got a signal instead of a closed channel")
		}
	default:
		t.Error("the channel is still open after Close")
	}
	if _, err := s.Listen(t.Context()); err == nil {
		t.Error("Listen on a closed store succeeded")
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestConcurrentCreateSameName creates the same names from two replicas at
// once, each transaction looking before it writes, as the Service does.
// PostgreSQL then often reports a serialization failure rather than a
// unique violation; the retry must still end in a conflict.
func TestConcurrentCreateSameName(t *testing.T) {
	url := pgtest.NewDatabase(t, true)
	stores := [2]*postgres.Store{openClosed(t, url), openClosed(t, url)}
	reg := sampleRegistry("reg")
	if err := stores[0].Update(t.Context(), func(tx registry.Tx) error { return tx.CreateRegistry(reg) }); err != nil {
		t.Fatal(err)
	}

	race := func(t *testing.T, look func(registry.Tx) error, create func(registry.Tx) error) (errs [2]error, attempts [2]int32) {
		var (
			both  sync.WaitGroup
			count [2]atomic.Int32
			wg    sync.WaitGroup
		)
		both.Add(2)
		for i, s := range stores {
			wg.Go(func() {
				errs[i] = s.Update(t.Context(), func(tx registry.Tx) error {
					if err := look(tx); err != nil {
						return err
					}
					if count[i].Add(1) == 1 {
						// Both have looked before either writes.
						both.Done()
						both.Wait()
					}
					return create(tx)
				})
			})
		}
		wg.Wait()
		return errs, [2]int32{count[0].Load(), count[1].Load()}
	}
	check := func(t *testing.T, errs [2]error, attempts [2]int32, wantMessage string) {
		t.Helper()
		t.Logf("attempts %v, errors %v", attempts, errs)
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case registry.ErrorKind(err) != registry.KindConflict:
				t.Errorf("got %v, want a conflict", err)
			case err.Error() != wantMessage:
				t.Errorf("got message %q, want %q", err.Error(), wantMessage)
			}
		}
		if won != 1 {
			t.Errorf("%d of 2 creates succeeded, want 1", won)
		}
	}

	t.Run("records", func(t *testing.T) {
		errs, attempts := race(t,
			func(tx registry.Tx) error {
				_, err := tx.ListRecords(registry.RecordQuery{RegistryID: reg.ID, Name: "same", Limit: 1})
				return err
			},
			func(tx registry.Tx) error { return tx.CreateRecord(sampleRecord(reg.ID, "same")) })
		check(t, errs, attempts, `A record named "same" already exists in registry `+reg.ID+`.`)
	})
	t.Run("registries", func(t *testing.T) {
		errs, attempts := race(t,
			func(tx registry.Tx) error {
				_, err := tx.ListRegistries(registry.RegistryQuery{Limit: 100})
				return err
			},
			func(tx registry.Tx) error { return tx.CreateRegistry(sampleRegistry("same")) })
		check(t, errs, attempts, `A registry named "same" already exists.`)
	})
	t.Run("after a retry", func(t *testing.T) {
		// Both write the same setting first: the second to write fails to
		// serialize, runs again and only then meets the other's record.
		errs, attempts := race(t,
			func(tx registry.Tx) error {
				_, _, err := tx.Setting("counter")
				return err
			},
			func(tx registry.Tx) error {
				if err := tx.PutSetting("counter", []byte("1")); err != nil {
					return err
				}
				return tx.CreateRecord(sampleRecord(reg.ID, "again"))
			})
		check(t, errs, attempts, `A record named "again" already exists in registry `+reg.ID+`.`)
		if attempts[0]+attempts[1] < 3 {
			t.Errorf("attempts %v: the loser was not run again", attempts)
		}
	})
}

// TestStoredV1 reads and writes the stored JSON of earlier versions.
func TestStoredV1(t *testing.T) {
	s := openClosed(t, pgtest.NewDatabase(t, true))
	pool, ctx := s.Pool(), t.Context()
	storetest.RunStoredV1(t, s, storetest.Raw{
		InsertRegistry: func(id, name, authorizer string) error {
			_, err := pool.Exec(ctx, `INSERT INTO registries (id, name, description, authorizer_type, authorizer_config,
				auto_approval, status, status_reason, created_at, updated_at)
				VALUES ($1, $2, '', 'CUSTOM_JWT', $3, false, 'READY', '', now(), now())`, id, name, authorizer)
			return err
		},
		InsertRecord: func(registryID, id, name, latest, approved string) error {
			_, err := pool.Exec(ctx, `INSERT INTO records (registry_id, id, name, status, descriptor_type, created_at, latest, approved)
				VALUES ($1, $2, $3, 'DRAFT', 'CUSTOM', now(), $4, $5)`, registryID, id, name, latest, approved)
			return err
		},
		Authorizer: func(id string) (authorizer string, err error) {
			err = pool.QueryRow(ctx, `SELECT authorizer_config::text FROM registries WHERE id = $1`, id).Scan(&authorizer)
			return authorizer, err
		},
		Revisions: func(registryID, id string) (latest, approved string, err error) {
			err = pool.QueryRow(ctx, `SELECT latest::text, approved::text FROM records WHERE registry_id = $1 AND id = $2`,
				registryID, id).Scan(&latest, &approved)
			return latest, approved, err
		},
	})
}

// appendChange appends a feed entry, for tests that need no seq.
func appendChange(tx registry.Tx, registryID, recordID string, at time.Time) error {
	_, err := tx.AppendChange(registryID, recordID, at)
	return err
}

// TestAppendChangeSeqAfterRetry: a transaction that fails to serialize runs
// again and draws another seq; the one its last run returns is the seq of
// the entry committed, and the first run's leaves no entry.
func TestAppendChangeSeqAfterRetry(t *testing.T) {
	s := openClosed(t, pgtest.NewDatabase(t, true))
	ctx := t.Context()
	if err := s.Update(ctx, func(tx registry.Tx) error { return tx.PutSetting("k", []byte("0")) }); err != nil {
		t.Fatal(err)
	}
	// Both read the setting; the first appends, holding the feed lock, and
	// writes it; the second waits for the lock, then fails to serialize on
	// the setting.
	secondRead, firstAppended := make(chan struct{}), make(chan struct{})
	secondHasRead, firstHasAppended := sync.OnceFunc(func() { close(secondRead) }), sync.OnceFunc(func() { close(firstAppended) })
	var firstSeq int64
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- s.Update(ctx, func(tx registry.Tx) (err error) {
			if _, _, err := tx.Setting("k"); err != nil {
				return err
			}
			<-secondRead
			if firstSeq, err = tx.AppendChange("first", "", t0); err != nil {
				return err
			}
			firstHasAppended()
			return tx.PutSetting("k", []byte("1"))
		})
	}()
	var seqs []int64
	err := s.Update(ctx, func(tx registry.Tx) error {
		if _, _, err := tx.Setting("k"); err != nil {
			return err
		}
		secondHasRead()
		<-firstAppended
		seq, err := tx.AppendChange("second", "", t0)
		if err != nil {
			return err
		}
		seqs = append(seqs, seq)
		return tx.PutSetting("k", []byte("2"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if len(seqs) < 2 {
		t.Fatalf("the second transaction ran %d times; the test needs it to fail to serialize once", len(seqs))
	}
	all, err := s.ChangesSince(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Seq != firstSeq || all[1].Seq != seqs[len(seqs)-1] || all[1].RegistryID != "second" {
		t.Errorf("feed %+v; want the first transaction's entry at %d, then the second's at %d (its runs drew %v)",
			all, firstSeq, seqs[len(seqs)-1], seqs)
	}
}

// TestContendedUpdateIsThrottled: a transaction that fails to serialize on
// every run ends in KindThrottled (HTTP 429), never an internal error.
func TestContendedUpdateIsThrottled(t *testing.T) {
	s := openClosed(t, pgtest.NewDatabase(t, true))
	ctx := t.Context()
	if err := s.Update(ctx, func(tx registry.Tx) error { return tx.PutSetting("k", []byte("0")) }); err != nil {
		t.Fatal(err)
	}
	runs := 0
	err := s.Update(ctx, func(tx registry.Tx) error {
		runs++
		if _, _, err := tx.Setting("k"); err != nil {
			return err
		}
		if _, err := s.Pool().Exec(ctx, `UPDATE settings SET value = $1 WHERE name = 'k'`, strconv.Itoa(runs)); err != nil {
			return err
		}
		return tx.PutSetting("k", []byte("mine"))
	})
	if registry.ErrorKind(err) != registry.KindThrottled || runs < 2 {
		t.Fatalf("after %d runs: %v, want a throttling error", runs, err)
	}
}

// Migration 0004 fills the summary columns of the records already stored.
func TestSummaryMigrationFillsColumns(t *testing.T) {
	url := pgtest.NewDatabase(t, false)
	s := open(t, url)
	recs := storetest.SummarySamples(t, s)
	s.Close()
	// Back to the schema before 0004, with the records in it.
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(t.Context(), `ALTER TABLE records DROP COLUMN summary, DROP COLUMN summary_extra;
		DELETE FROM schema_migrations WHERE version = 4`)
	conn.Close(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	storetest.CheckSummaries(t, openClosed(t, url), recs)
	// The record without a NUL got its summary; the other one is listed
	// from its revision.
	conn, err = pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var filled int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM records WHERE summary IS NOT NULL`).Scan(&filled); err != nil || filled != 1 {
		t.Errorf("%d records with a summary (%v), want 1", filled, err)
	}
}
