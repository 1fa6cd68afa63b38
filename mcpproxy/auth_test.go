package mcpproxy_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	awscreds "github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/agentry/agentry/mcpproxy"
)

func TestSigV4TransportSigns(t *testing.T) {
	var got *http.Request
	var body []byte
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
	}))
	defer upstream.Close()

	rt := mcpproxy.NewSigV4Transport(nil, awscreds.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "session-token"), "bedrock-agentcore", "eu-west-3")
	payload := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	req, _ := http.NewRequest("POST", upstream.URL+"/registry/r/mcp", strings.NewReader(payload))
	req.Header.Set("Authorization", "Bearer stale")
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	auth := got.Header.Get("Authorization")
	scope := "Credential=AKIDEXAMPLE/" + time.Now().UTC().Format("20060102") + "/eu-west-3/bedrock-agentcore/aws4_request"
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") || !strings.Contains(auth, scope) || !strings.Contains(auth, "SignedHeaders=") {
		t.Errorf("Authorization %q, want a SigV4 signature with %s", auth, scope)
	}
	if got.Header.Get("X-Amz-Security-Token") != "session-token" || got.Header.Get("X-Amz-Date") == "" {
		t.Errorf("headers %v", got.Header)
	}
	if string(body) != payload {
		t.Errorf("body %q", body)
	}
	if req.Header.Get("Authorization") != "Bearer stale" {
		t.Error("the transport changed the caller's request")
	}
}

func TestBearerTransport(t *testing.T) {
	var (
		mu   sync.Mutex
		auth []string
	)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := readRPC(t, r)
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, result(m.ID, "{}"))
	}))
	defer upstream.Close()

	const name = "MCPPROXY_TEST_TOKEN"
	t.Setenv(name, "token-one")
	s := runStdio(t, &mcpproxy.Proxy{Endpoint: upstream.URL, Logger: testLogger(t),
		Transport: &mcpproxy.BearerTransport{Token: mcpproxy.EnvToken(name)}})
	s.send(t, `{"jsonrpc":"2.0","id":1,"method":"ping"}`)
	s.recv(t)
	// The variable is read at each request, so a new token takes effect.
	t.Setenv(name, "token-two")
	s.send(t, `{"jsonrpc":"2.0","id":2,"method":"ping"}`)
	s.recv(t)
	os.Unsetenv(name)
	s.send(t, `{"jsonrpc":"2.0","id":3,"method":"ping"}`)
	if msg := errorMessage(t, s.recv(t)); !strings.Contains(msg, name+" is empty or unset") {
		t.Errorf("message %q", msg)
	}
	s.close(t)
	mu.Lock()
	defer mu.Unlock()
	if len(auth) != 2 || auth[0] != "Bearer token-one" || auth[1] != "Bearer token-two" {
		t.Fatalf("Authorization headers %q", auth)
	}
}
