package storetest

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// snapshot is everything a fixture store holds that the transaction tests
// look at.
type snapshot struct {
	Registries  []registry.Registry
	Records     []registry.Record
	Idempotency map[string]registry.Idempotency
	Settings    map[string]string
}

// fixture is what newFixture stores.
type fixture struct {
	reg       registry.Registry
	rec, rec2 registry.Record
	entry     registry.Idempotency
}

// newFixture fills s with a registry holding two records, an idempotency
// entry and a setting.
func newFixture(t *testing.T, s registry.Store) fixture {
	t.Helper()
	f := fixture{reg: sampleRegistry("reg")}
	f.rec, f.rec2 = sampleRecord(f.reg.ID, "rec"), sampleRecord(f.reg.ID, "rec2")
	f.entry = registry.Idempotency{Key: "k", Fingerprint: "f", Result: []byte("r"), CreatedAt: t0}
	write(t, s, func(tx registry.Tx) error {
		return errors.Join(tx.CreateRegistry(f.reg), tx.CreateRecord(f.rec), tx.CreateRecord(f.rec2),
			tx.PutIdempotency(f.entry), tx.PutSetting("s", []byte("v")))
	})
	return f
}

// take reads what the fixture tests look at, including the names a failed
// transaction may have tried to add.
func take(t *testing.T, s registry.Store, f fixture) snapshot {
	t.Helper()
	snap := snapshot{Idempotency: map[string]registry.Idempotency{}, Settings: map[string]string{}}
	err := s.View(t.Context(), func(tx registry.Tx) error {
		var err error
		if snap.Registries, err = tx.ListRegistries(registry.RegistryQuery{Limit: 100}); err != nil {
			return err
		}
		for _, r := range snap.Registries {
			recs, err := tx.ListRecords(registry.RecordQuery{RegistryID: r.ID, Limit: 100})
			if err != nil {
				return err
			}
			snap.Records = append(snap.Records, recs...)
		}
		for _, key := range []string{f.entry.Key, "new-entry"} {
			if e, ok, err := tx.Idempotency(key); err != nil {
				return err
			} else if ok {
				snap.Idempotency[key] = e
			}
		}
		for _, name := range []string{"s", "new-setting"} {
			if v, ok, err := tx.Setting(name); err != nil {
				return err
			} else if ok {
				snap.Settings[name] = string(v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

var errAbort = errors.New("storetest: abort the transaction")

var transactionTests = []test{
	{"UpdateRollsBackOnError", func(t *testing.T, s Store) {
		f := newFixture(t, s)
		before := take(t, s, f)
		newReg := sampleRegistry("new-reg")
		err := s.Update(t.Context(), func(tx registry.Tx) error {
			renamed := f.reg
			renamed.Name = "renamed"
			edited := f.rec
			edited.Latest.Name = "edited"
			steps := []error{
				tx.CreateRegistry(newReg),
				tx.PutRegistry(renamed),
				tx.CreateRecord(sampleRecord(newReg.ID, "new-rec")),
				tx.PutRecord(edited),
				tx.DeleteRecord(f.reg.ID, f.rec2.ID),
				tx.PutIdempotency(registry.Idempotency{Key: "new-entry", Fingerprint: "f", Result: []byte("r"), CreatedAt: t0.Add(48 * time.Hour)}),
				tx.PutSetting("s", []byte("changed")),
				tx.PutSetting("new-setting", []byte("v")),
			}
			if err := errors.Join(steps...); err != nil {
				return err
			}
			// The transaction sees its own writes.
			if r, err := tx.Registry(f.reg.ID); err != nil || r.Name != "renamed" {
				t.Errorf("inside the transaction: registry %q, err %v; want the renamed registry", r.Name, err)
			}
			if _, err := tx.Record(f.reg.ID, f.rec2.ID); !registry.IsNotFound(err) {
				t.Errorf("inside the transaction: the deleted record is still there (err %v)", err)
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("Update returned %v, want fn's error", err)
		}
		wantSame(t, "store after the failed transaction", take(t, s, f), before)
	}},
	{"UpdateReturnsDomainErrors", func(t *testing.T, s Store) {
		want := registry.Errorf(registry.KindConflict, "Record x cannot change from DRAFT to REJECTED.")
		err := s.Update(t.Context(), func(registry.Tx) error { return want })
		var got *registry.Error
		if !errors.As(err, &got) || got.Kind != want.Kind || got.Message != want.Message {
			t.Errorf("Update returned %v, want %v unchanged", err, want)
		}
	}},
	{"ViewRejectsWrites", func(t *testing.T, s Store) {
		f := newFixture(t, s)
		before := take(t, s, f)
		changed := f.rec
		changed.Latest.Description = "changed"
		renamed := f.reg
		renamed.Name = "renamed"
		writes := []struct {
			name string
			fn   func(registry.Tx) error
		}{
			{"CreateRegistry", func(tx registry.Tx) error { return tx.CreateRegistry(sampleRegistry("new-reg")) }},
			{"PutRegistry", func(tx registry.Tx) error { return tx.PutRegistry(renamed) }},
			{"DeleteRegistry", func(tx registry.Tx) error { return tx.DeleteRegistry(f.reg.ID) }},
			{"CreateRecord", func(tx registry.Tx) error { return tx.CreateRecord(sampleRecord(f.reg.ID, "new-rec")) }},
			{"PutRecord", func(tx registry.Tx) error { return tx.PutRecord(changed) }},
			{"DeleteRecord", func(tx registry.Tx) error { return tx.DeleteRecord(f.reg.ID, f.rec.ID) }},
			{"PutIdempotency", func(tx registry.Tx) error {
				return tx.PutIdempotency(registry.Idempotency{Key: "new-entry", Fingerprint: "f", Result: []byte("r"), CreatedAt: t0.Add(48 * time.Hour)})
			}},
			{"PutSetting", func(tx registry.Tx) error { return tx.PutSetting("new-setting", []byte("v")) }},
		}
		for _, w := range writes {
			t.Run(w.name, func(t *testing.T) {
				var writeErr error
				viewErr := s.View(t.Context(), func(tx registry.Tx) error {
					writeErr = w.fn(tx)
					return writeErr
				})
				if writeErr == nil {
					t.Errorf("%s inside View succeeded", w.name)
				}
				if viewErr == nil {
					t.Errorf("View returned no error after a failed %s", w.name)
				}
			})
		}
		wantSame(t, "store after writes inside View", take(t, s, f), before)
	}},
	{"ConcurrentUpdates", func(t *testing.T, s Store) {
		// Every Update creates one registry and increments a counter
		// setting; the counter then always equals the number of registries,
		// in every snapshot, and no increment is lost.
		const writers, perWriter = 8, 5
		writersDone := make(chan struct{})
		var readers, wg sync.WaitGroup
		for range 2 {
			readers.Go(func() {
				for {
					select {
					case <-writersDone:
						return
					default:
					}
					var n, listed int
					err := s.View(t.Context(), func(tx registry.Tx) error {
						var err error
						if n, err = counter(tx); err != nil {
							return err
						}
						rs, err := tx.ListRegistries(registry.RegistryQuery{Limit: 1000})
						listed = len(rs)
						return err
					})
					if err != nil {
						t.Errorf("View during writes: %v", err)
						return
					}
					if n != listed {
						t.Errorf("a View saw counter %d and %d registries", n, listed)
						return
					}
				}
			})
		}
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					err := s.Update(t.Context(), func(tx registry.Tx) error {
						n, err := counter(tx)
						if err != nil {
							return err
						}
						if err := tx.CreateRegistry(sampleRegistry("w" + strconv.Itoa(w) + "-" + strconv.Itoa(i))); err != nil {
							return err
						}
						return tx.PutSetting("counter", []byte(strconv.Itoa(n+1)))
					})
					if err != nil {
						t.Errorf("writer %d, update %d: %v", w, i, err)
					}
				}
			})
		}
		wg.Wait()
		close(writersDone)
		readers.Wait()
		n := read(t, s, counter)
		listed := len(listRegistries(t, s, registry.RegistryQuery{Limit: 1000}))
		if n != writers*perWriter || listed != writers*perWriter {
			t.Errorf("after %d updates: counter %d, %d registries", writers*perWriter, n, listed)
		}
	}},
	{"UpdateThatKeepsLosing", func(t *testing.T, s Store) {
		// Every run of this Update lets another Update change what it read
		// before it writes, as on a busy store. It must still succeed, and
		// soon: a store may run it again after a conflict, but then so that
		// no other writer can get in its way. The others must succeed too,
		// and no increment may be lost.
		var (
			others sync.WaitGroup
			runs   int
		)
		err := s.Update(t.Context(), func(tx registry.Tx) error {
			runs++
			n, err := counter(tx)
			if err != nil {
				return err
			}
			other := make(chan struct{})
			others.Go(func() {
				defer close(other)
				err := s.Update(t.Context(), func(tx registry.Tx) error {
					m, err := counter(tx)
					if err != nil {
						return err
					}
					return tx.PutSetting("counter", []byte(strconv.Itoa(m+1)))
				})
				if err != nil {
					t.Errorf("the other Update: %v", err)
				}
			})
			// Wait for it, unless this run keeps it waiting.
			select {
			case <-other:
			case <-time.After(200 * time.Millisecond):
			}
			return tx.PutSetting("counter", []byte(strconv.Itoa(n+1)))
		})
		others.Wait()
		if err != nil {
			t.Fatalf("after %d runs: %v", runs, err)
		}
		if runs > 3 {
			t.Errorf("the Update ran %d times, want at most 3", runs)
		}
		if n := read(t, s, counter); n != runs+1 {
			t.Errorf("counter %d after the Update and %d others, want %d", n, runs, runs+1)
		}
	}},
	{"ViewDuringUpdate", func(t *testing.T, s Store) {
		committed := sampleRegistry("committed")
		createRegistries(t, s, committed)
		inFlight := sampleRegistry("in-flight")

		started, release := make(chan struct{}), make(chan struct{})
		releaseOnce := sync.OnceFunc(func() { close(release) })
		t.Cleanup(releaseOnce) // runs before the store is closed
		updated := make(chan error, 1)
		go func() {
			updated <- s.Update(t.Context(), func(tx registry.Tx) error {
				if err := tx.CreateRegistry(inFlight); err != nil {
					return err
				}
				close(started)
				<-release
				return nil
			})
		}()
		select {
		case <-started:
		case err := <-updated:
			t.Fatalf("Update: %v", err)
		}

		type result struct {
			names []string
			err   error
		}
		viewed := make(chan result, 1)
		go func() {
			var names []string
			err := s.View(t.Context(), func(tx registry.Tx) error {
				rs, err := tx.ListRegistries(registry.RegistryQuery{Limit: 10})
				names = registryNames(rs)
				return err
			})
			viewed <- result{names, err}
		}()
		select {
		case got := <-viewed:
			if got.err != nil {
				t.Fatalf("View during an Update: %v", got.err)
			}
			wantNames(t, got.names, []string{"committed"})
		case <-time.After(10 * time.Second):
			t.Fatal("View waited for an Update in progress")
		}

		releaseOnce()
		if err := <-updated; err != nil {
			t.Fatalf("Update: %v", err)
		}
		wantNames(t, registryNames(listRegistries(t, s, registry.RegistryQuery{Limit: 10})), []string{"committed", "in-flight"})
	}},
}

// counter reads the "counter" setting, 0 when unset.
func counter(tx registry.Tx) (int, error) {
	v, ok, err := tx.Setting("counter")
	if err != nil || !ok {
		return 0, err
	}
	return strconv.Atoi(string(v))
}
