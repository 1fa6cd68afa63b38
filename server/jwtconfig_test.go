package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/server"
)

func jwtAuthorizer(discoveryURL string) *types.AuthorizerConfigurationMemberCustomJWTAuthorizer {
	return &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
		DiscoveryUrl: aws.String(discoveryURL), AllowedAudience: []string{"agentry"}}}
}

// A discoveryUrl the server would refuse to fetch is refused when it is
// configured, naming the field, the rule and the flag that lifts it; it
// used to be accepted, and then every consumer request failed with 503.
func TestJWTDiscoveryURLPolicyAtConfiguration(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	const field = "authorizerConfiguration.customJWTAuthorizer.discoveryUrl"
	iam := ts.createRegistry(t, "iam", false)
	jwt := must[*ctl.CreateRegistryOutput](t)(ts.Client.CreateRegistry(ctx, &ctl.CreateRegistryInput{
		Name: aws.String("jwt"), AuthorizerType: types.RegistryAuthorizerTypeCustomJwt,
		// A public name: allowed here; its addresses are checked when fetched.
		AuthorizerConfiguration: jwtAuthorizer("https://idp.example.com/.well-known/openid-configuration"),
	})).RegistryArn
	for host, rule := range map[string]string{
		"http://idp.example.com":   "must use https",
		"https://127.0.0.1:8443":   "127.0.0.1",
		"https://10.1.2.3":         "10.1.2.3",
		"https://[::1]":            "::1",
		"https://169.254.169.254":  "169.254.169.254",
		"https://localhost:9000":   "localhost",
		"https://auth.localhost":   "auth.localhost",
		"http://[::ffff:10.0.0.1]": "must use https",
	} {
		url := host + "/.well-known/openid-configuration"
		_, err := ts.Client.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("refused"),
			AuthorizerType: types.RegistryAuthorizerTypeCustomJwt, AuthorizerConfiguration: jwtAuthorizer(url)})
		ve := wantValidation(t, err, field, rule)
		if !strings.Contains(aws.ToString(ve.Message), "--allow-private-urls") {
			t.Errorf("%s: the message does not name the flag: %s", url, aws.ToString(ve.Message))
		}
		_, err = ts.Client.UpdateRegistry(ctx, &ctl.UpdateRegistryInput{RegistryId: jwt,
			AuthorizerConfiguration: &types.UpdatedAuthorizerConfiguration{OptionalValue: jwtAuthorizer(url)}})
		wantValidation(t, err, field, "--allow-private-urls")
	}
	if out := must[*ctl.ListRegistriesOutput](t)(ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{})); len(out.Registries) != 2 {
		t.Fatalf("%d registries after the refusals, want 2", len(out.Registries))
	}
	got := must[*ctl.GetRegistryOutput](t)(ts.Client.GetRegistry(ctx, &ctl.GetRegistryInput{RegistryId: jwt}))
	if u := aws.ToString(got.AuthorizerConfiguration.(*types.AuthorizerConfigurationMemberCustomJWTAuthorizer).Value.DiscoveryUrl); !strings.HasPrefix(u, "https://idp.example.com/") {
		t.Fatalf("a refused update changed the discoveryUrl to %s", u)
	}

	// With --allow-private-urls, private addresses and http are allowed.
	private := startServerWith(t, func(c *server.Config) { c.AllowPrivateURLs = true })
	must[*ctl.CreateRegistryOutput](t)(private.Client.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("internal"),
		AuthorizerType: types.RegistryAuthorizerTypeCustomJwt, AuthorizerConfiguration: jwtAuthorizer("http://10.1.2.3/.well-known/openid-configuration")}))

	// The authorizer type is fixed at creation: the message says so and
	// what to do instead.
	_, err := ts.Client.UpdateRegistry(ctx, &ctl.UpdateRegistryInput{RegistryId: aws.String(iam),
		AuthorizerConfiguration: &types.UpdatedAuthorizerConfiguration{OptionalValue: jwtAuthorizer("https://idp.example.com/.well-known/openid-configuration")}})
	for _, says := range []string{"authorizer type is fixed when the registry is created", "create a new registry with authorizerType CUSTOM_JWT"} {
		wantValidation(t, err, "authorizerConfiguration", says)
	}
}

// At request time, an identity provider that fails for now (503 with
// Retry-After) is told from a configuration that cannot work (500, no
// Retry-After, a description that says what to change, no URL).
func TestJWTProviderFailuresAtRequestTime(t *testing.T) {
	m, mint := startOIDC(t)
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := "http://" + r.Host + strings.TrimSuffix(r.URL.Path, "/.well-known/openid-configuration")
		switch r.URL.Path {
		case "/down/.well-known/openid-configuration":
			w.WriteHeader(http.StatusBadGateway)
		case "/not-a-document/.well-known/openid-configuration":
			w.Write([]byte("<html>sign in</html>"))
		case "/gone/.well-known/openid-configuration":
			w.WriteHeader(http.StatusNotFound)
		case "/bad-keys/.well-known/openid-configuration":
			fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, base, base+"/jwks")
		case "/bad-keys/jwks":
			w.Write([]byte(`{"keys":"none"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(idp.Close)
	ts := startServerWith(t, func(c *server.Config) { c.AllowPrivateURLs = true })
	ctx := context.Background()
	create := func(name, discoveryURL string) string {
		out := must[*ctl.CreateRegistryOutput](t)(ts.Client.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String(name),
			AuthorizerType: types.RegistryAuthorizerTypeCustomJwt, AuthorizerConfiguration: jwtAuthorizer(discoveryURL)}))
		arn := aws.ToString(out.RegistryArn)
		return arn[strings.LastIndex(arn, "/")+1:]
	}
	oidc := create("oidc", m.DiscoveryEndpoint())
	token := mint(map[string]any{"aud": "agentry"})

	type answer struct {
		status                int
		retryAfter, errorType string
		body                  string
	}
	ask := func(srv *testServer, reg string, metadata bool) answer {
		t.Helper()
		var req *http.Request
		if metadata {
			req, _ = http.NewRequest("GET", srv.URL+"/.well-known/oauth-protected-resource/registry/"+reg+"/mcp", nil)
		} else {
			req, _ = http.NewRequest("POST", srv.URL+"/registry/"+reg+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("X-Amzn-ErrorType"), string(b)}
	}
	wantMisconfigured := func(name string, a answer, says string) {
		t.Helper()
		if a.status != http.StatusInternalServerError || a.retryAfter != "" || a.errorType != "InternalServerException" ||
			!strings.Contains(a.body, says) || !strings.Contains(a.body, "discoveryUrl") || strings.Contains(a.body, "127.0.0.1") {
			t.Errorf("%s: got %+v, want 500 InternalServerException without Retry-After saying %q", name, a, says)
		}
	}
	cases := []struct {
		name, path string
		says       string // "" = transient
	}{
		{"provider down", "/down", ""},
		{"not a discovery document", "/not-a-document", "discovery document"},
		{"discovery document gone", "/gone", "discovery document"},
		{"keys not a JWKS", "/bad-keys", "JSON Web Key Set"},
	}
	for _, c := range cases {
		reg := create(strings.ReplaceAll(strings.Trim(c.path, "/"), "-", ""), idp.URL+c.path+"/.well-known/openid-configuration")
		for _, metadata := range []bool{false, true} {
			if metadata && c.path == "/bad-keys" {
				continue // the metadata needs only the discovery document
			}
			name := fmt.Sprintf("%s (metadata %v)", c.name, metadata)
			a := ask(ts, reg, metadata)
			if c.says == "" {
				if a.status != http.StatusServiceUnavailable || a.retryAfter != "5" {
					t.Errorf("%s: got %+v, want 503 with Retry-After: 5", name, a)
				}
				continue
			}
			wantMisconfigured(name, a, c.says)
		}
	}

	// The same database served without --allow-private-urls: the registry's
	// discoveryUrl (loopback, http) is now refused by policy.
	strict := startServerWith(t, func(c *server.Config) { c.DataDir, c.DatabaseURL = ts.cfg.DataDir, ts.cfg.DatabaseURL })
	if a := ask(ts, oidc, false); a.status != http.StatusOK {
		t.Fatalf("with the flag: %+v", a)
	}
	for _, metadata := range []bool{false, true} {
		wantMisconfigured(fmt.Sprintf("policy changed (metadata %v)", metadata), ask(strict, oidc, metadata), "--allow-private-urls")
	}
}
