package sigv4_test

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/agentry/agentry/sigv4"
)

func FuzzParseAuthorization(f *testing.F) {
	const sig = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	req := newClientRequest(f, http.MethodPost, arnPath, jsonBody)
	req.Header.Set("Content-Type", "application/json")
	sdkSign(f, req, testAKID, testSecret, hashHex([]byte(jsonBody)), "bedrock-agentcore", testRegion, testNow)
	for _, s := range []string{
		req.Header.Get("Authorization"),
		"AWS4-HMAC-SHA256 Credential=K/20260514/us-east-1/agent-registry/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig,
		"AWS4-HMAC-SHA256 Signature=" + sig + ",SignedHeaders=host,Credential=K/20260514/r/s/aws4_request",
		"AWS4-HMAC-SHA256 Credential=K/2026/r/s/aws4_request, SignedHeaders=host;host, Signature=zz",
		"AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=",
		"AWS4-HMAC-SHA256 ,,,",
		"AWS4-HMAC-SHA256",
		"Bearer token",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		a, err := sigv4.ParseAuthorization(header)
		if err != nil {
			var e *sigv4.Error
			if !errors.As(err, &e) || e.Code != sigv4.CodeIncompleteSignature {
				t.Fatalf("unexpected error %#v", err)
			}
			return
		}
		if a.AccessKeyID == "" || len(a.Date) != 8 || a.Region == "" || a.Service == "" || len(a.Signature) != 64 {
			t.Fatalf("incomplete result %+v", a)
		}
		if len(a.SignedHeaders) == 0 || len(a.SignedHeaders) > 64 {
			t.Fatalf("bad signed header count %q", a.SignedHeaders)
		}
		for i := 1; i < len(a.SignedHeaders); i++ {
			if a.SignedHeaders[i-1] >= a.SignedHeaders[i] {
				t.Fatalf("signed headers not sorted and unique: %q", a.SignedHeaders)
			}
		}
		// Re-rendering the parsed value must parse back to the same thing.
		again, err := sigv4.ParseAuthorization("AWS4-HMAC-SHA256 Credential=" + a.AccessKeyID + "/" + a.Date + "/" +
			a.Region + "/" + a.Service + "/aws4_request, SignedHeaders=" + strings.Join(a.SignedHeaders, ";") +
			", Signature=" + a.Signature)
		if err != nil || !slices.Equal(again.SignedHeaders, a.SignedHeaders) || again.AccessKeyID != a.AccessKeyID ||
			again.Signature != a.Signature {
			t.Fatalf("round trip of %+v: %+v, %v", a, again, err)
		}
	})
}

// fuzzRequest builds a server-side request from fuzzed parts; headers holds
// "Name: value" lines.
func fuzzRequest(method, authz, amzDate, path, query, host, headers string, body []byte) *http.Request {
	r := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: query}, Host: host,
		Header: http.Header{}, ContentLength: int64(len(body))}
	if u, err := url.Parse(path); err == nil {
		r.URL.Path, r.URL.RawPath = u.Path, u.RawPath
	}
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	if amzDate != "" {
		r.Header.Set("X-Amz-Date", amzDate)
	}
	for line := range strings.Lines(headers) {
		if name, value, ok := strings.Cut(line, ":"); ok {
			r.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		}
	}
	return r
}

func FuzzVerify(f *testing.F) {
	v := newVerifier(testNow)
	// add seeds a correctly signed request, so mutations start from a valid one.
	add := func(req *http.Request, body string) {
		authz, date, path := req.Header.Get("Authorization"), req.Header.Get("X-Amz-Date"), req.URL.EscapedPath()
		headers := "Content-Type: " + req.Header.Get("Content-Type")
		r := fuzzRequest(req.Method, authz, date, path, req.URL.RawQuery, req.URL.Host, headers, []byte(body))
		if _, err := v.Verify(r, []byte(body)); err != nil {
			f.Fatalf("seed %s %s does not verify: %v", req.Method, req.URL, err)
		}
		f.Add(req.Method, authz, date, path, req.URL.RawQuery, req.URL.Host, headers, []byte(body))
	}
	post := newClientRequest(f, http.MethodPost, arnPath+"?b=2&a=1", jsonBody)
	post.Header.Set("Content-Type", "application/json")
	sdkSign(f, post, testAKID, testSecret, hashHex([]byte(jsonBody)), "bedrock-agentcore", testRegion, testNow)
	add(post, jsonBody)

	get := newClientRequest(f, http.MethodGet, arnRawPath, "")
	sdkSign(f, get, testAKID, testSecret, hashHex(nil), "agent-registry", testRegion, testNow)
	add(get, "")
	add(presign(f, http.MethodGet, "/registries?x=1", "300", testNow), "")

	f.Add("GET", "", "", "/", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb", "h", "", []byte(nil))
	f.Add("", "AWS4-HMAC-SHA256 Credential=K/20260514/us-east-1/s/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
		"20260514T120000Z", "%zz/%", "a=%zz&;=&&", "", "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD", []byte("x"))

	f.Fuzz(func(t *testing.T, method, authz, amzDate, path, query, host, headers string, body []byte) {
		id, err := v.Verify(fuzzRequest(method, authz, amzDate, path, query, host, headers, body), body)
		if err == nil {
			if id != testAKID {
				t.Fatalf("verified unknown key %q", id)
			}
			return
		}
		var e *sigv4.Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v is not *sigv4.Error", err)
		}
		switch e.Code {
		case sigv4.CodeMissingAuthenticationToken, sigv4.CodeIncompleteSignature,
			sigv4.CodeUnrecognizedClient, sigv4.CodeInvalidSignature:
		default:
			t.Fatalf("unexpected code %q", e.Code)
		}
		if strings.Contains(e.Message, testSecret) {
			t.Fatalf("message leaks the secret: %q", e.Message)
		}
	})
}
