package mcpproxy_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/internal/awstest"
	"github.com/agentry/agentry/internal/testcatalog"
	"github.com/agentry/agentry/mcpproxy"
	"github.com/agentry/agentry/server"
)

// agentry is a real registry server on a loopback port with one AWS_IAM
// registry of approved records.
type agentry struct {
	endpoint string // the registry's MCP endpoint
	key      credentials.Key
}

func startAgentry(t *testing.T) *agentry {
	t.Helper()
	ctx := context.Background()
	key := credentials.Generate()
	hs := httptest.NewUnstartedServer(nil)
	srv, err := server.New(ctx, server.Config{
		DataDir: t.TempDir(), Region: "us-east-1", AccountID: "123456789012", Root: key,
		PublicURL: "http://" + hs.Listener.Addr().String(),
		Logger:    slog.New(slog.DiscardHandler),
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

	regID := testcatalog.Publish(t, awstest.Control(hs.URL, key.AccessKeyID, key.SecretAccessKey))
	return &agentry{endpoint: hs.URL + "/registry/" + regID + "/mcp", key: key}
}

// signingProxy is a proxy to a signing with the given credentials.
func (a *agentry) signingProxy(t *testing.T, creds aws.CredentialsProvider) *mcpproxy.Proxy {
	return &mcpproxy.Proxy{
		Endpoint:  a.endpoint,
		Transport: mcpproxy.NewSigV4Transport(nil, creds, "bedrock-agentcore", "us-east-1"),
		Logger:    testLogger(t),
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// tWriter sends the proxy's log to the test log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// connectStdio runs p in stdio mode on in-memory pipes and connects the
// go-sdk client to it. done yields what ServeStdio returned, once the
// client has closed its side.
func connectStdio(t *testing.T, p *mcpproxy.Proxy) (s *mcp.ClientSession, done <-chan error, err error) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ch := make(chan error, 1)
	go func() {
		ch <- p.ServeStdio(context.Background(), inR, outW)
		outW.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := mcp.NewClient(&mcp.Implementation{Name: "mcpproxy-test", Version: "1"}, nil)
	s, err = c.Connect(ctx, &mcp.IOTransport{Reader: outR, Writer: inW}, nil)
	if err != nil {
		inW.Close()
	}
	return s, ch, err
}

// searchNames calls search_registry_records and returns the record names.
func searchNames(t *testing.T, s *mcp.ClientSession, query string) []string {
	t.Helper()
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: "search_registry_records",
		Arguments: map[string]any{"searchQuery": query}})
	if err != nil {
		t.Fatalf("tools/call: %v", err)
	}
	if res.IsError {
		t.Fatalf("tools/call returned a tool error: %+v", res.Content)
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var out struct {
		RegistryRecords []struct{ Name string } `json:"registryRecords"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range out.RegistryRecords {
		names = append(names, r.Name)
	}
	return names
}

// exercise runs initialize (already done by Connect), tools/list and
// tools/call against the registry of startAgentry.
func exercise(t *testing.T, s *mcp.ClientSession) {
	t.Helper()
	if v := s.InitializeResult().ProtocolVersion; v != "2025-11-25" {
		t.Errorf("negotiated protocol %q, want 2025-11-25", v)
	}
	if name := s.InitializeResult().ServerInfo.Name; name != "agentry" {
		t.Errorf("server name %q", name)
	}
	tools, err := s.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	if len(tools.Tools) != 1 || tools.Tools[0].Name != "search_registry_records" {
		t.Fatalf("tools/list = %+v", tools.Tools)
	}
	if names := searchNames(t, s, "send an email"); len(names) == 0 || names[0] != "gmail" {
		t.Fatalf("search for email: %v", names)
	}
	if err := s.Ping(context.Background(), nil); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

func closeAndWait(t *testing.T, s *mcp.ClientSession, done <-chan error) {
	t.Helper()
	s.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ServeStdio: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeStdio did not return after stdin closed")
	}
}

func TestStdioToAgentry(t *testing.T) {
	a := startAgentry(t)
	// Credentials that expire at once must be fetched again for each
	// request: the transport may not capture them once.
	var retrieved atomic.Int32
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		retrieved.Add(1)
		return aws.Credentials{AccessKeyID: a.key.AccessKeyID, SecretAccessKey: a.key.SecretAccessKey,
			CanExpire: true, Expires: time.Now()}, nil
	})
	s, done, err := connectStdio(t, a.signingProxy(t, creds))
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, s)
	closeAndWait(t, s, done)
	if n := retrieved.Load(); n < 4 {
		t.Errorf("credentials retrieved %d times for at least 4 requests", n)
	}
}

func TestStdioWrongCredentials(t *testing.T) {
	a := startAgentry(t)
	for _, tc := range []struct {
		name, id, secret, want string
	}{
		{"wrong secret", a.key.AccessKeyID, "not-the-secret", "InvalidSignatureException"},
		{"unknown key", "AKIAUNKNOWNUNKNOWN00", "whatever", "UnrecognizedClientException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			creds := awscreds.NewStaticCredentialsProvider(tc.id, tc.secret, "")
			s, done, err := connectStdio(t, a.signingProxy(t, creds))
			if err == nil {
				s.Close()
				t.Fatal("initialize succeeded with wrong credentials")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "403") {
				t.Fatalf("initialize error %q does not name %s and the status", err, tc.want)
			}
			t.Logf("the client saw: %v", err)
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("ServeStdio did not return after the client left")
			}
		})
	}
}

func TestListenToAgentry(t *testing.T) {
	a := startAgentry(t)
	p := a.signingProxy(t, awscreds.NewStaticCredentialsProvider(a.key.AccessKeyID, a.key.SecretAccessKey, ""))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- p.Serve(ctx, ln) }()

	// The local client's own Authorization is dropped, not passed on.
	local := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer local-only")
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := mcp.NewClient(&mcp.Implementation{Name: "mcpproxy-test", Version: "1"}, nil)
	s, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint: "http://" + ln.Addr().String() + "/mcp", HTTPClient: local}, nil)
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, s)
	s.Close()

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not stop")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
