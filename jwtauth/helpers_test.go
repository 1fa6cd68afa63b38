package jwtauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/agentry/agentry/registry"
)

// testClock is an injectable clock that only moves when told.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock { return &testClock{t: time.Unix(1_800_000_000, 0)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newVerifier returns a verifier whose background refresher never wakes on
// its own, closed when the test ends.
func newVerifier(t testing.TB, opts Options) *Verifier {
	t.Helper()
	opts.tick = time.Hour
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	v := New(opts)
	t.Cleanup(v.Close)
	return v
}

// waitFetches waits for the background fetches refreshDue started.
func waitFetches(v *Verifier) { v.fetches.Wait() }

// signer is one signing key of the test issuer.
type signer struct {
	alg  jwa.SignatureAlgorithm
	kid  string
	priv crypto.Signer
	pub  jwk.Key // as published in the JWKS
}

func newSigner(t testing.TB, alg, kid string) *signer {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("no key for %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	a, ok := jwa.LookupSignatureAlgorithm(alg)
	if !ok {
		t.Fatalf("unknown alg %s", alg)
	}
	pub, err := jwk.Import(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	must(t, pub.Set(jwk.KeyIDKey, kid))
	must(t, pub.Set(jwk.KeyUsageKey, "sig"))
	must(t, pub.Set(jwk.AlgorithmKey, a))
	return &signer{alg: a, kid: kid, priv: priv, pub: pub}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sign makes a compact JWS of claims with extra protected headers.
func (s *signer) sign(t testing.TB, claims map[string]any, extra ...map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	must(t, err)
	h := jws.NewHeaders()
	if s.kid != "" {
		must(t, h.Set(jws.KeyIDKey, s.kid))
	}
	for _, m := range extra {
		for k, v := range m {
			must(t, h.Set(k, v))
		}
	}
	tok, err := jws.Sign(payload, jws.WithKey(s.alg, s.priv, jws.WithProtectedHeaders(h)))
	must(t, err)
	return string(tok)
}

// testIssuer is a small OIDC issuer for the cases mockoidc cannot play:
// rotation, unknown kids, slow or broken endpoints, attack tokens.
type testIssuer struct {
	srv *httptest.Server

	discoveryHits atomic.Int32
	jwksHits      atomic.Int32

	mu           sync.Mutex
	keys         []jwk.Key
	jwksStatus   int
	jwksDelay    time.Duration
	cacheControl string
	discovery    func(w http.ResponseWriter) bool // overrides the document when it returns true
	jwks         func(w http.ResponseWriter) bool // overrides the key set when it returns true
	stop         chan struct{}
}

func newIssuer(t testing.TB) *testIssuer {
	t.Helper()
	ti := &testIssuer{stop: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		ti.discoveryHits.Add(1)
		ti.mu.Lock()
		override := ti.discovery
		ti.mu.Unlock()
		if override != nil && override(w) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"issuer": ti.issuer(), "jwks_uri": ti.srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		ti.jwksHits.Add(1)
		ti.mu.Lock()
		keys, status, delay, cc, override := ti.keys, ti.jwksStatus, ti.jwksDelay, ti.cacheControl, ti.jwks
		ti.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			case <-ti.stop:
				return
			}
		}
		if override != nil && override(w) {
			return
		}
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	})
	ti.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(ti.stop)
		ti.srv.Close()
	})
	return ti
}

func (ti *testIssuer) issuer() string       { return ti.srv.URL }
func (ti *testIssuer) discoveryURL() string { return ti.srv.URL + DiscoverySuffix }
func (ti *testIssuer) cfg() registry.CustomJWTAuthorizer {
	return registry.CustomJWTAuthorizer{DiscoveryURL: ti.discoveryURL()}
}

// publish replaces the published key set.
func (ti *testIssuer) publish(ss ...*signer) {
	keys := make([]jwk.Key, 0, len(ss))
	for _, s := range ss {
		keys = append(keys, s.pub)
	}
	ti.mu.Lock()
	ti.keys = keys
	ti.mu.Unlock()
}

func (ti *testIssuer) set(f func(ti *testIssuer)) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	f(ti)
}

// claims returns valid claims for this issuer at now, with overrides; a nil
// override value deletes the claim.
func (ti *testIssuer) claims(now time.Time, over map[string]any) map[string]any {
	c := map[string]any{
		"iss": ti.issuer(),
		"sub": "user-1",
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	for k, v := range over {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// wantCode fails unless err is an *Error with code (and not Unavailable).
func wantCode(t testing.TB, err error, code string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want *Error with code %s", err, code)
	}
	if e.Code != code || e.Unavailable || e.Misconfigured {
		t.Fatalf("error = %v (unavailable %v, misconfigured %v), want code %s", err, e.Unavailable, e.Misconfigured, code)
	}
	return e
}

// wantMisconfigured fails unless err is a Misconfigured *Error whose
// description says what to change (desc) and names no URL.
func wantMisconfigured(t testing.TB, err error, desc string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !e.Misconfigured || e.Unavailable || errors.Is(err, ErrUnavailable) {
		t.Fatalf("error = %v, want a Misconfigured *Error", err)
	}
	if e.HTTPStatus() != http.StatusInternalServerError || e.Code != CodeInvalidToken {
		t.Fatalf("misconfigured error: status %d code %s", e.HTTPStatus(), e.Code)
	}
	if e.Description != desc || strings.Contains(e.Description, "://") {
		t.Fatalf("description %q, want %q", e.Description, desc)
	}
	return e
}

func wantUnavailable(t testing.TB, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !e.Unavailable || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("error = %v, want an Unavailable *Error", err)
	}
	if e.HTTPStatus() != http.StatusServiceUnavailable || e.Code != CodeInvalidToken {
		t.Fatalf("unavailable error: status %d code %s", e.HTTPStatus(), e.Code)
	}
	return e
}
