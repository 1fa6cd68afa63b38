package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/server"
)

// BenchmarkMCPBearerCall measures the server's whole path for an MCP call
// on a CUSTOM_JWT registry after the first (discovery document, keys and
// the token's checked signature cached, as for an MCP client that reuses
// its access token): request id, limits, registry lookup, bearer
// verification with every claim check of the recommended set-up (issuer,
// expiry, audience = the registry's MCP URL, scope), body, JSON-RPC. It
// calls the handler in-process, one call at a time, so cpu-us/call is the
// server's CPU per call (the benchmark's own request building included). ping is the cheapest method, so nearly all of it
// is authentication; tools/list adds the tool list. The 401 of a call
// without a token is the floor of the path without verification.
func BenchmarkMCPBearerCall(b *testing.B) {
	m, mint := startOIDC(b)
	ts := startServerWith(b, func(c *server.Config) { c.AllowPrivateURLs = true })
	reg := aws.ToString(must[*ctl.CreateRegistryOutput](b)(ts.Client.CreateRegistry(context.Background(), &ctl.CreateRegistryInput{
		Name: aws.String("jwt-bench"), AuthorizerType: types.RegistryAuthorizerTypeCustomJwt,
		AuthorizerConfiguration: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
			DiscoveryUrl: aws.String(m.DiscoveryEndpoint()), AllowedAudience: []string{"placeholder"}}},
	})).RegistryArn)
	reg = reg[strings.LastIndex(reg, "/")+1:]
	mcpURL := ts.URL + "/registry/" + reg + "/mcp"
	must[*ctl.UpdateRegistryOutput](b)(ts.Client.UpdateRegistry(context.Background(), &ctl.UpdateRegistryInput{
		RegistryId: aws.String(reg),
		AuthorizerConfiguration: &types.UpdatedAuthorizerConfiguration{OptionalValue: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{
			Value: types.CustomJWTAuthorizerConfiguration{DiscoveryUrl: aws.String(m.DiscoveryEndpoint()),
				AllowedAudience: []string{mcpURL}, AllowedScopes: []string{"registry:search"}}}},
	}))
	token := mint(map[string]any{"aud": mcpURL, "scope": "registry:search", "client_id": "bench"})
	h := ts.srv.Handler()

	for _, c := range []struct {
		name, body, token string
		want              int
	}{
		{"ping", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, token, http.StatusOK},
		{"tools-list", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, token, http.StatusOK},
		{"no-token-401", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, "", http.StatusUnauthorized},
	} {
		b.Run(c.name, func(b *testing.B) {
			call := func() int {
				req := httptest.NewRequest(http.MethodPost, mcpURL, strings.NewReader(c.body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json, text/event-stream")
				req.Header.Set("MCP-Protocol-Version", "2025-11-25")
				if c.token != "" {
					req.Header.Set("Authorization", "Bearer "+c.token)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				return w.Code
			}
			if got := call(); got != c.want { // the first call fetches and caches
				b.Fatalf("status %d, want %d", got, c.want)
			}
			errs := 0
			b.ReportAllocs()
			cpu := processCPU()
			b.ResetTimer()
			for b.Loop() {
				if call() != c.want {
					errs++
				}
			}
			// The process's CPU time per call (garbage collection included)
			// does not depend on what else the machine runs, as ns/op does.
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-us/call")
			b.ReportMetric(float64(errs), "errors")
		})
	}
}
