package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/agentry/agentry/registry"
)

// awsError is one row of the table from error kinds to AWS error shapes.
type awsError struct {
	status int
	name   string
}

var errorTable = map[registry.Kind]awsError{
	registry.KindInvalid:       {http.StatusBadRequest, "ValidationException"},
	registry.KindUnauthorized:  {http.StatusUnauthorized, "UnauthorizedException"},
	registry.KindQuotaExceeded: {http.StatusPaymentRequired, "ServiceQuotaExceededException"},
	registry.KindForbidden:     {http.StatusForbidden, "AccessDeniedException"},
	registry.KindNotFound:      {http.StatusNotFound, "ResourceNotFoundException"},
	registry.KindConflict:      {http.StatusConflict, "ConflictException"},
	registry.KindThrottled:     {http.StatusTooManyRequests, "ThrottlingException"},
	registry.KindInternal:      {http.StatusInternalServerError, "InternalServerException"},
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

// writeError answers err in the AWS restJson1 error shape: the status, the
// X-Amzn-ErrorType header and a JSON body. Internal errors are logged with
// their cause and answered with a message that reveals nothing.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var busy *errBusy
	if errors.As(err, &busy) {
		writeBusy(w, r, busy)
		return
	}
	var e *registry.Error
	if !errors.As(err, &e) {
		e = registry.Internal(err)
	}
	if e.Kind == registry.KindInternal {
		logger(r).Error("internal error", "err", e.Err)
	}
	row := errorTable[e.Kind]
	body := errorJSON{Type: row.name, Message: e.Message}
	if e.Kind == registry.KindInvalid {
		body.Reason = e.Reason
		if body.Reason == "" {
			body.Reason = registry.ReasonFieldValidationFailed
		}
		for _, f := range e.Fields {
			body.FieldList = append(body.FieldList, fieldJSON(f))
		}
	}
	writeErrorShape(w, r, row.status, row.name, body)
}

// writeErrorShape writes an error whose name is not one of the domain kinds,
// such as the SigV4 failures.
func writeErrorShape(w http.ResponseWriter, r *http.Request, status int, name string, body errorJSON) {
	body.Type = name
	w.Header().Set("X-Amzn-ErrorType", name)
	setErrorName(r, name)
	writeJSON(w, status, body)
}

func logger(r *http.Request) *slog.Logger {
	if info := requestInfoFrom(r.Context()); info != nil {
		return info.log
	}
	return slog.Default()
}
