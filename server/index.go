package server

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
)

// indexSync keeps this process's search index in step with the store by
// following the change feed. Every replica runs one: it applies its own
// writes at once (catchUp is called before the writing call returns) and
// other replicas' writes when the store signals them or the poll finds
// them. Each change is applied by reading the record's current state, so
// applying a change twice or late is harmless and the index converges on
// what the store holds.
type indexSync struct {
	store registry.Store
	index *search.Index
	log   *slog.Logger
	// forgetRegistry drops cached copies of a registry that changed.
	forgetRegistry func(id string)

	mu       sync.Mutex // one catch-up at a time
	seq      int64      // the last feed entry applied
	lastOK   atomic.Int64
	failures atomic.Int64
}

const feedPage = 1000

// load fills the index from the store. The feed position is read first, so
// changes committed while the index is being built are applied afterwards.
func (s *indexSync) load(ctx context.Context) error {
	seq, err := s.store.LatestChange(ctx)
	if err != nil {
		return err
	}
	err = s.store.View(ctx, func(tx registry.Tx) error {
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
					s.index.PutMany(recs)
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
	s.seq = seq
	s.lastOK.Store(time.Now().UnixNano())
	return nil
}

// catchUp applies every feed entry after the last one applied.
func (s *indexSync) catchUp(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		entries, err := s.store.ChangesSince(ctx, s.seq, feedPage)
		if err != nil {
			s.failures.Add(1)
			return err
		}
		if err := s.apply(ctx, entries); err != nil {
			s.failures.Add(1)
			return err
		}
		if len(entries) > 0 {
			s.seq = entries[len(entries)-1].Seq
		}
		if len(entries) < feedPage {
			s.failures.Store(0)
			s.lastOK.Store(time.Now().UnixNano())
			return nil
		}
	}
}

// apply re-reads the records named by entries and updates the index.
func (s *indexSync) apply(ctx context.Context, entries []registry.ChangeEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return s.store.View(ctx, func(tx registry.Tx) error {
		for _, e := range entries {
			if e.RecordID == "" {
				if s.forgetRegistry != nil {
					s.forgetRegistry(e.RegistryID)
				}
				if _, err := tx.Registry(e.RegistryID); registry.IsNotFound(err) {
					s.index.RemoveRegistry(e.RegistryID)
				} else if err != nil {
					return err
				}
				continue
			}
			rec, err := tx.Record(e.RegistryID, e.RecordID)
			switch {
			case registry.IsNotFound(err):
				s.index.Remove(e.RegistryID, e.RecordID)
			case err != nil:
				return err
			default:
				s.index.Put(rec)
			}
		}
		return nil
	})
}

// onChange is the Service's listener: it catches up before the writing call
// returns, so the next search on this replica sees the write (lexically at
// once; the index computes new vectors in the background, so no embedder
// call is ever on this path).
func (s *indexSync) onChange(registry.Change) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.catchUp(ctx); err != nil {
		s.log.Warn("search index catch-up failed; will retry", "err", err)
	}
}

// notifier is implemented by stores that can signal commits made by other
// replicas (PostgreSQL's LISTEN/NOTIFY).
type notifier interface {
	Listen(ctx context.Context) (<-chan struct{}, error)
}

// follow catches up whenever the store signals a change, and at least
// every poll interval in case a signal was lost, until ctx ends.
func (s *indexSync) follow(ctx context.Context, poll time.Duration) {
	var signals <-chan struct{}
	if n, ok := s.store.(notifier); ok {
		ch, err := n.Listen(ctx)
		if err != nil {
			s.log.Warn("change notifications unavailable; polling only", "err", err)
		} else {
			signals = ch
		}
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
		case <-t.C:
		}
		if err := s.catchUp(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("search index catch-up failed; will retry", "err", err)
		}
	}
}

// healthy reports whether the index has caught up recently.
func (s *indexSync) healthy(maxAge time.Duration) bool {
	return s.failures.Load() == 0 && time.Since(time.Unix(0, s.lastOK.Load())) < maxAge
}
