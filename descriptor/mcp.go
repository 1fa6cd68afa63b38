package descriptor

import (
	"regexp"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// LatestMCPServerSchemaVersion is the server.json revision used when a
// descriptor names none and its document has no recognisable "$schema".
const LatestMCPServerSchemaVersion = "2025-12-11"

// LatestMCPProtocolVersion is the MCP protocol revision used for tools when a
// descriptor names none.
const LatestMCPProtocolVersion = "2025-11-25"

// mcpServerSchemaFiles maps each server.json revision to the schema that
// validates it. The camelCase revisions share the 2025-12-11 schema: each one
// only relaxed or added optional fields (2025-10-11 made package versions
// optional, 2025-12-11 added remote URL variables), so the latest rules accept
// what the earlier ones did; the one tightening is that transport URLs must be
// http(s) URLs, which the earlier schemas described but did not all enforce.
// 2025-07-09 used snake_case names and a version_detail object and has its
// own schema.
var mcpServerSchemaFiles = map[string]string{
	"2025-12-11": "mcp-server-2025-12-11.schema.json",
	"2025-10-17": "mcp-server-2025-12-11.schema.json",
	"2025-10-11": "mcp-server-2025-12-11.schema.json",
	"2025-09-29": "mcp-server-2025-12-11.schema.json",
	"2025-09-16": "mcp-server-2025-12-11.schema.json",
	"2025-07-09": "mcp-server-2025-07-09.schema.json",
}

// mcpServerVersions lists the server.json revisions, newest first.
var mcpServerVersions = []string{"2025-12-11", "2025-10-17", "2025-10-11", "2025-09-29", "2025-09-16", "2025-07-09"}

// mcpProtocolVersions lists the MCP protocol revisions, newest first.
var mcpProtocolVersions = []string{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}

// SupportedMCPServerSchemaVersions returns the server.json schema versions
// MCPServer accepts, newest first.
func SupportedMCPServerSchemaVersions() []string { return slices.Clone(mcpServerVersions) }

// SupportedMCPProtocolVersions returns the MCP protocol revisions MCPTools
// accepts, newest first.
func SupportedMCPProtocolVersions() []string { return slices.Clone(mcpProtocolVersions) }

// schemaURLVersion extracts the revision from a server.json "$schema" URL such
// as https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json.
var schemaURLVersion = regexp.MustCompile(`/schemas/(\d{4}-\d{2}-\d{2})/server\.schema\.json$`)

// MCPServer validates an MCP Registry server.json document. schemaVersion names
// the server.json revision ("2025-12-11"; the full $schema URL is accepted
// too). When it is empty the revision comes from the document's "$schema" if
// that names a known one, else LatestMCPServerSchemaVersion is used.
func MCPServer(schemaVersion, content string) error {
	version, ok := normalizeServerVersion(schemaVersion)
	if !ok {
		return unsupportedVersion("MCP server schemaVersion", schemaVersion, mcpServerVersions)
	}
	return validateJSON(content, func(s *compiledSchemas, doc any) *jsonschema.Schema {
		use := version
		if use == "" {
			use = LatestMCPServerSchemaVersion
			if obj, ok := doc.(map[string]any); ok {
				if u, ok := obj["$schema"].(string); ok {
					if m := schemaURLVersion.FindStringSubmatch(u); m != nil && s.mcpServer[m[1]] != nil {
						use = m[1]
					}
				}
			}
		}
		return s.mcpServer[use]
	})
}

// normalizeServerVersion returns the canonical revision for schemaVersion, ""
// for "use the default", and false for an unknown revision.
func normalizeServerVersion(schemaVersion string) (string, bool) {
	v := strings.TrimSpace(schemaVersion)
	if v == "" {
		return "", true
	}
	if m := schemaURLVersion.FindStringSubmatch(v); m != nil {
		v = m[1]
	}
	_, ok := mcpServerSchemaFiles[v]
	return v, ok
}

// MCPTools validates an MCP tools/list result ({"tools": [...]}) against the
// protocol revision protocolVersion ("2025-11-25"); empty means
// LatestMCPProtocolVersion.
func MCPTools(protocolVersion, content string) error {
	v := strings.TrimSpace(protocolVersion)
	if v == "" {
		v = LatestMCPProtocolVersion
	}
	if !slices.Contains(mcpProtocolVersions, v) {
		return unsupportedVersion("MCP protocolVersion", protocolVersion, mcpProtocolVersions)
	}
	return validateJSON(content, func(s *compiledSchemas, _ any) *jsonschema.Schema {
		return s.mcpTools[v]
	})
}
