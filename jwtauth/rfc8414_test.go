package jwtauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/agentry/agentry/registry"
)

// A discoveryUrl may name RFC 8414 authorization server metadata, with the
// well-known prefix inserted before the issuer's path, as well as OpenID
// Connect discovery: tokens verify with the keys its jwks_uri names, and
// its issuer is the one tokens must carry and the protected resource
// metadata advertises.
func TestRFC8414DiscoveryURL(t *testing.T) {
	s := newSigner(t, "ES256", "k1")
	var srv *httptest.Server
	mux := http.NewServeMux()
	// An issuer with a path (a tenant), as RFC 8414 section 3.1 places it.
	mux.HandleFunc("/.well-known/oauth-authorization-server/tenant-a", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": srv.URL + "/tenant-a", "jwks_uri": srv.URL + "/tenant-a/jwks",
			"authorization_endpoint": srv.URL + "/tenant-a/authorize", "token_endpoint": srv.URL + "/tenant-a/token",
			"code_challenge_methods_supported": []string{"S256"},
		})
	})
	// An issuer without a path.
	mux.HandleFunc("/.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "jwks_uri": srv.URL + "/tenant-a/jwks"})
	})
	mux.HandleFunc("/tenant-a/jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []jwk.Key{s.pub}})
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	v := newVerifier(t, Options{AllowPrivate: true})
	ctx := context.Background()
	now := time.Now()
	for _, c := range []struct{ discoveryURL, issuer string }{
		{srv.URL + "/.well-known/oauth-authorization-server/tenant-a", srv.URL + "/tenant-a"},
		{srv.URL + "/.well-known/oauth-authorization-server", srv.URL},
	} {
		cfg := registry.CustomJWTAuthorizer{DiscoveryURL: c.discoveryURL, AllowedAudience: []string{"https://registry.example/registry/r1/mcp"}}
		iss, err := v.Issuer(ctx, cfg.DiscoveryURL)
		if err != nil || iss != c.issuer {
			t.Fatalf("%s: Issuer = %q, %v; want %q", c.discoveryURL, iss, err, c.issuer)
		}
		tok := s.sign(t, map[string]any{"iss": c.issuer, "sub": "u", "aud": "https://registry.example/registry/r1/mcp",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
		if _, err := v.Verify(ctx, cfg, tok); err != nil {
			t.Errorf("%s: Verify: %v", c.discoveryURL, err)
		}
		// The issuer is the metadata's, exactly.
		other := s.sign(t, map[string]any{"iss": c.issuer + "/", "sub": "u", "aud": "https://registry.example/registry/r1/mcp",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
		_, err = v.Verify(ctx, cfg, other)
		wantCode(t, err, CodeInvalidToken)
	}
}

// Endpoints reads the sign-in endpoints of RFC 8414 metadata and of OpenID
// discovery, and refuses a document without them, or with one the URL
// policy refuses, as a configuration to change.
func TestEndpoints(t *testing.T) {
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/oauth-authorization-server/full", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL + "/full", "jwks_uri": srv.URL + "/jwks",
			"authorization_endpoint": srv.URL + "/authorize", "token_endpoint": srv.URL + "/token"})
	})
	mux.HandleFunc("/.well-known/oauth-authorization-server/none", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL + "/none", "jwks_uri": srv.URL + "/jwks"})
	})
	mux.HandleFunc("/oidc"+DiscoverySuffix, func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL + "/oidc", "jwks_uri": srv.URL + "/jwks",
			"authorization_endpoint": srv.URL + "/authorize", "token_endpoint": srv.URL + "/token"})
	})
	mux.HandleFunc("/.well-known/oauth-authorization-server/file", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL + "/file", "jwks_uri": srv.URL + "/jwks",
			"authorization_endpoint": srv.URL + "/authorize", "token_endpoint": "file:///etc/token"})
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ctx := context.Background()

	v := newVerifier(t, Options{AllowPrivate: true})
	e, err := v.Endpoints(ctx, srv.URL+"/.well-known/oauth-authorization-server/full")
	want := Endpoints{Issuer: srv.URL + "/full", Authorization: srv.URL + "/authorize", Token: srv.URL + "/token"}
	if err != nil || e != want {
		t.Fatalf("Endpoints = %+v, %v; want %+v", e, err, want)
	}
	_, err = v.Endpoints(ctx, srv.URL+"/.well-known/oauth-authorization-server/none")
	wantMisconfigured(t, err, "the identity provider's discovery document names no authorization_endpoint or token_endpoint")
	e, err = v.Endpoints(ctx, srv.URL+"/oidc"+DiscoverySuffix)
	if err != nil || !e.OpenID {
		t.Fatalf("OpenID discovery: %+v, %v", e, err)
	}

	// A token endpoint that is not http(s) is refused by the URL policy.
	_, err = v.Endpoints(ctx, srv.URL+"/.well-known/oauth-authorization-server/file")
	wantMisconfigured(t, err, "the identity provider's authorization_endpoint or token_endpoint is refused by the URL policy")
}
