package synchronize_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentry/agentry/descriptor"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/synchronize"
)

// weatherServer is a go-sdk MCP server with n tools, two per page.
func weatherServer(n int) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "io.example/weather", Title: "Weather", Version: "1.2.3"},
		&mcp.ServerOptions{PageSize: 2, Instructions: "Forecasts for any place.\nMore text."})
	type in struct {
		City string `json:"city" jsonschema:"the city"`
	}
	for i := range n {
		mcp.AddTool(s, &mcp.Tool{Name: fmt.Sprintf("forecast_%d", i), Description: "Tells the weather."},
			func(context.Context, *mcp.CallToolRequest, in) (*mcp.CallToolResult, any, error) {
				return nil, nil, nil
			})
	}
	return s
}

func fetch(t *testing.T, f *synchronize.Fetcher, typ registry.DescriptorType, url string) (registry.Descriptors, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	return f.Fetch(ctx, typ, registry.FromURLSync{URL: url})
}

// checkMCP validates what a fetch returned like the registry does.
func checkMCP(t *testing.T, d registry.Descriptors, wantTools int, wantRemote string) {
	t.Helper()
	if d.MCP == nil || d.MCP.Server == nil || d.MCP.Tools == nil {
		t.Fatalf("descriptors = %+v, want an MCP server and tools", d)
	}
	if err := descriptor.MCPServer(d.MCP.Server.SchemaVersion, d.MCP.Server.InlineContent); err != nil {
		t.Fatalf("server.json %s: %v", d.MCP.Server.InlineContent, err)
	}
	if err := descriptor.MCPTools(d.MCP.Tools.ProtocolVersion, d.MCP.Tools.InlineContent); err != nil {
		t.Fatalf("tools: %v", err)
	}
	var tools struct{ Tools []json.RawMessage }
	json.Unmarshal([]byte(d.MCP.Tools.InlineContent), &tools)
	if len(tools.Tools) != wantTools {
		t.Errorf("%d tools, want %d", len(tools.Tools), wantTools)
	}
	var srv struct {
		Remotes []struct{ Type string }
	}
	json.Unmarshal([]byte(d.MCP.Server.InlineContent), &srv)
	if len(srv.Remotes) != 1 || srv.Remotes[0].Type != wantRemote {
		t.Errorf("remotes %+v, want one %s", srv.Remotes, wantRemote)
	}
}

func TestFetchMCPStreamable(t *testing.T) {
	s := weatherServer(5)
	ts := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil))
	defer ts.Close()
	f := synchronize.New(synchronize.Options{AllowPrivate: true})
	d, err := fetch(t, f, registry.DescriptorMCP, ts.URL+"/mcp")
	if err != nil {
		t.Fatal(err)
	}
	checkMCP(t, d, 5, "streamable-http")
	if !strings.Contains(d.MCP.Server.InlineContent, `"name":"io.example/weather"`) ||
		!strings.Contains(d.MCP.Server.InlineContent, `"description":"Forecasts for any place."`) ||
		!strings.Contains(d.MCP.Server.InlineContent, `"version":"1.2.3"`) {
		t.Errorf("server.json = %s", d.MCP.Server.InlineContent)
	}
}

func TestFetchMCPSSE(t *testing.T) {
	s := weatherServer(3)
	ts := httptest.NewServer(mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return s }, nil))
	defer ts.Close()
	f := synchronize.New(synchronize.Options{AllowPrivate: true})
	d, err := fetch(t, f, registry.DescriptorMCP, ts.URL+"/sse")
	if err != nil {
		t.Fatal(err)
	}
	checkMCP(t, d, 3, "sse")
}

func TestFetchAgentCardAndSkill(t *testing.T) {
	card, _ := readTestdata("agent-card-0.3.json")
	skill, _ := readTestdata("SKILL.md")
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/agent-card.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(card)
	})
	mux.HandleFunc("/skills/weather/SKILL.md", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.Write(skill)
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html></html>"))
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	f := synchronize.New(synchronize.Options{AllowPrivate: true})

	d, err := fetch(t, f, registry.DescriptorA2A, ts.URL)
	if err != nil || d.A2A == nil || d.A2A.AgentCard.InlineContent != string(card) {
		t.Fatalf("agent card from the base URL: %+v, %v", d, err)
	}
	if d, err = fetch(t, f, registry.DescriptorA2A, ts.URL+"/.well-known/agent-card.json"); err != nil || d.A2A == nil {
		t.Fatalf("agent card from its URL: %v", err)
	}
	d, err = fetch(t, f, registry.DescriptorAgentSkills, ts.URL+"/skills/weather/SKILL.md")
	if err != nil || d.AgentSkills == nil || d.AgentSkills.SkillMd.InlineContent != string(skill) {
		t.Fatalf("SKILL.md: %+v, %v", d, err)
	}
	if _, err = fetch(t, f, registry.DescriptorA2A, ts.URL+"/html"); err == nil || !strings.Contains(err.Error(), "Content-Type") {
		t.Errorf("an HTML page as an agent card: %v, want a Content-Type error", err)
	}
	if _, err = fetch(t, f, registry.DescriptorAgentSkills, ts.URL+"/missing"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a missing SKILL.md: %v, want the 404 named", err)
	}
}

func readTestdata(name string) ([]byte, error) {
	b, err := readFile("../descriptor/testdata/" + name)
	if err != nil {
		panic(err)
	}
	return b, nil
}

// rpcServer is a minimal Streamable HTTP MCP server whose tools/list
// answer the test writes: the hostile sources.
func rpcServer(t *testing.T, toolsList func(w http.ResponseWriter, id json.RawMessage, cursor string)) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				Cursor string `json:"cursor"`
			} `json:"params"`
		}
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &msg)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case msg.ID == nil:
			w.WriteHeader(http.StatusAccepted)
		case msg.Method == "initialize":
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"hostile","version":"1"}}}`, msg.ID)
		case msg.Method == "tools/list":
			toolsList(w, msg.ID, msg.Params.Cursor)
		default:
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"no"}}`, msg.ID)
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestHostileSources: each ends in an error that says what went wrong,
// within bounded time.
func TestHostileSources(t *testing.T) {
	deep := strings.Repeat(`{"type":"object","properties":{"a":`, 10000) + `{}` + strings.Repeat(`}}`, 10000)
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, id json.RawMessage, cursor string)
		url     func(base string) string
		want    string
	}{
		{"endless pagination", func(w http.ResponseWriter, id json.RawMessage, cursor string) {
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"tools":[],"nextCursor":"%sx"}}`, id, cursor)
		}, nil, "did not end after 20 pages"},
		{"repeated cursor", func(w http.ResponseWriter, id json.RawMessage, cursor string) {
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"tools":[],"nextCursor":"same"}}`, id)
		}, nil, "cursor of an earlier page"},
		{"malformed JSON", func(w http.ResponseWriter, id json.RawMessage, cursor string) {
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":`, id)
		}, nil, "tools/list"},
		{"schema nested 10000 deep", func(w http.ResponseWriter, id json.RawMessage, cursor string) {
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"deep","inputSchema":%s}]}}`, id, deep)
		}, nil, "tools/list"},
		{"huge", func(w http.ResponseWriter, id json.RawMessage, cursor string) {
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"big","description":"%s","inputSchema":{"type":"object"}}]}}`,
				id, strings.Repeat("x", 2<<20))
		}, nil, "larger than"},
		{"slow", func(w http.ResponseWriter, id json.RawMessage, cursor string) {
			time.Sleep(3 * time.Second)
		}, nil, "tools/list"},
		{"redirect to the metadata service", nil, func(base string) string { return base + "/redirect" }, "link-local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base string
			if tt.handler != nil {
				base = rpcServer(t, tt.handler).URL
			} else {
				ts := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/latest/meta-data/", http.StatusTemporaryRedirect))
				defer ts.Close()
				base = ts.URL
			}
			u := base + "/mcp"
			if tt.url != nil {
				u = tt.url(base)
			}
			f := synchronize.New(synchronize.Options{AllowPrivate: true})
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer cancel()
			start := time.Now()
			_, err := f.Fetch(ctx, registry.DescriptorMCP, registry.FromURLSync{URL: u})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if d := time.Since(start); d > 4*time.Second {
				t.Errorf("took %s", d)
			}
			t.Logf("%s: %v", tt.name, err)
		})
	}
}

// TestURLPolicy: without --allow-private-urls, local and plain-http
// sources are refused before any connection.
func TestURLPolicy(t *testing.T) {
	f := synchronize.New(synchronize.Options{})
	for _, u := range []string{"http://example.com/mcp", "https://127.0.0.1/mcp", "https://169.254.169.254/", "https://localhost/x"} {
		if _, err := fetch(t, f, registry.DescriptorA2A, u); err == nil || !strings.Contains(err.Error(), "URL policy") {
			t.Errorf("%s: %v, want a URL policy refusal", u, err)
		}
	}
}

var readFile = os.ReadFile
