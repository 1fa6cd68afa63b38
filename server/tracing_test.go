package server_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/agentry/agentry/server"
)

// TestTraces: with tracing on, each request is a span named after its
// operation with the registry and outcome, and the store's transactions
// and the search are its children.
func TestTraces(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	ts := startServerWith(t, func(c *server.Config) { c.TracerProvider = tp })
	ctx := context.Background()
	reg := ts.createRegistry(t, "traced", false)
	ts.publish(t, reg, "weather", "Weather forecasts", weatherTools)
	exp.Reset()
	if _, err := ts.dataClient(ts.Key.AccessKeyID, ts.Key.SecretAccessKey).SearchRegistryRecords(ctx,
		&data.SearchRegistryRecordsInput{RegistryIds: []string{reg}, SearchQuery: aws.String("weather")}); err != nil {
		t.Fatal(err)
	}
	ts.Client.GetRegistry(ctx, &ctl.GetRegistryInput{RegistryId: aws.String("nonexistent0")})

	spans := exp.GetSpans()
	byName := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	req, ok := byName["SearchRegistryRecords"]
	if !ok {
		t.Fatalf("no SearchRegistryRecords span in %v", spanNames(spans))
	}
	attrs := map[string]string{}
	for _, a := range req.Attributes {
		attrs[string(a.Key)] = a.Value.String()
	}
	if attrs["agentry.registry_id"] != reg || attrs["http.response.status_code"] != "200" {
		t.Errorf("the request span's attributes: %v", attrs)
	}
	search, ok := byName["search"]
	if !ok || search.Parent.SpanID() != req.SpanContext.SpanID() {
		t.Errorf("the search span %+v is not a child of the request's", search.Parent)
	}
	get, ok := byName["GetRegistry"]
	if !ok {
		t.Fatalf("no GetRegistry span in %v", spanNames(spans))
	}
	var sawError bool
	for _, a := range get.Attributes {
		sawError = sawError || (a.Key == "agentry.error" && a.Value.AsString() == "ResourceNotFoundException")
	}
	if !sawError {
		t.Errorf("GetRegistry's span lacks its error: %v", get.Attributes)
	}
	view := false
	for _, s := range spans {
		if s.Name == "store.View" && s.Parent.SpanID() == get.SpanContext.SpanID() {
			view = true
		}
	}
	if !view {
		t.Errorf("no store.View span under GetRegistry in %v", spanNames(spans))
	}
}

func spanNames(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}
