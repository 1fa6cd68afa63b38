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

// The verifier accepts the signature's hex digits in either case, so a replay
// that only re-spells them must still be recognized as the same signature.
func TestVerifyRefusesReplayWithRespelledSignature(t *testing.T) {
	respell := []struct {
		name string
		f    func(sig string) string
	}{
		{"upper", strings.ToUpper},
		{"mixed", func(sig string) string { return strings.ToUpper(sig[:32]) + sig[32:] }},
	}
	forms := []struct {
		name string
		// request returns a freshly signed write and a function that
		// re-spells the signature of a copy of it.
		request func(t *testing.T) (*http.Request, func(r *http.Request, f func(string) string))
	}{
		{"header", func(t *testing.T) (*http.Request, func(*http.Request, func(string) string)) {
			body := `{"name":"x"}`
			req := newClientRequest(t, http.MethodPost, "/registries", body)
			sdkSign(t, req, testAKID, testSecret, hashHex([]byte(body)), "bedrock-agentcore", testRegion, testNow)
			return req, func(r *http.Request, f func(string) string) {
				authz := r.Header.Get("Authorization")
				i := strings.Index(authz, "Signature=") + len("Signature=")
				r.Header.Set("Authorization", authz[:i]+f(authz[i:]))
				r.Body = io.NopCloser(strings.NewReader(body))
			}
		}},
		{"presigned", func(t *testing.T) (*http.Request, func(*http.Request, func(string) string)) {
			req := presign(t, http.MethodDelete, arnPath, "300", testNow)
			return req, func(r *http.Request, f func(string) string) {
				sig := r.URL.Query().Get("X-Amz-Signature")
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Signature="+sig, "X-Amz-Signature="+f(sig), 1)
			}
		}},
	}
	for _, form := range forms {
		for _, re := range respell {
			t.Run(form.name+"/"+re.name, func(t *testing.T) {
				v := newVerifier(testNow)
				v.Replay = sigv4.NewReplayGuard(0)
				req, respellSig := form.request(t)
				replay := req.Clone(req.Context())
				respellSig(replay, re.f)
				if replay.Header.Get("Authorization") == req.Header.Get("Authorization") && replay.URL.RawQuery == req.URL.RawQuery {
					t.Fatal("test did not re-spell the signature")
				}
				first, firstBody := overWire(t, req)
				if _, err := v.Verify(first, firstBody); err != nil {
					t.Fatalf("first: %v", err)
				}
				again, againBody := overWire(t, replay)
				_, err := v.Verify(again, againBody)
				checkCode(t, err, sigv4.CodeInvalidSignature)
				if !strings.Contains(err.Error(), "already received") {
					t.Fatalf("replay message: %v", err)
				}
			})
		}
	}
}
