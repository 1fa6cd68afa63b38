package httpapi

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/agentry/agentry/iam"
)

// Finished describes a request once it has been answered, for metrics and
// the audit trail. It holds nothing secret: no credentials, no bodies, only
// the names of the fields a changing call sent.
type Finished struct {
	// Context is the request's (its trace span, when tracing is on).
	Context   context.Context
	Time      time.Time // when the request arrived
	Duration  time.Duration
	RequestID string
	// Operation is the API operation ("CreateRegistryRecord",
	// "SearchRegistryRecords", OperationMCP), "" when none matched.
	Operation string
	Method    string // the HTTP method
	Status    int
	ErrorName string // the AWS error name of a failure
	// Principal and AccessKeyID name a SigV4 caller (AccessKeyID may be
	// set for a caller refused before it was known); Subject a bearer
	// token's.
	Principal   string
	AccessKeyID string
	Subject     string
	SourceIP    string
	Resource    string // the ARN the operation acts on
	// Denial is "explicit" when a policy statement denied the call,
	// "implicit" when none allowed it, "" otherwise.
	Denial string
	// DeniedBy names the statement that denied the call explicitly
	// (iam.Match.String); it is for the audit trail, not a metrics label.
	DeniedBy string
	// Changed names the top-level fields a changing call sent.
	Changed []string
	// MCPMethod and MCPTool name an MCP request's JSON-RPC method and tool
	// (bounded: unknown ones are "other").
	MCPMethod string
	MCPTool   string
	// Results is the number of hits a search returned, -1 when none ran.
	Results int
}

// ActionGetMetrics is the IAM action that allows GET /metrics on the API
// listener (Config.Metrics).
const ActionGetMetrics = "agentry:GetMetrics"

// OperationMCP names requests to a registry's MCP endpoint.
const OperationMCP = "MCP"

func finished(r *http.Request, info *requestInfo, status int, start time.Time) Finished {
	f := Finished{Context: r.Context(), Time: start, Duration: time.Since(start), RequestID: info.id, Operation: info.operation,
		Method: r.Method, Status: status, ErrorName: info.errorName, AccessKeyID: info.accessKeyID,
		Subject: info.subject, Resource: info.resource, Denial: info.denial, DeniedBy: info.deniedBy, Changed: info.changed,
		MCPMethod: info.mcpMethod, MCPTool: info.mcpTool, Results: info.results}
	if info.principal != nil {
		f.Principal = info.principal.ARN
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		f.SourceIP = host
	}
	return f
}

// named notes the operation of requests h serves.
func named(operation string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := requestInfoFrom(r.Context()); info != nil {
			info.operation = operation
		}
		h.ServeHTTP(w, r)
	})
}

func noteResource(r *http.Request, arn string) {
	if info := requestInfoFrom(r.Context()); info != nil {
		info.resource = arn
	}
}

func noteDenial(r *http.Request, d iam.Decision, m iam.Match) {
	if info := requestInfoFrom(r.Context()); info != nil {
		info.denial = "implicit"
		if d == iam.ExplicitDeny {
			info.denial, info.deniedBy = "explicit", m.String()
		}
	}
}

// noteChanged notes the top-level field names of a changing call's JSON
// body: the audit trail says what a call changed, not to what.
func noteChanged(r *http.Request, body []byte) {
	info := requestInfoFrom(r.Context())
	if info == nil {
		return
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return
	}
	for name := range fields {
		if name != "clientToken" && len(name) <= 64 {
			info.changed = append(info.changed, name)
		}
	}
	slices.Sort(info.changed)
}

func noteResults(ctx context.Context, n int) {
	if info := requestInfoFrom(ctx); info != nil {
		info.results = n
	}
}

// noteMCP notes the method of a single JSON-RPC message and the tool it
// calls, bounded to those this server serves.
func noteMCP(r *http.Request, m *rpcMessage) {
	info := requestInfoFrom(r.Context())
	if info == nil || m.Method == nil {
		return
	}
	info.mcpMethod = "other"
	if _, ok := mcpMethods[*m.Method]; ok {
		info.mcpMethod = *m.Method
	}
	if *m.Method == "tools/call" {
		var p struct {
			Name string `json:"name"`
		}
		json.Unmarshal(m.Params, &p)
		info.mcpTool = "other"
		if p.Name == searchToolName {
			info.mcpTool = p.Name
		}
	}
}
