package jwtauth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

const (
	// MaxTokenBytes caps the size of a token before anything parses it.
	MaxTokenBytes = 16 << 10
	// maxKeys caps how many keys of a JWKS are kept; real sets hold a few.
	maxKeys = 64
	// minRSABits refuses weak RSA keys a JWKS might still publish.
	minRSABits = 2048
)

type keyKind int

const (
	kindRSA keyKind = iota + 1
	kindEC
	kindEd25519
)

// algSpec says which key fits an allowed algorithm.
type algSpec struct {
	alg   jwa.SignatureAlgorithm
	kind  keyKind
	curve string // for ECDSA: the one curve RFC 7518 pairs with the algorithm
}

// allowedAlgs is the algorithm allow-list. Everything else, notably "none"
// and the HMAC family (whose key would be the public key, a classic
// confusion attack), is refused before any key is looked at.
var allowedAlgs = map[string]algSpec{
	"RS256": {jwa.RS256(), kindRSA, ""},
	"RS384": {jwa.RS384(), kindRSA, ""},
	"RS512": {jwa.RS512(), kindRSA, ""},
	"PS256": {jwa.PS256(), kindRSA, ""},
	"PS384": {jwa.PS384(), kindRSA, ""},
	"PS512": {jwa.PS512(), kindRSA, ""},
	"ES256": {jwa.ES256(), kindEC, "P-256"},
	"ES384": {jwa.ES384(), kindEC, "P-384"},
	"ES512": {jwa.ES512(), kindEC, "P-521"},
	"EdDSA": {jwa.EdDSA(), kindEd25519, ""},
}

// header is what Verify reads from a token's protected header before the
// signature is checked: only enough to pick a key.
type header struct {
	alg  string
	spec algSpec
	kid  string
}

// parseHeader checks the compact form and the protected header. Keys named
// by the header itself (jwk, jku, x5u, x5c) are ignored: keys come only from
// the issuer's JWKS.
func parseHeader(token string) (header, error) {
	if strings.Count(token, ".") != 2 {
		return header{}, invalid("token is malformed")
	}
	enc, _, _ := strings.Cut(token, ".")
	b, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil {
		return header{}, invalid("token is malformed")
	}
	// A map with exact keys: encoding/json matches struct fields case-
	// insensitively, which would read "ALG" as "alg".
	var h map[string]json.RawMessage
	if err := json.Unmarshal(b, &h); err != nil || h == nil {
		return header{}, invalid("token is malformed")
	}
	var hd header
	if err := json.Unmarshal(h["alg"], &hd.alg); err != nil {
		return header{}, invalid("token is malformed")
	}
	spec, ok := allowedAlgs[hd.alg]
	if !ok {
		return header{}, invalid("token signing algorithm is not allowed")
	}
	hd.spec = spec
	if raw, ok := h["kid"]; ok {
		if err := json.Unmarshal(raw, &hd.kid); err != nil {
			return header{}, invalid("token is malformed")
		}
	}
	// We understand no critical extension, so RFC 7515 says reject; b64=false
	// would change what the signature covers.
	if _, ok := h["crit"]; ok {
		return header{}, invalid("token uses unsupported header parameters")
	}
	if _, ok := h["b64"]; ok {
		return header{}, invalid("token uses unsupported header parameters")
	}
	return hd, nil
}

// publicKey is one usable verification key of a JWKS.
type publicKey struct {
	kid   string
	alg   string // "" when the JWK names no algorithm
	kind  keyKind
	curve string
	pub   any // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// fits reports whether k may verify a token with header h: the key type and
// curve fit the algorithm, and the JWK's own alg, when present, is the
// token's.
func (k *publicKey) fits(h header) bool {
	return k.kind == h.spec.kind && k.curve == h.spec.curve && (k.alg == "" || k.alg == h.alg)
}

// keySet is a parsed JWKS.
type keySet struct {
	keys []*publicKey
}

// candidates returns the keys that may verify a token with header h, and
// whether the token's kid was found at all (false means the set may be
// stale).
func (s *keySet) candidates(h header) (fit []*publicKey, kidKnown bool) {
	for _, k := range s.keys {
		if h.kid != "" && k.kid != h.kid {
			continue
		}
		kidKnown = true
		if k.fits(h) {
			fit = append(fit, k)
		}
	}
	return fit, kidKnown || h.kid == ""
}

// parseJWKS keeps the usable signature keys of a JWKS document and skips the
// rest (encryption keys, symmetric keys, weak or unknown key types), so that
// one odd key does not take down verification with the others. It returns
// how many keys it skipped, for the log.
func parseJWKS(body []byte) (*keySet, int, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, 0, fmt.Errorf("JWKS is not valid JSON: %w", err)
	}
	if doc.Keys == nil {
		return nil, 0, errors.New(`JWKS has no "keys" array`)
	}
	set := &keySet{}
	skipped := 0
	for _, raw := range doc.Keys {
		k, ok := parseJWK(raw)
		if !ok || len(set.keys) == maxKeys {
			skipped++
			continue
		}
		set.keys = append(set.keys, k)
	}
	return set, skipped, nil
}

func parseJWK(raw json.RawMessage) (*publicKey, bool) {
	key, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, false
	}
	if use, ok := key.KeyUsage(); ok && use != string(jwk.ForSignature) {
		return nil, false
	}
	pk := &publicKey{}
	pk.kid, _ = key.KeyID()
	if a, ok := key.Algorithm(); ok {
		pk.alg = a.String()
	}
	// The Go type of the exported key is the truth about the key; a private
	// JWK published by mistake is reduced to its public half.
	pub, err := jwk.PublicRawKeyOf(key)
	if err != nil {
		return nil, false
	}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if p.N.BitLen() < minRSABits {
			return nil, false
		}
		pk.kind = kindRSA
	case *ecdsa.PublicKey:
		pk.kind, pk.curve = kindEC, p.Curve.Params().Name
	case ed25519.PublicKey:
		pk.kind = kindEd25519
	default:
		return nil, false
	}
	pk.pub = pub
	return pk, true
}

// verifySignature checks token with each candidate key and returns the
// payload of the first that verifies.
func verifySignature(token string, h header, keys []*publicKey) ([]byte, bool) {
	for _, k := range keys {
		payload, err := jws.Verify([]byte(token), jws.WithKey(h.spec.alg, k.pub),
			jws.WithAlgorithmMatch(true), jws.WithCompact())
		if err == nil {
			return payload, true
		}
	}
	return nil, false
}
