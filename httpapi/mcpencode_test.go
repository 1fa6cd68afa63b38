package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// sdkEncoding is what the SDK sends for r: its marshalling, then the
// compaction of the JSON-RPC layer.
func sdkEncoding(t testing.TB, r *mcp.CallToolResult) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodeCallToolResultMatchesSDK(t *testing.T) {
	awkward := "quote \" backslash \\ newline \n tab \t cr \r nul \x00 bell \x07 del \x7f html <a href='x'>&amp;</a> " +
		"unicode é 漢字 🙂 separators \u2028 \u2029 invalid \xff\xfe end"
	structured := json.RawMessage(`{"registryRecords":[{"name":"x","descriptors":{"mcp":{"server":{"inlineContent":"{\"a\":\"<b>\"}"}}}}]}`)
	for name, r := range map[string]*mcp.CallToolResult{
		"search result": {StructuredContent: structured, Content: []mcp.Content{&mcp.TextContent{Text: string(structured)}}},
		"awkward text":  {Content: []mcp.Content{&mcp.TextContent{Text: awkward}}},
		"tool error":    {IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: "maxResults must be between 1 and 20"}}},
		"two blocks":    {Content: []mcp.Content{&mcp.TextContent{Text: "a"}, &mcp.TextContent{Text: ""}}},
		"no content":    {Content: []mcp.Content{}},
	} {
		t.Run(name, func(t *testing.T) {
			ours, ok := encodeCallToolResult(r)
			if !ok {
				t.Fatal("not encoded")
			}
			if !json.Valid(ours) {
				t.Fatalf("invalid JSON: %s", ours)
			}
			var got, want any
			if err := json.Unmarshal(ours, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(sdkEncoding(t, r), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("differs from the SDK's encoding:\n ours %s\n  sdk %s", ours, sdkEncoding(t, r))
			}
			// What a client decodes is the same result.
			var back mcp.CallToolResult
			if err := json.Unmarshal(ours, &back); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEncodeCallToolResultLeavesOthersToSDK(t *testing.T) {
	for name, r := range map[string]*mcp.CallToolResult{
		"image":          {Content: []mcp.Content{&mcp.ImageContent{Data: []byte{1}, MIMEType: "image/png"}}},
		"typed struct":   {StructuredContent: map[string]any{"a": 1}},
		"meta":           {Meta: mcp.Meta{"k": "v"}, Content: []mcp.Content{&mcp.TextContent{Text: "a"}}},
		"text with meta": {Content: []mcp.Content{&mcp.TextContent{Text: "a", Meta: mcp.Meta{"k": "v"}}}},
	} {
		if _, ok := encodeCallToolResult(r); ok {
			t.Errorf("%s: encoded by us; the SDK must encode it", name)
		}
	}
}

// BenchmarkEncodeSearchResult compares encoding a ten-record search answer
// (about 7 KB of JSON, sent as structured content and as text) the SDK's
// way and in one pass.
func BenchmarkEncodeSearchResult(b *testing.B) {
	record := `{"registryArn":"arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/abcdefghijkl","recordArn":"arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/abcdefghijkl/record/mnopqrstuvwx","recordId":"mnopqrstuvwx","name":"server-01234-github","description":"Interact with GitHub repositories, issues and pull requests from a chat.","descriptorType":"MCP","descriptors":{"mcp":{"server":{"inlineContent":"{\"name\":\"io.bench/server-1234\",\"description\":\"Interact with GitHub repositories, issues and pull requests\",\"version\":\"1.0.0\"}"}}},"version":"1.0.0","status":"APPROVED","createdAt":"2026-11-26T11:00:00.000Z","updatedAt":"2026-11-26T11:00:00.000Z"}`
	structured := json.RawMessage(`{"registryRecords":[` + strings.Repeat(record+",", 9) + record + `]}`)
	r := &mcp.CallToolResult{StructuredContent: structured, Content: []mcp.Content{&mcp.TextContent{Text: string(structured)}}}
	envelope := func(b *testing.B, result any) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		// As the SDK's JSON-RPC layer: the result, then the message around it.
		if err := enc.Encode(result); err != nil {
			b.Fatal(err)
		}
		msg := struct {
			Result json.RawMessage `json:"result"`
		}{bytes.TrimSpace(buf.Bytes())}
		if _, err := json.Marshal(msg); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			envelope(b, r)
		}
	})
	b.Run("one-pass", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			wire, _ := encodeCallToolResult(r)
			envelope(b, &encodedResult{wire: wire})
		}
	})
}
