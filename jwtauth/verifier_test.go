package jwtauth

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/agentry/agentry/registry"
)

func startMockOIDC(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return m
}

func str(s string) *string { return &s }

func claim(name, typ, op string, one *string, list ...string) registry.CustomClaim {
	return registry.CustomClaim{
		InboundTokenClaimName:      name,
		InboundTokenClaimValueType: typ,
		AuthorizingClaimMatchValue: registry.ClaimMatch{
			ClaimMatchOperator: op,
			ClaimMatchValue:    registry.ClaimMatchValue{MatchValueString: one, MatchValueStringList: list},
		},
	}
}

func TestVerifyMockOIDC(t *testing.T) {
	m := startMockOIDC(t)
	clock := newClock()
	v := newVerifier(t, Options{AllowPrivate: true, Now: clock.Now})
	now := clock.Now()

	mint := func(over map[string]any) string {
		c := jwt.MapClaims{
			"iss": m.Issuer(),
			"sub": "alice",
			"iat": now.Unix(),
			"exp": now.Add(time.Hour).Unix(),
		}
		for k, val := range over {
			if val == nil {
				delete(c, k)
			} else {
				c[k] = val
			}
		}
		tok, err := m.Keypair.SignJWT(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	base := registry.CustomJWTAuthorizer{DiscoveryURL: m.DiscoveryEndpoint()}
	with := func(f func(c *registry.CustomJWTAuthorizer)) registry.CustomJWTAuthorizer {
		c := base
		f(&c)
		return c
	}
	aud := with(func(c *registry.CustomJWTAuthorizer) { c.AllowedAudience = []string{"api-1", "api-2"} })
	clients := with(func(c *registry.CustomJWTAuthorizer) { c.AllowedClients = []string{"client-a"} })
	scopes := with(func(c *registry.CustomJWTAuthorizer) { c.AllowedScopes = []string{"registry/search", "mcp"} })
	custom := func(cc ...registry.CustomClaim) registry.CustomJWTAuthorizer {
		return with(func(c *registry.CustomJWTAuthorizer) { c.CustomClaims = cc })
	}
	eqTeam := custom(claim("team", "STRING", "EQUALS", str("blue")))
	containsGroup := custom(claim("groups", "STRING_ARRAY", "CONTAINS", str("admins")))
	containsAny := custom(claim("groups", "STRING_ARRAY", "CONTAINS_ANY", nil, "ops", "admins"))

	tests := []struct {
		name string
		cfg  registry.CustomJWTAuthorizer
		over map[string]any
		code string // "" means accepted
	}{
		{"no checks", base, nil, ""},
		{"wrong issuer", base, map[string]any{"iss": m.Issuer() + "/other"}, CodeInvalidToken},
		{"issuer not a string", base, map[string]any{"iss": 7}, CodeInvalidToken},
		{"missing issuer", base, map[string]any{"iss": nil}, CodeInvalidToken},
		{"expired", base, map[string]any{"exp": now.Add(-2 * time.Minute).Unix()}, CodeInvalidToken},
		{"expired within skew", base, map[string]any{"exp": now.Add(-30 * time.Second).Unix()}, ""},
		{"missing exp", base, map[string]any{"exp": nil}, CodeInvalidToken},
		{"exp not a number", base, map[string]any{"exp": "tomorrow"}, CodeInvalidToken},
		{"nbf in future", base, map[string]any{"nbf": now.Add(5 * time.Minute).Unix()}, CodeInvalidToken},
		{"nbf within skew", base, map[string]any{"nbf": now.Add(30 * time.Second).Unix()}, ""},
		{"nbf past", base, map[string]any{"nbf": now.Add(-time.Minute).Unix()}, ""},
		{"iat in future", base, map[string]any{"iat": now.Add(5 * time.Minute).Unix()}, CodeInvalidToken},
		{"sub not a string", base, map[string]any{"sub": 1}, CodeInvalidToken},

		{"aud string match", aud, map[string]any{"aud": "api-2"}, ""},
		{"aud array match", aud, map[string]any{"aud": []string{"other", "api-1"}}, ""},
		{"aud string mismatch", aud, map[string]any{"aud": "api-3"}, CodeInvalidToken},
		{"aud array mismatch", aud, map[string]any{"aud": []string{"x", "y"}}, CodeInvalidToken},
		{"aud missing", aud, nil, CodeInvalidToken},
		{"aud wrong type", aud, map[string]any{"aud": 1}, CodeInvalidToken},
		{"aud array with non-string", aud, map[string]any{"aud": []any{"api-1", 2}}, CodeInvalidToken},

		{"client_id match", clients, map[string]any{"client_id": "client-a"}, ""},
		{"client_id mismatch", clients, map[string]any{"client_id": "client-b"}, CodeInvalidToken},
		{"azp fallback", clients, map[string]any{"azp": "client-a"}, ""},
		{"client_id wins over azp", clients, map[string]any{"client_id": "client-b", "azp": "client-a"}, CodeInvalidToken},
		{"no client", clients, nil, CodeInvalidToken},
		{"client_id wrong type", clients, map[string]any{"client_id": []string{"client-a"}}, CodeInvalidToken},

		{"scope string match", scopes, map[string]any{"scope": "openid registry/search"}, ""},
		{"scope string mismatch", scopes, map[string]any{"scope": "openid profile"}, CodeInsufficientScope},
		{"scp string match", scopes, map[string]any{"scp": "mcp other"}, ""},
		{"scp array match", scopes, map[string]any{"scp": []string{"x", "mcp"}}, ""},
		{"scp array mismatch", scopes, map[string]any{"scp": []string{"x", "y"}}, CodeInsufficientScope},
		{"scope array match", scopes, map[string]any{"scope": []string{"mcp"}}, ""},
		{"no scope claim", scopes, nil, CodeInsufficientScope},
		{"scope substring is no match", scopes, map[string]any{"scope": "registry/search2 mcpx"}, CodeInsufficientScope},
		{"scope wrong type", scopes, map[string]any{"scope": 5}, CodeInvalidToken},
		{"scp array with non-string", scopes, map[string]any{"scp": []any{"mcp", 1}}, CodeInvalidToken},

		{"EQUALS match", eqTeam, map[string]any{"team": "blue"}, ""},
		{"EQUALS mismatch", eqTeam, map[string]any{"team": "red"}, CodeInvalidToken},
		{"EQUALS is case-sensitive", eqTeam, map[string]any{"team": "Blue"}, CodeInvalidToken},
		{"EQUALS on array fails", eqTeam, map[string]any{"team": []string{"blue"}}, CodeInvalidToken},
		{"EQUALS missing claim", eqTeam, nil, CodeInvalidToken},
		{"CONTAINS match", containsGroup, map[string]any{"groups": []string{"dev", "admins"}}, ""},
		{"CONTAINS mismatch", containsGroup, map[string]any{"groups": []string{"dev"}}, CodeInvalidToken},
		{"CONTAINS on string fails", containsGroup, map[string]any{"groups": "admins"}, CodeInvalidToken},
		{"CONTAINS_ANY match", containsAny, map[string]any{"groups": []string{"ops"}}, ""},
		{"CONTAINS_ANY mismatch", containsAny, map[string]any{"groups": []string{"dev", "qa"}}, CodeInvalidToken},
		{"CONTAINS_ANY on string fails", containsAny, map[string]any{"groups": "ops"}, CodeInvalidToken},
		{"CONTAINS_ANY array with non-string", containsAny, map[string]any{"groups": []any{"ops", 1}}, CodeInvalidToken},
		{"all custom claims must pass", custom(
			claim("team", "STRING", "EQUALS", str("blue")),
			claim("groups", "STRING_ARRAY", "CONTAINS", str("admins")),
		), map[string]any{"team": "blue", "groups": []string{"dev"}}, CodeInvalidToken},
		{"unknown operator fails closed", custom(claim("team", "STRING", "CONTAINS", str("blue"))),
			map[string]any{"team": "blue"}, CodeInvalidToken},

		// Every configured check must pass; a failure other than scope wins
		// over insufficient scope.
		{"all checks pass", with(func(c *registry.CustomJWTAuthorizer) {
			c.AllowedAudience, c.AllowedClients, c.AllowedScopes = []string{"api-1"}, []string{"client-a"}, []string{"mcp"}
			c.CustomClaims = []registry.CustomClaim{claim("team", "STRING", "EQUALS", str("blue"))}
		}), map[string]any{"aud": "api-1", "client_id": "client-a", "scope": "mcp", "team": "blue"}, ""},
		{"bad audience and no scope is invalid_token", with(func(c *registry.CustomJWTAuthorizer) {
			c.AllowedAudience, c.AllowedScopes = []string{"api-1"}, []string{"mcp"}
		}), map[string]any{"aud": "api-9"}, CodeInvalidToken},
		{"good audience and no scope is insufficient_scope", with(func(c *registry.CustomJWTAuthorizer) {
			c.AllowedAudience, c.AllowedScopes = []string{"api-1"}, []string{"mcp"}
		}), map[string]any{"aud": "api-1", "scope": "openid"}, CodeInsufficientScope},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := mint(tc.over)
			c, err := v.Verify(context.Background(), tc.cfg, tok)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			e := wantCode(t, err, tc.code)
			if c != nil {
				t.Fatal("claims returned with an error")
			}
			if strings.Contains(e.Error(), tok) || strings.Contains(e.Description, "alice") {
				t.Fatalf("error leaks token material: %v", e)
			}
			wantStatus := 401
			if tc.code == CodeInsufficientScope {
				wantStatus = 403
			}
			if e.HTTPStatus() != wantStatus {
				t.Fatalf("HTTPStatus = %d, want %d", e.HTTPStatus(), wantStatus)
			}
		})
	}
}

func TestVerifyClaimsResult(t *testing.T) {
	m := startMockOIDC(t)
	v := newVerifier(t, Options{AllowPrivate: true})
	now := time.Now()
	tok, err := m.Keypair.SignJWT(jwt.MapClaims{
		"iss": m.Issuer(), "sub": "alice", "exp": now.Add(time.Hour).Unix(),
		"aud": []string{"api-1", "api-2"}, "azp": "client-a",
		"scope": "openid mcp", "scp": []string{"mcp", "extra"}, "team": "blue",
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := registry.CustomJWTAuthorizer{DiscoveryURL: m.DiscoveryEndpoint(), AllowedScopes: []string{"mcp"}}
	c, err := v.Verify(context.Background(), cfg, tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "alice" || c.Issuer != m.Issuer() || c.ClientID != "client-a" {
		t.Errorf("claims = %+v", c)
	}
	if !slices.Equal(c.Audience, []string{"api-1", "api-2"}) {
		t.Errorf("Audience = %v", c.Audience)
	}
	if !slices.Equal(c.Scopes, []string{"openid", "mcp", "extra"}) {
		t.Errorf("Scopes = %v", c.Scopes)
	}
	if c.Raw["team"] != "blue" {
		t.Errorf("Raw = %v", c.Raw)
	}

	iss, err := v.Issuer(context.Background(), m.DiscoveryEndpoint())
	if err != nil || iss != m.Issuer() {
		t.Fatalf("Issuer = %q, %v", iss, err)
	}
}

// A registry's configuration can change between two requests: the next
// request is judged by the new one.
func TestVerifyConfigChange(t *testing.T) {
	m := startMockOIDC(t)
	ti := newIssuer(t)
	s := newSigner(t, "ES256", "k1")
	ti.publish(s)
	clock := newClock()
	v := newVerifier(t, Options{AllowPrivate: true, Now: clock.Now})

	tokM, err := m.Keypair.SignJWT(jwt.MapClaims{"iss": m.Issuer(), "exp": clock.Now().Add(time.Hour).Unix(), "aud": "a"})
	if err != nil {
		t.Fatal(err)
	}
	tokT := s.sign(t, ti.claims(clock.Now(), map[string]any{"aud": "a"}))

	cfg := registry.CustomJWTAuthorizer{DiscoveryURL: m.DiscoveryEndpoint()}
	if _, err := v.Verify(context.Background(), cfg, tokM); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), cfg, tokT); err == nil {
		t.Fatal("token of another issuer accepted")
	}
	cfg.AllowedAudience = []string{"b"}
	_, err = v.Verify(context.Background(), cfg, tokM)
	wantCode(t, err, CodeInvalidToken)

	cfg = ti.cfg()
	if _, err := v.Verify(context.Background(), cfg, tokT); err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(context.Background(), cfg, tokM)
	wantCode(t, err, CodeInvalidToken)
}

func TestVerifySkewOption(t *testing.T) {
	ti := newIssuer(t)
	s := newSigner(t, "RS256", "k1")
	ti.publish(s)
	clock := newClock()
	now := clock.Now()
	tok := s.sign(t, ti.claims(now, map[string]any{"exp": now.Add(-10 * time.Second).Unix()}))

	v := newVerifier(t, Options{AllowPrivate: true, Now: clock.Now})
	if _, err := v.Verify(context.Background(), ti.cfg(), tok); err != nil {
		t.Fatalf("default skew: %v", err)
	}
	v = newVerifier(t, Options{AllowPrivate: true, Now: clock.Now, Skew: 5 * time.Second})
	_, err := v.Verify(context.Background(), ti.cfg(), tok)
	wantCode(t, err, CodeInvalidToken)
	v = newVerifier(t, Options{AllowPrivate: true, Now: clock.Now, Skew: -1})
	tok = s.sign(t, ti.claims(now, map[string]any{"exp": now.Unix()}))
	_, err = v.Verify(context.Background(), ti.cfg(), tok)
	wantCode(t, err, CodeInvalidToken)
}

func TestVerifyAlgorithms(t *testing.T) {
	ti := newIssuer(t)
	algs := []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
	var signers []*signer
	for _, alg := range algs {
		signers = append(signers, newSigner(t, alg, "kid-"+alg))
	}
	ti.publish(signers...)
	v := newVerifier(t, Options{AllowPrivate: true})
	for _, s := range signers {
		t.Run(s.alg.String(), func(t *testing.T) {
			if _, err := v.Verify(context.Background(), ti.cfg(), s.sign(t, ti.claims(time.Now(), nil))); err != nil {
				t.Fatal(err)
			}
		})
	}
	if n := ti.jwksHits.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1", n)
	}
}

// TestVerifiedSignatureCache: a token's signature is checked once a
// minute, but its claims on every call, against the current configuration.
func TestVerifiedSignatureCache(t *testing.T) {
	m := startMockOIDC(t)
	clock := newClock()
	v := newVerifier(t, Options{AllowPrivate: true, Now: clock.Now})
	now := clock.Now()
	tok, err := m.Keypair.SignJWT(jwt.MapClaims{"iss": m.Issuer(), "sub": "alice", "aud": "api-1",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := registry.CustomJWTAuthorizer{DiscoveryURL: m.DiscoveryEndpoint(), AllowedAudience: []string{"api-1"}}
	ctx := context.Background()
	if _, err := v.Verify(ctx, cfg, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, cfg, tok); err != nil {
		t.Fatalf("cached token: %v", err)
	}
	// A changed configuration applies at once to a cached token.
	other := cfg
	other.AllowedAudience = []string{"api-2"}
	if _, err := v.Verify(ctx, other, tok); err == nil {
		t.Fatal("a cached token passed a configuration it does not satisfy")
	}
	// So does expiry.
	clock.Add(10 * time.Minute)
	if _, err := v.Verify(ctx, cfg, tok); err == nil {
		t.Fatal("an expired cached token was accepted")
	}
	// A tampered token is a different key: its signature is checked.
	parts := strings.Split(tok, ".")
	forged := parts[0] + "." + parts[1] + "x." + parts[2]
	if _, err := v.Verify(ctx, cfg, forged); err == nil {
		t.Fatal("a forged token was accepted")
	}
}
