package jwtauth

import (
	"context"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// BenchmarkVerify measures Verify with discovery document and keys cached,
// with a configuration that exercises every claim check.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) {
			ti := newIssuer(b)
			s := newSigner(b, alg, "k1")
			ti.publish(s, newSigner(b, alg, "k0"))
			v := newVerifier(b, Options{AllowPrivate: true})
			cfg := ti.cfg()
			cfg.AllowedAudience = []string{"api-1"}
			cfg.AllowedClients = []string{"client-a"}
			cfg.AllowedScopes = []string{"mcp"}
			cfg.CustomClaims = []registry.CustomClaim{claim("groups", "STRING_ARRAY", "CONTAINS", str("admins"))}
			tok := s.sign(b, ti.claims(time.Now(), map[string]any{
				"aud": "api-1", "client_id": "client-a", "scope": "openid mcp", "groups": []string{"admins"},
			}))
			ctx := context.Background()
			if _, err := v.Verify(ctx, cfg, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := v.Verify(ctx, cfg, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSignatureOnly is the floor BenchmarkVerify is compared with: the
// jws.Verify call alone on the same kind of token, run in the same process.
func BenchmarkSignatureOnly(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) {
			s := newSigner(b, alg, "k1")
			tok := s.sign(b, map[string]any{"sub": "x", "exp": time.Now().Add(time.Hour).Unix()})
			set, _, err := parseJWKS([]byte(`{"keys":[` + jsonOf(b, s.pub) + `]}`))
			if err != nil {
				b.Fatal(err)
			}
			h, err := parseHeader(tok)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, ok := verifySignature(tok, h, set.keys); !ok {
					b.Fatal("signature did not verify")
				}
			}
		})
	}
}
