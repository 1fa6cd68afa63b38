package interop

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

// TestConsoleSignInWithOIDCProvider: the web console signs a person in
// with a CUSTOM_JWT registry's real authorization server (oidc-provider):
// authorization code with PKCE, state and nonce, the registry's MCP URL as
// the resource, the registry's first allowed client as the console's
// (pre-registered, public); the browser follows the provider's login and
// consent redirects with its cookies. The session then searches the
// registry, and nothing else.
func TestConsoleSignInWithOIDCProvider(t *testing.T) {
	tools := requireNodeTools(t)
	f := newOAuthAgentry(t)
	as := startAuthServerWith(t, tools, time.Hour, 24*time.Hour, f.URL+"/console/oauth/callback")
	mcpURL := f.jwtRegistry(t, "console-sign-in", func(mcpURL string) types.CustomJWTAuthorizerConfiguration {
		return types.CustomJWTAuthorizerConfiguration{DiscoveryUrl: aws.String(as.openIDDiscovery()),
			AllowedAudience: []string{mcpURL}, AllowedClients: []string{preregisteredClientID}, AllowedScopes: []string{"registry:search"}}
	})
	regID := strings.TrimSuffix(strings.TrimPrefix(mcpURL, f.URL+"/registry/"), "/mcp")

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 15 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := browser.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get(f.URL + "/console/oauth/start?registry=" + regID)
	if code != http.StatusOK || !strings.Contains(body, "Signed in") {
		t.Fatalf("sign-in: %d %s", code, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body = get(f.URL + "/console/search?registry=" + regID + "&q=weather+forecast")
		if code != http.StatusOK {
			t.Fatalf("search: %d %s", code, body)
		}
		if strings.Contains(body, "io.example/weather") || strings.Contains(body, ">weather<") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("search found nothing: %s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _ := get(f.URL + "/console/queue"); code != http.StatusForbidden {
		t.Errorf("queue: %d, want 403", code)
	}
}
