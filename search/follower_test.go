package search_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
	"github.com/agentry/agentry/store/sqlite"
)

// replica is a registry Service and a search index that follows the change
// feed, on a real SQLite store, wired as the server wires them.
type replica struct {
	store     *sqlite.Store
	svc       *registry.Service
	index     *search.Index
	feed      *search.Follower
	forgotten chan string // registries the follower told to forget
	log       *syncBuffer
}

// newReplica opens a store in a new directory and starts a follower that
// reads it through feedStore (nil: the store itself).
func newReplica(t *testing.T, feedStore func(*sqlite.Store) search.FeedStore, poll time.Duration) *replica {
	t.Helper()
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "agentry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return follow(t, store, feedStore, poll)
}

// follow starts a replica on an open store.
func follow(t *testing.T, store *sqlite.Store, feedStore func(*sqlite.Store) search.FeedStore, poll time.Duration) *replica {
	t.Helper()
	r := &replica{store: store, index: search.NewIndex(search.Options{}), forgotten: make(chan string, 100), log: &syncBuffer{}}
	var fs search.FeedStore = store
	if feedStore != nil {
		fs = feedStore(store)
	}
	r.feed = search.NewFollower(fs, r.index, search.FollowerOptions{
		Poll: poll, Logger: slog.New(slog.NewTextHandler(r.log, nil)),
		ForgetRegistry: func(id string) { r.forgotten <- id },
	})
	var err error
	r.svc, err = registry.NewService(t.Context(), registry.Options{Store: store, Region: "us-east-1", AccountID: "123456789012",
		AfterCommit: r.feed.AfterCommit})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.feed.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	r.feed.Start()
	t.Cleanup(func() {
		r.feed.Close()
		r.index.Close()
	})
	return r
}

// publish creates a registry with autoApproval and a record in it, and
// returns their ids; the record is a DRAFT, which search does not serve.
func (r *replica) publish(t *testing.T, name string) (regID, recID string) {
	t.Helper()
	reg, err := r.svc.CreateRegistry(t.Context(), registry.CreateRegistryInput{Name: name, AutoApproval: true})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.svc.CreateRecord(t.Context(), registry.CreateRecordInput{RegistryID: reg.ID, Name: name,
		DescriptorType: registry.DescriptorCustom, Descriptors: &registry.Descriptors{Custom: &registry.CustomDescriptor{
			InlineContent: fmt.Sprintf(`{"about": "%s forecasts"}`, name)}}})
	if err != nil {
		t.Fatal(err)
	}
	return reg.ID, rec.ID
}

// TestFollowerReadYourWrites: a write returns once this replica's index has
// applied it.
func TestFollowerReadYourWrites(t *testing.T) {
	r := newReplica(t, nil, 0)
	ctx := t.Context()
	reg, rec := r.publish(t, "weather")
	if n := r.index.Len(reg); n != 0 {
		t.Fatalf("a DRAFT is indexed: %d records", n)
	}
	if _, err := r.svc.SubmitRecord(ctx, reg, rec); err != nil {
		t.Fatal(err)
	}
	if n := r.index.Len(reg); n != 1 {
		t.Fatalf("after the approval returned, the index holds %d records, want 1", n)
	}
	if err := r.svc.DeleteRecord(ctx, reg, rec); err != nil {
		t.Fatal(err)
	}
	if n := r.index.Len(reg); n != 0 {
		t.Fatalf("after the deletion returned, the index holds %d records, want 0", n)
	}
	if err := r.svc.DeleteRegistry(ctx, reg); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-r.forgotten:
		if id != reg {
			t.Errorf("the follower forgot registry %s, want %s", id, reg)
		}
	default:
		t.Error("the deletion of a registry returned before the follower forgot it")
	}
}

// TestFollowerAppliesOtherReplicas: writes through another replica on the
// same store are applied when the poll finds them.
func TestFollowerAppliesOtherReplicas(t *testing.T) {
	r := newReplica(t, nil, 10*time.Millisecond)
	other := follow(t, r.store, nil, 0)
	reg, rec := other.publish(t, "weather")
	if _, err := other.svc.SubmitRecord(t.Context(), reg, rec); err != nil {
		t.Fatal(err)
	}
	if _, err := other.svc.UpdateRegistry(t.Context(), registry.UpdateRegistryInput{RegistryID: reg, Name: new("climate")}); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-r.forgotten:
		if id != reg {
			t.Errorf("the follower forgot registry %s, want %s", id, reg)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the follower never applied the other replica's change to the registry")
	}
	if n := r.index.Len(reg); n != 1 {
		t.Errorf("the index holds %d records of the other replica's registry, want 1", n)
	}
}

// gatedStore is a real store whose read transactions wait while the test
// holds them, as a busy database or a slow index would make a follower.
type gatedStore struct {
	*sqlite.Store
	views atomic.Int64
	mu    sync.Mutex
	gate  chan struct{} // closed: open
}

func (s *gatedStore) View(ctx context.Context, fn func(registry.Tx) error) error {
	s.views.Add(1)
	s.mu.Lock()
	gate := s.gate
	s.mu.Unlock()
	select {
	case <-gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Store.View(ctx, fn)
}

func (s *gatedStore) hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gate = make(chan struct{})
}

func (s *gatedStore) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.gate)
}

// TestSlowFollowerHoldsUpNoCommit: while the follower is stuck, concurrent
// approvals in different registries all commit; each call returns only
// once its own change is applied, and the follower applies the changes
// that queued meanwhile together, not one catch-up per writer.
func TestSlowFollowerHoldsUpNoCommit(t *testing.T) {
	open := make(chan struct{})
	close(open)
	gs := &gatedStore{gate: open}
	r := newReplica(t, func(s *sqlite.Store) search.FeedStore { gs.Store = s; return gs }, 0)
	ctx := t.Context()
	const writers = 8
	var regs, recs [writers]string
	for i := range writers {
		regs[i], recs[i] = r.publish(t, fmt.Sprintf("server-%d", i))
	}

	gs.hold()
	views := gs.views.Load()
	type result struct {
		i       int
		err     error
		indexed int // records of its registry indexed when the call returned
	}
	results := make(chan result, writers)
	for i := range writers {
		go func() {
			_, err := r.svc.SubmitRecord(ctx, regs[i], recs[i])
			results <- result{i, err, r.index.Len(regs[i])}
		}()
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		seq, err := r.store.LatestChange(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if seq == writers {
			break // every approval has committed
		}
		if time.Now().After(deadline) {
			gs.release()
			t.Fatalf("%d of %d approvals committed while the follower was held", seq, writers)
		}
	}
	select {
	case res := <-results:
		gs.release()
		t.Fatalf("approval %d returned (%v) before the index applied it", res.i, res.err)
	case <-time.After(50 * time.Millisecond):
	}
	gs.release()
	for range writers {
		select {
		case res := <-results:
			if res.err != nil {
				t.Fatalf("approval %d: %v", res.i, res.err)
			}
			if res.indexed != 1 {
				t.Errorf("approval %d returned with %d records of its registry indexed, want 1", res.i, res.indexed)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("an approval did not return once the follower was released")
		}
	}
	if n := gs.views.Load() - views; n > 2 {
		t.Errorf("the follower read the store %d times for %d approvals; want the ones that queued applied together, in at most 2", n, writers)
	}
}

// failingStore is a real store whose change feed fails while the test says
// so, as a database that is unreachable would.
type failingStore struct {
	*sqlite.Store
	failing atomic.Bool
}

func (s *failingStore) ChangesSince(ctx context.Context, after int64, limit int) ([]registry.ChangeEntry, error) {
	if s.failing.Load() {
		return nil, errors.New("connection refused")
	}
	return s.Store.ChangesSince(ctx, after, limit)
}

// TestFollowerFailureDoesNotHoldWrites: when the follower cannot read the
// feed, a write still returns at once (it has committed), the follower is
// not healthy, and the next catch-up applies what was missed.
func TestFollowerFailureDoesNotHoldWrites(t *testing.T) {
	fs := &failingStore{}
	r := newReplica(t, func(s *sqlite.Store) search.FeedStore { fs.Store = s; return fs }, 0)
	ctx := t.Context()
	first, firstRec := r.publish(t, "first")
	second, secondRec := r.publish(t, "second")

	fs.failing.Store(true)
	start := time.Now()
	if _, err := r.svc.SubmitRecord(ctx, first, firstRec); err != nil {
		t.Fatalf("a write failed because the index could not follow: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the write took %v with the feed failing; want it to return once the catch-up fails", d)
	}
	if r.feed.Healthy(time.Hour) {
		t.Error("the follower is healthy while it cannot read the feed")
	}
	if !strings.Contains(r.log.String(), "connection refused") {
		t.Errorf("nothing logged of the failure: %q", r.log.String())
	}

	fs.failing.Store(false)
	if _, err := r.svc.SubmitRecord(ctx, second, secondRec); err != nil {
		t.Fatal(err)
	}
	if a, b := r.index.Len(first), r.index.Len(second); a != 1 || b != 1 {
		t.Errorf("after the feed recovered, the index holds %d and %d records, want both approvals", a, b)
	}
	if !r.feed.Healthy(time.Hour) {
		t.Error("the follower is not healthy once it has caught up")
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
