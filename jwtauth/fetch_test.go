package jwtauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/safehttp"
)

// Without AllowPrivate, discovery URLs that reach loopback, private or
// link-local addresses are refused before any connection is made, whether
// the address is literal or comes from name resolution.
func TestPrivateTargetsRefused(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request reached the server: %s", r.URL)
	}))
	srv.Config.ConnState = func(net.Conn, http.ConnState) { conns.Add(1) }
	srv.StartTLS()
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port

	v := newVerifier(t, Options{})
	for _, host := range []string{
		fmt.Sprintf("127.0.0.1:%d", port),
		fmt.Sprintf("localhost:%d", port), // loopback by name (RFC 6761): refused without resolving
		fmt.Sprintf("[::1]:%d", port),
		fmt.Sprintf("[::ffff:127.0.0.1]:%d", port),
		"10.0.0.1",
		"169.254.169.254",
		"100.64.0.1",
		"0.0.0.0",
	} {
		t.Run(host, func(t *testing.T) {
			_, err := v.Issuer(context.Background(), "https://"+host+DiscoverySuffix)
			wantMisconfigured(t, err, descRefusedURL)
			if !errors.Is(err, safehttp.ErrBlockedAddress) {
				t.Fatalf("error %v, want safehttp.ErrBlockedAddress", err)
			}
		})
	}
	if n := conns.Load(); n != 0 {
		t.Fatalf("%d connections reached the server", n)
	}
}

func TestSchemeAndURLChecks(t *testing.T) {
	v := newVerifier(t, Options{})
	for _, u := range []string{
		"http://idp.example" + DiscoverySuffix, // https required
		"ftp://idp.example" + DiscoverySuffix,
		"https://user:pw@idp.example" + DiscoverySuffix,
		"idp.example" + DiscoverySuffix,
		"https://idp.example/oidc",
		"https://idp.example" + DiscoverySuffix + "/",
		"https://idp.example" + DiscoverySuffix + "?x=1",
		"https://idp.example/tenant/.well-known/oauth-authorization-server", // RFC 8414 inserts, never appends
		"https://idp.example/.well-known/oauth-authorization-serverX",
		"https://idp.example/.well-known/oauth-authorization-server?x=1",
		"",
		"https://%zz",
	} {
		_, err := v.Verify(context.Background(), registry.CustomJWTAuthorizer{DiscoveryURL: u}, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
		wantMisconfigured(t, err, descRefusedURL)
		if !errors.Is(err, safehttp.ErrInsecureURL) {
			t.Errorf("%q: error %v, want safehttp.ErrInsecureURL", u, err)
		}
	}

	// With AllowPrivate, http is fine but the path rule still holds.
	ti := newIssuer(t)
	vp := newVerifier(t, Options{AllowPrivate: true})
	_, err := vp.Issuer(context.Background(), ti.srv.URL+"/oidc")
	wantMisconfigured(t, err, descRefusedURL)
	if n := ti.discoveryHits.Load(); n != 0 {
		t.Fatalf("bad discovery URL fetched %d times", n)
	}
	if iss, err := vp.Issuer(context.Background(), ti.discoveryURL()); err != nil || iss != ti.issuer() {
		t.Fatalf("Issuer = %q, %v", iss, err)
	}
}

// roundTripFunc serves canned responses without a network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The jwks_uri a discovery document names is held to the same rules.
func TestJWKSURIChecked(t *testing.T) {
	for jwksURI, want := range map[string]error{
		"https://10.0.0.1/jwks":         safehttp.ErrBlockedAddress,
		"https://169.254.169.254/jwks":  safehttp.ErrBlockedAddress,
		"https://[::1]/jwks":            safehttp.ErrBlockedAddress,
		"http://idp.example/jwks":       safehttp.ErrInsecureURL,
		"https://u:p@idp.example/jwks":  safehttp.ErrInsecureURL,
		"file:///etc/passwd":            safehttp.ErrInsecureURL,
		"https://idp.example/jwks.json": nil,
	} {
		client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.URL.Path != DiscoverySuffix {
				return &http.Response{StatusCode: 404, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
			}
			body := fmt.Sprintf(`{"issuer":"https://idp.example","jwks_uri":%q}`, jwksURI)
			return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
		})}
		v := newVerifier(t, Options{HTTPClient: client})
		_, err := v.Issuer(context.Background(), "https://idp.example"+DiscoverySuffix)
		if want == nil {
			if err != nil {
				t.Errorf("%s: %v", jwksURI, err)
			}
			continue
		}
		wantMisconfigured(t, err, descRefusedURL)
		if !errors.Is(err, want) {
			t.Errorf("%s: error %v, want %v", jwksURI, err, want)
		}
	}
}

func TestReadCapped(t *testing.T) {
	for _, tc := range []struct {
		n  int
		ok bool
	}{{0, true}, {100, true}, {101, false}, {5000, false}} {
		_, err := readCapped(bytes.NewReader(make([]byte, tc.n)), 100)
		if (err == nil) != tc.ok || (!tc.ok && !errors.Is(err, safehttp.ErrResponseTooLarge)) {
			t.Errorf("readCapped %d bytes: %v", tc.n, err)
		}
	}
}
