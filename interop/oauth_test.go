package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/internal/awstest"
	"github.com/agentry/agentry/server"
)

// The clients the authorization server knows before any registration: the
// MCP client of the pre-registered set-up (public, PKCE) and the service
// that fetches bearer tokens with the client credentials grant.
const (
	preregisteredClientID = "agentry-mcp-client"
	serviceClientID       = "agentry-service"
	serviceClientSecret   = "interop-service-secret-0123456789abcdef"
	redirectURL           = "http://127.0.0.1:33418/callback"
	// accessTokenTTL is short so that the flows see their token expire and
	// refresh it; agentry runs with no clock skew tolerance for the same
	// reason.
	accessTokenTTL = 5 * time.Second
)

// authServer is a running oidc-provider (js/oidc-provider.mjs).
type authServer struct {
	Issuer string
}

func (a *authServer) openIDDiscovery() string { return a.Issuer + "/.well-known/openid-configuration" }
func (a *authServer) rfc8414Metadata() string {
	return a.Issuer + "/.well-known/oauth-authorization-server"
}

// startAuthServer starts js/oidc-provider.mjs on Node 22 and waits for its
// issuer URL. It stops when the test ends.
func startAuthServer(t *testing.T, tools nodeTools, accessTTL, refreshTTL time.Duration) *authServer {
	t.Helper()
	return startAuthServerWith(t, tools, accessTTL, refreshTTL)
}

// startAuthServerWith is startAuthServer with more redirect URIs for the
// pre-registered client.
func startAuthServerWith(t *testing.T, tools nodeTools, accessTTL, refreshTTL time.Duration, redirectURIs ...string) *authServer {
	t.Helper()
	clients, _ := json.Marshal([]map[string]any{
		{"client_id": preregisteredClientID, "token_endpoint_auth_method": "none", "redirect_uris": append([]string{redirectURL}, redirectURIs...),
			"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"}},
		{"client_id": serviceClientID, "client_secret": serviceClientSecret, "redirect_uris": []string{},
			"grant_types": []string{"client_credentials"}, "response_types": []string{}},
	})
	cmd := exec.Command(tools.node22, filepath.Join(tools.jsDir, "oidc-provider.mjs"))
	cmd.Dir = tools.jsDir
	cmd.Env = append(os.Environ(),
		fmt.Sprintf("ACCESS_TOKEN_TTL=%d", int(accessTTL.Seconds())),
		fmt.Sprintf("REFRESH_TOKEN_TTL=%d", int(refreshTTL.Seconds())),
		"CLIENTS="+string(clients))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		stdin.Close() // the provider exits when its stdin ends
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("oidc-provider stderr:\n%s", stderr.String())
		}
	})
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		if s.Scan() {
			line <- s.Text()
		}
		close(line)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case l, ok := <-line:
		var a authServer
		if !ok || json.Unmarshal([]byte(l), &a) != nil || a.Issuer == "" {
			t.Fatalf("oidc-provider did not start: %q\n%s", l, stderr.String())
		}
		return &a
	case <-time.After(60 * time.Second):
		t.Fatalf("oidc-provider did not start within 60 s:\n%s", stderr.String())
	}
	return nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newOAuthAgentry starts agentry as `agentry serve --public-url ...
// --allow-private-urls` would, with no clock skew tolerance for tokens.
func newOAuthAgentry(t *testing.T) *fixture {
	t.Helper()
	key := credentials.Generate()
	hs := httptest.NewUnstartedServer(nil)
	srv, err := server.New(context.Background(), server.Config{
		DataDir: t.TempDir(), Region: "us-east-1", AccountID: "123456789012", Root: key,
		PublicURL:        "http://" + hs.Listener.Addr().String(),
		AllowPrivateURLs: true, // the authorization server is on 127.0.0.1
		JWTClockSkew:     -1,   // none: a token is refused the second it expires
		Version:          "interop-test",
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return &fixture{URL: hs.URL, Key: key, Client: awstest.Control(hs.URL, key.AccessKeyID, key.SecretAccessKey)}
}

// jwtRegistry creates a CUSTOM_JWT registry with cfg, publishes two
// records in it and returns its MCP URL. cfg may refer to the MCP URL
// (the recommended audience), which is known only once the registry
// exists: as docs/mcp.md says, the registry is created with the discovery
// URL alone and then configured with update-registry.
func (f *fixture) jwtRegistry(t *testing.T, name string, cfg func(mcpURL string) types.CustomJWTAuthorizerConfiguration) string {
	t.Helper()
	id := f.createRegistry(t, &ctl.CreateRegistryInput{
		Name: aws.String(name), AuthorizerType: types.RegistryAuthorizerTypeCustomJwt,
		AuthorizerConfiguration: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
			DiscoveryUrl: cfg("").DiscoveryUrl}},
	})
	mcpURL := f.mcpURL(f.URL, id)
	if _, err := f.Client.UpdateRegistry(context.Background(), &ctl.UpdateRegistryInput{
		RegistryId: aws.String(id),
		AuthorizerConfiguration: &types.UpdatedAuthorizerConfiguration{OptionalValue: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{
			Value: cfg(mcpURL)}},
	}); err != nil {
		t.Fatal(err)
	}
	f.publish(t, id, "weather", "Weather forecasts and severe weather alerts",
		`{"tools":[{"name":"get_forecast","description":"Weather forecast for a city","inputSchema":{"type":"object"}}]}`)
	f.publish(t, id, "github", "Manage GitHub repositories, issues and pull requests", "")
	return mcpURL
}

// oauthRun is what js/ts-oauth-client.mjs reports.
type oauthRun struct {
	Connected bool
	Tools     []string
	Calls     []struct {
		IsError bool
		Names   []string
	}
	Authorizations []struct {
		ClientID            string `json:"client_id"`
		Scope               string
		Resource            string
		CodeChallengeMethod string `json:"code_challenge_method"`
		HasCodeChallenge    bool   `json:"has_code_challenge"`
	}
	Registrations []struct {
		Status   int
		ClientID string `json:"client_id"`
		Scope    string
	}
	TokenRequests []struct {
		GrantType string `json:"grant_type"`
		Resource  string
		Scope     string
		Status    int
		Error     string
	}
	MCP []struct {
		Method          string
		Status          int
		WWWAuthenticate string
	}
	AccessTokens []struct {
		Aud      any
		Scope    string
		ClientID string `json:"client_id"`
		TTL      int
	}
	Errors []string
}

// grants returns the token requests of one grant type.
func (r *oauthRun) grants(grantType string) (ok, failed []string) {
	for _, tr := range r.TokenRequests {
		if tr.GrantType != grantType {
			continue
		}
		if tr.Status == http.StatusOK {
			ok = append(ok, tr.Resource)
		} else {
			failed = append(failed, tr.Error)
		}
	}
	return ok, failed
}

// runOAuthClient runs js/ts-oauth-client.mjs against mcpURL.
func runOAuthClient(t *testing.T, tools nodeTools, mcpURL string, env ...string) *oauthRun {
	t.Helper()
	env = append(env, "MCP_URL="+mcpURL, "OAUTH_REDIRECT_URL="+redirectURL)
	stdout, stderr, code := run(t, 90*time.Second, env, tools.node, filepath.Join(tools.jsDir, "ts-oauth-client.mjs"))
	var r oauthRun
	if code != 0 || json.Unmarshal([]byte(stdout), &r) != nil {
		t.Fatalf("ts-oauth-client: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	t.Logf("ts-oauth-client: %s", stdout)
	return &r
}

// wantFlow checks the parts every successful flow shares: the first
// request was refused with a challenge pointing at the metadata, the
// client authorized with PKCE (S256) and the registry's MCP URL as
// resource, got a JWT for that audience and then listed the tools and
// searched once per call step.
func wantFlow(t *testing.T, r *oauthRun, mcpURL string, calls int) {
	t.Helper()
	if len(r.Errors) > 0 || !r.Connected {
		t.Fatalf("the client failed: connected %v, errors %q", r.Connected, r.Errors)
	}
	if len(r.MCP) == 0 || r.MCP[0].Status != http.StatusUnauthorized ||
		!strings.Contains(r.MCP[0].WWWAuthenticate, `resource_metadata="`+metadataURLOf(mcpURL)+`"`) {
		t.Fatalf("first refusal %+v, want 401 with resource_metadata=%q", r.MCP, metadataURLOf(mcpURL))
	}
	if len(r.Authorizations) == 0 {
		t.Fatal("no authorization request")
	}
	for _, a := range r.Authorizations {
		if a.CodeChallengeMethod != "S256" || !a.HasCodeChallenge || a.Resource != mcpURL {
			t.Errorf("authorization request %+v, want PKCE S256 and resource %s", a, mcpURL)
		}
	}
	if ok, _ := r.grants("authorization_code"); len(ok) == 0 || ok[0] != mcpURL {
		t.Errorf("code exchanges for resources %q, want %s", ok, mcpURL)
	}
	for _, at := range r.AccessTokens {
		if at.Aud != mcpURL {
			t.Errorf("access token audience %v, want exactly %s", at.Aud, mcpURL)
		}
	}
	if !slices.Equal(r.Tools, []string{"search_registry_records"}) {
		t.Errorf("tools %q", r.Tools)
	}
	if len(r.Calls) != calls {
		t.Fatalf("%d calls, want %d", len(r.Calls), calls)
	}
	for i, c := range r.Calls {
		if c.IsError || len(c.Names) == 0 || c.Names[0] != "weather" {
			t.Errorf("call %d: %+v, want weather first", i, c)
		}
	}
}

func metadataURLOf(mcpURL string) string {
	u, _ := url.Parse(mcpURL)
	return u.Scheme + "://" + u.Host + "/.well-known/oauth-protected-resource" + u.Path
}

// wantRefreshed checks that the expired access token was refreshed (and
// not replaced by a new authorization).
func wantRefreshed(t *testing.T, r *oauthRun, mcpURL string) {
	t.Helper()
	ok, failed := r.grants("refresh_token")
	if len(ok) == 0 || len(failed) > 0 || ok[0] != mcpURL {
		t.Errorf("refreshes %q, failed %q: want a refresh for resource %s", ok, failed, mcpURL)
	}
	if len(r.Authorizations) != 1 {
		t.Errorf("%d authorizations, want 1: the refresh token should have done", len(r.Authorizations))
	}
	expired := false
	for _, m := range r.MCP[1:] {
		expired = expired || strings.Contains(m.WWWAuthenticate, `error_description="token has expired"`)
	}
	if !expired {
		t.Errorf("refusals %+v: none for the expired token", r.MCP)
	}
}

// wantScopeFromChallenge checks that a client configured with no scope
// asked for the one the registry's challenge named (the SDK prefers it to
// the metadata's scopes_supported), in its registration if it registered
// and in its authorization request, and got a token with it.
func wantScopeFromChallenge(t *testing.T, r *oauthRun) {
	t.Helper()
	if len(r.MCP) == 0 || !strings.Contains(r.MCP[0].WWWAuthenticate, `scope="registry:search"`) {
		t.Errorf("first challenge %+v, want scope=\"registry:search\"", r.MCP)
	}
	for _, a := range r.Authorizations {
		if a.Scope != "registry:search" {
			t.Errorf("authorization request for scope %q, want registry:search from the challenge", a.Scope)
		}
	}
	for _, reg := range r.Registrations {
		if reg.Scope != "registry:search" {
			t.Errorf("registration for scope %q, want registry:search from the challenge", reg.Scope)
		}
	}
	for _, at := range r.AccessTokens {
		if !slices.Contains(strings.Fields(at.Scope), "registry:search") {
			t.Errorf("access token with scope %q, want registry:search", at.Scope)
		}
	}
}

// TestOAuthSetUps runs the three ways an MCP client reaches a CUSTOM_JWT
// registry (docs/mcp.md) end to end: a real authorization server
// (oidc-provider) and the TypeScript SDK's client with its OAuth support,
// against registries configured as the documentation says, plus the
// refusals the documentation promises.
func TestOAuthSetUps(t *testing.T) {
	tools := requireNodeTools(t)
	as := startAuthServer(t, tools, accessTokenTTL, 24*time.Hour)
	f := newOAuthAgentry(t)

	// The three set-ups of docs/mcp.md, configured as it says: the
	// registry's MCP URL as audience, the scope clients should ask for in
	// allowedScopes (authorization servers such as this one grant nothing
	// to a request without scope, and clients learn it from the challenge).
	bearerURL := f.jwtRegistry(t, "bearer", func(mcpURL string) types.CustomJWTAuthorizerConfiguration {
		return types.CustomJWTAuthorizerConfiguration{DiscoveryUrl: aws.String(as.openIDDiscovery()),
			AllowedAudience: []string{mcpURL}, AllowedClients: []string{serviceClientID}, AllowedScopes: []string{"registry:search"}}
	})
	preregURL := f.jwtRegistry(t, "preregistered", func(mcpURL string) types.CustomJWTAuthorizerConfiguration {
		return types.CustomJWTAuthorizerConfiguration{DiscoveryUrl: aws.String(as.openIDDiscovery()),
			AllowedAudience: []string{mcpURL}, AllowedClients: []string{preregisteredClientID}, AllowedScopes: []string{"registry:search"}}
	})
	// The DCR registry names its authorization server by RFC 8414 metadata.
	dcrURL := f.jwtRegistry(t, "dcr", func(mcpURL string) types.CustomJWTAuthorizerConfiguration {
		return types.CustomJWTAuthorizerConfiguration{DiscoveryUrl: aws.String(as.rfc8414Metadata()),
			AllowedAudience: []string{mcpURL}, AllowedScopes: []string{"registry:search"}}
	})
	// Without allowedScopes the challenge names no scope; the client must
	// be configured with one.
	unscopedURL := f.jwtRegistry(t, "unscoped", func(mcpURL string) types.CustomJWTAuthorizerConfiguration {
		return types.CustomJWTAuthorizerConfiguration{DiscoveryUrl: aws.String(as.openIDDiscovery()),
			AllowedAudience: []string{mcpURL}}
	})

	t.Run("bearer token", func(t *testing.T) {
		// Another process (here the test) fetches the token with the client
		// credentials grant, for the registry's MCP URL as resource.
		token := clientCredentialsToken(t, as, bearerURL)
		stdout, stderr, code := run(t, 60*time.Second, []string{"MCP_URL=" + bearerURL, "MCP_TOKEN=" + token,
			`MCP_CALLS=[{"searchQuery":"weather"}]`}, tools.node, filepath.Join(tools.jsDir, "ts-client.mjs"))
		if code != 0 || !strings.Contains(stdout, `"name":"weather"`) {
			t.Fatalf("ts-client: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}

		// The recommended audience is the registry's MCP URL exactly as
		// agentry computes it from --public-url: the RFC 9728 metadata
		// names it as the resource, and nothing else matches, not even
		// the same URL with a trailing slash.
		resp, err := http.Get(metadataURLOf(bearerURL))
		if err != nil {
			t.Fatal(err)
		}
		var prm struct {
			Resource             string   `json:"resource"`
			AuthorizationServers []string `json:"authorization_servers"`
			ScopesSupported      []string `json:"scopes_supported"`
		}
		err = json.NewDecoder(resp.Body).Decode(&prm)
		resp.Body.Close()
		if err != nil || prm.Resource != bearerURL || !slices.Equal(prm.AuthorizationServers, []string{as.Issuer}) ||
			!slices.Equal(prm.ScopesSupported, []string{"registry:search"}) {
			t.Errorf("protected resource metadata %+v, %v; want resource %s, issuer %s", prm, err, bearerURL, as.Issuer)
		}
		for _, aud := range []string{bearerURL + "/", strings.Replace(bearerURL, "/registry/", "/REGISTRY/", 1)} {
			status, challenge := initialize(t, bearerURL, clientCredentialsToken(t, as, aud))
			if status != http.StatusUnauthorized || !strings.Contains(challenge, "token audience is not allowed") {
				t.Errorf("token for %s: %d %s, want 401 for the audience", aud, status, challenge)
			}
		}

		// A token for another registry (another resource), refused with a
		// description that says so.
		token = clientCredentialsToken(t, as, bearerURL)
		status, challenge := initialize(t, dcrURL, token)
		if status != http.StatusUnauthorized || !strings.Contains(challenge, `error="invalid_token"`) ||
			!strings.Contains(challenge, "token audience is not allowed: the token was issued for another resource") {
			t.Errorf("token for another resource: %d %s", status, challenge)
		}
		_, stderr, code = run(t, 60*time.Second, []string{"MCP_URL=" + dcrURL, "MCP_TOKEN=" + token},
			tools.node, filepath.Join(tools.jsDir, "ts-client.mjs"))
		if code != 1 || !strings.Contains(stderr, "token audience is not allowed") {
			t.Errorf("ts-client with a token for another resource: exit %d, stderr %s", code, stderr)
		}
	})

	t.Run("pre-registered client", func(t *testing.T) {
		r := runOAuthClient(t, tools, preregURL, "OAUTH_CLIENT_ID="+preregisteredClientID, `STEPS=["call","expire","call"]`)
		wantFlow(t, r, preregURL, 2)
		wantScopeFromChallenge(t, r)
		wantRefreshed(t, r, preregURL)
		if len(r.Registrations) != 0 || r.Authorizations[0].ClientID != preregisteredClientID {
			t.Errorf("registrations %+v, authorization by %q: want the pre-registered client only", r.Registrations, r.Authorizations[0].ClientID)
		}
		for _, at := range r.AccessTokens {
			if at.ClientID != preregisteredClientID {
				t.Errorf("access token for client %q", at.ClientID)
			}
		}
	})

	t.Run("dynamic client registration", func(t *testing.T) {
		r := runOAuthClient(t, tools, dcrURL, `STEPS=["call","expire","call"]`)
		wantFlow(t, r, dcrURL, 2)
		wantScopeFromChallenge(t, r)
		wantRefreshed(t, r, dcrURL)
		if len(r.Registrations) != 1 || r.Registrations[0].Status != http.StatusCreated ||
			r.Authorizations[0].ClientID != r.Registrations[0].ClientID {
			t.Errorf("registrations %+v, authorization by %q: want one registration, then its client", r.Registrations, r.Authorizations[0].ClientID)
		}
	})

	t.Run("scope configured in the client", func(t *testing.T) {
		r := runOAuthClient(t, tools, unscopedURL, "OAUTH_SCOPE=registry:search", `STEPS=["call"]`)
		wantFlow(t, r, unscopedURL, 1)
		if strings.Contains(r.MCP[0].WWWAuthenticate, "scope=") || r.Authorizations[0].Scope != "registry:search" {
			t.Errorf("challenge %q, authorization scope %q: want no scope in the challenge, the client's in the request",
				r.MCP[0].WWWAuthenticate, r.Authorizations[0].Scope)
		}
	})

	t.Run("DCR client on a registry with allowedClients", func(t *testing.T) {
		r := runOAuthClient(t, tools, preregURL, `STEPS=["call"]`)
		if r.Connected || len(r.Errors) == 0 {
			t.Fatalf("a dynamically registered client connected to a registry that lists allowedClients: %+v", r)
		}
		if len(r.Registrations) == 0 {
			t.Error("the client did not register itself")
		}
		refused := false
		for _, m := range r.MCP {
			refused = refused || (m.Status == http.StatusUnauthorized && strings.Contains(m.WWWAuthenticate, `error="invalid_token"`) &&
				strings.Contains(m.WWWAuthenticate, "token client is not allowed: this registry accepts only the client ids in its allowedClients, so a dynamically registered client is refused"))
		}
		if !refused {
			t.Errorf("refusals %+v: none says the client is not in allowedClients", r.MCP)
		}
	})

	t.Run("revoked refresh token", func(t *testing.T) {
		r := runOAuthClient(t, tools, dcrURL, `STEPS=["call","revoke","expire","call"]`)
		wantFlow(t, r, dcrURL, 2)
		// The refresh fails, the SDK drops the tokens and authorizes again.
		if _, failed := r.grants("refresh_token"); !slices.Contains(failed, "invalid_grant") {
			t.Errorf("refresh failures %q, want invalid_grant", failed)
		}
		if ok, _ := r.grants("authorization_code"); len(r.Authorizations) != 2 || len(ok) != 2 {
			t.Errorf("%d authorizations and %d code exchanges, want 2 each", len(r.Authorizations), len(ok))
		}
	})
}

// TestOAuthExpiredRefreshToken: when the refresh token has expired too, the
// client authorizes again and goes on.
func TestOAuthExpiredRefreshToken(t *testing.T) {
	tools := requireNodeTools(t)
	// The refresh token dies before the access token's expiry is noticed
	// (the client waits for it plus 1.5 s).
	as := startAuthServer(t, tools, 2*time.Second, 3*time.Second)
	f := newOAuthAgentry(t)
	mcpURL := f.jwtRegistry(t, "dcr", func(mcpURL string) types.CustomJWTAuthorizerConfiguration {
		return types.CustomJWTAuthorizerConfiguration{DiscoveryUrl: aws.String(as.openIDDiscovery()),
			AllowedAudience: []string{mcpURL}, AllowedScopes: []string{"registry:search"}}
	})
	r := runOAuthClient(t, tools, mcpURL, `STEPS=["call","expire","call"]`)
	wantFlow(t, r, mcpURL, 2)
	if _, failed := r.grants("refresh_token"); !slices.Contains(failed, "invalid_grant") {
		t.Errorf("refresh failures %q, want invalid_grant", failed)
	}
	// At least one login after the first: a slow machine may see the
	// refresh token expire before the first call too.
	if len(r.Authorizations) < 2 {
		t.Errorf("%d authorizations, want 2 or more", len(r.Authorizations))
	}
}

// clientCredentialsToken fetches an access token for resource with the
// service client's credentials.
func clientCredentialsToken(t *testing.T, as *authServer, resource string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {resource}, "scope": {"registry:search"}}
	req, _ := http.NewRequest(http.MethodPost, as.Issuer+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(serviceClientID, serviceClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		t.Fatalf("client credentials grant: %d %v %q", resp.StatusCode, err, body.Error)
	}
	return body.AccessToken
}

// initialize sends an MCP initialize with token and returns the status and
// WWW-Authenticate of the answer.
func initialize(t *testing.T, mcpURL, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, mcpURL, strings.NewReader(
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}
