package search

import (
	"fmt"
	"slices"
	"testing"

	"github.com/agentry/agentry/registry"
)

func TestDocTextDeduplicates(t *testing.T) {
	d := &docText{}
	for round := range 2 {
		for i := range 100 {
			d.add(FieldBody, fmt.Sprintf("piece %d", i))
		}
		if len(d.fields[FieldBody]) != 100 {
			t.Fatalf("round %d: %d pieces, want 100", round, len(d.fields[FieldBody]))
		}
	}
	d.add(FieldTitle, "piece 1") // the same text in another field counts
	d.add(FieldTitle, "  ")
	if !slices.Equal(d.fields[FieldTitle], []string{"piece 1"}) {
		t.Errorf("title %q", d.fields[FieldTitle])
	}
}

func TestExtractFields(t *testing.T) {
	rec := fixture()[0]
	d := extract(rec.Approved)
	want := map[Field][]string{
		FieldName:            {"io.github.acme/weather-mcp"}, // record and server.json name once
		FieldTitle:           {"Acme Meteo"},
		FieldToolName:        {"get_hourly_forecast", "Hourly"},
		FieldParam:           {"latitude", "options", "units"},
		FieldDescription:     {"Forecasts for any city.", "Severe storm alerts"},
		FieldToolDescription: {"Hour by hour precipitation outlook"},
		FieldBody:            {"@acme/zephyrpkg", "ACME_TOKEN", "the token", "https://remote.example.com/sse", "degrees north", "metric or imperial"},
	}
	for f, w := range want {
		if !slices.Equal(d.fields[f], w) {
			t.Errorf("%s = %q, want %q", f, d.fields[f], w)
		}
	}
	if got := d.embedText(); got != "Acme Meteo. io.github.acme/weather-mcp. Forecasts for any city.. Severe storm alerts. get_hourly_forecast. Hourly. Hour by hour precipitation outlook. @acme/zephyrpkg. ACME_TOKEN. the token. https://remote.example.com/sse. degrees north. metric or imperial" {
		t.Errorf("embedText = %q", got)
	}
	var empty registry.Revision
	if d := extract(&empty); len(d.fields[FieldName]) != 0 {
		t.Errorf("empty revision: %+v", d.fields)
	}
}
