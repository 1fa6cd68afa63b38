package jwtauth

import (
	"context"
	"errors"
	"sync"
	"time"
)

const (
	// failureBackoff is how long a failed fetch is remembered before a
	// request may try the same URL again, so that an unreachable IdP is not
	// hit once per incoming request.
	failureBackoff = 5 * time.Second
	// maxStale bounds how long keys or a discovery document outlive their
	// refresh time while the IdP cannot be reached.
	maxStale = 24 * time.Hour
	// idleTTL evicts entries no request has used for this long: after a
	// registry's configuration changes, its old URLs stop being fetched.
	idleTTL = time.Hour
)

var errClosed = errors.New("jwtauth: verifier is closed")

// flight is one fetch in progress; everyone who needs it waits on done.
type flight struct {
	done chan struct{}
	err  error
}

func (f *flight) wait(ctx context.Context) error {
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// entry is the cached state of one URL.
type entry[T any] struct {
	val       T
	ok        bool      // val holds a fetched value
	fetchedAt time.Time // of val
	expires   time.Time // when val is due for a refresh
	attempted time.Time // start of the last fetch, successful or not
	err       error     // of the last fetch; nil after a success
	used      time.Time
	flight    *flight // non-nil while a fetch runs
}

// cache holds documents fetched by URL (discovery documents, JWKS). At most
// one fetch per URL runs at a time and concurrent requests share it; the
// fetch runs detached from any request's context so that one caller giving
// up does not fail the others.
type cache[T any] struct {
	v     *Verifier
	kind  string // for logs
	fetch func(ctx context.Context, url string) (T, time.Duration, error)

	mu      sync.Mutex
	entries map[string]*entry[T]
}

func newCache[T any](v *Verifier, kind string, fetch func(context.Context, string) (T, time.Duration, error)) *cache[T] {
	return &cache[T]{v: v, kind: kind, fetch: fetch, entries: map[string]*entry[T]{}}
}

// get returns the value for url, fetching it when there is none (or only a
// value too stale to use). An expired but usable value is returned at once
// while a refresh starts in the background.
func (c *cache[T]) get(ctx context.Context, url string) (T, error) {
	now := c.v.now()
	c.mu.Lock()
	e := c.entries[url]
	if e == nil {
		e = &entry[T]{}
		c.entries[url] = e
	}
	e.used = now
	if e.ok && now.Sub(e.fetchedAt) < maxStale {
		if !now.Before(e.expires) {
			c.refreshLocked(url, e, now)
		}
		val := e.val
		c.mu.Unlock()
		return val, nil
	}
	f := e.flight
	if f == nil {
		if e.err != nil && now.Sub(e.attempted) < failureBackoff {
			err := e.err
			c.mu.Unlock()
			var zero T
			return zero, err
		}
		f = c.start(url, e, now)
	}
	c.mu.Unlock()
	return c.result(ctx, e, f)
}

// refresh fetches url again unless a fetch started less than minInterval
// ago; a fetch already running is joined instead. It returns the current
// value, or the error of the last fetch when that one failed: the value may
// then be missing what the caller is looking for.
func (c *cache[T]) refresh(ctx context.Context, url string, minInterval time.Duration) (T, error) {
	now := c.v.now()
	c.mu.Lock()
	e := c.entries[url]
	if e == nil {
		e = &entry[T]{used: now}
		c.entries[url] = e
	}
	f := e.flight
	if f == nil {
		if now.Sub(e.attempted) < minInterval {
			val, err := e.val, e.err
			c.mu.Unlock()
			return val, err
		}
		f = c.start(url, e, now)
	}
	c.mu.Unlock()
	return c.result(ctx, e, f)
}

func (c *cache[T]) result(ctx context.Context, e *entry[T], f *flight) (T, error) {
	var zero T
	if err := f.wait(ctx); err != nil {
		return zero, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !e.ok {
		return zero, e.err
	}
	return e.val, nil
}

// tick refreshes the entries that are due and evicts the idle ones.
func (c *cache[T]) tick(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for url, e := range c.entries {
		if e.flight == nil && now.Sub(e.used) > idleTTL {
			delete(c.entries, url)
			continue
		}
		if e.ok && !now.Before(e.expires) {
			c.refreshLocked(url, e, now)
		}
	}
}

// refreshLocked starts a background refresh unless one runs or the last
// one failed too recently. c.mu is held.
func (c *cache[T]) refreshLocked(url string, e *entry[T], now time.Time) {
	if e.flight == nil && (e.err == nil || now.Sub(e.attempted) >= failureBackoff) {
		c.start(url, e, now)
	}
}

// start launches a fetch of url. c.mu is held.
func (c *cache[T]) start(url string, e *entry[T], now time.Time) *flight {
	f := &flight{done: make(chan struct{})}
	v := c.v
	v.life.Lock()
	if v.closed {
		v.life.Unlock()
		f.err = errClosed
		close(f.done)
		return f
	}
	v.fetches.Add(1)
	v.life.Unlock()
	e.flight, e.attempted = f, now
	go func() {
		defer v.fetches.Done()
		ctx, cancel := context.WithTimeout(v.ctx, v.fetchTimeout)
		val, ttl, err := c.fetch(ctx, url)
		cancel()
		done := v.now()
		c.mu.Lock()
		if err == nil {
			e.val, e.ok, e.fetchedAt, e.expires, e.err = val, true, done, done.Add(ttl), nil
			v.log.Debug("jwtauth: fetched", "kind", c.kind, "url", url)
		} else {
			e.err = err
			v.log.Warn("jwtauth: fetch failed", "kind", c.kind, "url", url, "err", err)
		}
		e.flight = nil
		f.err = err
		close(f.done)
		c.mu.Unlock()
	}()
	return f
}
