// Package jwtauth verifies the bearer tokens that consumers of a CUSTOM_JWT
// registry present to its search API and MCP endpoint, and provides the
// pieces an HTTP middleware needs around that: bearer extraction, the
// WWW-Authenticate challenge and RFC 9728 protected resource metadata.
//
// # API
//
//	v := jwtauth.New(jwtauth.Options{AllowPrivate: allowPrivateURLs})
//	defer v.Close()
//
//	tok, ok := jwtauth.BearerToken(r.Header.Get("Authorization"))
//	claims, err := v.Verify(ctx, *reg.Authorizer.CustomJWT, tok)
//	var e *jwtauth.Error
//	if errors.As(err, &e) { status := e.HTTPStatus() ... }
//
//	iss, err := v.Issuer(ctx, cfg.DiscoveryURL)
//	meta := jwtauth.ResourceMetadata(mcpURL, iss, jwtauth.AdvertisedScopes(cfg))
//	w.Header().Set("WWW-Authenticate", jwtauth.Challenge(metaURL, jwtauth.AdvertisedScopes(cfg), err))
//
// # Verification
//
// Verify takes the registry's current registry.CustomJWTAuthorizer on every
// call; discovery documents and key sets are cached by URL, so a changed
// configuration applies to the next request. A token is accepted when:
//
//   - it is at most MaxTokenBytes, in JWS compact form, without crit or b64
//     header parameters;
//   - its alg is one of RS256/384/512, PS256/384/512, ES256/384/512 (each on
//     its own curve) or EdDSA (Ed25519); never none nor HS*;
//   - it verifies with a key of the JWKS named by the discovery document at
//     discoveryUrl, chosen by kid, whose type fits the alg and whose own
//     alg, if any, is the token's. The document is OpenID Connect discovery
//     (a URL ending in DiscoverySuffix) or RFC 8414 authorization server
//     metadata (a path beginning with
//     registry.AuthorizationServerMetadataPrefix); Verify uses its issuer
//     and jwks_uri, which both kinds have;
//   - iss equals the discovered issuer exactly; exp is present and not
//     past; nbf and iat, when present, are not in the future (all with
//     Options.Skew of tolerance);
//   - allowedAudience: one aud (string or array) is listed;
//   - allowedClients: client_id is listed; tokens without client_id are
//     judged by azp, where ID tokens and some IdPs name the client;
//   - customClaims: each claim has the configured JSON type (STRING or
//     STRING_ARRAY) and matches by EQUALS, CONTAINS or CONTAINS_ANY;
//   - allowedScopes: one scope of scope or scp (space-separated string, or
//     array) is listed. This is checked last: a token that passes all else
//     but this fails with CodeInsufficientScope (answer 403), every other
//     failure with CodeInvalidToken (answer 401).
//
// # Keys and fetching
//
// A JWKS is fetched on first use, refreshed in the background every
// Options.JWKSRefresh (an IdP's Cache-Control max-age may shorten that to
// one minute), and fetched again when a token names an unknown kid, at most
// once per Options.MinRefreshInterval per JWKS. Discovery documents are
// kept Options.DiscoveryTTL. Concurrent requests share one fetch. When the
// IdP cannot be reached the last good document and keys stay in use for up
// to a day. Fetch failures are remembered for a few seconds so that an
// unreachable IdP is not hit once per request.
//
// When the discovery document or keys cannot be obtained for now, Verify
// fails with an *Error whose Unavailable field is set (errors.Is(err,
// ErrUnavailable)); so does a token with an unknown kid while the last JWKS
// fetch failed, as its key may exist. The recommended answer is 503 with a
// Retry-After and the error logged: a 401 would make an MCP client throw
// away a token that may be good and start authorization again. When they
// cannot be obtained as configured (a URL the policy refuses, a document
// that is not a discovery document or JWKS, a 4xx answer), the *Error has
// Misconfigured set instead, and a Description that says what to change:
// answer 500, without Retry-After. Either error's Code is still
// CodeInvalidToken, so a caller that ignores the fields fails closed.
//
// All fetches go through safehttp.NewClient unless Options.HTTPClient is
// set: time limits, a size cap, at most three redirects, https only and no
// loopback, private, link-local, CGNAT, multicast or unspecified
// destinations (checked on the resolved address at dial time) unless
// Options.AllowPrivate. Whoever stores a discovery URL checks it first
// with safehttp.CheckConfiguredURL, so that a URL that could never be
// fetched is refused then.
//
// No token, claim value or key appears in an error's Description or in a
// log line; Error() adds only fetch errors and claim names, for logs.
package jwtauth
