package jwtauth

import (
	"errors"
	"net/http"
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
	// obtained (unreachable, timed out, refused address, invalid response,
	// invalid discovery URL). Code is then CodeInvalidToken so that a caller
	// that ignores this field still fails closed, but the recommended answer
	// is 503 with Retry-After and the cause logged: a 401 would make an MCP
	// client discard a token that may be good and start a new authorization.
	Unavailable bool

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
// 403 for CodeInsufficientScope, 401 otherwise.
func (e *Error) HTTPStatus() int {
	switch {
	case e.Unavailable:
		return http.StatusServiceUnavailable
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
