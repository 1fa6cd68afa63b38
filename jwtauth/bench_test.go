package jwtauth

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// BenchmarkVerify measures Verify with discovery document and keys cached,
// with a configuration that exercises every claim check: for a token whose
// signature was checked a moment ago (an MCP client reuses its token), and
// for a new one.
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
			b.Run("same-token", func(b *testing.B) {
				b.ReportAllocs()
				defer reportCPU(b)()
				for b.Loop() {
					if _, err := v.Verify(ctx, cfg, tok); err != nil {
						b.Fatal(err)
					}
				}
			})
			// A token seen for the first time: its signature is checked,
			// with the keys cached.
			b.Run("new-token", func(b *testing.B) {
				b.ReportAllocs()
				defer reportCPU(b)()
				for b.Loop() {
					v.verified.mu.Lock()
					v.verified.entries = nil
					v.verified.mu.Unlock()
					if _, err := v.Verify(ctx, cfg, tok); err != nil {
						b.Fatal(err)
					}
				}
			})
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
			defer reportCPU(b)()
			for b.Loop() {
				if _, ok := verifySignature(tok, h, set.keys); !ok {
					b.Fatal("signature did not verify")
				}
			}
		})
	}
}

// reportCPU reports the process's CPU time per op from now to the call of
// the function it returns: unlike ns/op it does not grow when other
// processes load the machine.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		b.ReportMetric(float64((processCPU()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// processCPU returns the user and system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
