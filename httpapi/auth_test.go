package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentry/agentry/httpapi"
	"github.com/agentry/agentry/iam"
	"github.com/agentry/agentry/registry"
)

const (
	mcpPing     = `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	jwtLike     = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	goodIdP     = "https://good.example/.well-known/openid-configuration"
	mcpResource = `resource_metadata="` + publicURL + `/.well-known/oauth-protected-resource/registry/` + jwtRegistry + `/mcp"`
)

func searchBody(registryID string) string {
	return `{"searchQuery":"weather","registryIds":["` + registryID + `"]}`
}

// TestRefusedBeforeBody: every surface refuses a request whose credential
// the headers alone condemn before it reads a byte of the body. The one
// exception is a search without any credential: the body names the
// registry, which may take bearer tokens.
func TestRefusedBeforeBody(t *testing.T) {
	ta := newTestAPI(t, principalsJSON(), goodIdP)
	const malformed = "AWS4-HMAC-SHA256 Credential=AKIAADMIN00000000001"
	type surface struct {
		name, path, body string
	}
	control := surface{"control plane", "/registries", `{"name":"refused"}`}
	searching := surface{"search", "/registry-records/search", searchBody(iamRegistry)}
	mcpIAM := surface{"MCP of an AWS_IAM registry", "/registry/" + iamRegistry + "/mcp", mcpPing}
	mcpNone := surface{"MCP of no registry", "/registry/" + noRegistry + "/mcp", mcpPing}
	mcpJWT := surface{"MCP of a CUSTOM_JWT registry", "/registry/" + jwtRegistry + "/mcp", mcpPing}
	for _, c := range []struct {
		name      string
		surfaces  []surface
		req       request
		status    int
		errorType string
		readsBody bool
	}{
		{"no credential", []surface{control, mcpIAM, mcpNone}, request{},
			http.StatusForbidden, "MissingAuthenticationTokenException", false},
		{"no credential", []surface{searching}, request{},
			http.StatusForbidden, "MissingAuthenticationTokenException", true},
		{"malformed Authorization", []surface{control, searching, mcpIAM, mcpNone}, request{header: map[string]string{"Authorization": malformed}},
			http.StatusForbidden, "IncompleteSignatureException", false},
		{"another region", []surface{control, searching, mcpIAM, mcpNone}, request{sign: &adminKey, signRegion: "eu-west-1"},
			http.StatusForbidden, "InvalidSignatureException", false},
		{"signed an hour ago", []surface{control, searching, mcpIAM, mcpNone}, request{sign: &adminKey, signedAt: time.Now().Add(-time.Hour)},
			http.StatusForbidden, "InvalidSignatureException", false},
		{"unknown access key", []surface{control, searching, mcpIAM, mcpNone}, request{sign: &unknown},
			http.StatusForbidden, "UnrecognizedClientException", false},
		{"a bearer token that is not a JWT", []surface{searching}, request{bearerToken: "opaque-token"},
			http.StatusUnauthorized, "UnauthorizedException", false},
		{"a bearer token", []surface{control}, request{bearerToken: jwtLike},
			http.StatusForbidden, "IncompleteSignatureException", false},
		{"no token", []surface{mcpJWT}, request{},
			http.StatusUnauthorized, "UnauthorizedException", false},
		{"a refused token", []surface{mcpJWT}, request{bearerToken: "expired.x.y"},
			http.StatusUnauthorized, "UnauthorizedException", false},
		{"a SigV4 signature", []surface{mcpJWT}, request{sign: &adminKey},
			http.StatusUnauthorized, "UnauthorizedException", false},
	} {
		for _, s := range c.surfaces {
			t.Run(s.name+", "+c.name, func(t *testing.T) {
				req := c.req
				req.method, req.path, req.body = "POST", s.path, s.body
				got := ta.do(t, req)
				if got.status != c.status || got.errorType != c.errorType || got.message == "" {
					t.Fatalf("got %d %s %q, want %d %s", got.status, got.errorType, got.message, c.status, c.errorType)
				}
				if got.bodyRead != c.readsBody {
					t.Fatalf("body read: %v, want %v", got.bodyRead, c.readsBody)
				}
				if calls := ta.svc.called(); len(calls) > 0 {
					t.Fatalf("a refused request called %v", calls)
				}
			})
		}
	}
	if n := ta.searcher.searches.Load(); n > 0 {
		t.Fatalf("refused requests searched %d times", n)
	}
}

// TestOneCredentialLookup: a SigV4 request finds its key's principal and
// secret in one lookup, on every surface, so that the principal a request
// acts as is the one whose secret signed it.
func TestOneCredentialLookup(t *testing.T) {
	ta := newTestAPI(t, principalsJSON(), goodIdP)
	for _, req := range []request{
		{method: "GET", path: "/registries/" + iamRegistry},
		{method: "POST", path: "/registries", body: `{"name":"one"}`},
		{method: "POST", path: "/registry-records/search", body: searchBody(iamRegistry)},
		{method: "POST", path: "/registry/" + iamRegistry + "/mcp", body: mcpPing},
	} {
		req.sign = &adminKey
		before := ta.credentials.lookups.Load()
		if got := ta.do(t, req); got.status >= 300 {
			t.Fatalf("%s %s: %d %s", req.method, req.path, got.status, got.body)
		}
		if n := ta.credentials.lookups.Load() - before; n != 1 {
			t.Fatalf("%s %s: %d lookups of the access key, want 1", req.method, req.path, n)
		}
	}
}

// apiOperation is one operation of either surface and what it is
// authorized as.
type apiOperation struct {
	name               string
	method, path, body string
	actions            []string // IAM actions, all needed
	resource           string
	status             int    // when allowed
	effect             string // what only an allowed call does: the service operation it calls
}

var (
	registryPath = "/registries/" + iamRegistry
	recordPath   = registryPath + "/records/" + recordID
	operations   = []apiOperation{
		{"CreateRegistry", "POST", "/registries", `{"name":"new"}`, nil, arns.Registry("*"), http.StatusAccepted, "CreateRegistry"},
		{"ListRegistries", "GET", "/registries", "", nil, arns.Registry("*"), http.StatusOK, "ListRegistries"},
		{"GetRegistry", "GET", registryPath, "", nil, arns.Registry(iamRegistry), http.StatusOK, "GetRegistry"},
		{"UpdateRegistry", "PATCH", registryPath, `{}`, nil, arns.Registry(iamRegistry), http.StatusAccepted, "UpdateRegistry"},
		{"DeleteRegistry", "DELETE", registryPath, "", nil, arns.Registry(iamRegistry), http.StatusAccepted, "DeleteRegistry"},
		{"CreateRegistryRecord", "POST", registryPath + "/records", `{"name":"new"}`, nil, arns.Registry(iamRegistry), http.StatusAccepted, "CreateRecord"},
		{"ListRegistryRecords", "GET", registryPath + "/records", "", nil, arns.Registry(iamRegistry), http.StatusOK, "ListRecords"},
		{"GetRegistryRecord", "GET", recordPath, "", nil, arns.Record(iamRegistry, recordID), http.StatusOK, "GetRecord"},
		{"UpdateRegistryRecord", "PATCH", recordPath, `{}`, nil, arns.Record(iamRegistry, recordID), http.StatusAccepted, "UpdateRecord"},
		{"DeleteRegistryRecord", "DELETE", recordPath, "", nil, arns.Record(iamRegistry, recordID), http.StatusOK, "DeleteRecord"},
		{"SubmitRegistryRecordForApproval", "POST", recordPath + "/submit-for-approval", "", nil, arns.Record(iamRegistry, recordID),
			http.StatusAccepted, "SubmitRecord"},
		{"UpdateRegistryRecordStatus", "PATCH", recordPath + "/status", `{"status":"APPROVED"}`, nil, arns.Record(iamRegistry, recordID),
			http.StatusAccepted, "SetRecordStatus"},
		{"SearchRegistryRecords", "POST", "/registry-records/search", searchBody(iamRegistry), nil, arns.Registry(iamRegistry),
			http.StatusOK, "Search"},
		{"MCP", "POST", "/registry/" + iamRegistry + "/mcp", mcpPing, []string{"InvokeRegistryMcp", "SearchRegistryRecords"},
			arns.Registry(iamRegistry), http.StatusOK, ""},
	}
)

func (op apiOperation) iamActions() []string {
	if op.actions != nil {
		return op.actions
	}
	return []string{op.name}
}

// TestAuthorizePerOperation: each operation of both surfaces runs only when
// the caller's policies allow its IAM actions on its resource. For each
// operation a principal is allowed exactly that; every operation is then
// called as each of them, and as principals allowed everything, denied
// everything explicitly, and allowed nothing here.
func TestAuthorizePerOperation(t *testing.T) {
	var extra []string
	only := map[string]key{}
	for i, op := range operations {
		k := key{id: "AKIAONLY" + strings.Repeat("0", 10) + string(rune('A'+i)) + "1", secret: "only-secret-000000" + op.name}
		only[op.name] = k
		actions := `"bedrock-agentcore:` + strings.Join(op.iamActions(), `", "bedrock-agentcore:`) + `"`
		extra = append(extra, principalJSON("only-"+op.name, k,
			`{"Effect": "Allow", "Action": [`+actions+`], "Resource": "`+op.resource+`"}`))
	}
	ta := newTestAPI(t, principalsJSON(extra...), goodIdP)
	for _, op := range operations {
		for _, as := range append([]string{"admin", "denied", "nobody"}, operationNames()...) {
			t.Run(op.name+" as "+as, func(t *testing.T) {
				// The action refused is the first one as's policies do not
				// allow.
				k, name, refused, explicit := adminKey, as, "", false
				switch as {
				case "admin":
				case "denied":
					k, refused, explicit = deniedKey, op.iamActions()[0], true
				case "nobody":
					k, refused = nobodyKey, op.iamActions()[0]
				default:
					k, name = only[as], "only-"+as
					for _, a := range op.iamActions() {
						if !slices.Contains(operationNamed(as).iamActions(), a) {
							refused = a
							break
						}
					}
				}
				got := ta.do(t, request{method: op.method, path: op.path, body: op.body, sign: &k})
				calls := ta.svc.called()
				searched := ta.searcher.searches.Swap(0) > 0
				if refused == "" {
					if got.status != op.status {
						t.Fatalf("allowed: got %d %s", got.status, got.body)
					}
					if op.effect == "Search" && !searched || op.effect != "Search" && op.effect != "" && !slices.Equal(calls, []string{op.effect}) {
						t.Fatalf("allowed: called %v, searched %v; want %s", calls, searched, op.effect)
					}
					return
				}
				want := iam.DenyMessage(principal(name), "bedrock-agentcore:"+refused, op.resource)
				if explicit {
					want = iam.ExplicitDenyMessage(principal(name), "bedrock-agentcore:"+refused, op.resource)
				}
				if got.status != http.StatusForbidden || got.errorType != "AccessDeniedException" || got.message != want {
					t.Fatalf("denied: got %d %s %q\nwant 403 AccessDeniedException %q", got.status, got.errorType, got.message, want)
				}
				if len(calls) > 0 || searched {
					t.Fatalf("denied, yet called %v, searched %v", calls, searched)
				}
			})
		}
	}
}

func operationNames() []string {
	var names []string
	for _, op := range operations {
		names = append(names, op.name)
	}
	return names
}

func operationNamed(name string) apiOperation {
	for _, op := range operations {
		if op.name == name {
			return op
		}
	}
	panic("no operation " + name)
}

// TestRegistryExistenceAlike: callers who may not use a registry get the
// same answer about an AWS_IAM registry and about an id no registry has,
// on the search API, the MCP endpoint and the protected resource
// metadata; a caller allowed to use the registry named learns that none
// exists.
func TestRegistryExistenceAlike(t *testing.T) {
	ta := newTestAPI(t, principalsJSON(), goodIdP)
	mcp := func(id string) request {
		return request{method: "POST", path: "/registry/" + id + "/mcp", body: mcpPing}
	}
	searching := func(id string) request {
		return request{method: "POST", path: "/registry-records/search", body: searchBody(id)}
	}
	metadata := func(id string) request {
		return request{method: "GET", path: "/.well-known/oauth-protected-resource/registry/" + id + "/mcp"}
	}
	for _, c := range []struct {
		name   string
		req    func(id string) request
		as     request
		status int
	}{
		{"MCP, no credential", mcp, request{}, http.StatusForbidden},
		{"MCP, a bearer token", mcp, request{bearerToken: jwtLike}, http.StatusForbidden},
		{"MCP, a principal without rights", mcp, request{sign: &nobodyKey}, http.StatusForbidden},
		{"MCP, a principal denied", mcp, request{sign: &deniedKey}, http.StatusForbidden},
		{"search, no credential", searching, request{}, http.StatusForbidden},
		{"search, a bearer token", searching, request{bearerToken: jwtLike}, http.StatusForbidden},
		{"search, a principal without rights", searching, request{sign: &nobodyKey}, http.StatusForbidden},
		{"protected resource metadata", metadata, request{}, http.StatusNotFound},
		{"protected resource metadata, a principal", metadata, request{sign: &adminKey}, http.StatusNotFound},
		{"MCP, allowed", mcp, request{sign: &adminKey}, 0},
		{"search, allowed", searching, request{sign: &adminKey}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			ask := func(id string) reply {
				req := c.req(id)
				req.sign, req.bearerToken = c.as.sign, c.as.bearerToken
				got := ta.do(t, req)
				got.message = strings.ReplaceAll(got.message, id, "ID") // messages may name the id asked about
				return got
			}
			known, none := ask(iamRegistry), ask(noRegistry)
			if c.status == 0 {
				if known.status != http.StatusOK || none.status != http.StatusNotFound || none.errorType != "ResourceNotFoundException" {
					t.Fatalf("allowed: an existing registry: %d %s; none: %d %s", known.status, known.body, none.status, none.body)
				}
				return
			}
			if known.status != c.status || known.errorType == "" || known.status != none.status ||
				known.errorType != none.errorType || known.message != none.message {
				t.Fatalf("an existing registry: %d %s %q\nnone:                %d %s %q",
					known.status, known.errorType, known.message, none.status, none.errorType, none.message)
			}
			if strings.Contains(known.message, "AWS_IAM") {
				t.Fatalf("the answer names the authorizer type: %q", known.message)
			}
		})
	}
}

// TestBearerChallenges: a CUSTOM_JWT registry refuses a missing or bad
// token with a WWW-Authenticate challenge that says where to get a good
// one (on the MCP endpoint, its protected resource metadata); an
// unreachable identity provider with 503 and Retry-After; a configuration
// that cannot work with 500 and what to change.
func TestBearerChallenges(t *testing.T) {
	const scope = `scope="registry:search"`
	mcp := request{method: "POST", path: "/registry/" + jwtRegistry + "/mcp", body: mcpPing}
	searching := request{method: "POST", path: "/registry-records/search", body: searchBody(jwtRegistry)}
	for _, c := range []struct {
		name       string
		req        request
		token      string
		status     int
		errorType  string
		challenge  string // "": none
		retryAfter string
	}{
		{"MCP, no token", mcp, "", http.StatusUnauthorized, "UnauthorizedException",
			"Bearer " + mcpResource + ", " + scope, ""},
		{"MCP, an expired token", mcp, "expired.x.y", http.StatusUnauthorized, "UnauthorizedException",
			"Bearer " + mcpResource + `, error="invalid_token", error_description="token is expired", ` + scope, ""},
		{"MCP, a token without scope", mcp, "noscope.x.y", http.StatusForbidden, "AccessDeniedException",
			"Bearer " + mcpResource + `, error="insufficient_scope", error_description="token has none of the allowed scopes", ` + scope, ""},
		{"MCP, identity provider down", mcp, "down.x.y", http.StatusServiceUnavailable, "ServiceUnavailableException",
			"Bearer " + mcpResource + ", " + scope, "5"},
		{"MCP, configuration that cannot work", mcp, "broken.x.y", http.StatusInternalServerError, "InternalServerException",
			"Bearer " + mcpResource + ", " + scope, ""},
		{"MCP, a good token", mcp, "good.x.y", http.StatusOK, "", "", ""},
		{"search, no token", searching, "", http.StatusUnauthorized, "UnauthorizedException", "Bearer " + scope, ""},
		{"search, a token that is not a JWT", searching, "opaque", http.StatusUnauthorized, "UnauthorizedException",
			`Bearer error="invalid_token", error_description="token is malformed"`, ""},
		{"search, an expired token", searching, "expired.x.y", http.StatusUnauthorized, "UnauthorizedException",
			`Bearer error="invalid_token", error_description="token is expired", ` + scope, ""},
		{"search, identity provider down", searching, "down.x.y", http.StatusServiceUnavailable, "ServiceUnavailableException",
			"Bearer " + scope, "5"},
		{"search, a good token", searching, "good.x.y", http.StatusOK, "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ta := newTestAPI(t, principalsJSON(), goodIdP)
			req := c.req
			req.bearerToken = c.token
			got := ta.do(t, req)
			if got.status != c.status || got.errorType != c.errorType {
				t.Fatalf("got %d %s %s, want %d %s", got.status, got.errorType, got.body, c.status, c.errorType)
			}
			if h := got.header.Get("WWW-Authenticate"); h != c.challenge {
				t.Fatalf("WWW-Authenticate: %s\nwant              %s", h, c.challenge)
			}
			if h := got.header.Get("Retry-After"); h != c.retryAfter {
				t.Fatalf("Retry-After: %q, want %q", h, c.retryAfter)
			}
			if c.status >= 500 && !strings.Contains(ta.log.String(), "registry "+jwtRegistry) {
				t.Fatalf("the cause is not logged with the registry:\n%s", ta.log)
			}
		})
	}
}

// TestProtectedResourceMetadata: the metadata of a CUSTOM_JWT registry
// names its identity provider; when the provider cannot be reached the
// answer is 503 with Retry-After, and when the registry's configuration
// cannot work, 500 with what to change.
func TestProtectedResourceMetadata(t *testing.T) {
	for _, c := range []struct {
		discoveryURL string
		status       int
		errorType    string
		retryAfter   string
		contains     string
	}{
		{goodIdP, http.StatusOK, "", "", `"authorization_servers":["https://good.example"]`},
		{"https://down.example/.well-known/openid-configuration", http.StatusServiceUnavailable, "ServiceUnavailableException", "5",
			"could not be reached"},
		{"https://broken.example/.well-known/openid-configuration", http.StatusInternalServerError, "InternalServerException", "",
			"change the discoveryUrl"},
	} {
		t.Run(c.discoveryURL, func(t *testing.T) {
			ta := newTestAPI(t, principalsJSON(), c.discoveryURL)
			got := ta.do(t, request{method: "GET", path: "/.well-known/oauth-protected-resource/registry/" + jwtRegistry + "/mcp"})
			if got.status != c.status || got.errorType != c.errorType || got.header.Get("Retry-After") != c.retryAfter ||
				!strings.Contains(got.body, c.contains) {
				t.Fatalf("got %d %s Retry-After %q %s", got.status, got.errorType, got.header.Get("Retry-After"), got.body)
			}
		})
	}
}

// TestErrorShapes: errors of the service reach the caller in the AWS
// restJson1 shape, by kind; the cause of an internal error is logged with
// the request id, never sent.
func TestErrorShapes(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		status int
		body   string
	}{
		{"not found", registry.Errorf(registry.KindNotFound, "Registry %s does not exist.", iamRegistry), http.StatusNotFound,
			`{"__type":"ResourceNotFoundException","message":"Registry iamregistry1 does not exist."}`},
		{"invalid field", &registry.Error{Kind: registry.KindInvalid, Message: "name: too long",
			Fields: []registry.FieldError{{Name: "name", Message: "too long"}}}, http.StatusBadRequest,
			`{"__type":"ValidationException","message":"name: too long","reason":"FieldValidationFailed","fieldList":[{"name":"name","message":"too long"}]}`},
		{"cannot parse", &registry.Error{Kind: registry.KindInvalid, Reason: registry.ReasonCannotParse, Message: "not JSON"},
			http.StatusBadRequest, `{"__type":"ValidationException","message":"not JSON","reason":"CannotParse"}`},
		{"conflict", registry.Errorf(registry.KindConflict, "busy"), http.StatusConflict, `{"__type":"ConflictException","message":"busy"}`},
		{"quota", registry.Errorf(registry.KindQuotaExceeded, "full"), http.StatusPaymentRequired,
			`{"__type":"ServiceQuotaExceededException","message":"full"}`},
		{"throttled", registry.Errorf(registry.KindThrottled, "slow down"), http.StatusTooManyRequests,
			`{"__type":"ThrottlingException","message":"slow down"}`},
		{"unauthorized", registry.Errorf(registry.KindUnauthorized, "who?"), http.StatusUnauthorized,
			`{"__type":"UnauthorizedException","message":"who?"}`},
		{"forbidden", registry.Errorf(registry.KindForbidden, "no"), http.StatusForbidden, `{"__type":"AccessDeniedException","message":"no"}`},
		{"wrapped", fmt.Errorf("get: %w", registry.Errorf(registry.KindNotFound, "gone")), http.StatusNotFound,
			`{"__type":"ResourceNotFoundException","message":"gone"}`},
		{"internal", registry.Internal(errors.New("disk on fire")), http.StatusInternalServerError,
			`{"__type":"InternalServerException","message":"The server could not complete the request; it has been logged."}`},
		{"not a domain error", errors.New("disk on fire"), http.StatusInternalServerError,
			`{"__type":"InternalServerException","message":"The server could not complete the request; it has been logged."}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			ta := newTestAPI(t, principalsJSON(), goodIdP)
			ta.svc.err = c.err
			got := ta.do(t, request{method: "GET", path: registryPath, sign: &adminKey})
			var want map[string]any
			json.Unmarshal([]byte(c.body), &want)
			if got.status != c.status || got.errorType != want["__type"] || got.header.Get("Content-Type") != "application/json" ||
				!jsonEqual(got.body, c.body) {
				t.Fatalf("got %d %s %s\nwant %d %s", got.status, got.errorType, got.body, c.status, c.body)
			}
			logged := strings.Contains(ta.log.String(), "disk on fire")
			if c.status == http.StatusInternalServerError && !logged {
				t.Fatalf("the cause is not logged:\n%s", ta.log)
			}
			if c.status == http.StatusInternalServerError && !strings.Contains(ta.log.String(), "request_id="+got.header.Get("X-Amzn-Requestid")) {
				t.Fatalf("the cause is not logged with the request id %s:\n%s", got.header.Get("X-Amzn-Requestid"), ta.log)
			}
		})
	}
}

// TestTransferBudgetFull: a body that does not fit the share of
// unauthenticated callers is refused unread with 503 and Retry-After.
func TestTransferBudgetFull(t *testing.T) {
	ta := newTestAPI(t, principalsJSON(), goodIdP, func(c *httpapi.Config) {
		c.Transfers = httpapi.TransferLimits{InFlightBytes: 1000, ClientBytes: 1000}
	})
	body := `{"searchQuery":"` + strings.Repeat("x", 600) + `","registryIds":["` + jwtRegistry + `"]}`
	got := ta.do(t, request{method: "POST", path: "/registry-records/search", body: body, bearerToken: "good.x.y"})
	if got.status != http.StatusServiceUnavailable || got.errorType != "ServiceUnavailableException" ||
		got.header.Get("Retry-After") != "1" || got.bodyRead {
		t.Fatalf("got %d %s Retry-After %q (body read: %v) %s", got.status, got.errorType, got.header.Get("Retry-After"), got.bodyRead, got.body)
	}
}

func jsonEqual(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}

// TestRequestLogLine: every request logs one line with its id first, as
// the request's logger would write it, and the caller and error.
func TestRequestLogLine(t *testing.T) {
	ta := newTestAPI(t, principalsJSON(), goodIdP)
	ta.svc.err = registry.Errorf(registry.KindNotFound, "no such registry")
	got := ta.do(t, request{method: "GET", path: registryPath, sign: &adminKey})
	id := got.header.Get("X-Amzn-Requestid")
	if !regexp.MustCompile(`^[0-9A-Za-z]{8}-[0-9]{8,}$`).MatchString(id) {
		t.Fatalf("request id %q", id)
	}
	line := regexp.MustCompile(`(?m)^time=\S+ level=INFO msg=request request_id=` + id +
		` method=GET path=/registries/\S+ status=404 duration_ms=[0-9.]+ principal=arn:\S+ error=ResourceNotFoundException$`)
	if !line.MatchString(ta.log.String()) {
		t.Fatalf("no request line for %s:\n%s", id, ta.log)
	}
}
