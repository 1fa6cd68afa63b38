package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/sigv4"
)

// The GA tools of the MCP endpoint. Every registry's endpoint serves the
// preview tool search_registry_records to preview callers and these three
// to GA callers (mcpSplit; docs/mcp.md, "GA tools"), as AWS serves them on
// two hosts. The GA search tool's
// arguments are those AWS documents (searchQuery, maxResults, filter);
// the sources give no input schema for the list and batch-get tools, so
// theirs are the REST operations' bodies without the registry, which the
// endpoint names. A SigV4 caller needs agent-registry:InvokeRegistryMcp to
// reach the endpoint and the GA action of each tool it calls.

const (
	gaSearchTool = "search_discoverable_registry_records"
	gaListTool   = "list_discoverable_registry_records"
	gaBatchTool  = "batch_get_discoverable_registry_record"
)

// gaRecordSchema is RegistryRecordSummary of the data plane.
const gaRecordSchema = `{
  "type": "object",
  "properties": {
    "registryArn": {"type": "string"}, "recordArn": {"type": "string"}, "recordId": {"type": "string"},
    "name": {"type": "string"}, "displayName": {"type": "string"}, "description": {"type": "string"},
    "recordType": {"type": "string", "enum": ["MCP", "AGENT", "CUSTOM", "SKILL", "GATEWAY"]},
    "descriptors": {"type": "object",
      "description": "Exactly one of mcpServer, a2aAgentCard, agentSkillsDefinition, custom, http or agui; data members are JSON or markdown strings."},
    "recordVersion": {"type": "string"}, "status": {"type": "string"},
    "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"}
  },
  "required": ["registryArn", "recordArn", "recordId", "name", "recordType", "descriptors", "recordVersion", "status", "createdAt", "updatedAt"]
}`

// gaSearchRecordSchema is a search result: gaRecordSchema and agentry's
// relevanceScore, as in the preview's search answers.
const gaSearchRecordSchema = `{
  "type": "object",
  "properties": {
    "registryArn": {"type": "string"}, "recordArn": {"type": "string"}, "recordId": {"type": "string"},
    "name": {"type": "string"}, "displayName": {"type": "string"}, "description": {"type": "string"},
    "recordType": {"type": "string", "enum": ["MCP", "AGENT", "CUSTOM", "SKILL", "GATEWAY"]},
    "descriptors": {"type": "object",
      "description": "Exactly one of mcpServer, a2aAgentCard, agentSkillsDefinition, custom, http or agui; data members are JSON or markdown strings."},
    "recordVersion": {"type": "string"}, "status": {"type": "string"},
    "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"},
    "relevanceScore": {"type": "number", "minimum": 0, "maximum": 1,
      "description": "How well the record matches the query, 0 to 1: the fused score of the lexical and semantic rankings. Results are sorted by it, and end before the first record that matches the query too weakly."}
  },
  "required": ["registryArn", "recordArn", "recordId", "name", "recordType", "descriptors", "recordVersion", "status", "createdAt", "updatedAt", "relevanceScore"]
}`

var (
	gaSearchInputSchema = mustSchema(`{
  "type": "object",
  "properties": {
    "searchQuery": {"type": "string", "minLength": 1, "maxLength": 256, "description": "What you need, in natural language or keywords."},
    "maxResults": {"type": "integer", "minimum": 1, "maximum": 20, "default": 10, "description": "How many records to return, best first."},
    "filter": {"type": "object",
      "description": "Exact-match metadata filter over name, recordType (MCP, AGENT, CUSTOM, SKILL, GATEWAY) and recordVersion with $eq, $ne, $in, $and, $or."}
  },
  "required": ["searchQuery"],
  "additionalProperties": false
}`)
	gaSearchOutputSchema = mustSchema(`{
  "type": "object",
  "properties": {"registryRecords": {"type": "array", "items": ` + gaSearchRecordSchema + `}},
  "required": ["registryRecords"]
}`)
	gaListInputSchema = mustSchema(`{
  "type": "object",
  "properties": {
    "maxResults": {"type": "integer", "minimum": 1, "maximum": 100, "description": "Page size."},
    "nextToken": {"type": "string", "minLength": 1, "maxLength": 4096, "description": "The nextToken of the previous page."},
    "filters": {"type": "array", "maxItems": 10, "items": {"type": "object",
      "properties": {"name": {"type": "string", "enum": ["recordType", "descriptorType"]},
        "values": {"type": "array", "minItems": 1, "maxItems": 10, "items": {"type": "string", "minLength": 1, "maxLength": 255}}},
      "required": ["name", "values"], "additionalProperties": false}}
  },
  "additionalProperties": false
}`)
	gaListOutputSchema = mustSchema(`{
  "type": "object",
  "properties": {
    "registryRecords": {"type": "array", "items": {"type": "object",
      "properties": {
        "registryArn": {"type": "string"}, "recordArn": {"type": "string"}, "recordId": {"type": "string"},
        "name": {"type": "string"}, "displayName": {"type": "string"}, "description": {"type": "string"},
        "recordType": {"type": "string"}, "descriptorTypes": {"type": "array", "items": {"type": "string"}},
        "recordVersion": {"type": "string"}, "status": {"type": "string"},
        "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"}
      },
      "required": ["registryArn", "recordArn", "recordId", "name", "recordType", "recordVersion", "status", "createdAt", "updatedAt"]}},
    "nextToken": {"type": "string"}
  },
  "required": ["registryRecords"]
}`)
	gaBatchInputSchema = mustSchema(`{
  "type": "object",
  "properties": {
    "recordIds": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"type": "string"},
      "description": "Record ids or record ARNs of this registry."}
  },
  "required": ["recordIds"],
  "additionalProperties": false
}`)
	gaBatchOutputSchema = mustSchema(`{
  "type": "object",
  "properties": {
    "registryRecords": {"type": "array", "items": ` + gaRecordSchema + `},
    "errors": {"type": "array", "items": {"type": "object",
      "properties": {"registryId": {"type": "string"}, "recordId": {"type": "string"},
        "errorCode": {"type": "string", "enum": ["RESOURCE_NOT_FOUND", "ACCESS_DENIED", "INTERNAL_ERROR"]}, "message": {"type": "string"}},
      "required": ["registryId", "recordId", "errorCode"]}}
  },
  "required": ["registryRecords", "errors"]
}`)
)

// addMCPTools adds the GA tools to the endpoint's server.
func (g *gaAPI) addMCPTools(s *mcp.Server) {
	readOnly := false
	ann := &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &readOnly}
	s.AddTool(&mcp.Tool{Name: gaSearchTool, Title: "Search the registry (AWS Agent Registry)",
		Description: "Search this registry's approved records (MCP servers, agents, skills, gateways) by describing what you need. " +
			"Arguments: searchQuery (required, 1-256 characters), maxResults (1-20, default 10), filter (metadata filter over name, recordType and recordVersion).",
		InputSchema: gaSearchInputSchema, OutputSchema: gaSearchOutputSchema, Annotations: ann},
		g.tool("SearchDiscoverableRegistryRecords", func(ctx context.Context, registryID string, raw json.RawMessage) (any, error) {
			var in struct {
				SearchQuery *string `json:"searchQuery"`
				MaxResults  *int    `json:"maxResults"`
				Filter      any     `json:"filter"`
			}
			if err := decodeArgs(raw, &in, "searchQuery, maxResults and filter"); err != nil {
				return nil, err
			}
			recs, err := g.searchGA(ctx, registryID, in.SearchQuery, in.MaxResults, in.Filter, "filter", 2)
			return map[string]any{"registryRecords": recs}, err
		}))
	s.AddTool(&mcp.Tool{Name: gaListTool, Title: "List the registry's records (AWS Agent Registry)",
		Description: "List this registry's approved records page by page, without their descriptors. " +
			"Arguments: maxResults (1-100), nextToken (from the previous page), filters ([{name: recordType or descriptorType, values: [...]}]).",
		InputSchema: gaListInputSchema, OutputSchema: gaListOutputSchema, Annotations: ann},
		g.tool("ListDiscoverableRegistryRecords", func(ctx context.Context, registryID string, raw json.RawMessage) (any, error) {
			var in gaListDiscoverableBody
			if err := decodeArgs(raw, &in, "maxResults, nextToken and filters"); err != nil {
				return nil, err
			}
			return g.listDiscoverableGA(ctx, registryID, in)
		}))
	s.AddTool(&mcp.Tool{Name: gaBatchTool, Title: "Get records by id (AWS Agent Registry)",
		Description: "Get the full approved content of records of this registry by record id or ARN; records that cannot be returned are listed in errors. " +
			"Arguments: recordIds (required, 1-100).",
		InputSchema: gaBatchInputSchema, OutputSchema: gaBatchOutputSchema, Annotations: ann},
		g.tool("GetDiscoverableRegistryRecord", func(ctx context.Context, registryID string, raw json.RawMessage) (any, error) {
			var in struct {
				RecordIDs []string `json:"recordIds"`
			}
			if err := decodeArgs(raw, &in, "recordIds"); err != nil {
				return nil, err
			}
			return g.batchGetGA(ctx, registryID, registryID, in.RecordIDs)
		}))
}

// argsError is a tool call's arguments that do not decode.
type argsError struct{ msg string }

func (e *argsError) Error() string { return e.msg }

func decodeArgs(raw json.RawMessage, v any, names string) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := argumentError(err)
		if names != "" {
			msg = "Invalid arguments: " + msg
		}
		return &argsError{msg}
	}
	return nil
}

// tool wraps a GA tool: it authorizes a SigV4 caller for the tool's GA
// action on the registry, runs it, and answers its result or its error in
// the tool's shape.
func (g *gaAPI) tool(operation string, run func(ctx context.Context, registryID string, raw json.RawMessage) (any, error)) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		c := consumerFrom(ctx)
		if c == nil {
			return nil, errors.New("internal error: no registry in the request context")
		}
		fail := func(err error) (*mcp.CallToolResult, error) {
			var ae *argsError
			if errors.As(err, &ae) {
				return toolError(ae.msg), nil
			}
			e := errorOf(err)
			logCause(ctx, e)
			return toolError(e.message), nil
		}
		if info := requestInfoFrom(ctx); info != nil && info.principal != nil {
			if err := g.authorize(c.req, info.principal, g.arns.Registry(c.registry.ID), gaAction(operation)); err != nil {
				return fail(err)
			}
		}
		out, err := run(ctx, c.registry.ID, req.Params.Arguments)
		if err != nil {
			return fail(err)
		}
		text, err := json.Marshal(out)
		if err != nil {
			return nil, err
		}
		return &mcp.CallToolResult{StructuredContent: json.RawMessage(text), Content: []mcp.Content{&mcp.TextContent{Text: string(text)}}}, nil
	}
}

// mcpServer is the endpoint's server for GA callers: the three GA tools.
func (g *gaAPI) mcpServer(version string) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "agentry", Title: "agentry registry", Version: version}, &mcp.ServerOptions{
		SupportedProtocolVersions: mcpProtocolVersions,
		Capabilities:              &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{}},
		Instructions: "This server searches an agent registry. Call " + gaSearchTool +
			" with a plain-language description of what you need to find MCP servers, agents, skills and gateways that can do it.",
	})
	g.addMCPTools(s)
	s.AddReceivingMiddleware(encodeToolResults)
	return s
}

// mcpSplit serves the MCP endpoint's GA callers with the GA tools and
// everyone else with preview, the preview tool (docs/mcp.md): a SigV4
// caller is a GA caller when its credential scope names agent-registry,
// as on the REST surface; a caller without SigV4 (a bearer token) when
// the Host it called starts with "agent-registry.", as AWS's GA endpoint
// agent-registry.{region}.api.aws does.
func (g *gaAPI) mcpSplit(version string, preview http.Handler) http.Handler {
	server := g.mcpServer(version)
	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, &mcp.StreamableHTTPOptions{
		Stateless: true, JSONResponse: true, DisableLocalhostProtection: true,
	})
	ga := g.pathConsumerAuth([]string{gaAction("InvokeRegistryMcp")}, g.mcpMetadataURL, mcpCheck(sdk))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gaCaller(r) {
			ga.ServeHTTP(w, r)
			return
		}
		preview.ServeHTTP(w, r)
	})
}

// gaCaller reports whether r is a call of the GA API's MCP endpoint.
func gaCaller(r *http.Request) bool {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "AWS4-") {
		auth, err := sigv4.ParseAuthorization(h)
		return err == nil && auth.Service == registry.NamespaceGA
	}
	if cred := r.URL.Query().Get("X-Amz-Credential"); cred != "" {
		return strings.Contains(cred, "/"+registry.NamespaceGA+"/")
	}
	return strings.HasPrefix(strings.ToLower(r.Host), registry.NamespaceGA+".")
}
