package descriptor

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
)

// awsMinimalServer is the server.json of the AWS Agent Registry "create a
// record" example; it must always pass.
const awsMinimalServer = `{"name": "my/mcp-server", "description": "My MCP server", "version": "1.0.0"}`

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// problems returns the problems of err, failing the test if err is not an
// *Error with at least one problem.
func problems(t *testing.T, err error) []Problem {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T %v, want *Error", err, err)
	}
	if len(e.Problems) == 0 {
		t.Fatalf("*Error without problems")
	}
	return e.Problems
}

func TestSchemasCompile(t *testing.T) {
	s, err := loadSchemas()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.mcpServer) != len(mcpServerVersions) || len(s.mcpTools) != len(mcpProtocolVersions) || len(s.a2aCard) != len(a2aVersions) {
		t.Fatalf("not every version has a schema: %d/%d/%d", len(s.mcpServer), len(s.mcpTools), len(s.a2aCard))
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		name    string
		run     func(version, content string) error
		version string
		content string
	}{
		{"mcp server aws minimal", MCPServer, "", awsMinimalServer},
		{"mcp server aws minimal 2025-12-11", MCPServer, "2025-12-11", awsMinimalServer},
		{"mcp server aws minimal 2025-09-29", MCPServer, "2025-09-29", awsMinimalServer},
		{"mcp server aws minimal 2025-10-17", MCPServer, "2025-10-17", awsMinimalServer},
		{"mcp server $schema URL as version", MCPServer, "https://static.modelcontextprotocol.io/schemas/2025-10-17/server.schema.json", awsMinimalServer},
		{"mcp server full", MCPServer, "", readTestdata(t, "server-full.json")},
		{"mcp server full 2025-10-17", MCPServer, "2025-10-17", readTestdata(t, "server-full.json")},
		{"mcp server 2025-07-09", MCPServer, "2025-07-09", readTestdata(t, "server-2025-07-09.json")},
		{"mcp server 2025-07-09 detected from $schema", MCPServer, "", readTestdata(t, "server-2025-07-09.json")},
		{"mcp server unknown extras", MCPServer, "", `{"name":"a/b","description":"d","version":"1","x-extra":{"any":"thing"},"packages":[{"registryType":"pypi","identifier":"x","transport":{"type":"stdio"},"extra":1}]}`},
		{"mcp server with BOM", MCPServer, "", "\uFEFF" + awsMinimalServer},
		{"mcp tools", MCPTools, "", readTestdata(t, "tools-list.json")},
		{"mcp tools 2025-11-25", MCPTools, "2025-11-25", readTestdata(t, "tools-list.json")},
		{"mcp tools 2024-11-05", MCPTools, "2024-11-05", readTestdata(t, "tools-list.json")},
		{"mcp tools empty list", MCPTools, "2025-06-18", `{"tools":[]}`},
		{"a2a card 0.3 default", A2AAgentCard, "", readTestdata(t, "agent-card-0.3.json")},
		{"a2a card 0.3", A2AAgentCard, "0.3", readTestdata(t, "agent-card-0.3.json")},
		{"a2a card 0.3.0", A2AAgentCard, "0.3.0", readTestdata(t, "agent-card-0.3.json")},
		{"a2a card 1.0", A2AAgentCard, "1.0", readTestdata(t, "agent-card-1.0.json")},
		{"a2a card 1.0.0", A2AAgentCard, "1.0.0", readTestdata(t, "agent-card-1.0.json")},
		{"a2a card 1.0 detected", A2AAgentCard, "", readTestdata(t, "agent-card-1.0.json")},
		{"a2a card minimal 0.3", A2AAgentCard, "", `{"name":"a","description":"b","url":"https://x","version":"1","capabilities":{},"defaultInputModes":[],"defaultOutputModes":[],"skills":[]}`},
		{"skill definition", SkillDefinition, "", readTestdata(t, "skill-definition.json")},
		{"skill definition any version", SkillDefinition, "whatever-1", `{"name":"a","description":"b","allowed-tools":"Read Write"}`},
		{"skill markdown", ignoreVersion(SkillMarkdown), "", readTestdata(t, "SKILL.md")},
		{"skill markdown minimal", ignoreVersion(SkillMarkdown), "", "---\nname: a\ndescription: b\n---\n"},
		{"skill markdown CRLF", ignoreVersion(SkillMarkdown), "", "---\r\nname: my-skill\r\ndescription: Does things.\r\n---\r\n# Body\r\n"},
		{"skill markdown no body", ignoreVersion(SkillMarkdown), "", "---\nname: x1\ndescription: y\n---"},
		{"skill markdown extra fields and list tools", ignoreVersion(SkillMarkdown), "", "---\nname: x\ndescription: y\nargument-hint: <url>\nallowed-tools: [Read, Grep]\nlicense: MIT\n---\n"},
		{"skill markdown numeric name", ignoreVersion(SkillMarkdown), "", "---\nname: 2048\ndescription: Plays 2048.\n---\n"},
		{"custom object", ignoreVersion(Custom), "", `{"any": ["json", 1, true, null]}`},
		{"custom array", ignoreVersion(Custom), "", `[1, 2, 3]`},
		{"custom scalar", ignoreVersion(Custom), "", ` 42 `},
		{"custom string", ignoreVersion(Custom), "", `"hello"`},
		{"custom null", ignoreVersion(Custom), "", `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(tt.version, tt.content); err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
		})
	}
}

func ignoreVersion(f func(string) error) func(string, string) error {
	return func(_, content string) error { return f(content) }
}

func TestInvalid(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	oversize := `{"name":"a/b","description":"d","version":"1","pad":"` + strings.Repeat("x", MaxContentBytes) + `"}`

	tests := []struct {
		name    string
		run     func(version, content string) error
		version string
		content string
		pointer string
		message string
	}{
		// Shared checks.
		{"empty", MCPServer, "", "", "", "must not be empty"},
		{"blank", MCPTools, "", " \n\t ", "", "must not be empty"},
		{"oversize", MCPServer, "", oversize, "", "exceeds the limit of 102400 bytes"},
		{"invalid json position", MCPServer, "", "{\n  \"name\": \"a/b\",\n  \"description\": \"x\"\n  \"version\": \"1\"\n}", "", "invalid JSON at line 4, column 3"},
		{"truncated json", A2AAgentCard, "", `{"name": `, "", "unexpected end of JSON input"},
		{"trailing data", SkillDefinition, "", `{} {}`, "", "line 1, column 4: unexpected data after the JSON value"},

		// MCP server.json.
		{"server missing name", MCPServer, "", `{"description":"d","version":"1"}`, "/name", "missing property 'name'"},
		{"server missing version", MCPServer, "", `{"name":"a/b","description":"d"}`, "/version", "missing property 'version'"},
		{"server wrong type", MCPServer, "", `{"name":"a/b","description":"d","version":1}`, "/version", "must be a string, got number"},
		{"server bad name pattern", MCPServer, "", `{"name":"my server","description":"d","version":"1"}`, "/name", "must match pattern ^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$"},
		{"server name too long", MCPServer, "", `{"name":"a/` + long(199) + `","description":"d","version":"1"}`, "/name", "must be at most 200 characters long, got 201"},
		{"server description too long", MCPServer, "", `{"name":"a/b","description":"` + long(101) + `","version":"1"}`, "/description", "must be at most 100 characters long, got 101"},
		{"server empty description", MCPServer, "", `{"name":"a/b","description":"","version":"1"}`, "/description", "must not be empty"},
		{"server not an object", MCPServer, "", `["a/b"]`, "", "the document must be an object, got array"},
		{"server website not a uri", MCPServer, "", `{"name":"a/b","description":"d","version":"1","websiteUrl":"not a url"}`, "/websiteUrl", "must be a valid uri"},
		{"server repository missing source", MCPServer, "", `{"name":"a/b","description":"d","version":"1","repository":{"url":"https://github.com/a/b"}}`, "/repository/source", "missing property 'source'"},
		{"server bad transport type", MCPServer, "", `{"name":"a/b","description":"d","version":"1","packages":[{"registryType":"npm","identifier":"x","transport":{"type":"websocket"}}]}`, "/packages/0/transport/type", `must be one of "stdio", "streamable-http", "sse", got "websocket"`},
		{"server sse without url", MCPServer, "", `{"name":"a/b","description":"d","version":"1","remotes":[{"type":"sse"}]}`, "/remotes/0/url", "missing property 'url'"},
		{"server remote url not http", MCPServer, "", `{"name":"a/b","description":"d","version":"1","remotes":[{"type":"streamable-http","url":"ftp://example.com/mcp"}]}`, "/remotes/0/url", "must match pattern ^https?://"},
		{"server package version latest", MCPServer, "", `{"name":"a/b","description":"d","version":"1","packages":[{"registryType":"npm","identifier":"x","version":"latest","transport":{"type":"stdio"}}]}`, "/packages/0/version", `must not be "latest"`},
		{"server package missing transport", MCPServer, "", `{"name":"a/b","description":"d","version":"1","packages":[{"registryType":"npm","identifier":"x"}]}`, "/packages/0/transport", "missing property 'transport'"},
		{"server bad sha256", MCPServer, "", `{"name":"a/b","description":"d","version":"1","packages":[{"registryType":"mcpb","identifier":"https://x/y.mcpb","fileSha256":"ABC","transport":{"type":"stdio"}}]}`, "/packages/0/fileSha256", "64 lowercase hexadecimal digits"},
		{"server positional without value", MCPServer, "", `{"name":"a/b","description":"d","version":"1","packages":[{"registryType":"npm","identifier":"x","transport":{"type":"stdio"},"packageArguments":[{"type":"positional"}]}]}`, "/packages/0/packageArguments/0", "missing property 'valueHint' or 'value'"},
		{"server named without name", MCPServer, "", `{"name":"a/b","description":"d","version":"1","packages":[{"registryType":"npm","identifier":"x","transport":{"type":"stdio"},"runtimeArguments":[{"type":"named"}]}]}`, "/packages/0/runtimeArguments/0/name", "missing property 'name'"},
		{"server env var wrong type", MCPServer, "", `{"name":"a/b","description":"d","version":"1","packages":[{"registryType":"npm","identifier":"x","transport":{"type":"stdio"},"environmentVariables":[{"name":"A","isSecret":"yes"}]}]}`, "/packages/0/environmentVariables/0/isSecret", "must be a boolean, got string"},
		{"server icon bad theme", MCPServer, "", `{"name":"a/b","description":"d","version":"1","icons":[{"src":"https://x/i.png","theme":"blue"}]}`, "/icons/0/theme", `must be one of "light", "dark", got "blue"`},
		{"server unknown schemaVersion", MCPServer, "2024-01-01", awsMinimalServer, "", `unsupported MCP server schemaVersion "2024-01-01"; supported: 2025-12-11, 2025-10-17`},
		{"server camelCase doc as 2025-07-09", MCPServer, "2025-07-09", awsMinimalServer, "/version_detail", "missing property 'version_detail'"},

		// MCP tools/list.
		{"tools missing tools", MCPTools, "", `{"items":[]}`, "/tools", "missing property 'tools'"},
		{"tools not an array", MCPTools, "", `{"tools":{}}`, "/tools", "must be an array, got object"},
		{"tool missing name", MCPTools, "", `{"tools":[{"inputSchema":{"type":"object"}}]}`, "/tools/0/name", "missing property 'name'"},
		{"tool missing inputSchema", MCPTools, "", `{"tools":[{"name":"a"}]}`, "/tools/0/inputSchema", "missing property 'inputSchema'"},
		{"tool inputSchema not object type", MCPTools, "", `{"tools":[{"name":"a","inputSchema":{"type":"string"}}]}`, "/tools/0/inputSchema/type", `must be "object", got "string"`},
		{"tool name too long", MCPTools, "", `{"tools":[{"name":"` + long(129) + `","inputSchema":{"type":"object"}}]}`, "/tools/0/name", "must be at most 128 characters long, got 129"},
		{"tool empty name", MCPTools, "2024-11-05", `{"tools":[{"name":"","inputSchema":{"type":"object"}}]}`, "/tools/0/name", "must not be empty"},
		{"tool annotations wrong type", MCPTools, "2025-03-26", `{"tools":[{"name":"a","inputSchema":{"type":"object"},"annotations":{"readOnlyHint":"yes"}}]}`, "/tools/0/annotations/readOnlyHint", "must be a boolean, got string"},
		{"tool bad taskSupport", MCPTools, "", `{"tools":[{"name":"a","inputSchema":{"type":"object"},"execution":{"taskSupport":"always"}}]}`, "/tools/0/execution/taskSupport", `must be one of "forbidden", "optional", "required"`},
		{"tools unknown protocolVersion", MCPTools, "2023-01-01", `{"tools":[]}`, "", `unsupported MCP protocolVersion "2023-01-01"; supported: 2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05`},

		// A2A Agent Card.
		{"card missing url", A2AAgentCard, "0.3", `{"name":"a","description":"b","version":"1","capabilities":{},"defaultInputModes":[],"defaultOutputModes":[],"skills":[]}`, "/url", "missing property 'url'"},
		{"card 1.0 as 0.3", A2AAgentCard, "0.3", readTestdata(t, "agent-card-1.0.json"), "/url", "missing property 'url'"},
		{"card skill missing tags", A2AAgentCard, "", strings.Replace(readTestdata(t, "agent-card-0.3.json"), `"tags": ["shopping"],`, "", 1), "/skills/1/tags", "missing property 'tags'"},
		{"card capabilities wrong type", A2AAgentCard, "", strings.Replace(readTestdata(t, "agent-card-0.3.json"), `"streaming": true`, `"streaming": "yes"`, 1), "/capabilities/streaming", "must be a boolean, got string"},
		{"card bad security scheme type", A2AAgentCard, "", strings.Replace(readTestdata(t, "agent-card-0.3.json"), `"type": "mutualTLS"`, `"type": "bearer"`, 1), "/securitySchemes/mtls/type", `must be one of "apiKey", "http", "oauth2", "openIdConnect", "mutualTLS", got "bearer"`},
		{"card api key missing name", A2AAgentCard, "", strings.Replace(readTestdata(t, "agent-card-0.3.json"), `"name": "X-API-Key"`, `"nam": "X-API-Key"`, 1), "/securitySchemes/apiKey/name", "missing property 'name'"},
		{"card 1.0 interface missing binding", A2AAgentCard, "1.0", strings.Replace(readTestdata(t, "agent-card-1.0.json"), `"protocolBinding": "JSONRPC", `, "", 1), "/supportedInterfaces/0/protocolBinding", "missing property 'protocolBinding'"},
		{"card 1.0 skills not array", A2AAgentCard, "1.0", `{"name":"a","description":"b","version":"1","supportedInterfaces":[],"capabilities":{},"defaultInputModes":[],"defaultOutputModes":[],"skills":{}}`, "/skills", "must be an array, got object"},
		{"card unknown schemaVersion", A2AAgentCard, "2.0", `{}`, "", `unsupported A2A schemaVersion "2.0"; supported: 0.3, 0.3.0, 1.0, 1.0.0`},

		// Skill definition JSON.
		{"skill def bad name", SkillDefinition, "", `{"name":"PDF_Processing","description":"d"}`, "/name", "must match pattern ^[a-z0-9]+(-[a-z0-9]+)*$"},
		{"skill def missing description", SkillDefinition, "", `{"name":"pdf"}`, "/description", "missing property 'description'"},
		{"skill def name too long", SkillDefinition, "", `{"name":"` + long(65) + `","description":"d"}`, "/name", "must be at most 64 characters long, got 65"},
		{"skill def metadata not string", SkillDefinition, "", `{"name":"a","description":"d","metadata":{"version":1}}`, "/metadata/version", "must be a string, got number"},
		{"skill def compatibility too long", SkillDefinition, "", `{"name":"a","description":"d","compatibility":"` + long(501) + `"}`, "/compatibility", "must be at most 500 characters long, got 501"},
		{"skill def allowed-tools wrong type", SkillDefinition, "", `{"name":"a","description":"d","allowed-tools":7}`, "/allowed-tools", "must be a string or an array, got number"},

		// SKILL.md.
		{"skill md without front matter", ignoreVersion(SkillMarkdown), "", "# PDF processing\n\nDoes things.\n", "front matter", "SKILL.md must start with a line '---'"},
		{"skill md front matter not closed", ignoreVersion(SkillMarkdown), "", "---\nname: a\ndescription: b\n# Body\n", "front matter", "not closed"},
		{"skill md front matter is a list", ignoreVersion(SkillMarkdown), "", "---\n- name\n- description\n---\n", "front matter", "must be a YAML mapping of fields, got a list"},
		{"skill md front matter is a scalar", ignoreVersion(SkillMarkdown), "", "---\njust some text\n---\n", "front matter", "must be a YAML mapping of fields, got a scalar"},
		{"skill md front matter empty", ignoreVersion(SkillMarkdown), "", "---\n---\nbody\n", "front matter", "is empty"},
		{"skill md invalid yaml", ignoreVersion(SkillMarkdown), "", "---\nname: a\ndescription: b: c\n---\n", "front matter", "not valid YAML: line 3:"},
		{"skill md missing name", ignoreVersion(SkillMarkdown), "", "---\ndescription: b\n---\n", "front matter.name", "missing property 'name'"},
		{"skill md missing description", ignoreVersion(SkillMarkdown), "", "---\nname: a\n---\n", "front matter.description", "missing property 'description'"},
		{"skill md empty description", ignoreVersion(SkillMarkdown), "", "---\nname: a\ndescription: \"  \"\n---\n", "front matter.description", "must not be empty"},
		{"skill md null name", ignoreVersion(SkillMarkdown), "", "---\nname:\ndescription: b\n---\n", "front matter.name", "must not be empty"},
		{"skill md uppercase name", ignoreVersion(SkillMarkdown), "", "---\nname: PDF-Processing\ndescription: b\n---\n", "front matter.name", "must contain only lowercase letters (a-z), digits (0-9) and hyphens"},
		{"skill md underscore name", ignoreVersion(SkillMarkdown), "", "---\nname: pdf_processing\ndescription: b\n---\n", "front matter.name", "must contain only lowercase letters"},
		{"skill md leading hyphen", ignoreVersion(SkillMarkdown), "", "---\nname: -pdf\ndescription: b\n---\n", "front matter.name", "must not start or end with a hyphen"},
		{"skill md trailing hyphen", ignoreVersion(SkillMarkdown), "", "---\nname: pdf-\ndescription: b\n---\n", "front matter.name", "must not start or end with a hyphen"},
		{"skill md double hyphen", ignoreVersion(SkillMarkdown), "", "---\nname: pdf--tools\ndescription: b\n---\n", "front matter.name", "must not contain consecutive hyphens"},
		{"skill md name too long", ignoreVersion(SkillMarkdown), "", "---\nname: " + long(65) + "\ndescription: b\n---\n", "front matter.name", "must be at most 64 characters long, got 65"},
		{"skill md name is a list", ignoreVersion(SkillMarkdown), "", "---\nname: [a, b]\ndescription: b\n---\n", "front matter.name", "must be a string, got a list"},
		{"skill md description too long", ignoreVersion(SkillMarkdown), "", "---\nname: a\ndescription: " + long(1025) + "\n---\n", "front matter.description", "must be at most 1024 characters long, got 1025"},
		{"skill md compatibility too long", ignoreVersion(SkillMarkdown), "", "---\nname: a\ndescription: b\ncompatibility: " + long(501) + "\n---\n", "front matter.compatibility", "must be at most 500 characters long, got 501"},
		{"skill md metadata not a mapping", ignoreVersion(SkillMarkdown), "", "---\nname: a\ndescription: b\nmetadata: [x]\n---\n", "front matter.metadata", "must be a mapping of string keys to string values, got a list"},
		{"skill md metadata nested", ignoreVersion(SkillMarkdown), "", "---\nname: a\ndescription: b\nmetadata:\n  owner:\n    team: x\n---\n", "front matter.metadata.owner", "must be a string, got a mapping"},
		{"skill md allowed-tools mapping", ignoreVersion(SkillMarkdown), "", "---\nname: a\ndescription: b\nallowed-tools: {Read: true}\n---\n", "front matter.allowed-tools", "must be a space-separated string or a list of tool names"},
		{"skill md duplicate key", ignoreVersion(SkillMarkdown), "", "---\nname: a\nname: b\ndescription: c\n---\n", "front matter.name", "defined more than once"},
		{"skill md empty", ignoreVersion(SkillMarkdown), "", "", "", "must not be empty"},

		// Custom.
		{"custom invalid json position", ignoreVersion(Custom), "", "{\n  \"a\": tru\n}", "", "invalid JSON at line 2, column 11"},
		{"custom unterminated", ignoreVersion(Custom), "", `[1, 2,`, "", "invalid JSON at line 1, column 7: unexpected end of JSON input"},
		{"custom two values", ignoreVersion(Custom), "", "{}\n[]", "", "invalid JSON at line 2, column 1: unexpected data after the JSON value"},
		{"custom empty", ignoreVersion(Custom), "", "", "", "must not be empty"},
		{"custom oversize", ignoreVersion(Custom), "", oversize, "", "exceeds the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problems(t, tt.run(tt.version, tt.content))
			for _, p := range ps {
				if p.Pointer == tt.pointer && strings.Contains(p.Message, tt.message) {
					return
				}
			}
			t.Fatalf("no problem at %q containing %q; got %q", tt.pointer, tt.message, ps)
		})
	}
}

func TestVersionSpecificRules(t *testing.T) {
	// annotations arrived in 2025-03-26: before that they are an unknown
	// (allowed) property, so a wrong type is not an error.
	doc := `{"tools":[{"name":"a","inputSchema":{"type":"object"},"annotations":{"readOnlyHint":"yes"}}]}`
	if err := MCPTools("2024-11-05", doc); err != nil {
		t.Errorf("2024-11-05: %v", err)
	}
	if err := MCPTools("2025-11-25", doc); err == nil {
		t.Error("2025-11-25: want an error for a non-boolean readOnlyHint")
	}
}

func TestErrorString(t *testing.T) {
	err := MCPServer("", `{"description":"d","version":"1"}`)
	if got, want := err.Error(), "Schema validation failed: /name: missing property 'name'"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	many := &Error{}
	for _, p := range []string{"/a", "/b", "/c", "/d", "/e"} {
		many.Problems = append(many.Problems, Problem{Pointer: p, Message: "bad"})
	}
	if got, want := many.Error(), "Schema validation failed: /a: bad; /b: bad; /c: bad (and 2 more)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	root := MCPServer("", "")
	if got, want := root.Error(), "Schema validation failed: content must not be empty"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestProblemsAreCappedAndSorted(t *testing.T) {
	var tools []string
	for range 30 {
		tools = append(tools, `{"inputSchema":{"type":"string"}}`)
	}
	ps := problems(t, MCPTools("", `{"tools":[`+strings.Join(tools, ",")+`]}`))
	if len(ps) != maxProblems {
		t.Fatalf("got %d problems, want %d", len(ps), maxProblems)
	}
	for i := 1; i < len(ps); i++ {
		if ps[i-1].Pointer > ps[i].Pointer {
			t.Fatalf("problems not sorted: %q", ps)
		}
	}
	// The same input gives the same answer every time.
	again := problems(t, MCPTools("", `{"tools":[`+strings.Join(tools, ",")+`]}`))
	for i := range ps {
		if ps[i] != again[i] {
			t.Fatalf("unstable problems: %q vs %q", ps, again)
		}
	}
}

func TestSupportedVersions(t *testing.T) {
	for _, v := range SupportedMCPServerSchemaVersions() {
		doc := awsMinimalServer
		if v == "2025-07-09" {
			doc = readTestdata(t, "server-2025-07-09.json")
		}
		if err := MCPServer(v, doc); err != nil {
			t.Errorf("MCPServer(%q): %v", v, err)
		}
	}
	for _, v := range SupportedMCPProtocolVersions() {
		if err := MCPTools(v, `{"tools":[{"name":"a","inputSchema":{"type":"object"}}]}`); err != nil {
			t.Errorf("MCPTools(%q): %v", v, err)
		}
	}
	for _, v := range SupportedA2ASchemaVersions() {
		doc := readTestdata(t, "agent-card-0.3.json")
		if strings.HasPrefix(v, "1.") {
			doc = readTestdata(t, "agent-card-1.0.json")
		}
		if err := A2AAgentCard(v, doc); err != nil {
			t.Errorf("A2AAgentCard(%q): %v", v, err)
		}
	}
	// The lists are copies: callers cannot change what is supported.
	SupportedMCPServerSchemaVersions()[0] = "x"
	if SupportedMCPServerSchemaVersions()[0] != LatestMCPServerSchemaVersion {
		t.Error("SupportedMCPServerSchemaVersions exposes its backing array")
	}
}

func TestVersionHelpers(t *testing.T) {
	tests := []struct {
		name    string
		f       func(string) string
		content string
		want    string
	}{
		{"server", ServerVersion, awsMinimalServer, "1.0.0"},
		{"server full", ServerVersion, readTestdata(t, "server-full.json"), "2.3.1"},
		{"server legacy version_detail", ServerVersion, readTestdata(t, "server-2025-07-09.json"), "1.0.2"},
		{"server nested version ignored", ServerVersion, `{"packages":[{"version":"9"}],"name":"a/b"}`, ""},
		{"server escaped", ServerVersion, `{"version":"1.0\u002d\"beta\""}`, `1.0-"beta"`},
		{"server escaped key", ServerVersion, `{"v\u0065rsion":"3"}`, "3"},
		{"server last duplicate wins", ServerVersion, `{"version":"1","version":"2"}`, "2"},
		{"server number", ServerVersion, `{"version":1}`, ""},
		{"server invalid json", ServerVersion, `{"version":"1"`, ""},
		{"server not object", ServerVersion, `["version"]`, ""},
		{"server empty", ServerVersion, ``, ""},
		{"card", AgentCardVersion, readTestdata(t, "agent-card-0.3.json"), "1.4.0"},
		{"card 1.0", AgentCardVersion, readTestdata(t, "agent-card-1.0.json"), "2.0.0"},
		{"card absent", AgentCardVersion, `{"name":"x","skills":[{"version":"7"}]}`, ""},
		{"card BOM", AgentCardVersion, "\uFEFF" + `{"version":"5"}`, "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f(tt.content); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	server := readTestdata(t, "server-full.json")
	tools := readTestdata(t, "tools-list.json")
	card := readTestdata(t, "agent-card-0.3.json")
	skill := readTestdata(t, "SKILL.md")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				bad := (g+i)%2 == 0
				check := func(err error) {
					if (err != nil) != bad {
						t.Errorf("goroutine %d: unexpected result %v", g, err)
					}
				}
				if bad {
					check(MCPServer("", `{"name":1}`))
					check(MCPTools("", `{}`))
					check(A2AAgentCard("", `{}`))
					check(SkillMarkdown("nope"))
				} else {
					check(MCPServer("", server))
					check(MCPTools("", tools))
					check(A2AAgentCard("", card))
					check(SkillMarkdown(skill))
				}
			}
		}()
	}
	wg.Wait()
}

// FuzzValidate feeds arbitrary content to every validator: none may panic,
// and every failure must be an *Error with at least one non-empty problem.
func FuzzValidate(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input it finds, and that
	// costs time roughly quadratic in the input's length.
	for _, s := range []string{
		awsMinimalServer,
		`{"name":"a/b","description":"d","version":"1","packages":[{"registryType":"npm","identifier":"x","transport":{"type":"stdio"},"packageArguments":[{"type":"positional","value":"v"}]}],"remotes":[{"type":"sse","url":"https://x"}]}`,
		`{"name":"a","description":"d","version_detail":{"version":"1"},"packages":[{"transport":{"type":"stdio"}}]}`,
		`{"tools":[{"name":"a","inputSchema":{"type":"object","properties":{"x":{}}},"annotations":{"readOnlyHint":true}}],"nextCursor":"c"}`,
		`{"name":"a","description":"b","url":"u","version":"1","capabilities":{},"defaultInputModes":[],"defaultOutputModes":[],"skills":[{"id":"i","name":"n","description":"d","tags":[]}],"securitySchemes":{"k":{"type":"apiKey","in":"header","name":"n"}}}`,
		`{"name":"a","supportedInterfaces":[{"url":"u","protocolBinding":"JSONRPC","protocolVersion":"1.0"}]}`,
		"---\nname: pdf-tools\ndescription: Does PDFs.\nmetadata:\n  a: b\nallowed-tools: [Read]\n---\n# Body\n",
		`{"name":"pdf","description":"d","metadata":{"a":"b"}}`,
		"", "{", "[]", "null", "---\n---\n", "---\nname: [\n---\n", "---\n&a x: *a\n---\n", `{"tools":[{}]}`, "\uFEFF{}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		check := func(name string, err error) {
			if err == nil {
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%s: got %T %v, want *Error", name, err, err)
			}
			if len(e.Problems) == 0 {
				t.Fatalf("%s: *Error without problems", name)
			}
			for _, p := range e.Problems {
				if p.Message == "" {
					t.Fatalf("%s: problem without message at %q", name, p.Pointer)
				}
			}
			_ = e.Error()
		}
		check("MCPServer", MCPServer("", content))
		check("MCPServer 2025-07-09", MCPServer("2025-07-09", content))
		check("MCPTools", MCPTools("", content))
		check("MCPTools 2024-11-05", MCPTools("2024-11-05", content))
		check("A2AAgentCard", A2AAgentCard("", content))
		check("A2AAgentCard 1.0", A2AAgentCard("1.0", content))
		check("SkillDefinition", SkillDefinition("", content))
		check("SkillMarkdown", SkillMarkdown(content))

		// Custom accepts exactly the single JSON values within the limits.
		trimmed := strings.TrimPrefix(content, "\uFEFF")
		wantValid := len(content) <= MaxContentBytes && strings.TrimSpace(trimmed) != "" && json.Valid([]byte(trimmed))
		err := Custom(content)
		check("Custom", err)
		if (err == nil) != wantValid {
			t.Fatalf("Custom(%q) = %v, want valid=%v", content, err, wantValid)
		}

		// The version helpers agree with encoding/json.
		want := func(key string) string {
			var m map[string]any
			if json.Unmarshal([]byte(trimmed), &m) != nil {
				return ""
			}
			s, _ := m[key].(string)
			return s
		}
		if got, w := AgentCardVersion(content), want("version"); got != w {
			t.Fatalf("AgentCardVersion(%q) = %q, want %q", content, got, w)
		}
		if got := ServerVersion(content); got != want("version") && want("version") != "" {
			t.Fatalf("ServerVersion(%q) = %q, want %q", content, got, want("version"))
		}
	})
}

func benchmark(b *testing.B, f func(string, string) error, version, content string, wantErr bool) {
	b.Helper()
	if err := f(version, content); (err != nil) != wantErr {
		b.Fatalf("unexpected result: %v", err)
	}
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = f(version, content)
	}
}

func BenchmarkMCPServer(b *testing.B) {
	benchmark(b, MCPServer, "", readTestdata(b, "server-full.json"), false)
}

func BenchmarkMCPServerMinimal(b *testing.B) {
	benchmark(b, MCPServer, "", awsMinimalServer, false)
}

func BenchmarkMCPServerInvalid(b *testing.B) {
	doc := strings.Replace(readTestdata(b, "server-full.json"), `"type": "sse"`, `"type": "websocket"`, 1)
	benchmark(b, MCPServer, "", doc, true)
}

func BenchmarkMCPTools(b *testing.B) {
	benchmark(b, MCPTools, "", readTestdata(b, "tools-list.json"), false)
}

func BenchmarkA2AAgentCard(b *testing.B) {
	benchmark(b, A2AAgentCard, "", readTestdata(b, "agent-card-0.3.json"), false)
}

func BenchmarkA2AAgentCard10(b *testing.B) {
	benchmark(b, A2AAgentCard, "1.0", readTestdata(b, "agent-card-1.0.json"), false)
}

func BenchmarkSkillDefinition(b *testing.B) {
	benchmark(b, SkillDefinition, "", readTestdata(b, "skill-definition.json"), false)
}

func BenchmarkSkillMarkdown(b *testing.B) {
	benchmark(b, ignoreVersion(SkillMarkdown), "", readTestdata(b, "SKILL.md"), false)
}

func BenchmarkCustom(b *testing.B) {
	benchmark(b, ignoreVersion(Custom), "", readTestdata(b, "server-full.json"), false)
}

func BenchmarkServerVersion(b *testing.B) {
	doc := readTestdata(b, "server-full.json")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if ServerVersion(doc) != "2.3.1" {
			b.Fatal("wrong version")
		}
	}
}

func BenchmarkAgentCardVersion(b *testing.B) {
	doc := readTestdata(b, "agent-card-0.3.json")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if AgentCardVersion(doc) != "1.4.0" {
			b.Fatal("wrong version")
		}
	}
}
