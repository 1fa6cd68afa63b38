package httpapi

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/agentry/agentry/registry"
)

// ActionListAuditEvents is the IAM action that allows reading the audit
// trail (GET /audit-events).
const ActionListAuditEvents = "agentry:ListAuditEvents"

// AuditReader exports the audit trail as JSON lines (package audit).
type AuditReader interface {
	ExportAudit(ctx context.Context, q registry.AuditQuery, w io.Writer) (int, error)
}

// maxAuditPage is the most entries one GET /audit-events answers.
const maxAuditPage = 1000

// auditEvents answers GET /audit-events with JSON lines, oldest first.
// Query parameters: from and to (RFC 3339; from <= time < to), principal,
// resource (an ARN, or a prefix ending in *), operation, after (the seq of
// the last line of the previous page) and limit (1 to 1000, default 100).
func (a *api) auditEvents(w http.ResponseWriter, r *http.Request) error {
	q := registry.AuditQuery{Limit: 100}
	v := r.URL.Query()
	var fields []registry.FieldError
	bad := func(name, msg string) { fields = append(fields, registry.FieldError{Name: name, Message: msg}) }
	for name, t := range map[string]*time.Time{"from": &q.From, "to": &q.To} {
		if s := v.Get(name); s != "" {
			parsed, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				bad(name, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
			}
			*t = parsed
		}
	}
	q.Principal, q.Resource, q.Operation = v.Get("principal"), v.Get("resource"), v.Get("operation")
	if s := v.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			bad("after", "must be the seq of an entry, a non-negative integer")
		}
		q.AfterSeq = n
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxAuditPage {
			bad("limit", "must be between 1 and 1000")
		}
		q.Limit = n
	}
	if len(fields) > 0 {
		return &registry.Error{Kind: registry.KindInvalid, Reason: registry.ReasonFieldValidationFailed,
			Message: "Invalid request: " + fields[0].Name + ": " + fields[0].Message, Fields: fields}
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	_, err := a.audit.ExportAudit(r.Context(), q, w)
	return err
}
