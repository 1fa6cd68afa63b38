package search

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentry/agentry/registry"
)

// Follower keeps an Index in step with the store by following its change
// feed. Every replica runs one. It applies this process's writes as soon
// as they commit (AfterCommit, the registry Service's hook) and other
// replicas' writes when the store signals them (PostgreSQL's LISTEN) or the
// poll finds them. Each entry is applied by reading the record's current
// state, so applying one twice or late is harmless and the index converges
// on what the store holds.
//
// One goroutine applies the feed, in order. A write waits only until that
// goroutine has applied its own entry, and writes that commit while it is
// busy are applied together in its next pass, so concurrent writers do not
// queue behind one another's catch-up. No embedder call is on that path:
// Put computes vectors in the background.
type Follower struct {
	store FeedStore
	index *Index
	opts  FollowerOptions
	log   *slog.Logger

	wake chan struct{} // buffered: a write committed, catch up now
	stop context.CancelFunc
	done chan struct{} // closed when the goroutine Start began has ended

	mu       sync.Mutex
	applied  int64         // the last feed entry applied
	err      error         // the last catch-up's failure, nil once one succeeds
	progress chan struct{} // closed, and replaced, when applied or err changes

	lastOK   atomic.Int64 // when a catch-up last reached the end of the feed, Unix ns
	failures atomic.Int64 // catch-ups failed since the last that succeeded
}

// FeedStore is what a Follower reads: the change feed and read
// transactions of a registry.Store.
type FeedStore interface {
	View(ctx context.Context, fn func(registry.Tx) error) error
	ChangesSince(ctx context.Context, after int64, limit int) ([]registry.ChangeEntry, error)
	LatestChange(ctx context.Context) (int64, error)
}

// notifier is implemented by stores that signal commits made by other
// processes (store/postgres: LISTEN/NOTIFY).
type notifier interface {
	Listen(ctx context.Context) (<-chan struct{}, error)
}

// FollowerOptions configure a Follower.
type FollowerOptions struct {
	// Poll is how often the follower reads the feed when nothing signals a
	// change, for a store that other processes write to: notifications
	// can be lost. 0 means never: only this process writes.
	Poll time.Duration
	// ForgetRegistry, when set, hears of every registry that changed or
	// was deleted, for caches of registries.
	ForgetRegistry func(id string)
	// Sink, when set, hears of every record the index is given, in feed
	// order and with the feed position, for other views of the records
	// (the MCP Registry API's catalog).
	Sink   RecordSink
	Logger *slog.Logger // nil = slog.Default()
}

// RecordSink is another in-memory view of the records that a Follower keeps
// in step with the store, beside the index.
type RecordSink interface {
	// Load adds records read at start-up, as of feed position seq.
	Load(recs []registry.Record, seq int64)
	// Put and Remove apply the change at feed position seq.
	Put(rec registry.Record, seq int64)
	Remove(registryID, recordID string, seq int64)
	RemoveRegistry(registryID string)
}

// feedPage is how many feed entries, and records at start-up, are read at
// a time.
const feedPage = 1000

// visibleWithin bounds how long a write waits for the index to apply it;
// past it the write returns anyway, committed, and the index applies it
// once it can.
const visibleWithin = 10 * time.Second

// NewFollower returns a Follower of store that updates index. Load fills
// the index, then Start follows the feed.
func NewFollower(store FeedStore, index *Index, opts FollowerOptions) *Follower {
	f := &Follower{store: store, index: index, opts: opts, log: opts.Logger,
		wake: make(chan struct{}, 1), progress: make(chan struct{})}
	if f.log == nil {
		f.log = slog.Default()
	}
	return f
}

// Load fills the index from the store. The feed position is read first, so
// changes committed while the index is being built are applied afterwards.
func (f *Follower) Load(ctx context.Context) error {
	seq, err := f.store.LatestChange(ctx)
	if err != nil {
		return err
	}
	err = f.store.View(ctx, func(tx registry.Tx) error {
		q := registry.RegistryQuery{Limit: feedPage}
		for {
			regs, err := tx.ListRegistries(q)
			if err != nil {
				return err
			}
			for _, reg := range regs {
				rq := registry.RecordQuery{RegistryID: reg.ID, Limit: feedPage}
				for {
					recs, err := tx.ListRecords(rq)
					if err != nil {
						return err
					}
					f.index.PutMany(recs)
					if f.opts.Sink != nil {
						f.opts.Sink.Load(recs, seq)
					}
					if len(recs) < feedPage {
						break
					}
					last := recs[len(recs)-1]
					rq.AfterName, rq.AfterID = last.Latest.Name, last.ID
				}
			}
			if len(regs) < feedPage {
				return nil
			}
			last := regs[len(regs)-1]
			q.AfterName, q.AfterID = last.Name, last.ID
		}
	})
	if err != nil {
		return err
	}
	f.publish(seq, nil)
	f.lastOK.Store(time.Now().UnixNano())
	return nil
}

// Start follows the feed in a goroutine of its own until Close.
func (f *Follower) Start() {
	ctx, stop := context.WithCancel(context.Background())
	f.stop, f.done = stop, make(chan struct{})
	go f.run(ctx)
}

// Close stops following and returns once the goroutine has ended.
func (f *Follower) Close() {
	if f.stop != nil {
		f.stop()
		<-f.done
	}
}

// AfterCommit is the registry Service's hook: it returns once the index
// has applied the feed entry seq, so that the next search on this replica
// sees the write, or after visibleWithin, or when ctx ends.
func (f *Follower) AfterCommit(ctx context.Context, seq int64) {
	waitCtx, cancel := context.WithTimeout(ctx, visibleWithin)
	defer cancel()
	if err := f.WaitFor(waitCtx, seq); err != nil && ctx.Err() == nil {
		f.log.Warn("the search index has not applied a write yet; it will when it catches up", "seq", seq, "err", err)
	}
}

// WaitFor asks the follower to catch up and waits until it has applied
// the feed up to seq. It returns ctx's error when ctx ends first, and a
// catch-up's error when one fails before reaching seq (the follower tries
// again on the next write or poll).
func (f *Follower) WaitFor(ctx context.Context, seq int64) error {
	// The state is read before the nudge, so that the catch-up it asks for
	// (or one already under way) wakes this wait even when it ends before
	// the loop below starts waiting.
	f.mu.Lock()
	applied, progress := f.applied, f.progress
	f.mu.Unlock()
	f.nudge()
	for applied < seq {
		select {
		case <-progress:
		case <-ctx.Done():
			return ctx.Err()
		}
		var err error
		f.mu.Lock()
		applied, err, progress = f.applied, f.err, f.progress
		f.mu.Unlock()
		if applied < seq && err != nil {
			return err
		}
	}
	return nil
}

// nudge asks the goroutine to catch up.
func (f *Follower) nudge() {
	select {
	case f.wake <- struct{}{}:
	default: // a catch-up is due already
	}
}

// Healthy reports whether the follower has reached the end of the feed
// within maxAge and has not failed since.
func (f *Follower) Healthy(maxAge time.Duration) bool {
	return f.failures.Load() == 0 && time.Since(time.Unix(0, f.lastOK.Load())) < maxAge
}

// run catches up whenever a write of this process commits, the store
// signals another's, or the poll interval passes, until ctx ends.
func (f *Follower) run(ctx context.Context) {
	defer close(f.done)
	var signals <-chan struct{}
	if n, ok := f.store.(notifier); ok {
		ch, err := n.Listen(ctx)
		if err != nil {
			f.log.Warn("change notifications unavailable; polling only", "err", err)
		} else {
			signals = ch
		}
	}
	f.nudge() // for what was committed before the store listened
	var poll <-chan time.Time
	if f.opts.Poll > 0 {
		t := time.NewTicker(f.opts.Poll)
		defer t.Stop()
		poll = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		case _, ok := <-signals:
			if !ok {
				signals = nil // the store is closing; the poll remains
			}
		case <-poll:
		}
		if err := f.catchUp(ctx); err != nil && ctx.Err() == nil {
			f.log.Warn("search index catch-up failed; will retry", "err", err)
		}
	}
}

// catchUp applies every feed entry after the last one applied.
func (f *Follower) catchUp(ctx context.Context) error {
	f.mu.Lock()
	seq := f.applied
	f.mu.Unlock()
	for {
		entries, err := f.store.ChangesSince(ctx, seq, feedPage)
		if err == nil {
			err = f.apply(ctx, entries)
		}
		if err != nil {
			f.failures.Add(1)
			f.publish(seq, err)
			return err
		}
		if len(entries) > 0 {
			seq = entries[len(entries)-1].Seq
		}
		if len(entries) < feedPage {
			// Healthy before the waiters wake, so that they see it.
			f.failures.Store(0)
			f.lastOK.Store(time.Now().UnixNano())
			f.publish(seq, nil)
			return nil
		}
		f.publish(seq, nil)
	}
}

// publish records how far the feed has been applied and wakes the writers
// waiting for it.
func (f *Follower) publish(applied int64, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied, f.err = applied, err
	close(f.progress)
	f.progress = make(chan struct{})
}

// apply re-reads the records named by entries and updates the index.
func (f *Follower) apply(ctx context.Context, entries []registry.ChangeEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return f.store.View(ctx, func(tx registry.Tx) error {
		for _, e := range entries {
			if e.RecordID == "" {
				if f.opts.ForgetRegistry != nil {
					f.opts.ForgetRegistry(e.RegistryID)
				}
				if _, err := tx.Registry(e.RegistryID); registry.IsNotFound(err) {
					f.index.RemoveRegistry(e.RegistryID)
					if f.opts.Sink != nil {
						f.opts.Sink.RemoveRegistry(e.RegistryID)
					}
				} else if err != nil {
					return err
				}
				continue
			}
			rec, err := tx.Record(e.RegistryID, e.RecordID)
			switch {
			case registry.IsNotFound(err):
				f.index.Remove(e.RegistryID, e.RecordID)
				if f.opts.Sink != nil {
					f.opts.Sink.Remove(e.RegistryID, e.RecordID, e.Seq)
				}
			case err != nil:
				return err
			default:
				f.index.Put(rec)
				if f.opts.Sink != nil {
					f.opts.Sink.Put(rec, e.Seq)
				}
			}
		}
		return nil
	})
}
