package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/internal/awstest"
	"github.com/agentry/agentry/server"
)

// The Node packages the tests drive, pinned in js/package.json and
// js/package-lock.json; scripts/install-node-tools installs them.
const (
	sdkVersion         = "1.32.2"
	inspectorVersion   = "2.12.0"
	conformanceVersion = "0.2.0-alpha.12"
	// The authorization server of the OAuth tests (oauth_test.go).
	oidcProviderVersion = "9.13.3"
	// The Inspector needs Node >= 22.19; the install script puts Node 22
	// in .tools/node22.
	minNode22Minor = 19
)

// nodeTools locates the installed Node tools.
type nodeTools struct {
	jsDir     string // interop/js
	node      string // the machine's node (Node 20), for the TypeScript SDK client
	node22    string // .tools/node22's node, for the Inspector and conformance suite
	node22Bin string // its directory, put first on PATH for those two
}

// requireNodeTools returns the Node tools, or skips the test when they are
// not installed, unless CI is set: on CI a missing tool is a failure.
func requireNodeTools(t *testing.T) nodeTools {
	t.Helper()
	tools, err := findNodeTools()
	if err != nil {
		msg := "interop tests need the Node tools: " + err.Error() + "; install them with scripts/install-node-tools"
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatal(msg + " (CI is set, so this is a failure)")
		}
		t.Skip(msg)
	}
	return tools
}

func findNodeTools() (nodeTools, error) {
	jsDir, err := filepath.Abs("js")
	if err != nil {
		return nodeTools{}, err
	}
	root := filepath.Dir(filepath.Dir(jsDir))
	tools := nodeTools{jsDir: jsDir, node22Bin: filepath.Join(root, ".tools", "node22", "node_modules", ".bin")}
	tools.node22 = filepath.Join(tools.node22Bin, "node")
	for _, p := range [][2]string{
		{"@modelcontextprotocol/sdk", sdkVersion},
		{"@modelcontextprotocol/inspector", inspectorVersion},
		{"@modelcontextprotocol/conformance", conformanceVersion},
		{"oidc-provider", oidcProviderVersion},
	} {
		name, want := p[0], p[1]
		raw, err := os.ReadFile(filepath.Join(jsDir, "node_modules", name, "package.json"))
		if err != nil {
			return nodeTools{}, fmt.Errorf("%s is not installed in %s", name, jsDir)
		}
		var pkg struct{ Version string }
		if err := json.Unmarshal(raw, &pkg); err != nil || pkg.Version != want {
			return nodeTools{}, fmt.Errorf("%s is %q, want %s", name, pkg.Version, want)
		}
	}
	out, err := exec.Command(tools.node22, "--version").Output()
	if err != nil {
		return nodeTools{}, fmt.Errorf("no Node 22 at %s", tools.node22)
	}
	v := strings.TrimSpace(string(out))
	parts := strings.Split(strings.TrimPrefix(v, "v"), ".")
	if minor, _ := strconv.Atoi(parts[min(1, len(parts)-1)]); parts[0] != "22" || minor < minNode22Minor {
		return nodeTools{}, fmt.Errorf("%s is Node %s, want 22.%d or later 22.x", tools.node22, v, minNode22Minor)
	}
	// The TypeScript SDK client runs on the machine's Node (20 on CI);
	// Node 22 will do where there is none.
	if tools.node, err = exec.LookPath("node"); err != nil {
		tools.node = tools.node22
	}
	return tools, nil
}

// run runs a Node program with a deadline and returns its stdout, stderr
// and exit code. The program is killed at the deadline (exit code -1, and a
// test error), so nothing outlives the test.
func run(t *testing.T, timeout time.Duration, env []string, name string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 2 * time.Second // the child is killed at the deadline; don't wait on its pipes for long
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	code = cmd.ProcessState.ExitCode()
	if ctx.Err() != nil {
		t.Errorf("%s %s: killed after %s", filepath.Base(name), strings.Join(redact(args), " "), timeout)
		code = -1
	} else if err != nil && code < 0 {
		t.Errorf("%s: %v", filepath.Base(name), err)
	}
	t.Logf("%s %s: exit %d in %s", filepath.Base(name), strings.Join(redact(args), " "), code, time.Since(start).Round(time.Millisecond))
	return out.String(), errb.String(), code
}

// redact hides bearer tokens in logged command lines.
func redact(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.HasPrefix(a, "Authorization: Bearer ") {
			a = "Authorization: Bearer <token>"
		}
		out[i] = a
	}
	return out
}

// pathWithNode22 is a PATH environment entry with Node 22 first.
func (n nodeTools) pathWithNode22() string {
	return "PATH=" + n.node22Bin + string(os.PathListSeparator) + os.Getenv("PATH")
}

// fixture is a real agentry with an AWS_IAM and a CUSTOM_JWT registry
// holding the same approved records, an OIDC provider minting tokens for
// the latter, and local forwarders adding credentials for clients that
// send none.
type fixture struct {
	URL    string // agentry's base URL
	Key    credentials.Key
	Client *ctl.Client

	IAMRegistry, JWTRegistry string
	Token                    string // a valid bearer token for JWTRegistry

	// SigningProxy SigV4-signs each request with Key; BearerProxy adds
	// Token. Both forward the incoming Host and Origin unchanged.
	SigningProxy, BearerProxy string
}

func (f *fixture) mcpURL(base, registryID string) string {
	return base + "/registry/" + registryID + "/mcp"
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	oidc := startOIDC(t)

	key := credentials.Generate()
	hs := httptest.NewUnstartedServer(nil)
	srv, err := server.New(context.Background(), server.Config{
		DataDir: t.TempDir(), Region: "us-east-1", AccountID: "123456789012", Root: key,
		PublicURL:        "http://" + hs.Listener.Addr().String(),
		AllowPrivateURLs: true, // mockoidc is on 127.0.0.1
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
	f := &fixture{URL: hs.URL, Key: key}
	f.Client = awstest.Control(hs.URL, key.AccessKeyID, key.SecretAccessKey)

	f.IAMRegistry = f.createRegistry(t, &ctl.CreateRegistryInput{Name: aws.String("iam-catalog")})
	f.JWTRegistry = f.createRegistry(t, &ctl.CreateRegistryInput{
		Name: aws.String("jwt-catalog"), AuthorizerType: types.RegistryAuthorizerTypeCustomJwt,
		AuthorizerConfiguration: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
			DiscoveryUrl: aws.String(oidc.DiscoveryEndpoint()), AllowedAudience: []string{"agentry"}, AllowedScopes: []string{"registry:search"},
		}},
	})
	for _, reg := range []string{f.IAMRegistry, f.JWTRegistry} {
		f.publish(t, reg, "weather", "Weather forecasts and severe weather alerts",
			`{"tools":[{"name":"get_forecast","description":"Weather forecast for a city","inputSchema":{"type":"object","properties":{"city":{"type":"string"}}}}]}`)
		f.publish(t, reg, "github", "Manage GitHub repositories, issues and pull requests",
			`{"tools":[{"name":"create_issue","description":"Open an issue","inputSchema":{"type":"object"}}]}`)
		f.publish(t, reg, "postgres", "Query a PostgreSQL database with SQL", "")
		f.publish(t, reg, "gmail", "Read and send email from a Gmail inbox", "")
	}

	now := time.Now()
	f.Token, err = oidc.Keypair.SignJWT(jwt.MapClaims{"iss": oidc.Issuer(), "sub": "interop", "aud": "agentry",
		"scope": "openid registry:search", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}

	f.SigningProxy = startForwarder(t, hs.URL, func(r *http.Request) error {
		var body []byte
		if r.Body != nil {
			var err error
			if body, err = io.ReadAll(r.Body); err != nil {
				return err
			}
			r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey}
		return v4.NewSigner().SignHTTP(r.Context(), creds, r, hex.EncodeToString(sum[:]), "bedrock-agentcore", "us-east-1", time.Now())
	})
	f.BearerProxy = startForwarder(t, hs.URL, func(r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+f.Token)
		return nil
	})
	return f
}

// startOIDC runs an in-process OIDC provider on 127.0.0.1.
func startOIDC(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	// mockoidc computes its key id lazily, on the first token or JWKS. Do it
	// before its server goroutines start: the race detector sees no order
	// between a token minted here and a JWKS fetch that a Node child process
	// causes.
	if _, err := m.Keypair.KeyID(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return m
}

// startForwarder runs a local proxy to target that adds credentials to each
// request with authorize, as `agentry mcp-proxy` does for clients that can
// sign nothing. It forwards the client's Host and Origin unchanged (and
// signs with that Host), so that agentry's own Host and Origin guard judges
// the client's request, not the proxy's.
func startForwarder(t *testing.T, target string, authorize func(*http.Request) error) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host
		},
		Transport: authorizingTransport(authorize),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			t.Logf("forwarder: %s %s: %v", r.Method, r.URL, err)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	fwd := httptest.NewServer(proxy)
	t.Cleanup(fwd.Close)
	return fwd.URL
}

type authorizingTransport func(*http.Request) error

func (a authorizingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if err := a(r); err != nil {
		return nil, err
	}
	return http.DefaultTransport.RoundTrip(r)
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// createRegistry creates a registry and returns its id.
func (f *fixture) createRegistry(t *testing.T, in *ctl.CreateRegistryInput) string {
	t.Helper()
	out := must[*ctl.CreateRegistryOutput](t)(f.Client.CreateRegistry(context.Background(), in))
	arn := aws.ToString(out.RegistryArn)
	return arn[strings.LastIndex(arn, "/")+1:]
}

// publish creates an MCP record, submits and approves it.
func (f *fixture) publish(t *testing.T, reg, name, description, tools string) {
	t.Helper()
	ctx := context.Background()
	d := &types.Descriptors{Mcp: &types.McpDescriptor{Server: &types.ServerDefinition{
		InlineContent: aws.String(fmt.Sprintf(`{"name": %q, "description": %q, "version": "1.0.0"}`, "io.example/"+name, description))}}}
	if tools != "" {
		d.Mcp.Tools = &types.ToolsDefinition{InlineContent: aws.String(tools)}
	}
	out := must[*ctl.CreateRegistryRecordOutput](t)(f.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
		RegistryId: aws.String(reg), Name: aws.String(name), Description: aws.String(description),
		DescriptorType: types.DescriptorTypeMcp, Descriptors: d}))
	id := aws.ToString(out.RecordArn)[strings.LastIndex(aws.ToString(out.RecordArn), "/")+1:]
	must[*ctl.SubmitRegistryRecordForApprovalOutput](t)(f.Client.SubmitRegistryRecordForApproval(ctx,
		&ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(reg), RecordId: aws.String(id)}))
	must[*ctl.UpdateRegistryRecordStatusOutput](t)(f.Client.UpdateRegistryRecordStatus(ctx, &ctl.UpdateRegistryRecordStatusInput{
		RegistryId: aws.String(reg), RecordId: aws.String(id), Status: types.RegistryRecordStatusApproved, StatusReason: aws.String("interop test")}))
}
