package synchronize_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/sigv4"
	"github.com/agentry/agentry/synchronize"
)

const (
	providerARN  = "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/oauth2credentialprovider/weather"
	roleARN      = "arn:aws:iam::123456789012:role/registry-sync"
	clientSecret = "s3cr3t-client-secret-value"
)

func writeCredentials(t *testing.T, path string, v any, mode os.FileMode) {
	t.Helper()
	b, _ := json.Marshal(v)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// oauthSetup is a go-sdk MCP server that requires a bearer token issued by
// mockoidc's key (verified against mockoidc's JWKS) with the scope
// weather.read, and a client-credentials token endpoint that mints such
// tokens for one client.
type oauthSetup struct {
	mcpURL, tokenURL string
	tokenCalls       atomic.Int32
	lastForm         atomic.Value
}

func newOAuthSetup(t *testing.T) *oauthSetup {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	o := &oauthSetup{}
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.tokenCalls.Add(1)
		r.ParseForm()
		o.lastForm.Store(r.PostForm.Encode())
		w.Header().Set("Content-Type", "application/json")
		id, secret, ok := r.BasicAuth()
		if !ok || id != "agentry-sync" || secret != clientSecret || r.PostForm.Get("grant_type") != "client_credentials" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":"bad client %s"}`, secret) // echoes the secret
			return
		}
		tok, err := m.Keypair.SignJWT(gojwt.MapClaims{"iss": m.Issuer(), "sub": id, "aud": r.PostForm.Get("audience"),
			"scope": r.PostForm.Get("scope"), "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
		if err != nil {
			t.Error(err)
		}
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, tok)
	}))
	t.Cleanup(tokens.Close)
	o.tokenURL = tokens.URL + "/oauth2/token"

	verify := func(ctx context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
		set, err := jwk.Fetch(ctx, m.JWKSEndpoint())
		if err != nil {
			return nil, err
		}
		tok, err := jwt.ParseString(token, jwt.WithKeySet(set), jwt.WithIssuer(m.Issuer()), jwt.WithAudience("weather-mcp"))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", auth.ErrInvalidToken, err)
		}
		var scope string
		tok.Get("scope", &scope)
		exp, _ := tok.Expiration()
		return &auth.TokenInfo{Scopes: strings.Fields(scope), Expiration: exp}, nil
	}
	s := weatherServer(2)
	h := auth.RequireBearerToken(verify, &auth.RequireBearerTokenOptions{Scopes: []string{"weather.read"}})(
		mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil))
	ms := httptest.NewServer(h)
	t.Cleanup(ms.Close)
	o.mcpURL = ms.URL + "/mcp"
	return o
}

func oauthSource(url string) registry.FromURLSync {
	return registry.FromURLSync{URL: url, CredentialProviderConfigurations: []registry.CredentialProvider{{
		CredentialProviderType: registry.CredentialOAuth,
		CredentialProvider: registry.CredentialProviderUnion{OAuth: &registry.OAuthCredentialProvider{
			ProviderARN: providerARN, GrantType: "CLIENT_CREDENTIALS", Scopes: []string{"weather.read"},
			CustomParameters: map[string]string{"audience": "weather-mcp"}}},
	}}}
}

func TestOAuthClientCredentials(t *testing.T) {
	o := newOAuthSetup(t)
	path := filepath.Join(t.TempDir(), "sync-credentials.json")
	writeCredentials(t, path, map[string]any{"oauth": map[string]any{providerARN: map[string]any{
		"tokenEndpoint": o.tokenURL, "clientId": "agentry-sync", "clientSecret": clientSecret}}}, 0o600)
	creds, err := synchronize.LoadCredentials(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := synchronize.New(synchronize.Options{AllowPrivate: true, Credentials: creds})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	// Without credentials the server refuses.
	if _, err := f.Fetch(ctx, registry.DescriptorMCP, registry.FromURLSync{URL: o.mcpURL}); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Fatalf("without a token: %v, want the refusal named", err)
	}
	for range 2 {
		d, err := f.Fetch(ctx, registry.DescriptorMCP, oauthSource(o.mcpURL))
		if err != nil {
			t.Fatal(err)
		}
		checkMCP(t, d, 2, "streamable-http")
	}
	if n := o.tokenCalls.Load(); n != 1 {
		t.Errorf("%d token requests for two fetches, want 1: the token is cached until it expires", n)
	}
	if form := o.lastForm.Load().(string); !strings.Contains(form, "scope=weather.read") || !strings.Contains(form, "audience=weather-mcp") {
		t.Errorf("token request form %q lacks the scopes or custom parameters", form)
	}

	// A wrong secret (the file is reloaded): the reason names the
	// endpoint's answer but never the secret it echoed.
	writeCredentials(t, path, map[string]any{"oauth": map[string]any{providerARN: map[string]any{
		"tokenEndpoint": o.tokenURL, "clientId": "agentry-sync", "clientSecret": "wrong-" + clientSecret}}}, 0o600)
	time.Sleep(1100 * time.Millisecond) // reloads are checked at most once a second
	_, err = f.Fetch(ctx, registry.DescriptorMCP, oauthSource(o.mcpURL))
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("wrong secret: %v", err)
	}
	if strings.Contains(err.Error(), clientSecret) {
		t.Fatalf("the error carries the secret: %v", err)
	}

	// An unknown provider is named.
	src := oauthSource(o.mcpURL)
	src.CredentialProviderConfigurations[0].CredentialProvider.OAuth.ProviderARN = providerARN + "-other"
	if _, err := f.Fetch(ctx, registry.DescriptorMCP, src); err == nil || !strings.Contains(err.Error(), "not in this server's credential-provider file") {
		t.Fatalf("unknown provider: %v", err)
	}
}

func TestCredentialsFileIsStrict(t *testing.T) {
	dir := t.TempDir()
	good := map[string]any{"iam": map[string]any{roleARN: map[string]any{"accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "secret"}}}
	for name, tt := range map[string]struct {
		content any
		mode    os.FileMode
		want    string
	}{
		"readable by others": {good, 0o644, "chmod 600"},
		"unknown member":     {map[string]any{"oauth": map[string]any{providerARN: map[string]any{"tokenEndpoint": "https://x", "clientId": "a", "clientSecret": "b", "extra": 1}}}, 0o600, "unknown field"},
		"missing secret":     {map[string]any{"iam": map[string]any{roleARN: map[string]any{"accessKeyId": "AKIDEXAMPLE"}}}, 0o600, "secretAccessKey are required"},
		"bad endpoint":       {map[string]any{"oauth": map[string]any{providerARN: map[string]any{"tokenEndpoint": "ftp://x", "clientId": "a", "clientSecret": "b"}}}, 0o600, "tokenEndpoint"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		writeCredentials(t, path, tt.content, tt.mode)
		if _, err := synchronize.LoadCredentials(path, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, tt.want)
		}
	}
	// A file broken after a good load leaves the good one in force.
	path := filepath.Join(dir, "good.json")
	writeCredentials(t, path, good, 0o600)
	c, err := synchronize.LoadCredentials(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	signed := iamServer(t, "AKIDEXAMPLE", "secret")
	f := synchronize.New(synchronize.Options{AllowPrivate: true, Credentials: c})
	if _, err := f.Fetch(t.Context(), registry.DescriptorMCP, iamSource(signed)); err != nil {
		t.Fatalf("after a broken reload: %v, want the previous file still in force", err)
	}
}

// iamServer is an MCP server that accepts only requests SigV4-signed (for
// execute-api in us-west-2) with the given key, checked by agentry's own
// verifier.
func iamServer(t *testing.T, id, secret string) string {
	v := &sigv4.Verifier{Region: "us-west-2", Services: []string{"execute-api"},
		Lookup: func(k string) (string, bool) { return secret, k == id }}
	s := weatherServer(1)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := v.Verify(r, body); err != nil {
			http.Error(w, "signature: "+err.Error(), http.StatusForbidden)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/mcp"
}

func iamSource(url string) registry.FromURLSync {
	return registry.FromURLSync{URL: url, CredentialProviderConfigurations: []registry.CredentialProvider{{
		CredentialProviderType: registry.CredentialIAM,
		CredentialProvider: registry.CredentialProviderUnion{IAM: &registry.IAMCredentialProvider{
			RoleARN: roleARN, Service: "execute-api", Region: "us-west-2"}},
	}}}
}

func TestIAMSigV4(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	writeCredentials(t, path, map[string]any{"iam": map[string]any{roleARN: map[string]any{"accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "secret"}}}, 0o600)
	c, err := synchronize.LoadCredentials(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	u := iamServer(t, "AKIDEXAMPLE", "secret")
	f := synchronize.New(synchronize.Options{AllowPrivate: true, Credentials: c})
	d, err := f.Fetch(t.Context(), registry.DescriptorMCP, iamSource(u))
	if err != nil {
		t.Fatal(err)
	}
	checkMCP(t, d, 1, "streamable-http")
	if _, err := f.Fetch(t.Context(), registry.DescriptorMCP, registry.FromURLSync{URL: u}); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Fatalf("unsigned: %v, want the refusal named", err)
	}
}
