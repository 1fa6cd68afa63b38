package sigv4_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentry/agentry/sigv4"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAKID   = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testRegion = "us-east-1"
	testHost   = "registry.example.com"
)

var testNow = time.Date(2026, 5, 14, 12, 0, 0, 0, time.UTC)

func newVerifier(now time.Time) *sigv4.Verifier {
	return &sigv4.Verifier{
		Region:   testRegion,
		Services: []string{"bedrock-agentcore", "agent-registry"},
		Lookup: func(id string) (string, bool) {
			if id == testAKID {
				return testSecret, true
			}
			return "", false
		},
		Now: func() time.Time { return now },
	}
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sdkSign signs req with the AWS SDK v2 signer using default options.
func sdkSign(t testing.TB, req *http.Request, akid, secret, payloadHash, service, region string, at time.Time) {
	t.Helper()
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payloadHash, service, region, at); err != nil {
		t.Fatalf("SignHTTP: %v", err)
	}
}

// overWire serializes a client request and parses it back the way net/http
// does on the server, returning the server-side request and its body.
func overWire(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatalf("write request: %v", err)
	}
	srv, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("read request: %v", err)
	}
	body, err := io.ReadAll(srv.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return srv, body
}

func newClientRequest(t testing.TB, method, target, body string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+testHost+target, rd)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	return req
}

// checkCode asserts err is nil when want is empty, else an *sigv4.Error with Code want.
func checkCode(t testing.TB, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("Verify: unexpected error %v", err)
		}
		return
	}
	var e *sigv4.Error
	if !errors.As(err, &e) {
		t.Fatalf("Verify: got %v, want *sigv4.Error with code %s", err, want)
	}
	if e.Code != want {
		t.Fatalf("Verify: got code %s (%s), want %s", e.Code, e.Message, want)
	}
	if strings.Contains(e.Message, testSecret) {
		t.Fatalf("error message leaks the secret: %q", e.Message)
	}
}
