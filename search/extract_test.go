package search

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
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
	if got := d.embedText(); got != "Acme Meteo. io.github.acme/weather-mcp. Forecasts for any city.. Severe storm alerts. get_hourly_forecast. Hourly. Hour by hour precipitation outlook. @acme/zephyrpkg. ACME_TOKEN. the token. https://remote.example.com/sse" {
		t.Errorf("embedText = %q", got)
	}
	// Parameter descriptions are indexed but not embedded.
	var empty registry.Revision
	if d := extract(&empty); len(d.fields[FieldName]) != 0 {
		t.Errorf("empty revision: %+v", d.fields)
	}
}

func TestEmbedTextOfManyTools(t *testing.T) {
	var tools []map[string]any
	for i := range 40 {
		tools = append(tools, map[string]any{
			"name":        fmt.Sprintf("tool_%d", i),
			"description": fmt.Sprintf("Does thing %d.\n  Usage notes that go on and on. More notes.", i),
			"inputSchema": map[string]any{"type": "object", "properties": map[string]any{
				"path": map[string]any{"type": "string", "description": "where the file is"}}},
		})
	}
	toolsJSON, _ := json.Marshal(map[string]any{"tools": tools})
	rec := mcp("r1", "many-tools", "A server with many tools.", `{"name": "many-tools", "title": "Many Tools"}`, string(toolsJSON))
	d := extract(rec.Approved)
	got := d.embedText()
	if !strings.HasPrefix(got, "Many Tools. many-tools. A server with many tools.. tool_0. tool_1. ") {
		t.Errorf("embedText starts %q", got[:min(len(got), 80)])
	}
	if len(got) > maxRecordEmbed {
		t.Errorf("embedText is %d bytes, more than %d", len(got), maxRecordEmbed)
	}
	for _, w := range []string{"tool_39. Does thing 0.. Does thing 1.. "} {
		if !strings.Contains(got, w) {
			t.Errorf("embedText lacks %q: %q", w, got)
		}
	}
	for _, w := range []string{"Usage notes", "where the file is"} {
		if strings.Contains(got, w) {
			t.Errorf("embedText has %q: %q", w, got)
		}
	}
	if !slices.Contains(d.fields[FieldBody], "where the file is") {
		t.Errorf("parameter description not indexed: %q", d.fields[FieldBody])
	}
}

func TestSummary(t *testing.T) {
	for in, want := range map[string]string{
		"Get the price.": "Get the price.",
		"  Get the price.\n\n  Use it when asked. ": "Get the price.",
		"version 1.2 of the API? yes":               "version 1.2 of the API?",
		"no sentence end":                           "no sentence end",
		strings.Repeat("word ", 100):                strings.Repeat("word ", 40),
	} {
		if got := summary(in); got != want {
			t.Errorf("summary(%q) = %q, want %q", in, got, want)
		}
	}
}
