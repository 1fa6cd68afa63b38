package sigv4_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/agentry/agentry/sigv4"
)

// TestParseCredentialThenVerifySignature checks the two steps a server
// takes to refuse a bad credential before it reads the body: the first
// needs neither the body nor the key, the second checks the signature
// with the secret the server looked up.
func TestParseCredentialThenVerifySignature(t *testing.T) {
	body := `{"name":"x"}`
	req := newClientRequest(t, http.MethodPost, "/registries", body)
	sdkSign(t, req, "AKIDNOTKNOWNYET", testSecret, hashHex([]byte(body)), "bedrock-agentcore", testRegion, testNow)
	srv, read := overWire(t, req)
	v := newVerifier(testNow)
	c, err := v.ParseCredential(srv)
	checkCode(t, err, "")
	if c.AccessKeyID != "AKIDNOTKNOWNYET" {
		t.Fatalf("access key %q", c.AccessKeyID)
	}
	checkCode(t, v.VerifySignature(srv, c, testSecret, read), "")
	checkCode(t, v.VerifySignature(srv, c, "another-secret", read), sigv4.CodeInvalidSignature)
	checkCode(t, v.VerifySignature(srv, c, testSecret, []byte(`{"name":"y"}`)), sigv4.CodeInvalidSignature)

	// What ParseCredential refuses without a body.
	unsigned, _ := overWire(t, newClientRequest(t, http.MethodPost, "/registries", body))
	_, err = v.ParseCredential(unsigned)
	checkCode(t, err, sigv4.CodeMissingAuthenticationToken)
	bearer := newClientRequest(t, http.MethodPost, "/registries", body)
	bearer.Header.Set("Authorization", "Bearer abc")
	_, err = v.ParseCredential(bearer)
	checkCode(t, err, sigv4.CodeIncompleteSignature)
	_, err = newVerifier(testNow.Add(time.Hour)).ParseCredential(srv)
	checkCode(t, err, sigv4.CodeInvalidSignature)
	other := newVerifier(testNow)
	other.Region = "eu-west-1"
	_, err = other.ParseCredential(srv)
	checkCode(t, err, sigv4.CodeInvalidSignature)
}
