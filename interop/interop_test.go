package interop

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// toolResult is an MCP CallToolResult as the Node clients print it.
type toolResult struct {
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	StructuredContent *searchOutput `json:"structuredContent"`
	IsError           bool          `json:"isError"`
	Thrown            string        `json:"thrown"` // ts-client.mjs: callTool threw
}

type searchOutput struct {
	RegistryRecords []struct {
		Name           string `json:"name"`
		RecordID       string `json:"recordId"`
		DescriptorType string `json:"descriptorType"`
		Status         string `json:"status"`
	} `json:"registryRecords"`
}

func (s *searchOutput) names() []string {
	var out []string
	for _, r := range s.RegistryRecords {
		out = append(out, r.Name)
	}
	return out
}

type tool struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	InputSchema struct {
		Required []string `json:"required"`
	} `json:"inputSchema"`
	OutputSchema map[string]any `json:"outputSchema"`
	Annotations  struct {
		ReadOnlyHint bool `json:"readOnlyHint"`
	} `json:"annotations"`
}

// checkTools asserts tools/list returned agentry's one search tool.
func checkTools(t *testing.T, tools []tool) {
	t.Helper()
	if len(tools) != 1 {
		t.Fatalf("tools/list returned %d tools, want 1: %+v", len(tools), tools)
	}
	tl := tools[0]
	if tl.Name != "search_registry_records" || !slices.Contains(tl.InputSchema.Required, "searchQuery") ||
		tl.OutputSchema == nil || !tl.Annotations.ReadOnlyHint || !strings.Contains(tl.Description, "$in") {
		t.Fatalf("tools/list = %+v", tl)
	}
}

// checkSearch asserts a successful search result: structured content and
// the same records as a JSON text block, the best match being first.
func checkSearch(t *testing.T, what string, res toolResult, want ...string) {
	t.Helper()
	if res.Thrown != "" || res.IsError {
		t.Errorf("%s: want a result, got thrown=%q isError=%v content=%+v", what, res.Thrown, res.IsError, res.Content)
		return
	}
	if res.StructuredContent == nil {
		t.Errorf("%s: no structuredContent", what)
		return
	}
	names := res.StructuredContent.names()
	if len(names) < len(want) || !slices.Equal(names[:len(want)], want) {
		t.Errorf("%s: records %v, want %v first", what, names, want)
	}
	if len(res.Content) == 0 || res.Content[0].Type != "text" {
		t.Errorf("%s: want a text content block, got %+v", what, res.Content)
		return
	}
	var text searchOutput
	if err := json.Unmarshal([]byte(res.Content[0].Text), &text); err != nil || !slices.Equal(text.names(), names) {
		t.Errorf("%s: text content %q does not carry the structured records %v (err %v)", what, res.Content[0].Text, names, err)
	}
}

// checkToolError asserts a tool error (isError: true) whose text a model can
// read: it names the offending argument and the limit, and is not a stack
// trace or JSON.
func checkToolError(t *testing.T, what string, res toolResult, mentions ...string) {
	t.Helper()
	if res.Thrown != "" || !res.IsError || len(res.Content) == 0 {
		t.Errorf("%s: want isError with a message, got thrown=%q isError=%v content=%+v", what, res.Thrown, res.IsError, res.Content)
		return
	}
	msg := res.Content[0].Text
	for _, m := range mentions {
		if !strings.Contains(msg, m) {
			t.Errorf("%s: tool error %q should mention %q", what, msg, m)
		}
	}
	if strings.HasPrefix(strings.TrimSpace(msg), "{") || strings.Contains(msg, "goroutine") {
		t.Errorf("%s: tool error %q is not plain words", what, msg)
	}
	t.Logf("%s: tool error: %s", what, msg)
}

// The TypeScript SDK's Client and StreamableHTTPClientTransport, on the
// machine's Node, against a CUSTOM_JWT registry with a bearer token and an
// AWS_IAM registry through a local SigV4-signing forwarder.
func TestTypeScriptSDKClient(t *testing.T) {
	tools := requireNodeTools(t)
	f := newFixture(t)
	calls := `[
		{"searchQuery": "send an email"},
		{"searchQuery": "weather email", "maxResults": 1, "filter": {"name": {"$eq": "gmail"}}},
		{"searchQuery": "forecast", "filter": {"$and": [{"descriptorType": {"$in": ["MCP", "A2A"]}}, {"version": {"$ne": "0.1.0"}}]}},
		{"searchQuery": "x", "maxResults": 50}
	]`
	for _, tc := range []struct{ name, url, token string }{
		{"CUSTOM_JWT", f.mcpURL(f.URL, f.JWTRegistry), f.Token},
		{"AWS_IAM via signing forwarder", f.mcpURL(f.SigningProxy, f.IAMRegistry), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, 30*time.Second,
				[]string{"MCP_URL=" + tc.url, "MCP_TOKEN=" + tc.token, "MCP_CALLS=" + calls},
				tools.node, filepath.Join(tools.jsDir, "ts-client.mjs"))
			if code != 0 {
				t.Fatalf("ts-client exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			var out struct {
				ProtocolVersion string            `json:"protocolVersion"`
				ServerInfo      map[string]string `json:"serverInfo"`
				Instructions    string            `json:"instructions"`
				Tools           []tool            `json:"tools"`
				Calls           []toolResult      `json:"calls"`
			}
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("ts-client output %q: %v\nstderr: %s", stdout, err, stderr)
			}
			if out.ProtocolVersion != "2025-11-25" || out.ServerInfo["name"] != "agentry" || !strings.Contains(out.Instructions, "search_registry_records") {
				t.Errorf("initialize: protocol %q, serverInfo %v, instructions %q", out.ProtocolVersion, out.ServerInfo, out.Instructions)
			}
			checkTools(t, out.Tools)
			if len(out.Calls) != 4 {
				t.Fatalf("want 4 call results, got %d: %s", len(out.Calls), stdout)
			}
			checkSearch(t, "plain search", out.Calls[0], "gmail")
			checkSearch(t, "name filter", out.Calls[1], "gmail")
			if n := out.Calls[1].StructuredContent; n != nil && len(n.RegistryRecords) != 1 {
				t.Errorf("name filter with maxResults 1: %v", n.names())
			}
			checkSearch(t, "$and/$in/$ne filter", out.Calls[2], "weather")
			checkToolError(t, "maxResults 50", out.Calls[3], "maxResults", "20")
		})
	}
}

// inspectorResult decodes a tools/call result printed by the Inspector CLI
// with --format json.
func inspectorResult(t *testing.T, stdout string) toolResult {
	t.Helper()
	var out struct {
		Result *toolResult `json:"result"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || out.Result == nil {
		t.Fatalf("output %s: %v", stdout, err)
	}
	return *out.Result
}

// The MCP Inspector CLI (Node 22) against a CUSTOM_JWT registry, the token
// passed with --header.
func TestInspectorCLI(t *testing.T) {
	tools := requireNodeTools(t)
	f := newFixture(t)
	home := t.TempDir() // the Inspector keeps a catalog and OAuth state under $HOME
	env := []string{tools.pathWithNode22(), "HOME=" + home, "USERPROFILE=" + home, "NO_COLOR=1"}
	inspector := filepath.Join(tools.jsDir, "node_modules", ".bin", "mcp-inspector")
	endpoint := f.mcpURL(f.URL, f.JWTRegistry)
	inspect := func(token string, args ...string) (string, string, int) {
		t.Helper()
		base := []string{"--cli", endpoint, "--transport", "http", "--header", "Authorization: Bearer " + token,
			"--format", "json", "--connect-timeout", "10000"}
		return run(t, 30*time.Second, env, inspector, append(base, args...)...)
	}

	t.Run("tools/list", func(t *testing.T) {
		stdout, stderr, code := inspect(f.Token, "--method", "tools/list")
		if code != 0 {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		var out struct {
			Result struct {
				Tools []tool `json:"tools"`
			} `json:"result"`
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("output %s: %v", stdout, err)
		}
		checkTools(t, out.Result.Tools)
	})
	t.Run("tools/call", func(t *testing.T) {
		stdout, stderr, code := inspect(f.Token, "--method", "tools/call", "--tool-name", "search_registry_records",
			"--tool-arg", "searchQuery=weather forecast for tomorrow")
		if code != 0 {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		checkSearch(t, "search", inspectorResult(t, stdout), "weather")
	})
	t.Run("tools/call with filter", func(t *testing.T) {
		stdout, stderr, code := inspect(f.Token, "--method", "tools/call", "--tool-name", "search_registry_records",
			"--tool-args-json", `{"searchQuery": "database", "maxResults": 2, "filter": {"descriptorType": {"$eq": "MCP"}}}`)
		if code != 0 {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		checkSearch(t, "filtered search", inspectorResult(t, stdout), "postgres")
	})
	t.Run("tools/call error", func(t *testing.T) {
		stdout, stderr, code := inspect(f.Token, "--method", "tools/call", "--tool-name", "search_registry_records",
			"--tool-args-json", `{"searchQuery": "x", "maxResults": 50}`)
		// The CLI exits 5 on isError: true, with an error envelope on stderr.
		if code != 5 || !strings.Contains(stderr, "tool_is_error") {
			t.Errorf("exit %d, stderr %s; want exit 5 and tool_is_error", code, stderr)
		}
		checkToolError(t, "maxResults 50", inspectorResult(t, stdout), "maxResults", "20")
	})
	t.Run("bad token", func(t *testing.T) {
		// --stored-auth-only: fail instead of starting an interactive OAuth
		// login at the issuer agentry's 401 points to.
		stdout, stderr, code := inspect("not-a-jwt", "--method", "tools/list", "--stored-auth-only")
		if code != 3 || !strings.Contains(stderr, "auth_required") || !strings.Contains(stderr, "UnauthorizedException") {
			t.Fatalf("want exit 3, auth_required and agentry's UnauthorizedException; got exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		t.Logf("refused: %s", strings.TrimSpace(stderr))
	})
}

// The generic scenarios of the MCP conformance suite (Node 22). The suite
// sends no credentials, so it talks to agentry through the local forwarders,
// which add them and pass the suite's Host and Origin through unchanged:
// agentry's own guard must refuse the DNS-rebinding attempt.
func TestConformance(t *testing.T) {
	tools := requireNodeTools(t)
	f := newFixture(t)
	env := []string{tools.pathWithNode22(), "NO_COLOR=1"}
	conformance := filepath.Join(tools.jsDir, "node_modules", ".bin", "conformance")
	for _, reg := range []struct{ name, url string }{
		{"AWS_IAM", f.mcpURL(f.SigningProxy, f.IAMRegistry)},
		{"CUSTOM_JWT", f.mcpURL(f.BearerProxy, f.JWTRegistry)},
	} {
		t.Run(reg.name, func(t *testing.T) {
			for _, scenario := range []string{"server-initialize", "ping", "tools-list", "dns-rebinding-protection"} {
				t.Run(scenario, func(t *testing.T) {
					dir := t.TempDir()
					stdout, stderr, code := run(t, 45*time.Second, env, conformance, "server",
						"--url", reg.url, "--scenario", scenario, "--timeout", "20000", "-o", dir)
					checks := conformanceChecks(t, dir)
					failed := 0
					for _, c := range checks {
						switch c.Status {
						case "SUCCESS":
						case "FAILURE":
							failed++
							details, _ := json.Marshal(c.Details)
							t.Errorf("check %s (%s) failed: %s\ndetails: %s", c.ID, c.Description, c.ErrorMessage, details)
						default:
							t.Logf("check %s: %s %s", c.ID, c.Status, c.ErrorMessage)
						}
						if c.ID == "localhost-host-rebinding-rejected" {
							// agentry's guard refused it, not the forwarder.
							details, _ := json.Marshal(c.Details)
							t.Logf("rebinding attempt: %s", details)
							if !strings.Contains(string(details), `"statusCode":403`) || !strings.Contains(string(details), "is not allowed; add it with --allowed-hosts") {
								t.Errorf("want agentry's 403 refusal of the foreign Host, got %s", details)
							}
						}
					}
					if code != 0 || failed > 0 || len(checks) == 0 {
						t.Errorf("conformance %s: exit %d, %d checks, %d failed\nstdout: %s\nstderr: %s", scenario, code, len(checks), failed, stdout, stderr)
					}
				})
			}
		})
	}
}

// conformanceCheck is one check in the suite's checks.json.
type conformanceCheck struct {
	ID           string `json:"id"`
	Description  string `json:"description"`
	Status       string `json:"status"` // SUCCESS, FAILURE, WARNING, SKIPPED, INFO
	ErrorMessage string `json:"errorMessage"`
	Details      any    `json:"details"`
}

// conformanceChecks reads the checks.json the suite wrote under dir (-o).
func conformanceChecks(t *testing.T, dir string) []conformanceCheck {
	t.Helper()
	var found []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "checks.json" {
			found = append(found, path)
		}
		return nil
	})
	if len(found) != 1 {
		t.Errorf("want one checks.json under %s, found %v", dir, found)
		return nil
	}
	raw, err := os.ReadFile(found[0])
	if err != nil {
		t.Fatal(err)
	}
	var checks []conformanceCheck
	if err := json.Unmarshal(raw, &checks); err != nil {
		t.Fatalf("%s: %v", found[0], err)
	}
	return checks
}
