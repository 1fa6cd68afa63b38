package sigv4_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/agentry/agentry/sigv4"
)

// TestCurlAWSSigV4 signs real requests with curl --aws-sigv4 and verifies
// them in an httptest.Server handler.
//
// curl 7.88 (as installed here) signs the path and query verbatim as it
// sends them: no second encoding, no sorting. Later curl releases
// canonicalize both the way the SDK does. The verifier accepts either.
func TestCurlAWSSigV4(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not on PATH")
	}
	v := newVerifier(time.Time{})
	v.Now = nil
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id, err := v.Verify(r, body)
		var e *sigv4.Error
		if errors.As(err, &e) {
			http.Error(w, e.Code+": "+e.Message, http.StatusForbidden)
			return
		}
		io.WriteString(w, "ok "+id+" "+string(body))
	}))
	defer srv.Close()

	const user = testAKID + ":" + testSecret
	const scope = "aws:amz:us-east-1:bedrock-agentcore"
	cases := []struct {
		name string
		args []string
		want string // prefix of the response body
	}{
		{"GET sorted query", []string{"--aws-sigv4", scope, "--user", user,
			srv.URL + "/registries?maxResults=10&nextToken=abc"}, "ok " + testAKID},
		{"GET unsorted query", []string{"--aws-sigv4", scope, "--user", user,
			srv.URL + "/registries?nextToken=abc&maxResults=10&name=a%20b"}, "ok " + testAKID},
		{"POST JSON", []string{"--aws-sigv4", scope, "--user", user, "-X", "POST",
			"-H", "Content-Type: application/json", "-d", jsonBody, srv.URL + "/registries"}, "ok " + testAKID + " " + jsonBody},
		{"GET encoded ARN", []string{"--aws-sigv4", scope, "--user", user, srv.URL + arnPath}, "ok " + testAKID},
		{"GET raw-colon ARN", []string{"--aws-sigv4", scope, "--user", user, srv.URL + arnRawPath}, "ok " + testAKID},
		{"PATCH ARN with body", []string{"--aws-sigv4", scope, "--user", user, "-X", "PATCH",
			"-H", "Content-Type: application/json", "-d", `{"description":"x"}`, srv.URL + arnPath + "/r-1"}, "ok " + testAKID},
		{"DELETE ARN", []string{"--aws-sigv4", "aws:amz:us-east-1:agent-registry", "--user", user, "-X", "DELETE",
			srv.URL + arnPath}, "ok " + testAKID},
		{"wrong secret", []string{"--aws-sigv4", scope, "--user", testAKID + ":nope", srv.URL + "/registries"},
			sigv4.CodeInvalidSignature},
		{"wrong region", []string{"--aws-sigv4", "aws:amz:eu-west-1:bedrock-agentcore", "--user", user, srv.URL + "/registries"},
			sigv4.CodeInvalidSignature},
		{"unknown key", []string{"--aws-sigv4", scope, "--user", "AKIDOTHER:" + testSecret, srv.URL + "/registries"},
			sigv4.CodeUnrecognizedClient},
		{"no signature", []string{srv.URL + "/registries"}, sigv4.CodeMissingAuthenticationToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := exec.Command("curl", append([]string{"-sS"}, c.args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("curl: %v\n%s", err, out)
			}
			if !strings.HasPrefix(string(out), c.want) {
				t.Fatalf("response %q, want prefix %q", out, c.want)
			}
		})
	}
}
