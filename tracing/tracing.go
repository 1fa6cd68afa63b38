// Package tracing gives agentry OpenTelemetry traces when an OTLP endpoint
// is configured: a span per HTTP request, and child spans for the store's
// transactions, searches and outgoing HTTP calls (JWKS and discovery
// fetches, webhook deliveries). Without an endpoint nothing here runs.
package tracing

import (
	"context"
	"fmt"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
)

// Name is the instrumentation scope of agentry's spans.
const Name = "github.com/agentry/agentry"

// NewProvider returns a tracer provider that exports to the OTLP/HTTP
// endpoint (such as http://collector:4318), and its shutdown, which
// flushes the spans still buffered.
func NewProvider(ctx context.Context, endpoint, version string) (*sdktrace.TracerProvider, error) {
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, fmt.Errorf("OTLP exporter: %w", err)
	}
	res := resource.NewSchemaless(semconv.ServiceName("agentry"), semconv.ServiceVersion(version))
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// Middleware starts a span for each request, named after its method until
// Finish names it after its operation.
func Middleware(tp trace.TracerProvider, next http.Handler) http.Handler {
	tr := tp.Tracer(Name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, span := tr.Start(r.Context(), "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPRequestMethodKey.String(r.Method)))
		defer span.End()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Finish names the request's span after its operation and records its
// outcome.
func Finish(ctx context.Context, operation, registryID string, status int, errorName string) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if operation != "" {
		span.SetName(operation)
	}
	span.SetAttributes(attribute.String("agentry.operation", operation),
		semconv.HTTPResponseStatusCode(status))
	if registryID != "" {
		span.SetAttributes(attribute.String("agentry.registry_id", registryID))
	}
	if errorName != "" {
		span.SetAttributes(attribute.String("agentry.error", errorName))
	}
	if status >= 500 {
		span.SetStatus(codes.Error, errorName)
	}
}

// Store wraps a registry.Store so that each transaction is a span.
func Store(tp trace.TracerProvider, s registry.Store) registry.Store {
	return &store{Store: s, tr: tp.Tracer(Name)}
}

type store struct {
	registry.Store
	tr trace.Tracer
}

func (s *store) Update(ctx context.Context, fn func(registry.Tx) error) error {
	ctx, span := s.tr.Start(ctx, "store.Update", trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	return ended(span, s.Store.Update(ctx, fn))
}

func (s *store) View(ctx context.Context, fn func(registry.Tx) error) error {
	ctx, span := s.tr.Start(ctx, "store.View", trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	return ended(span, s.Store.View(ctx, fn))
}

func ended(span trace.Span, err error) error {
	if err != nil && !registry.IsNotFound(err) {
		span.RecordError(err)
		span.SetStatus(codes.Error, "")
	}
	return err
}

// Searcher is what the HTTP surfaces search with (*search.Index).
type Searcher interface {
	Search(context.Context, search.Query) ([]search.Hit, error)
}

// Search wraps a Searcher so that each search is a span with its
// registry and result count.
func Search(tp trace.TracerProvider, s Searcher) Searcher {
	return &searcher{s: s, tr: tp.Tracer(Name)}
}

type searcher struct {
	s  Searcher
	tr trace.Tracer
}

func (s *searcher) Search(ctx context.Context, q search.Query) ([]search.Hit, error) {
	ctx, span := s.tr.Start(ctx, "search", trace.WithAttributes(attribute.String("agentry.registry_id", q.RegistryID)))
	defer span.End()
	hits, err := s.s.Search(ctx, q)
	span.SetAttributes(attribute.Int("agentry.results", len(hits)))
	return hits, ended(span, err)
}

// Transport wraps rt so that each outgoing request is a client span named
// after kind ("jwks", "webhook"), with the host it went to.
func Transport(tp trace.TracerProvider, kind string, rt http.RoundTripper) http.RoundTripper {
	tr := tp.Tracer(Name)
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		ctx, span := tr.Start(r.Context(), kind+" "+r.Method, trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(semconv.ServerAddress(r.URL.Hostname())))
		defer span.End()
		resp, err := rt.RoundTrip(r.WithContext(ctx))
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "")
			return resp, err
		}
		span.SetAttributes(semconv.HTTPResponseStatusCode(resp.StatusCode))
		return resp, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
