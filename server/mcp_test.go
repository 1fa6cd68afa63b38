package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/golang-jwt/jwt/v5"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/agentry/agentry/server"
)

// sigv4Transport signs each request with SigV4 for bedrock-agentcore, as an
// IAM-authorized MCP client (or agentry mcp-proxy) does.
type sigv4Transport struct {
	id, secret string
}

func (s sigv4Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: s.id, SecretAccessKey: s.secret}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, r, hex.EncodeToString(sum[:]), "bedrock-agentcore", "us-east-1", time.Now()); err != nil {
		return nil, err
	}
	return http.DefaultTransport.RoundTrip(r)
}

// bearerTransport adds an OAuth bearer token.
type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func connectMCP(t *testing.T, endpoint string, rt http.RoundTripper) *mcp.ClientSession {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "agentry-test", Version: "1"}, nil)
	s, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: &http.Client{Transport: rt}}, nil)
	if err != nil {
		t.Fatalf("connect %s: %v", endpoint, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// callSearch calls search_registry_records and decodes its structured result.
func callSearch(t *testing.T, s *mcp.ClientSession, args map[string]any) (*mcp.CallToolResult, []string) {
	t.Helper()
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: "search_registry_records", Arguments: args})
	if err != nil {
		t.Fatalf("tools/call: %v", err)
	}
	if res.IsError {
		return res, nil
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var out struct {
		RegistryRecords []struct {
			Name           string
			RelevanceScore *float64 `json:"relevanceScore"`
		} `json:"registryRecords"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("structuredContent %s: %v", raw, err)
	}
	for i, r := range out.RegistryRecords {
		// Every record says how relevant it is, best first.
		if r.RelevanceScore == nil || *r.RelevanceScore <= 0 || *r.RelevanceScore > 1 ||
			(i > 0 && *r.RelevanceScore > *out.RegistryRecords[i-1].RelevanceScore) {
			t.Fatalf("record %d %s: relevanceScore %v in %s", i, r.Name, r.RelevanceScore, raw)
		}
	}
	var text string
	if len(res.Content) > 0 {
		if tc, ok := res.Content[0].(*mcp.TextContent); ok {
			text = tc.Text
		}
	}
	if !json.Valid([]byte(text)) || !strings.Contains(text, "registryRecords") {
		t.Fatalf("want the result as a JSON text block too, got %q", text)
	}
	var names []string
	for _, r := range out.RegistryRecords {
		names = append(names, r.Name)
	}
	return res, names
}

func toolErrorText(res *mcp.CallToolResult) string {
	if res == nil || !res.IsError || len(res.Content) == 0 {
		return ""
	}
	tc, _ := res.Content[0].(*mcp.TextContent)
	if tc == nil {
		return ""
	}
	return tc.Text
}

func TestMCPEndpointIAM(t *testing.T) {
	ts := startServer(t)
	reg := seedCatalog(t, ts)
	s := connectMCP(t, ts.URL+"/registry/"+reg+"/mcp", sigv4Transport{ts.Key.AccessKeyID, ts.Key.SecretAccessKey})

	if v := s.InitializeResult().ProtocolVersion; v != "2025-11-25" {
		t.Fatalf("negotiated protocol %q, want 2025-11-25", v)
	}
	// Clients of the two earlier Streamable HTTP revisions are served in theirs.
	for _, version := range []string{"2025-06-18", "2025-03-26"} {
		body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"` + version +
			`","capabilities":{},"clientInfo":{"name":"old-client","version":"1"}}}`
		req, _ := http.NewRequest("POST", ts.URL+"/registry/"+reg+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := (&http.Client{Transport: sigv4Transport{ts.Key.AccessKeyID, ts.Key.SecretAccessKey}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var init struct {
			Result struct{ ProtocolVersion string } `json:"result"`
		}
		json.NewDecoder(resp.Body).Decode(&init)
		resp.Body.Close()
		if init.Result.ProtocolVersion != version {
			t.Fatalf("client of %s got protocol %q", version, init.Result.ProtocolVersion)
		}
	}

	tools, err := s.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) != 1 || tools.Tools[0].Name != "search_registry_records" || tools.Tools[0].OutputSchema == nil ||
		!strings.Contains(tools.Tools[0].Description, "$in") {
		t.Fatalf("tools/list = %+v", tools.Tools)
	}
	if _, names := callSearch(t, s, map[string]any{"searchQuery": "send an email"}); len(names) == 0 || names[0] != "gmail" {
		t.Fatalf("email search: %v", names)
	}
	_, names := callSearch(t, s, map[string]any{"searchQuery": "weather email", "maxResults": 1,
		"filter": map[string]any{"name": map[string]any{"$eq": "gmail"}}})
	if len(names) != 1 || names[0] != "gmail" {
		t.Fatalf("filtered search: %v", names)
	}
	for _, bad := range []struct {
		args map[string]any
		msg  string
	}{
		{map[string]any{"searchQuery": "x", "maxResults": 50}, "maxResults"},
		{map[string]any{"searchQuery": ""}, "searchQuery"},
		{map[string]any{}, "searchQuery"},
		{map[string]any{"searchQuery": "x", "filter": map[string]any{"version": map[string]any{"$gt": "1"}}}, "$gt"},
	} {
		res, _ := callSearch(t, s, bad.args)
		if msg := toolErrorText(res); !strings.Contains(msg, bad.msg) {
			t.Errorf("args %v: want a tool error mentioning %q, got %q", bad.args, bad.msg, msg)
		}
	}
	if err := s.Ping(context.Background(), nil); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

func TestMCPEndpointRefusals(t *testing.T) {
	ts := startServer(t)
	reg := seedCatalog(t, ts)
	post := func(path string, hdr map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", ts.URL+path, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	// An unsigned caller cannot tell an unknown registry from an existing
	// one (TestRegistryExistenceNotRevealed).
	if resp := post("/registry/nosuchregist/mcp", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("unknown registry: %d", resp.StatusCode)
	}
	if resp := post("/registry/"+reg+"/mcp", nil); resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	if resp := post("/registry/"+reg+"/mcp", map[string]string{"Origin": "https://evil.example"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", ts.URL+"/registry/"+reg+"/mcp", strings.NewReader(`{}`))
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host: %d", resp.StatusCode)
	}
}

// startOIDC runs an in-process OIDC provider and returns it with a function
// minting tokens that carry the given extra claims.
func startOIDC(t testing.TB) (*mockoidc.MockOIDC, func(map[string]any) string) {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	mint := func(extra map[string]any) string {
		now := time.Now()
		c := jwt.MapClaims{"iss": m.Issuer(), "sub": "alice", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		for k, v := range extra {
			c[k] = v
		}
		tok, err := m.Keypair.SignJWT(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	return m, mint
}

func TestMCPEndpointJWT(t *testing.T) {
	m, mint := startOIDC(t)
	ts := startServerWith(t, func(c *server.Config) { c.AllowPrivateURLs = true })
	ctx := context.Background()
	out := must[*ctl.CreateRegistryOutput](t)(ts.Client.CreateRegistry(ctx, &ctl.CreateRegistryInput{
		Name: aws.String("jwt-catalog"), AuthorizerType: types.RegistryAuthorizerTypeCustomJwt,
		AuthorizerConfiguration: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
			DiscoveryUrl: aws.String(m.DiscoveryEndpoint()), AllowedAudience: []string{"agentry"}, AllowedScopes: []string{"registry:search"},
		}},
	}))
	reg := aws.ToString(out.RegistryArn)[strings.LastIndex(aws.ToString(out.RegistryArn), "/")+1:]
	ts.publish(t, reg, "weather", "Weather forecasts and severe weather alerts", weatherTools)
	endpoint := ts.URL + "/registry/" + reg + "/mcp"

	good := mint(map[string]any{"aud": "agentry", "scope": "openid registry:search"})
	s := connectMCP(t, endpoint, bearerTransport{good})
	if _, names := callSearch(t, s, map[string]any{"searchQuery": "forecast"}); len(names) != 1 || names[0] != "weather" {
		t.Fatalf("JWT search: %v", names)
	}

	do := func(token string) *http.Response {
		req, _ := http.NewRequest("POST", endpoint, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	metadataURL := ts.URL + "/.well-known/oauth-protected-resource/registry/" + reg + "/mcp"
	resp := do("")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `resource_metadata="`+metadataURL+`"`) ||
		strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("no token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	resp = do(mint(map[string]any{"aud": "someone-else", "scope": "registry:search"}))
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("wrong audience: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	resp = do(mint(map[string]any{"aud": "agentry", "scope": "openid"}))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
		t.Fatalf("missing scope: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}

	// SearchRegistryRecords on a JWT registry takes the same tokens.
	rest := func(token string) (int, string) {
		body := `{"searchQuery": "forecast", "registryIds": ["` + reg + `"]}`
		req, _ := http.NewRequest("POST", ts.URL+"/registry-records/search", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate") + " " + string(b)
	}
	if code, body := rest(good); code != http.StatusOK || !strings.Contains(body, `"name":"weather"`) {
		t.Fatalf("REST search with a token: %d %s", code, body)
	}
	if code, body := rest(""); code != http.StatusUnauthorized || !strings.HasPrefix(body, "Bearer") {
		t.Fatalf("REST search without a token: %d %s", code, body)
	}
	if code, _ := rest(mint(map[string]any{"aud": "agentry", "scope": "openid"})); code != http.StatusForbidden {
		t.Fatalf("REST search with a token lacking the scope: %d", code)
	}

	// Protected resource metadata tells clients where tokens come from.
	mresp, err := http.Get(metadataURL)
	if err != nil {
		t.Fatal(err)
	}
	var md struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
		ScopesSupported      []string `json:"scopes_supported"`
	}
	json.NewDecoder(mresp.Body).Decode(&md)
	mresp.Body.Close()
	if md.Resource != endpoint || len(md.AuthorizationServers) != 1 || md.AuthorizationServers[0] != m.Issuer() {
		t.Fatalf("metadata = %+v", md)
	}

	// A new JWT configuration takes effect on the next request.
	must[*ctl.UpdateRegistryOutput](t)(ts.Client.UpdateRegistry(ctx, &ctl.UpdateRegistryInput{RegistryId: aws.String(reg),
		AuthorizerConfiguration: &types.UpdatedAuthorizerConfiguration{OptionalValue: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{
			Value: types.CustomJWTAuthorizerConfiguration{DiscoveryUrl: aws.String(m.DiscoveryEndpoint()), AllowedAudience: []string{"other"}}}}}))
	if resp := do(good); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("old audience after update: %d", resp.StatusCode)
	}
	if resp := do(mint(map[string]any{"aud": "other"})); resp.StatusCode != http.StatusOK {
		t.Fatalf("new audience after update: %d", resp.StatusCode)
	}
}
