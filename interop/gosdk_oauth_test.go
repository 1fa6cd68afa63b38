package interop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// TestGoSDKOAuthClient: the go-sdk's client OAuth support (auth.AuthorizationCodeHandler,
// v1.8.0) does the dance against the same authorization server: 401 and
// challenge, protected resource metadata, RFC 8414 metadata, dynamic
// client registration, code with PKCE and resource, token, and refreshes
// (the oauth2 package refreshes a token before it expires, so with tokens
// this short every call after the first uses a refreshed one).
func TestGoSDKOAuthClient(t *testing.T) {
	tools := requireNodeTools(t)
	as := startAuthServer(t, tools, accessTokenTTL, 24*time.Hour)
	f := newOAuthAgentry(t)
	mcpURL := f.jwtRegistry(t, "dcr", func(mcpURL string) types.CustomJWTAuthorizerConfiguration {
		return types.CustomJWTAuthorizerConfiguration{DiscoveryUrl: aws.String(as.rfc8414Metadata()),
			AllowedAudience: []string{mcpURL}, AllowedScopes: []string{"registry:search"}}
	})

	rec := &recorder{mcpURL: mcpURL, next: http.DefaultTransport}
	httpClient := &http.Client{Transport: rec, Timeout: 30 * time.Second}
	logins := 0
	handler, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
			ClientName: "agentry interop (go-sdk)", RedirectURIs: []string{redirectURL},
			GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
			TokenEndpointAuthMethod: "none",
		}},
		AuthorizationCodeFetcher: func(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			logins++
			if u, err := url.Parse(args.URL); err == nil {
				q := u.Query()
				rec.mu.Lock()
				rec.authResource, rec.authScope, rec.authPKCE = q.Get("resource"), q.Get("scope"), q.Get("code_challenge_method")
				rec.mu.Unlock()
			}
			return headlessLogin(ctx, args.URL)
		},
		Client: httpClient,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "agentry-interop-go", Version: "1.0.0"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: mcpURL, HTTPClient: httpClient, OAuthHandler: handler}, nil)
	if err != nil {
		t.Fatalf("connect: %v (requests: %s)", err, rec)
	}
	defer session.Close()

	search := func() {
		t.Helper()
		res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: "search_registry_records",
			Arguments: map[string]any{"searchQuery": "weather", "maxResults": 5}})
		if err != nil {
			t.Fatalf("tools/call: %v (requests: %s)", err, rec)
		}
		raw, _ := json.Marshal(res.StructuredContent)
		if res.IsError || !strings.Contains(string(raw), `"name":"weather"`) {
			t.Fatalf("tools/call: isError %v, %s", res.IsError, raw)
		}
	}
	tools_, err := session.ListTools(ctx, nil)
	if err != nil || len(tools_.Tools) != 1 || tools_.Tools[0].Name != "search_registry_records" {
		t.Fatalf("tools/list: %v %+v", err, tools_)
	}
	search()
	time.Sleep(accessTokenTTL + time.Second) // the first token has expired
	search()
	t.Logf("requests: %s", rec)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if logins != 1 || rec.registrations != 1 {
		t.Errorf("%d logins and %d registrations, want 1 each", logins, rec.registrations)
	}
	if len(rec.challenges) == 0 || !strings.Contains(rec.challenges[0], `scope="registry:search"`) {
		t.Errorf("challenges %q", rec.challenges)
	}
	if rec.grants["authorization_code"] != 1 || rec.grants["refresh_token"] == 0 {
		t.Errorf("token requests %v, want one code exchange and refreshes", rec.grants)
	}
	if rec.authResource != mcpURL || rec.authScope != "registry:search" || rec.authPKCE != "S256" {
		t.Errorf("authorization request: resource %q, scope %q, PKCE %q", rec.authResource, rec.authScope, rec.authPKCE)
	}
}

// headlessLogin follows the authorization server's redirects with its
// cookies, as a browser would with a user who logs in and consents, up to
// the redirect to redirectURL, and returns its code.
func headlessLogin(ctx context.Context, authURL string) (*auth.AuthorizationResult, error) {
	loc, err := followAuthorization(ctx, authURL, redirectURL)
	if err != nil {
		return nil, err
	}
	q := loc.Query()
	if e := q.Get("error"); e != "" {
		return nil, fmt.Errorf("authorization refused: %s: %s", e, q.Get("error_description"))
	}
	return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
}

// followAuthorization follows the redirects from authURL with a cookie jar
// until one goes to a URL that begins with redirectTo, and returns that URL.
func followAuthorization(ctx context.Context, authURL, redirectTo string) (*url.URL, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirectTo) {
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errors.New("too many redirects")
		}
		return nil
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), redirectTo) {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return nil, fmt.Errorf("authorization stopped with HTTP %d: %s", resp.StatusCode, body)
	}
	return loc, nil
}

// recorder notes what the go-sdk client sends and receives, without
// secrets.
type recorder struct {
	mcpURL string
	next   http.RoundTripper

	mu                                sync.Mutex
	challenges                        []string
	registrations                     int
	grants                            map[string]int
	authResource, authScope, authPKCE string
	log                               []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var form url.Values
	if req.Body != nil && strings.HasSuffix(req.URL.Path, "/token") {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		form, _ = url.ParseQuery(string(b))
		req.Body = io.NopCloser(strings.NewReader(string(b)))
	}
	resp, err := r.next.RoundTrip(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.log = append(r.log, fmt.Sprintf("%s %s: %v", req.Method, req.URL.Path, err))
		return nil, err
	}
	r.log = append(r.log, fmt.Sprintf("%s %s: %d", req.Method, req.URL.Path, resp.StatusCode))
	switch {
	case req.URL.String() == r.mcpURL && resp.StatusCode == http.StatusUnauthorized:
		r.challenges = append(r.challenges, resp.Header.Get("WWW-Authenticate"))
	case strings.HasSuffix(req.URL.Path, "/reg") && req.Method == http.MethodPost && resp.StatusCode == http.StatusCreated:
		r.registrations++
	case form != nil && resp.StatusCode == http.StatusOK:
		if r.grants == nil {
			r.grants = map[string]int{}
		}
		r.grants[form.Get("grant_type")]++
	}
	return resp, nil
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.log, "; ")
}
