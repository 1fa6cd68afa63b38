package jwtauth

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

var b64 = base64.RawURLEncoding

// rawRS256 signs an arbitrary protected header with an RSA signer, for
// headers jwx would refuse to produce.
func rawRS256(t *testing.T, s *signer, hdr string, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	must(t, err)
	input := b64.EncodeToString([]byte(hdr)) + "." + b64.EncodeToString(payload)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(nil, s.priv.(*rsa.PrivateKey), crypto.SHA256, sum[:])
	must(t, err)
	return input + "." + b64.EncodeToString(sig)
}

func TestVerifyRefusesAttacks(t *testing.T) {
	ti := newIssuer(t)
	rs := newSigner(t, "RS256", "rsa-1")
	es := newSigner(t, "ES256", "ec-1")
	rs512 := newSigner(t, "RS256", "rsa-512-only")
	must(t, rs512.pub.Set(jwk.AlgorithmKey, jwa.RS512()))
	p384 := newSigner(t, "ES384", "ec-384")
	must(t, p384.pub.Remove(jwk.AlgorithmKey))
	ti.publish(rs, es, rs512, p384)
	clock := newClock()
	v := newVerifier(t, Options{AllowPrivate: true, Now: clock.Now})
	claims := ti.claims(clock.Now(), nil)
	payload, err := json.Marshal(claims)
	must(t, err)
	enc := func(s string) string { return b64.EncodeToString([]byte(s)) }

	good := rs.sign(t, claims)
	if _, err := v.Verify(context.Background(), ti.cfg(), good); err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
	parts := strings.Split(good, ".")

	// HS256 keyed with the RSA public key as PEM: the classic confusion of
	// a verifier that takes the algorithm from the token.
	der, err := x509.MarshalPKIXPublicKey(rs.priv.Public())
	must(t, err)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	hdr := jws.NewHeaders()
	must(t, hdr.Set(jws.KeyIDKey, "rsa-1"))
	hs256, err := jws.Sign(payload, jws.WithKey(jwa.HS256(), pubPEM, jws.WithProtectedHeaders(hdr)))
	must(t, err)

	// A token signed by an attacker's key that it also embeds in the header.
	evil := newSigner(t, "RS256", "rsa-1")
	evilJWK, err := jwk.PublicKeyOf(evil.pub)
	must(t, err)
	embedded := evil.sign(t, claims, map[string]any{jws.JWKKey: evilJWK})
	evil.kid = "evil"
	embeddedUnknown := evil.sign(t, claims, map[string]any{jws.JWKKey: evilJWK})

	// An ES256 token whose kid names a P-384 key.
	es256OnP384 := es.sign(t, claims, map[string]any{jws.KeyIDKey: "ec-384"})

	tamperedClaims := ti.claims(clock.Now(), map[string]any{"sub": "admin"})
	tp, err := json.Marshal(tamperedClaims)
	must(t, err)

	tests := []struct {
		name, token, desc string
	}{
		{"alg none", enc(`{"alg":"none","kid":"rsa-1"}`) + "." + parts[1] + ".", "algorithm is not allowed"},
		{"alg none with signature", enc(`{"alg":"none","kid":"rsa-1"}`) + "." + parts[1] + "." + parts[2], "algorithm is not allowed"},
		{"alg None", enc(`{"alg":"None","kid":"rsa-1"}`) + "." + parts[1] + ".", "algorithm is not allowed"},
		{"no alg", enc(`{"kid":"rsa-1"}`) + "." + parts[1] + "." + parts[2], "malformed"},
		{"HS256 with public key", string(hs256), "algorithm is not allowed"},
		{"upper-case ALG ignored", rawRS256(t, rs, `{"ALG":"RS256","kid":"rsa-1"}`, claims), "malformed"},
		{"RS256 header on EC key", rawRS256(t, rs, `{"alg":"RS256","kid":"ec-1"}`, claims), "does not fit"},
		{"JWK alg differs from token alg", rs512.sign(t, claims), "does not fit"},
		{"ES256 on a P-384 key", es256OnP384, "does not fit"},
		{"tampered payload", parts[0] + "." + b64.EncodeToString(tp) + "." + parts[2], "signature is invalid"},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(rs.sign(t, tamperedClaims), ".")[2], "signature is invalid"},
		{"embedded jwk, known kid", embedded, "signature is invalid"},
		{"embedded jwk, unknown kid", embeddedUnknown, "unknown"},
		{"crit header", rawRS256(t, rs, `{"alg":"RS256","kid":"rsa-1","crit":["exp"],"exp":1}`, claims), "unsupported header"},
		{"b64 header", rawRS256(t, rs, `{"alg":"RS256","kid":"rsa-1","b64":true}`, claims), "unsupported header"},
		{"two parts", parts[0] + "." + parts[1], "malformed"},
		{"four parts", good + ".x", "malformed"},
		{"JWE-like five parts", "a.b.c.d.e", "malformed"},
		{"header not base64url", "!!!." + parts[1] + "." + parts[2], "malformed"},
		{"padded header", parts[0] + "==." + parts[1] + "." + parts[2], "malformed"},
		{"header not JSON", enc("RS256") + "." + parts[1] + "." + parts[2], "malformed"},
		{"header JSON array", enc(`["RS256"]`) + "." + parts[1] + "." + parts[2], "malformed"},
		{"payload not JSON", rawRS256Payload(t, rs, "not json"), "malformed"},
		{"JSON serialization", `{"payload":"` + parts[1] + `","signatures":[]}`, "malformed"},
		{"empty", "", "no token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), ti.cfg(), tc.token)
			e := wantCode(t, err, CodeInvalidToken)
			if !strings.Contains(e.Description, tc.desc) {
				t.Fatalf("description %q, want it to mention %q", e.Description, tc.desc)
			}
			if tc.token != "" && strings.Contains(e.Error(), tc.token) {
				t.Fatal("error contains the token")
			}
		})
	}
}

func rawRS256Payload(t *testing.T, s *signer, payload string) string {
	t.Helper()
	input := b64.EncodeToString([]byte(`{"alg":"RS256","kid":"`+s.kid+`"}`)) + "." + b64.EncodeToString([]byte(payload))
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(nil, s.priv.(*rsa.PrivateKey), crypto.SHA256, sum[:])
	must(t, err)
	return input + "." + b64.EncodeToString(sig)
}

// The size cap applies before anything is parsed or fetched.
func TestVerifyTokenSizeCap(t *testing.T) {
	ti := newIssuer(t)
	s := newSigner(t, "RS256", "k1")
	ti.publish(s)
	v := newVerifier(t, Options{AllowPrivate: true})
	big := s.sign(t, ti.claims(time.Now(), map[string]any{"pad": strings.Repeat("x", MaxTokenBytes)}))
	_, err := v.Verify(context.Background(), ti.cfg(), big)
	e := wantCode(t, err, CodeInvalidToken)
	if !strings.Contains(e.Description, "too large") {
		t.Fatalf("description %q", e.Description)
	}
	if n := ti.discoveryHits.Load() + ti.jwksHits.Load(); n != 0 {
		t.Fatalf("oversized token caused %d fetches", n)
	}
	ok := s.sign(t, ti.claims(time.Now(), map[string]any{"pad": strings.Repeat("x", MaxTokenBytes/2)}))
	if _, err := v.Verify(context.Background(), ti.cfg(), ok); err != nil {
		t.Fatalf("token under the cap: %v", err)
	}
}

// Tokens without kid are tried against every key that fits their alg.
func TestVerifyWithoutKid(t *testing.T) {
	ti := newIssuer(t)
	a := newSigner(t, "ES256", "")
	b := newSigner(t, "ES256", "")
	r := newSigner(t, "RS256", "")
	ti.publish(a, b, r)
	v := newVerifier(t, Options{AllowPrivate: true})
	for _, s := range []*signer{a, b, r} {
		if _, err := v.Verify(context.Background(), ti.cfg(), s.sign(t, ti.claims(time.Now(), nil))); err != nil {
			t.Fatalf("%s: %v", s.alg, err)
		}
	}
	stranger := newSigner(t, "ES256", "")
	_, err := v.Verify(context.Background(), ti.cfg(), stranger.sign(t, ti.claims(time.Now(), nil)))
	wantCode(t, err, CodeInvalidToken)
	if n := ti.jwksHits.Load(); n != 1 {
		t.Fatalf("kid-less tokens caused %d JWKS fetches, want 1", n)
	}
}

// Unusable entries of a JWKS are skipped, not fatal to the others.
func TestParseJWKSSkipsUnusableKeys(t *testing.T) {
	good := newSigner(t, "ES256", "good")
	enc := newSigner(t, "RS256", "enc")
	must(t, enc.pub.Set(jwk.KeyUsageKey, "enc"))
	hmac, err := jwk.Import([]byte("0123456789abcdef0123456789abcdef"))
	must(t, err)
	must(t, hmac.Set(jwk.KeyIDKey, "hmac"))
	private, err := jwk.Import(newSigner(t, "EdDSA", "").priv)
	must(t, err)
	must(t, private.Set(jwk.KeyIDKey, "private"))
	keys, err := json.Marshal([]any{good.pub, enc.pub, hmac, private})
	must(t, err)
	body := `{"keys":[` + strings.Trim(string(keys), "[]") +
		`,{"kty":"RSA","kid":"weak","n":"AQAB","e":"AQAB"},{"kty":"XYZ","kid":"odd"},"junk"]}`
	set, skipped, err := parseJWKS([]byte(body))
	must(t, err)
	var kids []string
	for _, k := range set.keys {
		kids = append(kids, k.kid)
	}
	if strings.Join(kids, ",") != "good,private" || skipped != 5 {
		t.Fatalf("kept %v, skipped %d", kids, skipped)
	}
	if _, ok := set.keys[1].pub.(ed25519.PublicKey); !ok {
		t.Fatalf("published private key kept as %T, want its public half", set.keys[1].pub)
	}
	for _, bad := range []string{`[]`, `{}`, `{"keys":{}}`, `nope`} {
		if _, _, err := parseJWKS([]byte(bad)); err == nil {
			t.Errorf("parseJWKS(%s) succeeded", bad)
		}
	}
}
