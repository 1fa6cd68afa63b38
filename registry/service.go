package registry

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"time"
)

// Change tells listeners, after the commit, that what is discoverable in a
// registry may have changed. Record is the record as committed, nil when it
// was deleted; RecordID is "" when the registry itself changed or was
// deleted.
type Change struct {
	RegistryID string
	RecordID   string
	Record     *Record
}

// Options configure a Service.
type Options struct {
	Store     Store
	Region    string
	AccountID string
	Now       func() time.Time // nil = time.Now
	OnChange  func(Change)     // nil = nobody listens; runs under a lock, so it must not call the Service
	// URLPolicy judges a URL the server will fetch (a CUSTOM_JWT
	// discoveryUrl) when it is configured; its error, which completes
	// "<field> ...", says which rule failed. nil = any http or https URL.
	URLPolicy func(rawURL string) error
}

// Service implements the registry's use cases. Each method validates its
// whole input first, then reads and writes through the store in one
// transaction, so a failed call changes nothing.
type Service struct {
	// notifyMu keeps listeners seeing changes in commit order: it is held
	// from the start of a notifying write until its listeners have run.
	notifyMu   sync.Mutex
	store      Store
	ARNs       ARNs
	now        func() time.Time
	onChange   func(Change)
	urlPolicy  func(string) error
	pagingKey  []byte
	registries registryCache
}

// NewService returns a Service over opts.Store, creating the server-wide
// paging key on first use.
func NewService(ctx context.Context, opts Options) (*Service, error) {
	s := &Service{
		store:     opts.Store,
		ARNs:      ARNs{Region: opts.Region, AccountID: opts.AccountID},
		now:       opts.Now,
		onChange:  opts.OnChange,
		urlPolicy: opts.URLPolicy,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.onChange == nil {
		s.onChange = func(Change) {}
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

// updateAndNotify runs fn in a write transaction and, once it has
// committed, passes the change that change returns (if any) to the
// listener, in commit order.
func (s *Service) updateAndNotify(ctx context.Context, fn func(Tx) error, change func() *Change) error {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	if err := s.store.Update(ctx, fn); err != nil {
		return err
	}
	if c := change(); c != nil {
		if c.RecordID == "" {
			s.registries.forget(c.RegistryID)
		}
		s.onChange(*c)
	}
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
