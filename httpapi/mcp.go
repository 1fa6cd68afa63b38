package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unsafe"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentry/agentry/jwtauth"
	"github.com/agentry/agentry/registry"
)

// The MCP endpoint: /registry/{registryId}/mcp serves the Model Context
// Protocol over Streamable HTTP, stateless with JSON responses, so that any
// replica can answer any request. It has one tool, search_registry_records.

const searchToolName = "search_registry_records"

// mcpProtocolVersions are the MCP revisions served, newest first. They all
// speak Streamable HTTP; the SDK's draft revisions are left out until they
// are published.
var mcpProtocolVersions = []string{"2025-11-25", "2025-06-18", "2025-03-26"}

const searchToolDescription = `Search this registry for MCP servers, A2A agents, agent skills and other resources that can help with a task, by describing the task in plain language.

Use it when you need a capability you do not have (reading email, querying a database, booking travel, managing a Kubernetes cluster ...): describe what you want to do, and use the records returned (best match first) to decide which server, agent or skill to connect to. Each record carries its descriptors: for an MCP server its server.json (packages, remotes and how to run or reach it) and, when published, its tool list; for an A2A agent its agent card; for a skill its SKILL.md.

Arguments:
- searchQuery (required): what you need, in natural language or keywords, 1 to 256 characters. Example: "create GitHub issues from a chat".
- maxResults: how many records to return, 1 to 20 (default 10).
- filter: optional, narrows results by exact metadata. Fields: "name", "descriptorType" (MCP, A2A, AGENT_SKILLS or CUSTOM) and "version". Field operators: {"<field>": {"$eq": value}}, {"$ne": value}, {"$in": [values]}. Logical operators: {"$and": [filters]}, {"$or": [filters]}.
  Examples: {"descriptorType": {"$eq": "MCP"}}
            {"$and": [{"descriptorType": {"$in": ["MCP", "A2A"]}}, {"version": {"$ne": "0.1.0"}}]}

Only records approved by the registry's curators are returned.`

// searchToolArgs are the tool's arguments.
type searchToolArgs struct {
	SearchQuery string `json:"searchQuery"`
	MaxResults  *int   `json:"maxResults,omitempty"`
	Filter      any    `json:"filter,omitempty"`
}

var (
	searchInputSchema = mustSchema(`{
  "type": "object",
  "properties": {
    "searchQuery": {"type": "string", "minLength": 1, "maxLength": 256,
      "description": "What you need, in natural language or keywords."},
    "maxResults": {"type": "integer", "minimum": 1, "maximum": 20, "default": 10,
      "description": "How many records to return, best first."},
    "filter": {"type": "object",
      "description": "Exact-match metadata filter over name, descriptorType and version with $eq, $ne, $in, $and, $or."}
  },
  "required": ["searchQuery"],
  "additionalProperties": false
}`)
	searchOutputSchema = mustSchema(`{
  "type": "object",
  "properties": {
    "registryRecords": {
      "type": "array",
      "description": "Matching approved records, best first.",
      "items": {
        "type": "object",
        "properties": {
          "registryArn": {"type": "string"},
          "recordArn": {"type": "string"},
          "recordId": {"type": "string"},
          "name": {"type": "string"},
          "description": {"type": "string"},
          "descriptorType": {"type": "string", "enum": ["MCP", "A2A", "CUSTOM", "AGENT_SKILLS"]},
          "descriptors": {"type": "object",
            "description": "The record's documents: mcp.server and mcp.tools, a2a.agentCard, agentSkills.skillMd and skillDefinition, or custom; each inlineContent is a JSON or markdown string."},
          "version": {"type": "string"},
          "status": {"type": "string"},
          "createdAt": {"type": "string", "format": "date-time"},
          "updatedAt": {"type": "string", "format": "date-time"},
          "relevanceScore": {"type": "number", "minimum": 0, "maximum": 1,
            "description": "How well the record matches the query, 0 to 1: the fused score of the lexical and semantic rankings. Results are sorted by it, and end before the first record that matches the query too weakly."}
        },
        "required": ["registryArn", "recordArn", "recordId", "name", "descriptorType", "descriptors", "status", "createdAt", "updatedAt", "relevanceScore"]
      }
    }
  },
  "required": ["registryRecords"]
}`)
)

func mustSchema(s string) *jsonschema.Schema {
	var schema jsonschema.Schema
	if err := json.Unmarshal([]byte(s), &schema); err != nil {
		panic(err)
	}
	return &schema
}

// mcpServer builds the one MCP server all registries share; the registry of
// a call comes from the request context.
func (a *api) mcpServer(version string) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "agentry", Title: "agentry registry", Version: version}, &mcp.ServerOptions{
		SupportedProtocolVersions: mcpProtocolVersions,
		// Tools only: a stateless server cannot send list-changed or log
		// notifications.
		Capabilities: &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{}},
		Instructions: "This server searches an agent registry. Call " + searchToolName +
			" with a plain-language description of what you need to find MCP servers, agents and skills that can do it.",
	})
	readOnly := false
	// The plain AddTool: the typed one validates arguments against the
	// schema first and answers with the validator's wording; ours says what
	// is wrong in the words of the contract.
	s.AddTool(&mcp.Tool{
		Name:         searchToolName,
		Title:        "Search the registry",
		Description:  searchToolDescription,
		InputSchema:  searchInputSchema,
		OutputSchema: searchOutputSchema,
		Annotations:  &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &readOnly},
	}, a.searchTool)
	s.AddReceivingMiddleware(encodeToolResults)
	return s
}

func (a *api) searchTool(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	c := consumerFrom(ctx)
	if c == nil {
		return nil, errors.New("internal error: no registry in the request context")
	}
	var in searchToolArgs
	if raw := req.Params.Arguments; len(raw) > 0 && string(raw) != "null" {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return toolError("Invalid arguments: " + argumentError(err)), nil
		}
	}
	hits, err := a.runSearch(ctx, c.registry.ID, searchInput{query: in.SearchQuery, maxResults: in.MaxResults,
		filter: in.Filter, filterField: "filter", copies: 2})
	if err != nil {
		// The tool's caller reads what an HTTP caller would.
		e := errorOf(err)
		logCause(ctx, e)
		return toolError(e.message), nil
	}
	if p, ok := a.spliceSearchAnswer(c.registry.ID, hitRecords{a, c.registry.ID, hits}); ok {
		// The text block is needed only if encodeToolResults does not send
		// p.wire: a view of the bytes, which nothing changes, saves a copy.
		return &mcp.CallToolResult{StructuredContent: p,
			Content: []mcp.Content{&mcp.TextContent{Text: unsafe.String(unsafe.SliceData(p.structured), len(p.structured))}}}, nil
	}
	text, err := json.Marshal(a.searchResult(c.registry.ID, hits))
	if err != nil {
		return nil, err
	}
	return &mcp.CallToolResult{
		StructuredContent: json.RawMessage(text),
		Content:           []mcp.Content{&mcp.TextContent{Text: string(text)}},
	}, nil
}

// toolError is a failed call the model can read and act on.
func toolError(msg string) *mcp.CallToolResult {
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: msg}}}
}

// argumentError explains a decoding failure of the tool's arguments.
func argumentError(err error) string {
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ):
		return fmt.Sprintf("%s must be %s, got %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ") + "; the arguments are searchQuery, maxResults and filter"
	default:
		return err.Error()
	}
}

// protectedResourceMetadata serves RFC 9728 metadata for the MCP endpoint
// of a CUSTOM_JWT registry, so that MCP clients find where to get a token.
// Any other registry id, of an AWS_IAM registry or of none, gets the same
// 404.
func (a *api) protectedResourceMetadata(w http.ResponseWriter, r *http.Request) error {
	reg, err := a.svc.LookupRegistry(r.Context(), r.PathValue("registryId"))
	if isInternal(err) {
		return err
	}
	if err != nil || reg.AuthorizerType != registry.AuthorizerCustomJWT || reg.Authorizer == nil || reg.Authorizer.CustomJWT == nil {
		return registry.Errorf(registry.KindNotFound, "No OAuth protected resource metadata exists at this address.")
	}
	cfg := *reg.Authorizer.CustomJWT
	issuer, err := a.jwt.Issuer(r.Context(), cfg.DiscoveryURL)
	if err != nil {
		return issuerError(reg.ID, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=300")
	w.Write(jwtauth.ResourceMetadata(a.mcpURL(reg.ID), issuer, jwtauth.AdvertisedScopes(cfg)))
	return nil
}

// mcpHandler is the whole MCP endpoint: origin and host checks, consumer
// authentication, then the SDK's Streamable HTTP handler.
func (a *api) mcpHandler(version string) http.Handler {
	server := a.mcpServer(version)
	sdk := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, &mcp.StreamableHTTPOptions{
		Stateless:    true,
		JSONResponse: true,
		// Our own host and origin allow-list replaces the SDK's localhost
		// guard, which refuses every request a local proxy forwards.
		DisableLocalhostProtection: true,
	})
	authed := a.pathConsumerAuth([]string{"InvokeRegistryMcp", "SearchRegistryRecords"}, a.mcpMetadataURL, mcpCheck(sdk))
	return a.hostGuard(a.gaAPI().mcpSplit(version, authed))
}

// mcpURL is the public URL of a registry's MCP endpoint.
func (a *api) mcpURL(registryID string) string {
	return a.publicURL + "/registry/" + url.PathEscape(registryID) + "/mcp"
}

// mcpMetadataURL is the RFC 9728 protected resource metadata URL of a
// registry's MCP endpoint.
func (a *api) mcpMetadataURL(registryID string) string {
	return a.publicURL + "/.well-known/oauth-protected-resource/registry/" + url.PathEscape(registryID) + "/mcp"
}

// hostGuard refuses requests whose Host or Origin is not allowed: a web
// page must not reach a registry on a user's machine through DNS
// rebinding, nor call it from another origin.
func (a *api) hostGuard(next http.Handler) http.Handler {
	return handlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if !a.hostAllowed(hostname(r.Host)) {
			return registry.Errorf(registry.KindForbidden, "Host %q is not allowed; add it with --allowed-hosts.", truncate(r.Host, 100))
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			u, err := url.Parse(origin)
			if err != nil || !a.originAllowed(u) {
				return registry.Errorf(registry.KindForbidden, "Origin %q is not allowed; add it with --allowed-origins.", truncate(origin, 100))
			}
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

func (a *api) hostAllowed(host string) bool {
	_, ok := a.allowedHosts[strings.ToLower(host)]
	return ok
}

func (a *api) originAllowed(u *url.URL) bool {
	if _, ok := a.allowedOrigins[strings.ToLower(u.Scheme+"://"+u.Host)]; ok {
		return true
	}
	return (u.Scheme == "http" || u.Scheme == "https") && a.hostAllowed(u.Hostname())
}

// hostname strips the port from a Host header value.
func hostname(hostport string) string {
	u := url.URL{Host: hostport}
	return u.Hostname()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
