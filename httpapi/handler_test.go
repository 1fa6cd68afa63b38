package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/agentry/agentry/httpapi"
	"github.com/agentry/agentry/iam"
	"github.com/agentry/agentry/jwtauth"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
	"github.com/agentry/agentry/sigv4"
)

// The handler tests drive the whole handler (httpapi.New) with requests
// signed by the AWS SDK's SigV4 signer and verified by the real verifier,
// against real IAM policies. Only the registry service, the searcher and
// the JWT verifier are fakes. The end-to-end tests through the AWS SDK
// clients are in package server.

const (
	account   = "123456789012"
	region    = "us-east-1"
	publicURL = "http://agentry.test"

	iamRegistry = "iamregistry1" // an AWS_IAM registry
	jwtRegistry = "jwtregistry1" // a CUSTOM_JWT registry
	noRegistry  = "noregistry01" // no registry has this id
	recordID    = "record000001"
)

var arns = registry.ARNs{Region: region, AccountID: account}

// fakeService records the operations called and answers each with err.
type fakeService struct {
	err        error
	registries map[string]registry.Registry // what LookupRegistry finds

	mu    sync.Mutex
	calls []string
}

func (f *fakeService) call(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op)
	return f.err
}

// called returns the operations called since the last call of called.
func (f *fakeService) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func (f *fakeService) CreateRegistry(context.Context, registry.CreateRegistryInput) (registry.Created, error) {
	return registry.Created{ID: "newregistry1"}, f.call("CreateRegistry")
}

func (f *fakeService) GetRegistry(context.Context, string) (registry.Registry, error) {
	return registry.Registry{ID: iamRegistry}, f.call("GetRegistry")
}

func (f *fakeService) ListRegistries(context.Context, registry.ListRegistriesInput) (registry.RegistryPage, error) {
	return registry.RegistryPage{}, f.call("ListRegistries")
}

func (f *fakeService) UpdateRegistry(context.Context, registry.UpdateRegistryInput) (registry.Registry, error) {
	return registry.Registry{ID: iamRegistry}, f.call("UpdateRegistry")
}

func (f *fakeService) DeleteRegistry(context.Context, string) error { return f.call("DeleteRegistry") }

func (f *fakeService) CreateRecord(context.Context, registry.CreateRecordInput) (registry.Created, error) {
	return registry.Created{ID: recordID}, f.call("CreateRecord")
}

func (f *fakeService) GetRecord(context.Context, string, string) (registry.Record, error) {
	return registry.Record{ID: recordID, RegistryID: iamRegistry}, f.call("GetRecord")
}

func (f *fakeService) ListRecords(context.Context, registry.ListRecordsInput) (registry.RecordPage, error) {
	return registry.RecordPage{}, f.call("ListRecords")
}

func (f *fakeService) UpdateRecord(context.Context, registry.UpdateRecordInput) (registry.Record, error) {
	return registry.Record{ID: recordID, RegistryID: iamRegistry}, f.call("UpdateRecord")
}

func (f *fakeService) DeleteRecord(context.Context, string, string) error {
	return f.call("DeleteRecord")
}

func (f *fakeService) SubmitRecord(context.Context, string, string) (registry.Record, error) {
	return registry.Record{ID: recordID, RegistryID: iamRegistry}, f.call("SubmitRecord")
}

func (f *fakeService) SetRecordStatus(context.Context, registry.SetRecordStatusInput) (registry.Record, error) {
	return registry.Record{ID: recordID, RegistryID: iamRegistry}, f.call("SetRecordStatus")
}

// LookupRegistry is not recorded: consumer requests look their registry up
// whether or not they are allowed.
func (f *fakeService) DeleteRegistryAndRecords(context.Context, string) error {
	return f.call("DeleteRegistry")
}

func (f *fakeService) ListTags(context.Context, string, string) (map[string]string, error) {
	return nil, f.call("ListTagsForResource")
}

func (f *fakeService) TagResource(context.Context, string, string, map[string]string) error {
	return f.call("TagResource")
}

func (f *fakeService) UntagResource(context.Context, string, string, []string) error {
	return f.call("UntagResource")
}

func (f *fakeService) ListDiscoverable(context.Context, registry.ListDiscoverableInput) (registry.DiscoverablePage, error) {
	return registry.DiscoverablePage{}, f.call("ListDiscoverableRegistryRecords")
}

func (f *fakeService) GetDiscoverable(context.Context, string, []string) ([]registry.DiscoverableResult, error) {
	return nil, f.call("BatchGetDiscoverableRegistryRecord")
}

func (f *fakeService) LookupRegistry(_ context.Context, raw string) (registry.Registry, error) {
	id, err := arns.RegistryID("registryId", raw)
	if err != nil {
		return registry.Registry{}, err
	}
	reg, ok := f.registries[id]
	if !ok {
		return registry.Registry{}, registry.Errorf(registry.KindNotFound, "Registry %s does not exist.", id)
	}
	return reg, nil
}

// fakeSearcher finds nothing and counts its searches.
type fakeSearcher struct{ searches atomic.Int64 }

func (f *fakeSearcher) Search(context.Context, search.Query) ([]search.Hit, error) {
	f.searches.Add(1)
	return nil, nil
}

// fakeTokens judges bearer tokens by their first segment: "good" is a
// valid token of subject "alice"; the others fail as tokens refused for
// these reasons do.
type fakeTokens struct{}

func (fakeTokens) Verify(_ context.Context, _ registry.CustomJWTAuthorizer, token string) (*jwtauth.Claims, error) {
	switch kind, _, _ := strings.Cut(token, "."); kind {
	case "good":
		return &jwtauth.Claims{Subject: "alice"}, nil
	case "expired":
		return nil, &jwtauth.Error{Code: jwtauth.CodeInvalidToken, Description: "token is expired"}
	case "noscope":
		return nil, &jwtauth.Error{Code: jwtauth.CodeInsufficientScope, Description: "token has none of the allowed scopes"}
	case "down":
		return nil, &jwtauth.Error{Code: jwtauth.CodeInvalidToken, Description: "identity provider unreachable", Unavailable: true}
	case "broken":
		return nil, &jwtauth.Error{Code: jwtauth.CodeInvalidToken, Description: "change the discoveryUrl", Misconfigured: true}
	}
	return nil, fmt.Errorf("unexpected token %q", token)
}

// Issuer finds the issuer of discovery URLs on good.example; others are
// down or broken, as their host says.
func (fakeTokens) Issuer(_ context.Context, discoveryURL string) (string, error) {
	switch {
	case strings.Contains(discoveryURL, "//good."):
		return "https://good.example", nil
	case strings.Contains(discoveryURL, "//broken."):
		return "", &jwtauth.Error{Code: jwtauth.CodeInvalidToken, Description: "change the discoveryUrl", Misconfigured: true}
	}
	return "", &jwtauth.Error{Code: jwtauth.CodeInvalidToken, Description: "identity provider unreachable", Unavailable: true}
}

// key is an access key of a principal of testPolicies.
type key struct{ id, secret string }

var (
	adminKey  = key{"AKIAADMIN00000000001", "admin-secret-0000001"} // may do everything
	deniedKey = key{"AKIADENIED0000000001", "denied-secret-000001"} // a Deny statement refuses everything
	nobodyKey = key{"AKIANOBODY0000000001", "nobody-secret-000001"} // no statement allows anything here
	unknown   = key{"AKIAUNKNOWN000000001", "unknown-secret-00001"} // no principal owns it
	principal = func(name string) string { return "arn:aws:iam::" + account + ":user/" + name }
)

// principalsJSON is a principals file: admin, denied and nobody, and extra
// principals.
func principalsJSON(extra ...string) string {
	const allow = `{"Effect": "Allow", "Action": "bedrock-agentcore:*", "Resource": "*"}`
	ps := []string{
		principalJSON("admin", adminKey, allow),
		principalJSON("denied", deniedKey, allow, `{"Effect": "Deny", "Action": "bedrock-agentcore:*", "Resource": "*"}`),
		principalJSON("nobody", nobodyKey, `{"Effect": "Allow", "Action": "bedrock-agentcore:GetRegistry",
			"Resource": "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/elsewhere0001"}`),
	}
	return `{"principals": [` + strings.Join(append(ps, extra...), ",\n") + `]}`
}

func principalJSON(name string, k key, statements ...string) string {
	return fmt.Sprintf(`{"name": %q, "accessKeys": [{"accessKeyId": %q, "secretAccessKey": %q}],
		"policies": [{"Version": "2012-10-17", "Statement": [%s]}]}`, name, k.id, k.secret, strings.Join(statements, ","))
}

// countingCredentials counts the lookups of access keys.
type countingCredentials struct {
	httpapi.Credentials
	lookups atomic.Int64
}

func (c *countingCredentials) Lookup(id string) (*iam.Principal, string, bool) {
	c.lookups.Add(1)
	return c.Credentials.Lookup(id)
}

// testAPI is a handler with fakes behind it.
type testAPI struct {
	handler     http.Handler
	svc         *fakeService
	searcher    *fakeSearcher
	credentials *countingCredentials
	log         *bytes.Buffer
}

// newTestAPI serves the registries iamRegistry and jwtRegistry (whose
// discovery URL is discoveryURL) for the principals of principalsFile.
func newTestAPI(t *testing.T, principalsFile, discoveryURL string, configure ...func(*httpapi.Config)) *testAPI {
	t.Helper()
	principals, err := iam.Parse([]byte(principalsFile), account)
	if err != nil {
		t.Fatal(err)
	}
	ta := &testAPI{
		svc: &fakeService{registries: map[string]registry.Registry{
			iamRegistry: {ID: iamRegistry, AuthorizerType: registry.AuthorizerAWSIAM},
			jwtRegistry: {ID: jwtRegistry, AuthorizerType: registry.AuthorizerCustomJWT,
				Authorizer: &registry.AuthorizerConfig{CustomJWT: &registry.CustomJWTAuthorizer{
					DiscoveryURL: discoveryURL, AllowedScopes: []string{"registry:search"}}}},
		}},
		searcher:    &fakeSearcher{},
		credentials: &countingCredentials{Credentials: principals},
		log:         &bytes.Buffer{},
	}
	cfg := httpapi.Config{
		Service: ta.svc, ARNs: arns, Index: ta.searcher, JWT: fakeTokens{}, Credentials: ta.credentials,
		Verifier:  &sigv4.Verifier{Region: region, Services: []string{"bedrock-agentcore"}},
		PublicURL: publicURL, Version: "test",
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: ta.log}, nil)),
	}
	for _, c := range configure {
		c(&cfg)
	}
	ta.handler = httpapi.New(cfg)
	return ta
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// request is one request to the handler.
type request struct {
	method, path, body string
	header             map[string]string
	// sign, when set, signs the request with this key, at signedAt (zero:
	// now) for region signRegion ("": region).
	sign        *key
	signedAt    time.Time
	signRegion  string
	bearerToken string
}

// reply is what a caller sees of an answer.
type reply struct {
	status    int
	errorType string // X-Amzn-ErrorType
	message   string // of the AWS error shape
	header    http.Header
	body      string
	bodyRead  bool // whether the handler read any of the request body
}

// do sends req to the handler, from a client at 192.0.2.1.
func (ta *testAPI) do(t *testing.T, req request) reply {
	t.Helper()
	r := httptest.NewRequest(req.method, publicURL+req.path, strings.NewReader(req.body))
	if req.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	if req.bearerToken != "" {
		r.Header.Set("Authorization", "Bearer "+req.bearerToken)
	}
	if req.sign != nil {
		at, reg := req.signedAt, req.signRegion
		if at.IsZero() {
			at = time.Now()
		}
		if reg == "" {
			reg = region
		}
		sum := sha256.Sum256([]byte(req.body))
		creds := aws.Credentials{AccessKeyID: req.sign.id, SecretAccessKey: req.sign.secret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "bedrock-agentcore", reg, at); err != nil {
			t.Fatal(err)
		}
	}
	body := &watchedBody{r: strings.NewReader(req.body)}
	r.Body = body
	w := httptest.NewRecorder()
	ta.handler.ServeHTTP(w, r)
	resp := w.Result()
	raw, _ := io.ReadAll(resp.Body)
	var shape struct{ Message string }
	json.Unmarshal(raw, &shape)
	return reply{status: resp.StatusCode, errorType: resp.Header.Get("X-Amzn-ErrorType"), message: shape.Message,
		header: resp.Header, body: string(raw), bodyRead: body.read.Load()}
}

// watchedBody is a request body that tells whether it was read.
type watchedBody struct {
	r    io.Reader
	read atomic.Bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.r.Read(p)
}

func (b *watchedBody) Close() error { return nil }
