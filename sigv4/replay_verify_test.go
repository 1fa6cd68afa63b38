package sigv4_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/agentry/agentry/sigv4"
)

func TestVerifyRefusesReplayedWrites(t *testing.T) {
	v := newVerifier(testNow)
	v.Replay = sigv4.NewReplayGuard(0)
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		body := ""
		if method == http.MethodPost {
			body = `{"name":"x"}`
		}
		req := newClientRequest(t, method, "/registries", body)
		sdkSign(t, req, testAKID, testSecret, hashHex([]byte(body)), "bedrock-agentcore", testRegion, testNow)
		first, firstBody := overWire(t, req)
		if _, err := v.Verify(first, firstBody); err != nil {
			t.Fatalf("%s first: %v", method, err)
		}
		resend := req.Clone(req.Context()) // the same signed request, sent again
		resend.Body = io.NopCloser(strings.NewReader(body))
		again, againBody := overWire(t, resend)
		_, err := v.Verify(again, againBody)
		if method == http.MethodGet {
			checkCode(t, err, "") // repeating a read changes nothing
			continue
		}
		checkCode(t, err, sigv4.CodeInvalidSignature)
		if !strings.Contains(err.Error(), "already received") {
			t.Fatalf("replay message: %v", err)
		}
	}
}
