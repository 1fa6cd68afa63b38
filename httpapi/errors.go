package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/agentry/agentry/jwtauth"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/sigv4"
)

// Every failure is answered in one place: handlers return errors, errorOf
// maps each kind of error to an *httpError, and writeError writes it. Only
// the MCP endpoint's JSON-RPC errors keep their own shape (mcprpc.go).

// httpError is a failure as the caller sees it: the status, the AWS error
// name (X-Amzn-ErrorType and __type), a message safe to show and extra
// headers. What the caller is not told (the cause) is only logged.
type httpError struct {
	status  int
	name    string
	message string
	header  http.Header           // such as WWW-Authenticate and Retry-After
	reason  string                // ValidationException only
	fields  []registry.FieldError // ValidationException only
	// log, when set, is logged at level with cause.
	log   string
	level slog.Level
	cause error
}

func (e *httpError) Error() string { return e.name + ": " + e.message }

func (e *httpError) Unwrap() error { return e.cause }

// awsError is one row of the table from error kinds to AWS error shapes.
type awsError struct {
	status int
	name   string
}

var errorTable = map[registry.Kind]awsError{
	registry.KindInvalid:       {http.StatusBadRequest, "ValidationException"},
	registry.KindUnauthorized:  {http.StatusUnauthorized, nameUnauthorized},
	registry.KindQuotaExceeded: {http.StatusPaymentRequired, "ServiceQuotaExceededException"},
	registry.KindForbidden:     {http.StatusForbidden, nameAccessDenied},
	registry.KindNotFound:      {http.StatusNotFound, "ResourceNotFoundException"},
	registry.KindConflict:      {http.StatusConflict, "ConflictException"},
	registry.KindThrottled:     {http.StatusTooManyRequests, nameThrottling},
	registry.KindInternal:      {http.StatusInternalServerError, nameInternal},
}

// AWS error names that errors other than the domain's use too.
const (
	nameUnauthorized       = "UnauthorizedException"
	nameAccessDenied       = "AccessDeniedException"
	nameThrottling         = "ThrottlingException"
	nameServiceUnavailable = "ServiceUnavailableException"
	nameInternal           = "InternalServerException"
)

// idpRetryAfterSeconds is the Retry-After of an identity provider that
// could not be reached.
const idpRetryAfterSeconds = 5

// errorOf maps err to what the caller is told: an *httpError as it is, a
// full transfer budget (429 or 503), a SigV4 refusal (403 with its AWS
// name), a domain error by its kind, and anything else as an internal
// error that reveals nothing.
func errorOf(err error) *httpError {
	var he *httpError
	var busy *errBusy
	var se *sigv4.Error
	var re *registry.Error
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &busy):
		return busyError(busy)
	case errors.As(err, &se):
		return &httpError{status: http.StatusForbidden, name: se.Code, message: se.Message}
	case !errors.As(err, &re):
		re = registry.Internal(err)
	}
	row := errorTable[re.Kind]
	e := &httpError{status: row.status, name: row.name, message: re.Message}
	switch re.Kind {
	case registry.KindInternal:
		e.log, e.level, e.cause = "internal error", slog.LevelError, re.Err
	case registry.KindInvalid:
		e.reason, e.fields = re.Reason, re.Fields
		if e.reason == "" {
			e.reason = registry.ReasonFieldValidationFailed
		}
	}
	return e
}

// unknownKeyError refuses a well-formed SigV4 credential of a key no
// principal owns.
func unknownKeyError() error {
	return &httpError{status: http.StatusForbidden, name: sigv4.CodeUnrecognizedClient,
		message: "The security token included in the request is invalid."}
}

// busyError answers a charge the transfer budget refused: 429 when the
// client's share is full, 503 when the server's is.
func busyError(busy *errBusy) *httpError {
	e := &httpError{status: http.StatusServiceUnavailable, name: nameServiceUnavailable, message: busyMessage(busy),
		header: http.Header{"Retry-After": {strconv.Itoa(busyRetryAfterSeconds)}}}
	if busy.client {
		e.status, e.name = http.StatusTooManyRequests, nameThrottling
	}
	return e
}

func busyMessage(busy *errBusy) string {
	if busy.client {
		return "Too many request or answer bytes of this client are in transit; retry shortly."
	}
	return "The server has too many request or answer bytes in transit; retry shortly."
}

// bearerError refuses the bearer token of a CUSTOM_JWT registry (err nil:
// none was sent) with a WWW-Authenticate challenge that names the
// registry's protected resource metadata and scopes: 401 for no or a bad
// token, 403 for a token without an allowed scope, 503 with Retry-After
// when the identity provider could not be reached, 500 when the registry's
// configuration cannot work. An error that is not a *jwtauth.Error is an
// internal error.
func bearerError(registryID string, err error, metadataURL string, scopes []string) error {
	challenge := http.Header{"Www-Authenticate": {jwtauth.Challenge(metadataURL, scopes, err)}}
	if err == nil {
		return &httpError{status: http.StatusUnauthorized, name: nameUnauthorized, header: challenge,
			message: "This registry requires an OAuth bearer token: send Authorization: Bearer <token>."}
	}
	var je *jwtauth.Error
	if !errors.As(err, &je) {
		return err
	}
	e := &httpError{status: je.HTTPStatus(), message: je.Description, header: challenge}
	switch {
	case je.Unavailable:
		e.name = nameServiceUnavailable
		e.header.Set("Retry-After", strconv.Itoa(idpRetryAfterSeconds))
		e.log, e.level = "identity provider unavailable", slog.LevelWarn
	case je.Misconfigured:
		e.name = nameInternal
		e.log, e.level = "registry's identity provider configuration cannot work", slog.LevelError
	case e.status == http.StatusForbidden:
		e.name = nameAccessDenied
	default:
		e.name = nameUnauthorized
	}
	if e.log != "" {
		e.cause = fmt.Errorf("registry %s: %w", registryID, err)
	}
	return e
}

// malformedBearerError refuses a bearer token that is not a JWT at all,
// before the body that names the registry is read.
func malformedBearerError() error {
	return bearerError("", &jwtauth.Error{Code: jwtauth.CodeInvalidToken, Description: "token is malformed"}, "", nil)
}

// issuerError answers a failure to find the issuer of a CUSTOM_JWT
// registry for its protected resource metadata: 500 when the registry's
// configuration cannot work, else 503 with Retry-After.
func issuerError(registryID string, err error) error {
	cause := fmt.Errorf("registry %s: %w", registryID, err)
	var je *jwtauth.Error
	if errors.As(err, &je) && je.Misconfigured {
		return &httpError{status: http.StatusInternalServerError, name: nameInternal, message: je.Description,
			log: "registry's identity provider configuration cannot work", level: slog.LevelError, cause: cause}
	}
	return &httpError{status: http.StatusServiceUnavailable, name: nameServiceUnavailable,
		message: "The registry's identity provider could not be reached; try again shortly.",
		header:  http.Header{"Retry-After": {strconv.Itoa(idpRetryAfterSeconds)}},
		log:     "identity provider unavailable", level: slog.LevelWarn, cause: cause}
}

type fieldJSON struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

type errorJSON struct {
	Type      string      `json:"__type"`
	Message   string      `json:"message"`
	Reason    string      `json:"reason,omitempty"`
	FieldList []fieldJSON `json:"fieldList,omitempty"`
}

// writeError answers err: a JSON-RPC error of the MCP endpoint as JSON-RPC,
// anything else in the AWS restJson1 error shape (the status, the
// X-Amzn-ErrorType header and a JSON body). The cause of an internal error
// is logged, never sent.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var rpc *rpcProblem
	if errors.As(err, &rpc) {
		writeRPCError(w, rpc)
		return
	}
	e := errorOf(err)
	logCause(r.Context(), e)
	for k, v := range e.header {
		w.Header()[k] = v
	}
	w.Header().Set("X-Amzn-ErrorType", e.name)
	setErrorName(r, e.name)
	body := errorJSON{Type: e.name, Message: e.message, Reason: e.reason}
	for _, f := range e.fields {
		body.FieldList = append(body.FieldList, fieldJSON(f))
	}
	writeJSON(w, e.status, body)
}

// logCause logs what e does not tell the caller, with the request's id.
func logCause(ctx context.Context, e *httpError) {
	if e.log == "" {
		return
	}
	log := slog.Default()
	if info := requestInfoFrom(ctx); info != nil {
		log = info.logger()
	}
	log.Log(ctx, e.level, e.log, "err", e.cause)
}
