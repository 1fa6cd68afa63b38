package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentry/agentry/safehttp"
)

func TestKeyRotation(t *testing.T) {
	ti := newIssuer(t)
	old := newSigner(t, "RS256", "old")
	ti.publish(old)
	clock := newClock()
	v := newVerifier(t, Options{AllowPrivate: true, Now: clock.Now})
	verify := func(s *signer) error {
		_, err := v.Verify(context.Background(), ti.cfg(), s.sign(t, ti.claims(clock.Now(), nil)))
		return err
	}
	must(t, verify(old))

	// The IdP adds a key and starts signing with it: the unknown kid
	// triggers a refresh (once the rate limit allows one).
	next := newSigner(t, "ES256", "next")
	ti.publish(old, next)
	clock.Add(DefaultMinRefreshInterval + time.Second)
	must(t, verify(next))
	must(t, verify(old))
	if n := ti.jwksHits.Load(); n != 2 {
		t.Fatalf("JWKS hits = %d, want 2", n)
	}

	// The IdP withdraws the old key: once the background refresh has run,
	// tokens signed with it are refused.
	ti.publish(next)
	clock.Add(DefaultJWKSRefresh)
	v.refreshDue()
	waitFetches(v)
	if n := ti.jwksHits.Load(); n != 3 {
		t.Fatalf("JWKS hits = %d after background refresh, want 3", n)
	}
	err := verify(old)
	e := wantCode(t, err, CodeInvalidToken)
	if !strings.Contains(e.Description, "unknown") {
		t.Fatalf("description %q", e.Description)
	}
	must(t, verify(next))
}

func TestUnknownKidRefreshRateLimited(t *testing.T) {
	ti := newIssuer(t)
	s := newSigner(t, "ES256", "k1")
	ti.publish(s)
	clock := newClock()
	v := newVerifier(t, Options{AllowPrivate: true, Now: clock.Now})
	ctx := context.Background()
	must(t, func() error { _, err := v.Verify(ctx, ti.cfg(), s.sign(t, ti.claims(clock.Now(), nil))); return err }())

	spray := func(n int) {
		t.Helper()
		toks := make([]string, n)
		for i := range toks {
			r := *s
			r.kid = fmt.Sprintf("random-%d-%d", clock.Now().Unix(), i)
			toks[i] = r.sign(t, ti.claims(clock.Now(), nil))
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, tok := range toks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = v.Verify(ctx, ti.cfg(), tok)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			wantCode(t, err, CodeInvalidToken)
		}
	}
	hits := func() int32 { return ti.jwksHits.Load() }

	spray(10) // the keys were fetched just now
	if hits() != 1 {
		t.Fatalf("hits = %d, want 1", hits())
	}
	clock.Add(29 * time.Second)
	spray(10)
	if hits() != 1 {
		t.Fatalf("hits = %d within 30 s, want 1", hits())
	}
	// Concurrent unknown kids after the interval share one refresh.
	ti.set(func(ti *testIssuer) { ti.jwksDelay = 100 * time.Millisecond })
	clock.Add(2 * time.Second)
	spray(20)
	if hits() != 2 {
		t.Fatalf("hits = %d after 31 s, want 2", hits())
	}
	clock.Add(10 * time.Second)
	spray(10)
	if hits() != 2 {
		t.Fatalf("hits = %d 10 s after a refresh, want 2", hits())
	}
	clock.Add(21 * time.Second)
	spray(5)
	if hits() != 3 {
		t.Fatalf("hits = %d, want 3", hits())
	}

	// A custom interval is honoured too.
	ti2 := newIssuer(t)
	ti2.publish(s)
	v2 := newVerifier(t, Options{AllowPrivate: true, Now: clock.Now, MinRefreshInterval: 5 * time.Minute})
	r := *s
	r.kid = "unknown"
	for range 3 {
		clock.Add(time.Minute)
		_, err := v2.Verify(ctx, ti2.cfg(), r.sign(t, ti2.claims(clock.Now(), nil)))
		wantCode(t, err, CodeInvalidToken)
	}
	if n := ti2.jwksHits.Load(); n != 1 {
		t.Fatalf("hits = %d with a 5 min interval, want 1", n)
	}
}

// Requests arriving together on a cold cache share one discovery and one
// JWKS fetch.
func TestColdFetchShared(t *testing.T) {
	ti := newIssuer(t)
	s := newSigner(t, "RS256", "k1")
	ti.publish(s)
	ti.set(func(ti *testIssuer) { ti.jwksDelay = 200 * time.Millisecond })
	v := newVerifier(t, Options{AllowPrivate: true})
	tok := s.sign(t, ti.claims(time.Now(), nil))
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.Verify(context.Background(), ti.cfg(), tok)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	if d, j := ti.discoveryHits.Load(), ti.jwksHits.Load(); d != 1 || j != 1 {
		t.Fatalf("discovery hits %d, JWKS hits %d; want 1 and 1", d, j)
	}
}

func TestSlowJWKSTimesOut(t *testing.T) {
	ti := newIssuer(t)
	s := newSigner(t, "RS256", "k1")
	ti.publish(s)
	ti.set(func(ti *testIssuer) { ti.jwksDelay = 30 * time.Second })
	clock := newClock()
	v := newVerifier(t, Options{AllowPrivate: true, Now: clock.Now})
	v.fetchTimeout = 300 * time.Millisecond
	tok := s.sign(t, ti.claims(clock.Now(), nil))

	start := time.Now()
	_, err := v.Verify(context.Background(), ti.cfg(), tok)
	wantUnavailable(t, err)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want a deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}

	// The failure is remembered briefly: no new fetch per request.
	_, err = v.Verify(context.Background(), ti.cfg(), tok)
	wantUnavailable(t, err)
	if n := ti.jwksHits.Load(); n != 1 {
		t.Fatalf("JWKS hits = %d right after a failure, want 1", n)
	}
	ti.set(func(ti *testIssuer) { ti.jwksDelay = 0 })
	clock.Add(failureBackoff)
	if _, err := v.Verify(context.Background(), ti.cfg(), tok); err != nil {
		t.Fatalf("after the IdP recovered: %v", err)
	}

	// A caller that gives up does not wait for the fetch (which goes on
	// for the callers that may follow).
	v2 := newVerifier(t, Options{AllowPrivate: true, Now: clock.Now})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	ti.set(func(ti *testIssuer) { ti.jwksDelay = 30 * time.Second })
	start = time.Now()
	_, err = v2.Verify(ctx, ti.cfg(), tok)
	wantUnavailable(t, err)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want the caller's deadline", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("canceled caller waited %v", d)
	}
}

func TestOversizedDocuments(t *testing.T) {
	big := `{"issuer":"x","pad":"` + strings.Repeat("a", safehttp.MaxResponseBytes) + `"}`
	cases := []struct {
		name          string
		discovery     bool
		contentLength bool
	}{
		{"discovery chunked", true, false},
		{"discovery with length", true, true},
		{"jwks chunked", false, false},
		{"jwks with length", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ti := newIssuer(t)
			s := newSigner(t, "RS256", "k1")
			ti.publish(s)
			serve := func(w http.ResponseWriter) bool {
				if tc.contentLength {
					w.Header().Set("Content-Length", strconv.Itoa(len(big)))
				}
				for i := 0; i < len(big); i += 64 << 10 {
					w.Write([]byte(big[i:min(i+64<<10, len(big))]))
				}
				return true
			}
			ti.set(func(ti *testIssuer) {
				if tc.discovery {
					ti.discovery = serve
				} else {
					ti.jwks = serve
				}
			})
			v := newVerifier(t, Options{AllowPrivate: true})
			_, err := v.Verify(context.Background(), ti.cfg(), s.sign(t, ti.claims(time.Now(), nil)))
			desc := descBadJWKS
			if tc.discovery {
				desc = descBadDiscovery
			}
			wantMisconfigured(t, err, desc)
			if !errors.Is(err, safehttp.ErrResponseTooLarge) {
				t.Fatalf("error %v, want ErrResponseTooLarge", err)
			}
		})
	}

	// A large but allowed JWKS is fine.
	ti := newIssuer(t)
	s := newSigner(t, "RS256", "k1")
	ti.set(func(ti *testIssuer) {
		ti.jwks = func(w http.ResponseWriter) bool {
			fmt.Fprintf(w, `{"keys":[%s%s]}`, strings.Repeat(" ", safehttp.MaxResponseBytes-4096), jsonOf(t, s.pub))
			return true
		}
	})
	v := newVerifier(t, Options{AllowPrivate: true})
	if _, err := v.Verify(context.Background(), ti.cfg(), s.sign(t, ti.claims(time.Now(), nil))); err != nil {
		t.Fatal(err)
	}
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return string(b)
}

// While the IdP is down, the keys already held stay in use.
func TestStaleKeysWhileIdPDown(t *testing.T) {
	ti := newIssuer(t)
	s := newSigner(t, "RS256", "k1")
	ti.publish(s)
	clock := newClock()
	v := newVerifier(t, Options{AllowPrivate: true, Now: clock.Now})
	verify := func(kid string) error {
		r := *s
		r.kid = kid
		_, err := v.Verify(context.Background(), ti.cfg(), r.sign(t, ti.claims(clock.Now(), nil)))
		return err
	}
	must(t, verify("k1"))

	ti.set(func(ti *testIssuer) { ti.jwksStatus = http.StatusInternalServerError })
	clock.Add(DefaultJWKSRefresh + time.Second)
	v.refreshDue()
	waitFetches(v)
	if n := ti.jwksHits.Load(); n != 2 {
		t.Fatalf("JWKS hits = %d, want 2", n)
	}
	must(t, verify("k1"))
	// An unknown kid cannot be judged while the last fetch failed; it
	// causes a fetch only once the rate limit allows.
	wantUnavailable(t, verify("k2"))
	if n := ti.jwksHits.Load(); n != 2 {
		t.Fatalf("JWKS hits = %d, want 2", n)
	}
	clock.Add(DefaultMinRefreshInterval)
	wantUnavailable(t, verify("k2"))
	waitFetches(v)
	if n := ti.jwksHits.Load(); n != 3 {
		t.Fatalf("JWKS hits = %d, want 3", n)
	}
	must(t, verify("k1"))
	// Once the IdP is back, unknown kids are plain invalid tokens again.
	ti.set(func(ti *testIssuer) { ti.jwksStatus = 0 })
	clock.Add(DefaultMinRefreshInterval)
	wantCode(t, verify("k2"), CodeInvalidToken)
	wantCode(t, verify("k3"), CodeInvalidToken)
	ti.set(func(ti *testIssuer) { ti.jwksStatus = http.StatusInternalServerError })

	// Past maxStale the old keys are no longer trusted.
	clock.Add(maxStale)
	wantUnavailable(t, verify("k1"))
}

func TestCacheControlMaxAge(t *testing.T) {
	for _, tc := range []struct {
		cc   string
		want time.Duration
	}{
		{"", DefaultJWKSRefresh},
		{"max-age=300", 5 * time.Minute},
		{"public, max-age=600, must-revalidate", 10 * time.Minute},
		{"max-age=10", time.Minute},
		{"max-age=86400", DefaultJWKSRefresh},
		{"no-cache", time.Minute},
		{"max-age=600, no-store", time.Minute},
		{"max-age=oops", DefaultJWKSRefresh},
		{"max-age=-5", DefaultJWKSRefresh},
		{`max-age="120"`, 2 * time.Minute},
		{"max-age=99999999999999999999", DefaultJWKSRefresh},
	} {
		v := &Verifier{jwksRefresh: DefaultJWKSRefresh}
		h := http.Header{}
		if tc.cc != "" {
			h.Set("Cache-Control", tc.cc)
		}
		if got := v.jwksTTL(h); got != tc.want {
			t.Errorf("jwksTTL(%q) = %v, want %v", tc.cc, got, tc.want)
		}
	}

	ti := newIssuer(t)
	s := newSigner(t, "ES256", "k1")
	ti.publish(s)
	ti.set(func(ti *testIssuer) { ti.cacheControl = "max-age=120" })
	clock := newClock()
	v := newVerifier(t, Options{AllowPrivate: true, Now: clock.Now})
	_, err := v.Verify(context.Background(), ti.cfg(), s.sign(t, ti.claims(clock.Now(), nil)))
	must(t, err)
	clock.Add(119 * time.Second)
	v.refreshDue()
	waitFetches(v)
	if n := ti.jwksHits.Load(); n != 1 {
		t.Fatalf("hits = %d before max-age, want 1", n)
	}
	clock.Add(time.Second)
	v.refreshDue()
	waitFetches(v)
	if n := ti.jwksHits.Load(); n != 2 {
		t.Fatalf("hits = %d at max-age, want 2", n)
	}
}

// An expired discovery document is served while a refresh runs.
func TestDiscoveryRefresh(t *testing.T) {
	ti := newIssuer(t)
	s := newSigner(t, "ES256", "k1")
	ti.publish(s)
	clock := newClock()
	v := newVerifier(t, Options{AllowPrivate: true, Now: clock.Now})
	verify := func() error {
		_, err := v.Verify(context.Background(), ti.cfg(), s.sign(t, ti.claims(clock.Now(), nil)))
		return err
	}
	must(t, verify())
	clock.Add(DefaultDiscoveryTTL - time.Second)
	must(t, verify())
	if n := ti.discoveryHits.Load(); n != 1 {
		t.Fatalf("discovery hits = %d within the TTL", n)
	}
	clock.Add(time.Second)
	must(t, verify())
	waitFetches(v)
	if n := ti.discoveryHits.Load(); n != 2 {
		t.Fatalf("discovery hits = %d after the TTL, want 2", n)
	}

	// A cold failure is remembered for failureBackoff.
	ti2 := newIssuer(t)
	ti2.set(func(ti *testIssuer) {
		ti.discovery = func(w http.ResponseWriter) bool { w.WriteHeader(http.StatusBadGateway); return true }
	})
	for range 3 {
		_, err := v.Issuer(context.Background(), ti2.discoveryURL())
		wantUnavailable(t, err)
	}
	if n := ti2.discoveryHits.Load(); n != 1 {
		t.Fatalf("discovery hits = %d, want 1", n)
	}
	clock.Add(failureBackoff)
	_, err := v.Issuer(context.Background(), ti2.discoveryURL())
	wantUnavailable(t, err)
	if n := ti2.discoveryHits.Load(); n != 2 {
		t.Fatalf("discovery hits = %d after the backoff, want 2", n)
	}
}

// A discovery document or JWKS that is not one, or a URL answered 4xx, is
// a configuration to change, not an outage to wait out.
func TestBadDiscoveryDocuments(t *testing.T) {
	for name, c := range map[string]struct {
		status int
		body   string
		desc   string
	}{
		"not JSON":          {200, `<html>`, descBadDiscovery},
		"no issuer":         {200, `{"jwks_uri":"http://127.0.0.1/jwks"}`, descBadDiscovery},
		"issuer not string": {200, `{"issuer":1,"jwks_uri":"http://127.0.0.1/jwks"}`, descBadDiscovery},
		"no jwks_uri":       {200, `{"issuer":"x"}`, descBadDiscovery},
		"relative jwks_uri": {200, `{"issuer":"x","jwks_uri":"/jwks"}`, descRefusedURL},
		"ftp jwks_uri":      {200, `{"issuer":"x","jwks_uri":"ftp://127.0.0.1/jwks"}`, descRefusedURL},
		"not found":         {404, `{}`, descBadDiscovery},
		"forbidden":         {403, `{}`, descBadDiscovery},
	} {
		t.Run(name, func(t *testing.T) {
			ti := newIssuer(t)
			ti.set(func(ti *testIssuer) {
				ti.discovery = func(w http.ResponseWriter) bool { w.WriteHeader(c.status); w.Write([]byte(c.body)); return true }
			})
			v := newVerifier(t, Options{AllowPrivate: true})
			_, err := v.Issuer(context.Background(), ti.discoveryURL())
			wantMisconfigured(t, err, c.desc)
		})
	}
	for name, body := range map[string]string{
		"JWKS not JSON":  `<html>`,
		"JWKS no keys":   `{"keys":"none"}`,
		"JWKS not found": "",
	} {
		t.Run(name, func(t *testing.T) {
			ti := newIssuer(t)
			s := newSigner(t, "RS256", "k1")
			ti.set(func(ti *testIssuer) {
				ti.jwks = func(w http.ResponseWriter) bool {
					if body == "" {
						w.WriteHeader(http.StatusNotFound)
					}
					w.Write([]byte(body))
					return true
				}
			})
			v := newVerifier(t, Options{AllowPrivate: true})
			_, err := v.Verify(context.Background(), ti.cfg(), s.sign(t, ti.claims(time.Now(), nil)))
			wantMisconfigured(t, err, descBadJWKS)
		})
	}
	// An overloaded or failing provider may recover: that is an outage.
	for _, status := range []int{http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable} {
		ti := newIssuer(t)
		ti.set(func(ti *testIssuer) {
			ti.discovery = func(w http.ResponseWriter) bool { w.WriteHeader(status); return true }
		})
		v := newVerifier(t, Options{AllowPrivate: true})
		_, err := v.Issuer(context.Background(), ti.discoveryURL())
		wantUnavailable(t, err)
	}
}

func TestIdleEntriesEvicted(t *testing.T) {
	ti := newIssuer(t)
	s := newSigner(t, "ES256", "k1")
	ti.publish(s)
	clock := newClock()
	v := newVerifier(t, Options{AllowPrivate: true, Now: clock.Now, JWKSRefresh: 2 * time.Hour, DiscoveryTTL: 2 * time.Hour})
	_, err := v.Verify(context.Background(), ti.cfg(), s.sign(t, ti.claims(clock.Now(), nil)))
	must(t, err)
	clock.Add(idleTTL + time.Second)
	v.refreshDue()
	waitFetches(v)
	v.docs.mu.Lock()
	nd := len(v.docs.entries)
	v.docs.mu.Unlock()
	v.sets.mu.Lock()
	ns := len(v.sets.entries)
	v.sets.mu.Unlock()
	if nd != 0 || ns != 0 {
		t.Fatalf("%d discovery and %d JWKS entries left, want none", nd, ns)
	}
	if n := ti.jwksHits.Load() + ti.discoveryHits.Load(); n != 2 {
		t.Fatalf("idle entries were refreshed: %d hits", n)
	}
}

func TestClose(t *testing.T) {
	ti := newIssuer(t)
	s := newSigner(t, "ES256", "k1")
	ti.publish(s)
	v := New(Options{AllowPrivate: true})
	tok := s.sign(t, ti.claims(time.Now(), nil))
	_, err := v.Verify(context.Background(), ti.cfg(), tok)
	must(t, err)
	v.Close()
	v.Close()
	if _, err := v.Verify(context.Background(), ti.cfg(), tok); err != nil {
		t.Fatalf("cached keys after Close: %v", err)
	}
	ti2 := newIssuer(t)
	_, err = v.Verify(context.Background(), ti2.cfg(), tok)
	wantUnavailable(t, err)
	if !errors.Is(err, errClosed) {
		t.Fatalf("error %v, want errClosed", err)
	}
}
