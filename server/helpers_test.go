package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/aws/smithy-go"

	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/internal/awstest"
	"github.com/agentry/agentry/server"
	"github.com/agentry/agentry/store/postgres/pgtest"
)

// testServer is a real agentry (SQLite store, SigV4, full HTTP stack) on a
// loopback port, and an AWS SDK client for it.
type testServer struct {
	URL    string
	Key    credentials.Key
	Client *ctl.Client
	srv    *server.Server
	cfg    server.Config
}

// The API tests run on SQLite, and on PostgreSQL when AGENTRY_TEST_STORE is
// "postgres" (scripts/test runs both).
func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Wait()
	os.Exit(code)
}

func startServer(t testing.TB) *testServer {
	t.Helper()
	return startServerWith(t, func(*server.Config) {})
}

// startServerWith is startServer with a chance to change the configuration.
func startServerWith(t testing.TB, configure func(*server.Config)) *testServer {
	t.Helper()
	ctx := context.Background()
	key := credentials.Generate()
	hs := httptest.NewUnstartedServer(nil)
	cfg := server.Config{
		DataDir: t.TempDir(), Region: "us-east-1", AccountID: "123456789012", Root: key,
		PublicURL: "http://" + hs.Listener.Addr().String(),
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if os.Getenv("AGENTRY_TEST_STORE") == "postgres" {
		cfg.DatabaseURL = pgtest.NewDatabase(t, false)
	}
	configure(&cfg)
	srv, err := server.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})
	ts := &testServer{URL: hs.URL, Key: key, srv: srv, cfg: cfg}
	ts.Client = ts.clientWith(key.AccessKeyID, key.SecretAccessKey)
	return ts
}

// clientWith returns an SDK client for ts signing with the given key.
func (ts *testServer) clientWith(id, secret string) *ctl.Client {
	return awstest.Control(ts.URL, id, secret)
}

// apiCode returns the AWS error code of err, failing the test if err is
// not an API error.
func apiCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an AWS API error, got %v", err)
	}
	return ae.ErrorCode()
}

// wantValidation asserts err is a ValidationException naming field in its
// field list with a message containing substr.
func wantValidation(t *testing.T, err error, field, substr string) *types.ValidationException {
	t.Helper()
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Fatalf("want *types.ValidationException, got %T: %v", err, err)
	}
	if field == "" {
		if !strings.Contains(aws.ToString(ve.Message), substr) {
			t.Fatalf("message %q does not contain %q", aws.ToString(ve.Message), substr)
		}
		return ve
	}
	for _, f := range ve.FieldList {
		if aws.ToString(f.Name) == field && strings.Contains(aws.ToString(f.Message), substr) {
			return ve
		}
	}
	t.Fatalf("want field %q with message containing %q; got message %q, fields %s", field, substr, aws.ToString(ve.Message), fieldsString(ve.FieldList))
	return nil
}

func fieldsString(fs []types.ValidationExceptionField) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, aws.ToString(f.Name)+": "+aws.ToString(f.Message))
	}
	return "[" + strings.Join(parts, " | ") + "]"
}

func wantConflict(t *testing.T, err error, substrs ...string) {
	t.Helper()
	var ce *types.ConflictException
	if !errors.As(err, &ce) {
		t.Fatalf("want *types.ConflictException, got %T: %v", err, err)
	}
	for _, s := range substrs {
		if !strings.Contains(aws.ToString(ce.Message), s) {
			t.Fatalf("conflict message %q does not contain %q", aws.ToString(ce.Message), s)
		}
	}
}

func wantNotFound(t *testing.T, err error) {
	t.Helper()
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("want *types.ResourceNotFoundException, got %T: %v", err, err)
	}
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

// createRegistry creates an AWS_IAM registry and returns its id.
func (ts *testServer) createRegistry(t testing.TB, name string, autoApprove bool) string {
	t.Helper()
	out := must[*ctl.CreateRegistryOutput](t)(ts.Client.CreateRegistry(context.Background(), &ctl.CreateRegistryInput{
		Name: aws.String(name), ApprovalConfiguration: &types.ApprovalConfiguration{AutoApproval: autoApprove},
	}))
	arn := aws.ToString(out.RegistryArn)
	return arn[strings.LastIndex(arn, "/")+1:]
}

const minimalServer = `{"name": "my/mcp-server", "description": "My MCP server", "version": "1.0.0"}`

func mcpDescriptors(server string) *types.Descriptors {
	return &types.Descriptors{Mcp: &types.McpDescriptor{Server: &types.ServerDefinition{InlineContent: aws.String(server)}}}
}

// createRecord creates an MCP record and returns its id.
func (ts *testServer) createRecord(t testing.TB, registryID, name string) string {
	t.Helper()
	out := must[*ctl.CreateRegistryRecordOutput](t)(ts.Client.CreateRegistryRecord(context.Background(), &ctl.CreateRegistryRecordInput{
		RegistryId: aws.String(registryID), Name: aws.String(name), DescriptorType: types.DescriptorTypeMcp,
		Descriptors: mcpDescriptors(minimalServer),
	}))
	arn := aws.ToString(out.RecordArn)
	return arn[strings.LastIndex(arn, "/")+1:]
}
