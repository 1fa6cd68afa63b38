package console_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/server"
)

// The principals of the console's tests: a publisher who may publish and
// submit in every registry but never decide or delete, a curator who may
// do everything but delete, and a consumer who may read and search.
const iamFile = `{"principals": [
 {"name": "publisher", "accessKeys": [{"accessKeyId": "AKIAPUBLISHER0000001", "secretAccessKey": "publisher-secret-0001"}],
  "policies": [{"Version": "2012-10-17", "Statement": [
   {"Effect": "Allow", "Action": ["bedrock-agentcore:ListRegistries", "bedrock-agentcore:GetRegistry",
      "bedrock-agentcore:CreateRegistryRecord", "bedrock-agentcore:ListRegistryRecords", "bedrock-agentcore:GetRegistryRecord",
      "bedrock-agentcore:UpdateRegistryRecord", "bedrock-agentcore:SubmitRegistryRecordForApproval"],
    "Resource": "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/*"}]}]},
 {"name": "curator", "accessKeys": [{"accessKeyId": "AKIACURATOR000000001", "secretAccessKey": "curator-secret-00001"}],
  "policies": [{"Version": "2012-10-17", "Statement": [
   {"Effect": "Allow", "Action": "bedrock-agentcore:*", "Resource": "*"},
   {"Effect": "Deny", "Action": ["bedrock-agentcore:Delete*"], "Resource": "*"}]}]},
 {"name": "consumer", "accessKeys": [{"accessKeyId": "AKIACONSUMER00000001", "secretAccessKey": "consumer-secret-0001"}],
  "policies": [{"Version": "2012-10-17", "Statement": [
   {"Effect": "Allow", "Action": ["bedrock-agentcore:Get*", "bedrock-agentcore:List*", "bedrock-agentcore:SearchRegistryRecords"],
    "Resource": "*"}]}]}
]}`

type principalKey struct{ id, secret string }

var (
	publisher = principalKey{"AKIAPUBLISHER0000001", "publisher-secret-0001"}
	curator   = principalKey{"AKIACURATOR000000001", "curator-secret-00001"}
	consumer  = principalKey{"AKIACONSUMER00000001", "consumer-secret-0001"}
)

// testServer is a real agentry (SQLite, the whole handler) on a loopback
// port.
type testServer struct {
	URL  string
	Root principalKey
	cfg  server.Config
}

func startServer(t testing.TB, configure func(*server.Config)) *testServer {
	t.Helper()
	key := credentials.Generate()
	hs := httptest.NewUnstartedServer(nil)
	dir := t.TempDir()
	iamPath := filepath.Join(dir, "iam.json")
	if err := os.WriteFile(iamPath, []byte(iamFile), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{
		DataDir: filepath.Join(dir, "data"), Region: "us-east-1", AccountID: "123456789012", Root: key, IAMFile: iamPath,
		PublicURL: "http://" + hs.Listener.Addr().String(),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if configure != nil {
		configure(&cfg)
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	return &testServer{URL: hs.URL, Root: principalKey{key.AccessKeyID, key.SecretAccessKey}, cfg: cfg}
}

// user is a signed-in console session driven over plain HTTP.
type user struct {
	t      testing.TB
	ts     *testServer
	client *http.Client
}

// newUser returns a client with its own cookie jar that does not follow
// redirects, so that tests see them.
func (ts *testServer) newUser(t testing.TB) *user {
	jar, _ := cookiejar.New(nil)
	return &user{t: t, ts: ts, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (ts *testServer) signIn(t testing.TB, k principalKey) *user {
	t.Helper()
	u := ts.newUser(t)
	resp := u.postForm("/console/signin", url.Values{"accessKeyId": {k.id}, "secretAccessKey": {k.secret}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in as %s: %d", k.id, resp.StatusCode)
	}
	return u
}

func (u *user) get(path string) (*http.Response, string) {
	u.t.Helper()
	resp, err := u.client.Get(u.ts.URL + path)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (u *user) postForm(path string, form url.Values) *http.Response {
	u.t.Helper()
	resp, err := u.client.PostForm(u.ts.URL+path, form)
	if err != nil {
		u.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the session's CSRF token from a page, as a form would carry it.
func (u *user) csrf() string {
	u.t.Helper()
	_, body := u.get("/console/registries")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		u.t.Fatal("no CSRF token on the registries page")
	}
	return m[1]
}

// post sends a form with the session's CSRF token.
func (u *user) post(path string, form url.Values) *http.Response {
	u.t.Helper()
	form.Set("csrf", u.csrf())
	return u.postForm(path, form)
}

// idFrom extracts the id after marker in a redirect's Location.
func idFrom(t testing.TB, resp *http.Response, marker string) string {
	t.Helper()
	loc := resp.Header.Get("Location")
	_, rest, ok := strings.Cut(loc, marker)
	if !ok {
		t.Fatalf("status %d, Location %q has no %q", resp.StatusCode, loc, marker)
	}
	id, _, _ := strings.Cut(rest, "?")
	id, _, _ = strings.Cut(id, "/")
	return id
}

// A valid MCP server.json and tools/list result.
const (
	serverJSON = `{"$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
 "name": "io.example/weather", "description": "Current weather and forecasts for any city", "version": "1.2.0"}`
	toolsJSON = `{"tools": [{"name": "get_forecast", "description": "Forecast for a city",
 "inputSchema": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"},
 "days": {"type": "integer", "description": "How many days"}}, "required": ["city"]}}]}`
)

// createRegistry and publish make the data most tests need, through the
// console as the given user.
func (u *user) createRegistry(name string) string {
	u.t.Helper()
	resp := u.post("/console/registries", url.Values{"name": {name}, "authorizerType": {"AWS_IAM"}})
	return idFrom(u.t, resp, "/console/registries/")
}

func (u *user) publish(regID, name string) string {
	u.t.Helper()
	resp := u.post("/console/registries/"+regID+"/new", url.Values{"name": {name}, "descriptorType": {"MCP"},
		"content": {serverJSON}, "tools": {toolsJSON}})
	recID := idFrom(u.t, resp, "/records/")
	resp = u.post("/console/registries/"+regID+"/records/"+recID+"/submit", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		u.t.Fatalf("submit: %d", resp.StatusCode)
	}
	return recID
}

// csrfNext finds the records page's next-page link.
var csrfNext = regexp.MustCompile(`<a href="([^"]+)">Next page</a>`)

func htmlUnescape(s string) string { return html.UnescapeString(s) }
