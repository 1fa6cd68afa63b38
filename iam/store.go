package iam

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// maxFileSize bounds the principals file; a real one is a few kilobytes.
const maxFileSize = 16 << 20

// racyWindow is how recent an mtime must be for poll to distrust it.
const racyWindow = 2 * time.Second

// DefaultPollInterval is Watch's interval when given zero.
const DefaultPollInterval = 5 * time.Second

// Store holds the current Config for a principals file and swaps it
// atomically on reload, so readers never lock. A file that fails to load
// never replaces a good config: the previous one stays in force.
type Store struct {
	path      string
	accountID string
	log       *slog.Logger
	root      *Principal

	cur atomic.Pointer[Config]

	mu   sync.Mutex // serializes loads; guards seen and lastErr
	seen fileState  // the file as last read, loaded or not
	// lastErr is the last Watch failure logged, so a bad file is reported
	// once rather than on every poll.
	lastErr string
}

type fileState struct {
	mod  time.Time
	size int64
	sum  [sha256.Size]byte
}

// Option configures a Store.
type Option func(*Store)

// WithLogger sets where reloads and rejected files are reported; the
// default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) {
		if l != nil {
			s.log = l
		}
	}
}

// WithRoot adds the root principal (see Root). Lookups check it first, and
// a file that reuses its access key id is rejected.
func WithRoot(p *Principal) Option { return func(s *Store) { s.root = p } }

// NewStore loads the principals file at path for accountID. An empty path
// means no file: only the root principal (if any) exists. The initial load
// must succeed.
func NewStore(path, accountID string, opts ...Option) (*Store, error) {
	s := &Store{path: path, accountID: accountID, log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	if path == "" {
		if !accountPattern.MatchString(accountID) {
			return nil, fmt.Errorf("iam: account id %q must be 12 digits", accountID)
		}
		s.cur.Store(&Config{accountID: accountID})
		return s, nil
	}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Config returns the config in force.
func (s *Store) Config() *Config { return s.cur.Load() }

// Lookup finds the principal owning an access key, checking the root
// principal first, then the file.
func (s *Store) Lookup(accessKeyID string) (p *Principal, secret string, ok bool) {
	if s.root != nil {
		for _, k := range s.root.keys {
			if k.id == accessKeyID {
				return s.root, k.secret, true
			}
		}
	}
	return s.cur.Load().Lookup(accessKeyID)
}

// Reload reads and applies the file now, whether or not it changed. On
// error the previous config stays in force; the error names the file and
// every problem in it. With no file it does nothing.
func (s *Store) Reload() error {
	if s.path == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, data, err := s.read()
	if err != nil {
		return err
	}
	s.seen = st
	return s.apply(data, st)
}

// Watch polls the file every interval (DefaultPollInterval when zero) and
// reloads it when its size, modification time and content hash say it
// changed. Failures are logged once per distinct problem and leave the
// previous config in force; a half-written file is just such a failure,
// fixed by the next poll (write the file by rename to avoid the noise).
// Watch returns when ctx is done.
func (s *Store) Watch(ctx context.Context, interval time.Duration) {
	if s.path == "" {
		return
	}
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.poll()
		}
	}
}

// poll reloads the file if it changed since it was last read.
func (s *Store) poll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := os.Stat(s.path)
	if err != nil {
		s.report(fmt.Errorf("iam: %w", err))
		return
	}
	// Cheap check first; the hash then skips a touch that changed nothing.
	if fi.ModTime().Equal(s.seen.mod) && fi.Size() == s.seen.size {
		return
	}
	st, data, err := s.read()
	if err != nil {
		s.report(err)
		return
	}
	same := st.sum == s.seen.sum
	s.seen = st
	if same {
		// Back to what was last read (say, after a failed stat): whatever
		// went wrong is over, so a recurrence deserves a new report.
		s.lastErr = ""
		return
	}
	s.report(s.apply(data, st))
}

// report logs a Watch failure unless it is the one already logged.
func (s *Store) report(err error) {
	if err == nil {
		s.lastErr = ""
		return
	}
	if msg := err.Error(); msg != s.lastErr {
		s.lastErr = msg
		s.log.Error("iam: principals file rejected; keeping the previous configuration", "path", s.path, "err", err)
	}
}

func (s *Store) read() (fileState, []byte, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return fileState{}, nil, fmt.Errorf("iam: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fileState{}, nil, fmt.Errorf("iam: %w", err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxFileSize+1)); err != nil {
		return fileState{}, nil, fmt.Errorf("iam: %s: %w", s.path, err)
	}
	if buf.Len() > maxFileSize {
		return fileState{}, nil, fmt.Errorf("iam: %s: larger than %d bytes", s.path, maxFileSize)
	}
	data := buf.Bytes()
	if fi.Mode().Perm()&0o077 != 0 {
		s.log.Warn("iam: principals file holds secret keys but is accessible to other users; chmod 600 it",
			"path", s.path, "mode", fi.Mode().Perm().String())
	}
	st := fileState{mod: fi.ModTime(), size: fi.Size(), sum: sha256.Sum256(data)}
	// File times are as coarse as the kernel's clock tick, so an edit
	// landing within the same tick as this read, at the same size, would
	// slip past the stat check. While the mtime is that fresh, forget it
	// so the next poll hashes the content again.
	if time.Since(st.mod) < racyWindow {
		st.mod = time.Time{}
	}
	return st, data, nil
}

// apply parses data and, if it is valid, makes it the config in force.
func (s *Store) apply(data []byte, st fileState) error {
	cfg, err := Parse(data, s.accountID)
	if err == nil && s.root != nil {
		for _, id := range s.root.AccessKeyIDs() {
			if p, _, ok := cfg.Lookup(id); ok {
				err = &ParseError{Problems: []string{fmt.Sprintf("principal %q: uses the root principal's access key id %s", p.Name, id)}}
			}
		}
	}
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			named := *pe
			named.File = s.path
			return &named
		}
		return err
	}
	s.cur.Store(cfg)
	s.lastErr = ""
	s.log.Info("iam: principals file loaded", "path", s.path, "principals", len(cfg.principals),
		"sha256", fmt.Sprintf("%x", st.sum[:6]))
	for _, w := range cfg.warnings {
		s.log.Warn("iam: "+w, "path", s.path)
	}
	return nil
}
