package console_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/internal/awstest"
	"github.com/agentry/agentry/server"
)

func TestSignInChecksTheSecret(t *testing.T) {
	ts := startServer(t, nil)
	for _, tc := range []struct{ name, id, secret string }{
		{"wrong secret", curator.id, "not-the-secret"},
		{"unknown key", "AKIANOBODY0000000001", curator.secret},
		{"empty", "", ""},
	} {
		u := ts.newUser(t)
		resp := u.postForm("/console/signin", url.Values{"accessKeyId": {tc.id}, "secretAccessKey": {tc.secret}})
		if resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
			t.Errorf("%s: status %d, cookies %v; want 401 and no cookie", tc.name, resp.StatusCode, resp.Cookies())
		}
		if r, _ := u.get("/console/registries"); r.StatusCode != http.StatusSeeOther {
			t.Errorf("%s: a page answered %d without a session; want a redirect to sign in", tc.name, r.StatusCode)
		}
	}

	u := ts.newUser(t)
	resp := u.postForm("/console/signin", url.Values{"accessKeyId": {curator.id}, "secretAccessKey": {curator.secret},
		"next": {"https://evil.example/"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/registries" {
		t.Fatalf("sign-in: %d to %q; want 303 to /console/registries (never off-site)", resp.StatusCode, resp.Header.Get("Location"))
	}
	c := resp.Cookies()[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/console/" || c.MaxAge <= 0 || c.MaxAge > 8*3600 || c.Secure {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/console/, an expiry within 8 h, not Secure over http", c)
	}
	if r, body := u.get("/console/registries"); r.StatusCode != http.StatusOK || !strings.Contains(body, "curator") {
		t.Fatalf("registries page after sign-in: %d", r.StatusCode)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q allows inline scripts or other origins", csp)
	}

	// Signing out ends the session on the server, not only in the browser.
	cookie := c.Value
	if r := u.post("/console/signout", url.Values{}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", r.StatusCode)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/console/registries", nil)
	req.AddCookie(&http.Cookie{Name: "agentry_console", Value: cookie})
	r, err := u.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusSeeOther {
		t.Errorf("the old cookie still works after sign-out: %d", r.StatusCode)
	}
}

// TestFailedSignInsAreLimited: after ten failures in a minute from one
// address, even the right secret is refused until the minute is over.
func TestFailedSignInsAreLimited(t *testing.T) {
	ts := startServer(t, nil)
	u := ts.newUser(t)
	for range 10 {
		if r := u.postForm("/console/signin", url.Values{"accessKeyId": {curator.id}, "secretAccessKey": {"guess"}}); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a wrong secret: %d", r.StatusCode)
		}
	}
	r := u.postForm("/console/signin", url.Values{"accessKeyId": {curator.id}, "secretAccessKey": {curator.secret}})
	if r.StatusCode != http.StatusTooManyRequests || len(r.Cookies()) != 0 {
		t.Fatalf("the eleventh attempt: %d, cookies %v; want 429 and no session", r.StatusCode, r.Cookies())
	}
}

func TestSessionCookieIsSecureBehindHTTPS(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.PublicURL = "https://registry.example.com" })
	u := ts.newUser(t)
	resp := u.postForm("/console/signin", url.Values{"accessKeyId": {curator.id}, "secretAccessKey": {curator.secret}})
	if len(resp.Cookies()) != 1 || !resp.Cookies()[0].Secure {
		t.Fatalf("cookies %v: want one Secure cookie when the public URL is https", resp.Cookies())
	}
}

func TestChangesNeedTheCSRFTokenAndTheOrigin(t *testing.T) {
	ts := startServer(t, nil)
	u := ts.signIn(t, curator)
	form := url.Values{"name": {"forged"}, "authorizerType": {"AWS_IAM"}}
	if r := u.postForm("/console/registries", form); r.StatusCode != http.StatusForbidden {
		t.Errorf("no token: %d, want 403", r.StatusCode)
	}
	form.Set("csrf", "not-the-token")
	if r := u.postForm("/console/registries", form); r.StatusCode != http.StatusForbidden {
		t.Errorf("wrong token: %d, want 403", r.StatusCode)
	}
	form.Set("csrf", u.csrf())
	req, _ := http.NewRequest("POST", ts.URL+"/console/registries", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	r, err := u.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin post with the right token: %d, want 403", r.StatusCode)
	}
	if _, body := u.get("/console/registries"); strings.Contains(body, "forged") {
		t.Fatal("a refused post created the registry")
	}
	// Another user's token is not this user's.
	other := ts.signIn(t, publisher)
	form.Set("csrf", other.csrf())
	if r := u.postForm("/console/registries", form); r.StatusCode != http.StatusForbidden {
		t.Errorf("another session's token: %d, want 403", r.StatusCode)
	}
}

// TestPoliciesDecideWhatTheConsoleShowsAndDoes: the publisher sees no
// approval buttons, and a forged approval (a well-formed post with the
// publisher's own valid CSRF token) is refused by the server with the
// API's AccessDenied message.
func TestPoliciesDecideWhatTheConsoleShowsAndDoes(t *testing.T) {
	ts := startServer(t, nil)
	cur := ts.signIn(t, curator)
	regID := cur.createRegistry("team")
	pub := ts.signIn(t, publisher)
	recID := pub.publish(regID, "weather")

	recPath := "/console/registries/" + regID + "/records/" + recID
	_, page := pub.get(recPath)
	if strings.Contains(page, `value="APPROVED"`) || !strings.Contains(page, "PENDING_APPROVAL") {
		t.Error("the publisher's record page offers approval, or does not show the record pending")
	}
	_, queue := pub.get("/console/queue")
	if !strings.Contains(queue, "weather") || strings.Contains(queue, "Approve") {
		t.Error("the publisher's queue must list the record without approval buttons")
	}
	if _, regs := pub.get("/console/registries"); strings.Contains(regs, "Create registry") {
		t.Error("the publisher is offered to create registries")
	}

	for path, form := range map[string]url.Values{
		recPath + "/status":   {"status": {"APPROVED"}, "reason": {"forged"}},
		"/console/queue":      {"one": {"APPROVED " + regID + "/" + recID}},
		recPath + "/delete":   {},
		"/console/registries": {"name": {"mine"}},
	} {
		u := pub
		if r := u.post(path, form); r.StatusCode != http.StatusForbidden && !(path == "/console/queue" && r.StatusCode == http.StatusBadRequest) {
			t.Errorf("publisher POST %s: %d, want refused", path, r.StatusCode)
		}
	}
	_, page = pub.get(recPath)
	if !strings.Contains(page, "PENDING_APPROVAL") {
		t.Fatal("a refused approval changed the record")
	}
	resp, err := pub.client.PostForm(ts.URL+recPath+"/status", url.Values{"csrf": {pub.csrf()}, "status": {"APPROVED"}, "reason": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "is not authorized to perform: bedrock-agentcore:UpdateRegistryRecordStatus") {
		t.Errorf("the refusal does not carry the API's AccessDenied message")
	}

	// The consumer reads only: no edit, submit or decision, and an edit
	// posted anyway is refused.
	con := ts.signIn(t, consumer)
	_, page = con.get(recPath)
	if !strings.Contains(page, "weather") || strings.Contains(page, recPath+"/edit") || strings.Contains(page, `action="`+recPath) {
		t.Error("the consumer's record page offers changes")
	}
	if r := con.post(recPath+"/edit", url.Values{"name": {"hijacked"}, "descriptorType": {"MCP"}, "content": {serverJSON}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("consumer edit: %d, want 403", r.StatusCode)
	}

	// The curator sees and uses the buttons; a curator may not delete.
	_, page = cur.get(recPath)
	if !strings.Contains(page, `value="APPROVED"`) || strings.Contains(page, ">Delete<") {
		t.Error("the curator's record page: want Approve, no Delete")
	}
	if r := cur.post("/console/queue", url.Values{"one": {"APPROVED " + regID + "/" + recID}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("curator approves from the queue: %d", r.StatusCode)
	}
	_, page = cur.get(recPath)
	if !strings.Contains(page, "st-approved") {
		t.Fatal("the record is not approved")
	}
	if r := cur.post(recPath+"/delete", url.Values{}); r.StatusCode != http.StatusForbidden {
		t.Errorf("curator delete (denied by policy): %d, want 403", r.StatusCode)
	}
}

// TestValidateAnswersWithTheAPIsMessages: the validation endpoint's
// message is the one CreateRegistryRecord answers through the AWS SDK.
func TestValidateAnswersWithTheAPIsMessages(t *testing.T) {
	ts := startServer(t, nil)
	u := ts.signIn(t, ts.Root)
	regID := u.createRegistry("team")
	bad := `{"name": "io.example/weather", "version": "1.0.0"}`
	req, _ := http.NewRequest("POST", ts.URL+"/console/validate", strings.NewReader(url.Values{
		"name": {"weather"}, "descriptorType": {"MCP"}, "content": {bad}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", u.csrf())
	resp, err := u.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		OK      bool
		Message string
		Fields  map[string]string
	}
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()

	client := awstest.Control(ts.URL, ts.Root.id, ts.Root.secret)
	_, err = client.CreateRegistryRecord(context.Background(), &ctl.CreateRegistryRecordInput{
		RegistryId: aws.String(regID), Name: aws.String("weather"), DescriptorType: types.DescriptorTypeMcp,
		Descriptors: &types.Descriptors{Mcp: &types.McpDescriptor{Server: &types.ServerDefinition{InlineContent: aws.String(bad)}}}})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Fatalf("the API accepted the record: %v", err)
	}
	if got.OK || got.Message == "" || got.Message != aws.ToString(ve.Message) || got.Fields["descriptors.mcp.server.inlineContent"] == "" {
		t.Fatalf("validate answered %+v; the API said %q", got, aws.ToString(ve.Message))
	}
	if _, body := u.get("/console/registries/" + regID); !strings.Contains(body, "No records match") {
		t.Error("validation stored a record")
	}
	// Without the token, nothing is validated.
	req, _ = http.NewRequest("POST", ts.URL+"/console/validate", strings.NewReader("name=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r, err := u.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("validate without a token: %d", r.StatusCode)
	}
}

func TestRecordPageShowsToolsAndTheDiff(t *testing.T) {
	ts := startServer(t, nil)
	u := ts.signIn(t, curator)
	regID := u.createRegistry("team")
	recID := u.publish(regID, "weather")
	recPath := "/console/registries/" + regID + "/records/" + recID
	if r := u.post(recPath+"/status", url.Values{"status": {"APPROVED"}, "reason": {"ok"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", r.StatusCode)
	}
	edited := strings.Replace(serverJSON, `"1.2.0"`, `"1.3.0"`, 1)
	if r := u.post(recPath+"/edit", url.Values{"name": {"weather"}, "descriptorType": {"MCP"}, "content": {edited},
		"tools": {toolsJSON}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", r.StatusCode)
	}
	_, page := u.get(recPath)
	for _, want := range []string{"get_forecast", "<code>city</code>", "Forecast for a city", "Approved and latest revisions",
		`<span class="ddel">-   &#34;version&#34;: &#34;1.2.0&#34;</span>`, `<span class="dadd">&#43;   &#34;version&#34;: &#34;1.3.0&#34;</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the record page lacks %q", want)
		}
	}
}

func TestRoutesAndStaticFiles(t *testing.T) {
	ts := startServer(t, nil)
	u := ts.newUser(t)
	for path, want := range map[string]int{
		"/console":                            http.StatusSeeOther,
		"/console/":                           http.StatusSeeOther,
		"/console/static/console.js":          http.StatusOK,
		"/console/static/console.css":         http.StatusOK,
		"/console/static/nothing.js":          http.StatusNotFound,
		"/console/no-such-page":               http.StatusNotFound,
		"/console/registries":                 http.StatusSeeOther, // to sign in
		"/console/signin?next=/console/queue": http.StatusOK,
	} {
		r, body := u.get(path)
		if r.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, r.StatusCode, want)
		}
		if r.Header.Get("Content-Security-Policy") == "" && path != "/console" {
			t.Errorf("GET %s: no Content-Security-Policy", path)
		}
		if strings.HasSuffix(path, ".js") && want == http.StatusOK && !strings.Contains(r.Header.Get("Content-Type"), "javascript") {
			t.Errorf("GET %s: Content-Type %q", path, r.Header.Get("Content-Type"))
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, " style=") || strings.Contains(body, "onclick") {
			t.Errorf("GET %s: inline script or style", path)
		}
	}
	// The API is still where it was.
	if r, _ := u.get("/registries"); r.StatusCode != http.StatusForbidden {
		t.Errorf("GET /registries without a signature: %d, want the API's 403", r.StatusCode)
	}
}

// TestChangesAreLogged: a change made in the console leaves a log line
// with its principal, as an API request does; secrets never appear.
func TestChangesAreLogged(t *testing.T) {
	var buf syncBuffer
	ts := startServer(t, func(c *server.Config) { c.Logger = slog.New(slog.NewTextHandler(&buf, nil)) })
	u := ts.signIn(t, curator)
	u.createRegistry("logged")
	out := buf.String()
	if !strings.Contains(out, `msg="console request" method=POST path=/console/registries status=303`) ||
		!strings.Contains(out, "principal=arn:aws:iam::123456789012:user/curator") {
		t.Errorf("no log line for the change:\n%s", out)
	}
	if strings.Contains(out, curator.secret) {
		t.Error("the log holds the secret")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
