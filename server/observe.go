package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/agentry/agentry/audit"
	"github.com/agentry/agentry/httpapi"
	"github.com/agentry/agentry/metrics"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
	"github.com/agentry/agentry/tracing"
)

// newMetrics returns the metrics of a server, with gauges that read the
// index and the change feed at each scrape.
func newMetrics(store registry.Store, index *search.Index, feed *search.Follower) *metrics.Metrics {
	m := metrics.New()
	stat := func(f func(search.Stats) int) func() float64 {
		return func() float64 { return float64(f(index.Stats())) }
	}
	m.Gauge("agentry_index_registries", "Registries with records in this replica's search index.",
		stat(func(s search.Stats) int { return s.Registries }))
	m.Gauge("agentry_index_records", "Records in this replica's search index.",
		stat(func(s search.Stats) int { return s.Records }))
	m.Gauge("agentry_index_vectors", "Indexed records with their semantic vector.",
		stat(func(s search.Stats) int { return s.Vectors }))
	m.Gauge("agentry_index_vectors_pending", "Indexed records waiting for their semantic vector.",
		stat(func(s search.Stats) int { return s.VectorsPending }))
	m.Gauge("agentry_index_approx_serving", "Registries whose semantic leg an approximate (HNSW) index serves.",
		stat(func(s search.Stats) int { return s.ApproxServing }))
	m.Gauge("agentry_index_approx_building", "Registries whose first approximate (HNSW) index is being built.",
		stat(func(s search.Stats) int { return s.ApproxBuilding }))
	m.Gauge("agentry_change_feed_applied_seq", "The last change-feed entry this replica's index has applied.",
		func() float64 { return float64(feed.Applied()) })
	m.Gauge("agentry_change_feed_lag_entries", "Change-feed entries committed but not yet applied by this replica's index.",
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			latest, err := store.LatestChange(ctx)
			if err != nil {
				return -1
			}
			return float64(max(0, latest-feed.Applied()))
		})
	return m
}

// observeMetrics counts a finished request.
func observeMetrics(m *metrics.Metrics, f httpapi.Finished) {
	m.Request(f.Operation, f.Status, f.ErrorName, f.Duration)
	if f.MCPMethod != "" {
		m.MCP(f.MCPMethod, f.MCPTool)
	}
	if f.Results >= 0 {
		m.Search(f.Duration, f.Results)
	}
	if f.Status == http.StatusUnauthorized || f.Status == http.StatusForbidden {
		switch f.Denial {
		case "":
			m.Refused(f.ErrorName)
		default:
			m.Refused("iam_" + f.Denial + "_deny")
		}
	}
}

// auditable reports whether the audit trail records f: every call that
// authentication or authorization refused, and every control-plane call
// that may change something, whatever its outcome.
func auditable(f httpapi.Finished) bool {
	if f.Status == http.StatusUnauthorized || f.Status == http.StatusForbidden {
		return true
	}
	switch f.Operation {
	case "", "SearchRegistryRecords", httpapi.OperationMCP:
		return false
	}
	return f.Method != http.MethodGet && f.Method != http.MethodHead
}

// auditEntry is f as an entry of the audit trail.
func auditEntry(f httpapi.Finished) registry.AuditEntry {
	e := registry.AuditEntry{At: f.Time.UTC(), RequestID: f.RequestID, Operation: f.Operation, Principal: f.Principal,
		AccessKeyID: f.AccessKeyID, SourceIP: f.SourceIP, Resource: f.Resource, Status: f.Status, Error: f.ErrorName,
		Denial: f.Denial, DeniedBy: f.DeniedBy, Changed: f.Changed}
	if e.Operation == "" {
		e.Operation = "unknown"
	}
	switch {
	case f.Status == http.StatusUnauthorized || f.Status == http.StatusForbidden:
		e.Outcome = "denied"
	case f.Status < 300:
		e.Outcome = "allowed"
	default:
		e.Outcome = "failed"
	}
	return e
}

// auditExport serves the trail to GET /audit-events.
type auditExport struct{ store audit.Store }

func (a auditExport) ExportAudit(ctx context.Context, q registry.AuditQuery, w io.Writer) (int, error) {
	return audit.Export(ctx, a.store, q, w)
}

// AuditQuery selects audit entries (registry.AuditQuery), for the agentry
// audit command.
type AuditQuery = registry.AuditQuery

// ExportAudit writes the audit trail q selects, as JSON lines, from the
// configured database: the agentry audit command.
func ExportAudit(ctx context.Context, cfg Config, q registry.AuditQuery, w io.Writer) (int, error) {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return 0, err
	}
	defer store.Close()
	return audit.Export(ctx, store, q, w)
}

// tracerProvider returns the configured tracer provider, nil when tracing
// is off, and the function that flushes it.
func tracerProvider(ctx context.Context, cfg Config) (trace.TracerProvider, func(context.Context) error, error) {
	none := func(context.Context) error { return nil }
	switch {
	case cfg.TracerProvider != nil:
		return cfg.TracerProvider, none, nil
	case cfg.OTLPEndpoint != "":
		tp, err := tracing.NewProvider(ctx, cfg.OTLPEndpoint, cfg.Version)
		if err != nil {
			return nil, none, err
		}
		return tp, tp.Shutdown, nil
	}
	return nil, none, nil
}

// registryIDOf is the registry id in a registry or record ARN, "" for
// none.
func registryIDOf(arn string) string {
	_, rest, ok := strings.Cut(arn, ":registry/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	if id == "*" {
		return ""
	}
	return id
}
