package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The MCP endpoint serves what it advertises (tools) and nothing else: the
// other MCP methods are "method not found" for a real client, while
// initialize, ping, tools/list and tools/call keep working.
func TestMCPEndpointServesOnlyWhatItAdvertises(t *testing.T) {
	ts := startServer(t)
	reg := seedCatalog(t, ts)
	s := connectMCP(t, ts.URL+"/registry/"+reg+"/mcp", sigv4Transport{ts.Key.AccessKeyID, ts.Key.SecretAccessKey})
	ctx := context.Background()
	if caps := s.InitializeResult().Capabilities; caps.Tools == nil || caps.Resources != nil || caps.Prompts != nil ||
		caps.Completions != nil {
		t.Fatalf("advertised capabilities %+v, want tools only", caps)
	}
	if err := s.Ping(ctx, nil); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if tools, err := s.ListTools(ctx, nil); err != nil || len(tools.Tools) != 1 {
		t.Fatalf("tools/list: %v %v", tools, err)
	}
	if _, names := callSearch(t, s, map[string]any{"searchQuery": "weather"}); len(names) == 0 {
		t.Fatal("tools/call found nothing")
	}
	unadvertised := map[string]func() error{
		"resources/list": func() error { _, err := s.ListResources(ctx, nil); return err },
		"resources/templates/list": func() error {
			_, err := s.ListResourceTemplates(ctx, nil)
			return err
		},
		"resources/read": func() error {
			_, err := s.ReadResource(ctx, &mcp.ReadResourceParams{URI: "file:///etc/passwd"})
			return err
		},
		"resources/subscribe": func() error { return s.Subscribe(ctx, &mcp.SubscribeParams{URI: "file:///x"}) },
		"prompts/list":        func() error { _, err := s.ListPrompts(ctx, nil); return err },
		"prompts/get":         func() error { _, err := s.GetPrompt(ctx, &mcp.GetPromptParams{Name: "x"}); return err },
		"completion/complete": func() error {
			_, err := s.Complete(ctx, &mcp.CompleteParams{Ref: &mcp.CompleteReference{Type: "ref/prompt", Name: "x"},
				Argument: mcp.CompleteParamsArgument{Name: "a", Value: "b"}})
			return err
		},
	}
	for method, call := range unadvertised {
		err := call()
		var we *jsonrpc.Error
		if !errors.As(err, &we) || we.Code != jsonrpc.CodeMethodNotFound || !strings.Contains(we.Message, method) {
			t.Errorf("%s: got %v, want JSON-RPC error %d naming the method", method, err, jsonrpc.CodeMethodNotFound)
		}
	}
	// The session still works after the refusals.
	if err := s.Ping(ctx, nil); err != nil {
		t.Fatalf("ping after refusals: %v", err)
	}
}

// Malformed JSON-RPC gets a JSON-RPC error object, not text/plain, as the
// Streamable HTTP transport says.
func TestMCPEndpointJSONRPCErrors(t *testing.T) {
	ts := startServer(t)
	reg := seedCatalog(t, ts)
	client := &http.Client{Transport: sigv4Transport{ts.Key.AccessKeyID, ts.Key.SecretAccessKey}}
	post := func(body, protocol string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("POST", ts.URL+"/registry/"+reg+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if protocol != "" {
			req.Header.Set("Mcp-Protocol-Version", protocol)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	cases := []struct {
		name, body, protocol string
		status               int
		code                 int64
		id                   string // the JSON of the answer's id
		message              string
	}{
		{"not JSON", `{"jsonrpc":"2.0",`, "", 400, jsonrpc.CodeParseError, "null", "not valid JSON"},
		{"empty body", ``, "", 400, jsonrpc.CodeParseError, "null", "not valid JSON"},
		{"not UTF-8", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_registry_records","arguments":{"searchQuery":"m` +
			"\xe9t\xe9" + `o"}}}`, "", 400, jsonrpc.CodeParseError, "null", "params.arguments.searchQuery: must be valid UTF-8"},
		{"a string", `"ping"`, "", 400, jsonrpc.CodeInvalidRequest, "null", "JSON-RPC"},
		{"null", `null`, "", 400, jsonrpc.CodeInvalidRequest, "null", "JSON-RPC"},
		{"empty batch", `[]`, "2025-03-26", 400, jsonrpc.CodeInvalidRequest, "null", "empty batch"},
		{"batch of numbers", `[1,2]`, "2025-03-26", 400, jsonrpc.CodeInvalidRequest, "null", "message 1"},
		{"no version", `{"id":1,"method":"ping"}`, "", 400, jsonrpc.CodeInvalidRequest, "null", `"jsonrpc": "2.0"`},
		{"version 1.0", `{"jsonrpc":"1.0","id":1,"method":"ping"}`, "", 400, jsonrpc.CodeInvalidRequest, "null", `"jsonrpc": "2.0"`},
		{"no method, no result", `{"jsonrpc":"2.0","id":1}`, "", 400, jsonrpc.CodeInvalidRequest, "null", "method"},
		{"method not a string", `{"jsonrpc":"2.0","id":1,"method":7}`, "", 400, jsonrpc.CodeInvalidRequest, "null", `"method" must be a string`},
		{"object id", `{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}`, "", 400, jsonrpc.CodeInvalidRequest, "null", "id"},
		{"null id", `{"jsonrpc":"2.0","id":null,"method":"ping"}`, "", 400, jsonrpc.CodeInvalidRequest, "null", "id"},
		{"request without id", `{"jsonrpc":"2.0","method":"tools/list"}`, "", 400, jsonrpc.CodeInvalidRequest, "null", "needs an id"},
		{"resources/list", `{"jsonrpc":"2.0","id":7,"method":"resources/list"}`, "", 200, jsonrpc.CodeMethodNotFound, "7", "resources/list"},
		{"logging/setLevel", `{"jsonrpc":"2.0","id":8,"method":"logging/setLevel","params":{"level":"debug"}}`, "", 200, jsonrpc.CodeMethodNotFound, "8", "logging/setLevel"},
		{"unknown method", `{"jsonrpc":"2.0","id":"a","method":"no/such"}`, "", 200, jsonrpc.CodeMethodNotFound, `"a"`, "no/such"},
		{"unknown notification", `{"jsonrpc":"2.0","method":"notifications/no_such"}`, "", 400, jsonrpc.CodeMethodNotFound, "null", "notifications/no_such"},
		{"tools/call without params", `{"jsonrpc":"2.0","id":3,"method":"tools/call"}`, "", 200, jsonrpc.CodeInvalidParams, "3", "params"},
		{"batch with an unserved method", `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"prompts/list"}]`,
			"2025-03-26", 400, jsonrpc.CodeMethodNotFound, "null", "prompts/list"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := post(c.body, c.protocol)
			if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("got %d %q %s, want %d application/json", resp.StatusCode, resp.Header.Get("Content-Type"), body, c.status)
			}
			var answer struct {
				JSONRPC string          `json:"jsonrpc"`
				ID      json.RawMessage `json:"id"`
				Error   *jsonrpc.Error  `json:"error"`
			}
			if err := json.Unmarshal(body, &answer); err != nil {
				t.Fatalf("answer %s: %v", body, err)
			}
			if answer.JSONRPC != "2.0" || string(answer.ID) != c.id || answer.Error == nil || answer.Error.Code != c.code ||
				!strings.Contains(answer.Error.Message, c.message) {
				t.Fatalf("answer %s, want error %d with id %s mentioning %q", body, c.code, c.id, c.message)
			}
		})
	}
	// What the endpoint serves still passes.
	for _, ok := range []struct{ body, protocol string }{
		{`{"jsonrpc":"2.0","method":"notifications/initialized"}`, ""},
		{`{"jsonrpc":"2.0","id":1,"method":"ping"}`, ""},
		{`[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/list"}]`, "2025-03-26"},
	} {
		if resp, body := post(ok.body, ok.protocol); resp.StatusCode/100 != 2 {
			t.Errorf("%s: %d %s", ok.body, resp.StatusCode, body)
		}
	}
}
