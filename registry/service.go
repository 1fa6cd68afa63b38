package registry

import (
	"context"
	"crypto/rand"
	"errors"
	"time"
)

// Options configure a Service.
type Options struct {
	Store     Store
	Region    string
	AccountID string
	Now       func() time.Time // nil = time.Now
	// AfterCommit, when set, is told of each committed write that appended
	// to the change feed, with the entry's sequence number, and the writing
	// call returns once AfterCommit has returned. It runs under no lock,
	// concurrently for concurrent writes, and must not call the Service.
	// The search index's follower waits there until it has applied the
	// entry, so that the next search on this replica sees the write
	// (read-your-writes); the domain knows nothing of search.
	AfterCommit func(ctx context.Context, seq int64)
	// URLPolicy judges a URL the server will fetch (a CUSTOM_JWT
	// discoveryUrl) when it is configured; its error, which completes
	// "<field> ...", says which rule failed. nil = any http or https URL.
	URLPolicy func(rawURL string) error
	// Events makes every change of a registry's or record's state write a
	// lifecycle event in its transaction (events.go), for webhooks.
	Events bool
}

// Service implements the registry's use cases. Each method validates its
// whole input first, then reads and writes through the store in one
// transaction, so a failed call changes nothing.
type Service struct {
	store       Store
	ARNs        ARNs
	now         func() time.Time
	afterCommit func(ctx context.Context, seq int64)
	urlPolicy   func(string) error
	pagingKey   []byte
	events      bool
	registries  registryCache
	syncKick    chan struct{} // wakes RunSync when a job was queued
}

// NewService returns a Service over opts.Store, creating the server-wide
// paging key on first use.
func NewService(ctx context.Context, opts Options) (*Service, error) {
	s := &Service{
		store:       opts.Store,
		ARNs:        ARNs{Region: opts.Region, AccountID: opts.AccountID},
		now:         opts.Now,
		afterCommit: opts.AfterCommit,
		urlPolicy:   opts.URLPolicy,
		syncKick:    make(chan struct{}, 1),
		events:      opts.Events,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.afterCommit == nil {
		s.afterCommit = func(context.Context, int64) {}
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		key, ok, err := tx.Setting("paging-key")
		if err != nil || ok {
			s.pagingKey = key
			return err
		}
		key = make([]byte, 32)
		rand.Read(key)
		s.pagingKey = key
		return tx.PutSetting("paging-key", key)
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// update runs fn in a write transaction. fn returns the sequence number
// of the change feed entry it appended, 0 when it appended none. Once the
// transaction has committed, update passes that number to AfterCommit. It
// holds no lock meanwhile: a write never waits for another write's
// readers, only for its own.
func (s *Service) update(ctx context.Context, fn func(Tx) (seq int64, err error)) error {
	var seq int64
	err := s.store.Update(ctx, func(tx Tx) (err error) {
		seq, err = fn(tx) // a transaction run again sets it again
		return err
	})
	if err != nil || seq == 0 {
		return err
	}
	s.afterCommit(ctx, seq)
	return nil
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// IsNotFound reports whether err is a not-found error.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == KindNotFound
}
