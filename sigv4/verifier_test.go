package sigv4_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/agentry/agentry/sigv4"
)

const (
	arnPath    = "/registries/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A000000000000%3Aregistry%2Fabc/records"
	arnRawPath = "/registries/arn:aws:bedrock-agentcore:us-east-1:000000000000:registry%2Fabc/records"
	jsonBody   = `{"name":"my-agent","description":"an  agent"}`
)

type sdkCase struct {
	name    string
	method  string
	target  string // path and query as sent on the wire
	body    string
	header  map[string]string // set before signing
	service string            // default bedrock-agentcore
	region  string            // default testRegion
	akid    string            // default testAKID
	secret  string            // default testSecret
	at      time.Time         // signing time, default testNow
	payload string            // payload hash given to the signer, default sha256(body)
	after   func(r *http.Request)
	want    string // error code; "" means success
	message string // substring expected in the error message
}

func (c sdkCase) run(t *testing.T) {
	method := or(c.method, http.MethodGet)
	req := newClientRequest(t, method, c.target, c.body)
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	sdkSign(t, req, or(c.akid, testAKID), or(c.secret, testSecret), or(c.payload, hashHex([]byte(c.body))),
		or(c.service, "bedrock-agentcore"), or(c.region, testRegion), orTime(c.at, testNow))
	if c.after != nil {
		c.after(req)
	}
	srv, body := overWire(t, req)
	id, err := newVerifier(testNow).Verify(srv, body)
	checkCode(t, err, c.want)
	if c.want == "" && id != testAKID {
		t.Fatalf("Verify returned access key %q, want %q", id, testAKID)
	}
	message := c.message
	if message == "" && c.want == sigv4.CodeInvalidSignature {
		message = "The request signature we calculated does not match the signature you provided."
	}
	if message != "" && !strings.Contains(err.Error(), message) {
		t.Fatalf("error %q does not mention %q", err, message)
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

func setBody(body string) func(*http.Request) {
	return func(r *http.Request) {
		r.Body = io.NopCloser(strings.NewReader(body))
		r.ContentLength = int64(len(body))
	}
}

func editAuth(old, new string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
	}
}

func TestVerifySDKSigned(t *testing.T) {
	jsonType := map[string]string{"Content-Type": "application/json"}
	cases := []sdkCase{
		{name: "GET root", target: "/"},
		{name: "GET empty path", target: ""},
		{name: "GET list", target: "/registries"},
		{name: "GET query", target: "/registries?maxResults=10&nextToken=abc%2Fdef"},
		{name: "GET unsorted query", target: "/registries?nextToken=x&maxResults=10&a=2&a=1"},
		{name: "GET query special chars", target: "/registries?name=a%20b&filter=x%3Ay&plus=1%2B1&empty=&flag&t=%E2%9C%93"},
		{name: "GET plus as space", target: "/registries?q=a+b"},
		{name: "query reordered after signing", target: "/registries?a=1&b=2&c=3",
			after: func(r *http.Request) { r.URL.RawQuery = "c=3&b=2&a=1" }},
		{name: "GET encoded ARN", target: arnPath},
		{name: "GET raw-colon ARN", target: arnRawPath},
		{name: "GET encoded ARN with query", target: arnPath + "?maxResults=5"},
		{name: "GET path with space and unicode", target: "/registries/a%20b/%E2%9C%93"},
		{name: "GET dot segments kept", target: "/registries/./x/../y"},
		{name: "POST JSON", method: http.MethodPost, target: "/registries", body: jsonBody, header: jsonType},
		{name: "POST JSON with content sha256", method: http.MethodPost, target: "/registries", body: jsonBody,
			header: map[string]string{"Content-Type": "application/json", "X-Amz-Content-Sha256": hashHex([]byte(jsonBody))}},
		{name: "POST to ARN", method: http.MethodPost, target: arnPath, body: jsonBody, header: jsonType},
		{name: "PATCH", method: http.MethodPatch, target: arnPath + "/r-1", body: `{"description":"x"}`, header: jsonType},
		{name: "PUT", method: http.MethodPut, target: "/registries/r1", body: `{}`, header: jsonType},
		{name: "DELETE", method: http.MethodDelete, target: arnPath + "/r-1"},
		{name: "DELETE with query", method: http.MethodDelete, target: arnPath + "?clientToken=abc"},
		{name: "service agent-registry", service: "agent-registry", target: "/registries"},
		{name: "messy header values", target: "/registries",
			header: map[string]string{"X-Amz-Target": "  a   b  c  ", "X-Custom": "v"}},
		{name: "skew within window", at: testNow.Add(-4 * time.Minute), target: "/registries"},
		{name: "future within window", at: testNow.Add(4 * time.Minute), target: "/registries"},

		{name: "clock skew past", at: testNow.Add(-6 * time.Minute), target: "/registries",
			want: sigv4.CodeInvalidSignature, message: "Signature expired: 20260514T115400Z is now earlier than 20260514T115500Z"},
		{name: "clock skew future", at: testNow.Add(6 * time.Minute), target: "/registries",
			want: sigv4.CodeInvalidSignature, message: "Signature not yet current: 20260514T120600Z is still later than 20260514T120500Z"},
		{name: "scope date mismatch", target: "/registries",
			after: func(r *http.Request) { r.Header.Set("X-Amz-Date", "20260515T000100Z") },
			want:  sigv4.CodeInvalidSignature, message: "Date in Credential scope does not match"},
		{name: "wrong region", region: "us-west-2", target: "/registries",
			want: sigv4.CodeInvalidSignature, message: "Expected 'us-east-1'"},
		{name: "wrong service", service: "bedrock", target: "/registries",
			want: sigv4.CodeInvalidSignature, message: "'bedrock-agentcore' or 'agent-registry'"},
		{name: "unknown key", akid: "AKIDUNKNOWN", target: "/registries",
			want: sigv4.CodeUnrecognizedClient, message: "The security token included in the request is invalid."},
		{name: "wrong secret", secret: "not-the-secret", target: "/registries",
			want: sigv4.CodeInvalidSignature, message: "The request signature we calculated does not match"},
		{name: "host not signed", target: "/registries", after: editAuth("SignedHeaders=host;x-amz-date", "SignedHeaders=x-amz-date"),
			want: sigv4.CodeIncompleteSignature, message: "'Host'"},
		{name: "x-amz-date not signed", target: "/registries", after: editAuth("SignedHeaders=host;x-amz-date", "SignedHeaders=host"),
			want: sigv4.CodeIncompleteSignature, message: "'X-Amz-Date'"},
		{name: "signed header changed", method: http.MethodPost, target: "/registries", body: jsonBody, header: jsonType,
			after: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, want: sigv4.CodeInvalidSignature},
		{name: "signed header removed", target: "/registries", header: map[string]string{"X-Custom": "v"},
			after: func(r *http.Request) { r.Header.Del("X-Custom") }, want: sigv4.CodeInvalidSignature},
		{name: "host changed", target: "/registries",
			after: func(r *http.Request) { r.Host = "evil.example.com" }, want: sigv4.CodeInvalidSignature},
		{name: "body changed same length", method: http.MethodPost, target: "/registries", body: jsonBody, header: jsonType,
			after: setBody(strings.Replace(jsonBody, "my-agent", "my-agenT", 1)), want: sigv4.CodeInvalidSignature},
		{name: "body changed other length", method: http.MethodPost, target: "/registries", body: jsonBody, header: jsonType,
			after: setBody(`{}`), want: sigv4.CodeInvalidSignature},
		{name: "content sha256 mismatch", method: http.MethodPost, target: "/registries", body: jsonBody,
			header:  map[string]string{"X-Amz-Content-Sha256": hashHex([]byte("other"))},
			payload: hashHex([]byte("other")), want: sigv4.CodeInvalidSignature, message: "x-amz-content-sha256"},
		{name: "unsigned payload", method: http.MethodPost, target: "/registries", body: jsonBody,
			header:  map[string]string{"X-Amz-Content-Sha256": "UNSIGNED-PAYLOAD"},
			payload: "UNSIGNED-PAYLOAD", want: sigv4.CodeInvalidSignature, message: "Unsigned"},
		{name: "streaming payload", method: http.MethodPost, target: "/registries", body: jsonBody,
			header:  map[string]string{"X-Amz-Content-Sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
			payload: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", want: sigv4.CodeInvalidSignature, message: "Unsigned"},
		{name: "path changed", target: arnPath,
			after: func(r *http.Request) { r.URL.RawPath = ""; r.URL.Path = "/registries/other/records" }, want: sigv4.CodeInvalidSignature},
		// The SDK's canonical URI for arnPath is arnPath with each '%' encoded as
		// "%25"; sending that string as the path must not reuse the signature.
		{name: "ARN re-encoded after signing", target: arnPath,
			after: func(r *http.Request) {
				u, err := url.Parse("http://" + testHost + strings.ReplaceAll(arnPath, "%", "%25"))
				if err != nil {
					panic(err)
				}
				r.URL = u
			}, want: sigv4.CodeInvalidSignature},
		{name: "method changed", method: http.MethodDelete, target: arnPath,
			after: func(r *http.Request) { r.Method = http.MethodGet }, want: sigv4.CodeInvalidSignature},
		{name: "query added", target: "/registries?a=1",
			after: func(r *http.Request) { r.URL.RawQuery += "&b=2" }, want: sigv4.CodeInvalidSignature},
		{name: "query value changed", target: "/registries?a=1",
			after: func(r *http.Request) { r.URL.RawQuery = "a=2" }, want: sigv4.CodeInvalidSignature},
		{name: "signature tampered", target: "/registries",
			after: func(r *http.Request) {
				a := r.Header.Get("Authorization")
				flip := "0"
				if strings.HasSuffix(a, "0") {
					flip = "1"
				}
				r.Header.Set("Authorization", a[:len(a)-1]+flip)
			}, want: sigv4.CodeInvalidSignature},
		{name: "missing X-Amz-Date", target: "/registries",
			after: func(r *http.Request) { r.Header.Del("X-Amz-Date") }, want: sigv4.CodeIncompleteSignature},
		{name: "malformed X-Amz-Date", target: "/registries",
			after: func(r *http.Request) { r.Header.Set("X-Amz-Date", "2026-05-14T12:00:00Z") }, want: sigv4.CodeIncompleteSignature},
		{name: "missing Authorization", target: "/registries",
			after: func(r *http.Request) { r.Header.Del("Authorization") }, want: sigv4.CodeMissingAuthenticationToken},
		{name: "two Authorization headers", target: "/registries",
			after: func(r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) }, want: sigv4.CodeIncompleteSignature},
	}
	for _, c := range cases {
		t.Run(c.name, c.run)
	}
}

// TestVerifyMultiValuedHeader signs a header sent twice; the canonical value
// joins both with ','.
func TestVerifyMultiValuedHeader(t *testing.T) {
	req := newClientRequest(t, http.MethodGet, "/registries", "")
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", " two  three ")
	sdkSign(t, req, testAKID, testSecret, hashHex(nil), "bedrock-agentcore", testRegion, testNow)
	srv, body := overWire(t, req)
	if got := srv.Header.Values("X-Multi"); len(got) != 2 {
		t.Fatalf("server saw %q, want two values", got)
	}
	_, err := newVerifier(testNow).Verify(srv, body)
	checkCode(t, err, "")
}

// TestVerifyInProcessRequest covers requests built with httptest.NewRequest,
// where Content-Length lives only in r.ContentLength.
func TestVerifyInProcessRequest(t *testing.T) {
	req := newClientRequest(t, http.MethodPost, arnPath, jsonBody)
	sdkSign(t, req, testAKID, testSecret, hashHex([]byte(jsonBody)), "bedrock-agentcore", testRegion, testNow)
	if !strings.Contains(req.Header.Get("Authorization"), "content-length") {
		t.Fatal("expected the SDK to sign content-length")
	}
	_, err := newVerifier(testNow).Verify(req, []byte(jsonBody))
	checkCode(t, err, "")
}

func TestVerifyMalformedAuthorization(t *testing.T) {
	const cred = "Credential=" + testAKID + "/20260514/us-east-1/bedrock-agentcore/aws4_request"
	const sig = "Signature=" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	cases := map[string]string{
		"empty":                "",
		"bearer":               "Bearer abc",
		"other algorithm":      "AWS4-HMAC-SHA512 " + cred + ", SignedHeaders=host;x-amz-date, " + sig,
		"algorithm only":       "AWS4-HMAC-SHA256",
		"glued algorithm":      "AWS4-HMAC-SHA256Credential=x",
		"missing Credential":   "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, " + sig,
		"missing Signed":       "AWS4-HMAC-SHA256 " + cred + ", " + sig,
		"missing Signature":    "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date",
		"duplicate part":       "AWS4-HMAC-SHA256 " + cred + ", " + cred + ", SignedHeaders=host;x-amz-date, " + sig,
		"unknown part":         "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date, " + sig + ", Extra=1",
		"no equals":            "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders, " + sig,
		"trailing comma":       "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date, " + sig + ",",
		"scope 4 parts":        "AWS4-HMAC-SHA256 Credential=AKID/20260514/us-east-1/aws4_request, SignedHeaders=host;x-amz-date, " + sig,
		"scope 6 parts":        "AWS4-HMAC-SHA256 Credential=AKID/20260514/us-east-1/svc/aws4_request/x, SignedHeaders=host;x-amz-date, " + sig,
		"scope bad terminator": "AWS4-HMAC-SHA256 Credential=AKID/20260514/us-east-1/svc/aws5_request, SignedHeaders=host;x-amz-date, " + sig,
		"scope bad date":       "AWS4-HMAC-SHA256 Credential=AKID/2026-05-14/us-east-1/svc/aws4_request, SignedHeaders=host;x-amz-date, " + sig,
		"scope empty key":      "AWS4-HMAC-SHA256 Credential=/20260514/us-east-1/svc/aws4_request, SignedHeaders=host;x-amz-date, " + sig,
		"scope empty region":   "AWS4-HMAC-SHA256 Credential=AKID/20260514//svc/aws4_request, SignedHeaders=host;x-amz-date, " + sig,
		"empty SignedHeaders":  "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=, " + sig,
		"uppercase header":     "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=Host;x-amz-date, " + sig,
		"unsorted headers":     "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date;host, " + sig,
		"duplicate header":     "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;host;x-amz-date, " + sig,
		"empty header name":    "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, " + sig,
		"too many headers":     "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=" + manyHeaders(65) + ", " + sig,
		"short signature":      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date, Signature=abc",
		"non-hex signature":    "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("z", 64),
		"too long":             "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date, " + sig + strings.Repeat(" ", 9000),
	}
	for name, authz := range cases {
		t.Run(name, func(t *testing.T) {
			req := newClientRequest(t, http.MethodGet, "/registries", "")
			req.Header.Set("X-Amz-Date", "20260514T120000Z")
			req.Header["Authorization"] = []string{authz}
			_, err := newVerifier(testNow).Verify(req, nil)
			checkCode(t, err, sigv4.CodeIncompleteSignature)
		})
	}
}

func manyHeaders(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = "x-h" + string(rune('a'+i/26)) + string(rune('a'+i%26))
	}
	return strings.Join(names, ";")
}

func TestParseAuthorization(t *testing.T) {
	req := newClientRequest(t, http.MethodPost, "/registries", jsonBody)
	req.Header.Set("Content-Type", "application/json")
	sdkSign(t, req, testAKID, testSecret, hashHex([]byte(jsonBody)), "agent-registry", testRegion, testNow)
	a, err := sigv4.ParseAuthorization(req.Header.Get("Authorization"))
	if err != nil {
		t.Fatal(err)
	}
	want := sigv4.Authorization{AccessKeyID: testAKID, Date: "20260514", Region: testRegion, Service: "agent-registry",
		SignedHeaders: []string{"content-length", "content-type", "host", "x-amz-date"}}
	if a.AccessKeyID != want.AccessKeyID || a.Date != want.Date || a.Region != want.Region || a.Service != want.Service ||
		strings.Join(a.SignedHeaders, ";") != strings.Join(want.SignedHeaders, ";") || len(a.Signature) != 64 {
		t.Fatalf("got %+v, want %+v with a 64-char signature", a, want)
	}

	// Parameter order and spacing do not matter.
	compact := "AWS4-HMAC-SHA256 Signature=" + a.Signature + ",SignedHeaders=host;x-amz-date,Credential=K/20260514/r/s/aws4_request"
	if b, err := sigv4.ParseAuthorization(compact); err != nil || b.AccessKeyID != "K" || b.Service != "s" {
		t.Fatalf("compact form: %+v, %v", b, err)
	}
}

func TestVerifierDefaultsAndMisconfiguration(t *testing.T) {
	req := newClientRequest(t, http.MethodGet, "/registries", "")
	at := time.Now().UTC().Truncate(time.Second)
	sdkSign(t, req, testAKID, testSecret, hashHex(nil), "bedrock-agentcore", testRegion, at)

	v := newVerifier(time.Time{})
	v.Now = nil // time.Now
	if _, err := v.Verify(req, nil); err != nil {
		t.Fatalf("default clock: %v", err)
	}
	v.Lookup = nil
	_, err := v.Verify(req, nil)
	checkCode(t, err, sigv4.CodeUnrecognizedClient)

	_, err = (&sigv4.Verifier{}).Verify(req, nil)
	checkCode(t, err, sigv4.CodeInvalidSignature)
	_, err = v.Verify(nil, nil)
	checkCode(t, err, sigv4.CodeMissingAuthenticationToken)

	// A custom skew applies in both directions.
	v = newVerifier(at.Add(90 * time.Second))
	v.MaxSkew = time.Minute
	_, err = v.Verify(req, nil)
	checkCode(t, err, sigv4.CodeInvalidSignature)
}
