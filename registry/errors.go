package registry

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller can do about it. Each adapter
// maps kinds to its own wire shape in exactly one place.
type Kind int

const (
	KindInternal      Kind = iota // a bug or an infrastructure failure; details are logged, never shown
	KindInvalid                   // the request is malformed or breaks a rule
	KindNotFound                  // the named resource does not exist
	KindConflict                  // the request conflicts with the resource's current state
	KindUnauthorized              // the caller is not authenticated
	KindForbidden                 // the caller is authenticated but not allowed
	KindQuotaExceeded             // a limit on stored resources was reached
	KindThrottled                 // too many requests
)

func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindNotFound:
		return "not found"
	case KindConflict:
		return "conflict"
	case KindUnauthorized:
		return "unauthorized"
	case KindForbidden:
		return "forbidden"
	case KindQuotaExceeded:
		return "quota exceeded"
	case KindThrottled:
		return "throttled"
	default:
		return "internal"
	}
}

// Reasons carried by KindInvalid errors; they are the AWS
// ValidationExceptionReason values.
const (
	ReasonFieldValidationFailed = "FieldValidationFailed"
	ReasonCannotParse           = "CannotParse"
	ReasonIdempotencyMismatch   = "IdempotentParameterMismatchException"
)

// FieldError names one invalid input field and says what is wrong with it.
type FieldError struct {
	Name    string
	Message string
}

// Error is the one error type of the domain. Message is safe to show to the
// caller; Err is the cause, for logs only.
type Error struct {
	Kind    Kind
	Message string
	Reason  string       // KindInvalid only
	Fields  []FieldError // KindInvalid only
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted public message.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure. The public message says nothing
// about the cause.
func Internal(err error) *Error {
	return &Error{Kind: KindInternal, Message: "The server could not complete the request; it has been logged.", Err: err}
}

// invalid returns a validation error for one field.
func invalid(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{
		Kind:    KindInvalid,
		Reason:  ReasonFieldValidationFailed,
		Message: field + ": " + msg,
		Fields:  []FieldError{{Name: field, Message: msg}},
	}
}

// ErrorKind returns the kind of err, KindInternal for errors that are not
// *Error.
func ErrorKind(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// fieldErrors collects field problems so a request is answered with all of
// them at once rather than one per round trip.
type fieldErrors []FieldError

func (fe *fieldErrors) add(field, format string, args ...any) {
	*fe = append(*fe, FieldError{Name: field, Message: fmt.Sprintf(format, args...)})
}

// err returns nil when nothing was collected.
func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	msg := "Invalid request: " + fe[0].Name + ": " + fe[0].Message
	for _, f := range fe[1:] {
		msg += "; " + f.Name + ": " + f.Message
	}
	return &Error{Kind: KindInvalid, Reason: ReasonFieldValidationFailed, Message: msg, Fields: fe}
}
