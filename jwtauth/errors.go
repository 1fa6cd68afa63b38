package jwtauth

import (
	"errors"
	"net/http"

	"github.com/agentry/agentry/safehttp"
)

// Error codes, as RFC 6750 names them for the WWW-Authenticate header.
const (
	CodeInvalidToken      = "invalid_token"
	CodeInsufficientScope = "insufficient_scope"
)

// ErrUnavailable matches (with errors.Is) an *Error whose Unavailable field
// is set.
var ErrUnavailable = errors.New("jwtauth: identity provider unavailable")

// Error is why Verify refused a token.
//
// Code and Description are safe to send to the caller: they never contain
// the token, claim values, key material or configuration details. Error()
// adds the cause (a fetch error, a claim name) for logs; it is safe to log
// but not meant for the caller.
type Error struct {
	// Code is CodeInvalidToken (answer 401) or CodeInsufficientScope
	// (answer 403: the token is valid but carries none of the allowed
	// scopes).
	Code string
	// Description is a short human-readable reason.
	Description string
	// Unavailable is set when the token could not be judged at all because
	// the identity provider's discovery document or keys could not be
	// obtained for now (unreachable, timed out, a 5xx, 408 or 429 answer).
	// Code is then CodeInvalidToken so that a caller that ignores this
	// field still fails closed, but the recommended answer is 503 with
	// Retry-After and the cause logged: a 401 would make an MCP client
	// discard a token that may be good and start a new authorization.
	Unavailable bool
	// Misconfigured is set when the token could not be judged because the
	// registry's CUSTOM_JWT configuration cannot work as it stands: the URL
	// policy refuses its discoveryUrl or the jwks_uri it leads to (for
	// instance after AllowPrivate was turned off), or what the identity
	// provider serves there is not a discovery document or a JWKS (not
	// JSON, missing members, a 4xx answer, too large). Retrying does not
	// help: Description says which setting to change. Code is
	// CodeInvalidToken so that a caller that ignores this field fails
	// closed; the recommended answer is 500, without Retry-After.
	Misconfigured bool

	cause error
}

func (e *Error) Error() string {
	s := "jwtauth: " + e.Code + ": " + e.Description
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.cause }

// Is makes errors.Is(err, ErrUnavailable) report Unavailable.
func (e *Error) Is(target error) bool { return target == ErrUnavailable && e.Unavailable }

// HTTPStatus is the recommended response status: 503 when Unavailable,
// 500 when Misconfigured, 403 for CodeInsufficientScope, 401 otherwise.
func (e *Error) HTTPStatus() int {
	switch {
	case e.Unavailable:
		return http.StatusServiceUnavailable
	case e.Misconfigured:
		return http.StatusInternalServerError
	case e.Code == CodeInsufficientScope:
		return http.StatusForbidden
	default:
		return http.StatusUnauthorized
	}
}

func invalid(desc string) *Error {
	return &Error{Code: CodeInvalidToken, Description: desc}
}

func invalidCause(desc string, cause error) *Error {
	return &Error{Code: CodeInvalidToken, Description: desc, cause: cause}
}

func unavailable(desc string, cause error) *Error {
	return &Error{Code: CodeInvalidToken, Description: desc, Unavailable: true, cause: cause}
}

func misconfigured(desc string, cause error) *Error {
	return &Error{Code: CodeInvalidToken, Description: desc, Misconfigured: true, cause: cause}
}

// errUnusable marks a fetched document that is not what its URL should
// serve: only a change of configuration (here or at the identity
// provider) mends it.
var errUnusable = errors.New("jwtauth: not a usable document")

// Descriptions of a configuration that cannot work, for the caller: they
// say what an administrator must change, and name no URL.
const (
	descRefusedURL = "The registry's identity provider is at an address this server does not fetch from: it fetches https URLs " +
		"of public addresses only, unless it runs with --allow-private-urls. An administrator must change the registry's " +
		"authorizerConfiguration.customJWTAuthorizer.discoveryUrl (UpdateRegistry), or run the server with --allow-private-urls."
	descBadDiscovery = "The registry's discoveryUrl does not serve an OpenID Connect discovery document or RFC 8414 " +
		"authorization server metadata (JSON with issuer and jwks_uri). An administrator must correct the registry's authorizerConfiguration.customJWTAuthorizer.discoveryUrl (UpdateRegistry)."
	descBadJWKS = "The registry's identity provider does not serve a JSON Web Key Set at the jwks_uri of its discovery document. " +
		"Its administrator must fix it, or an administrator of the registry must point " +
		"authorizerConfiguration.customJWTAuthorizer.discoveryUrl at another provider (UpdateRegistry)."
)

// fetchFailed classifies a failed fetch of a discovery document or JWKS: a
// URL the policy refuses or a document that is not what it should be
// needs a change of configuration (unusable describes which); anything
// else (the provider down, slow or overloaded) may pass, and gets the
// transient description.
func fetchFailed(err error, transient, unusable string) *Error {
	switch {
	case errors.Is(err, safehttp.ErrInsecureURL), errors.Is(err, safehttp.ErrBlockedAddress):
		return misconfigured(descRefusedURL, err)
	case errors.Is(err, errUnusable), errors.Is(err, safehttp.ErrResponseTooLarge):
		return misconfigured(unusable, err)
	}
	return unavailable(transient, err)
}
