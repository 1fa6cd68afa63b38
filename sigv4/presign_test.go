package sigv4_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/agentry/agentry/sigv4"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// presign returns a request for a URL presigned by the SDK v2 signer.
func presign(t testing.TB, method, target, expires string, at time.Time) *http.Request {
	t.Helper()
	req := newClientRequest(t, method, target, "")
	if expires != "" {
		q := req.URL.Query()
		q.Set("X-Amz-Expires", expires)
		req.URL.RawQuery = q.Encode()
	}
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	uri, header, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, hashHex(nil), "bedrock-agentcore", testRegion, at)
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(method, uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		if !strings.EqualFold(k, "Host") {
			out.Header[k] = vs
		}
	}
	return out
}

func TestVerifyPresigned(t *testing.T) {
	setQuery := func(name, value string) func(*http.Request) {
		return func(r *http.Request) {
			q := r.URL.Query()
			q.Set(name, value)
			r.URL.RawQuery = q.Encode()
		}
	}
	cases := []struct {
		name    string
		target  string
		expires string
		at      time.Time
		after   func(*http.Request)
		want    string
		message string
	}{
		{name: "GET", target: "/registries", expires: "300"},
		{name: "GET ARN with query", target: arnPath + "?maxResults=5&a=b%20c", expires: "900"},
		{name: "near expiry", target: "/registries", expires: "300", at: testNow.Add(-299 * time.Second)},
		{name: "max expires", target: "/registries", expires: "604800", at: testNow.Add(-6 * 24 * time.Hour)},
		{name: "query reordered", target: "/registries?b=2&a=1", expires: "60",
			after: func(r *http.Request) {
				parts := strings.Split(r.URL.RawQuery, "&")
				for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
					parts[i], parts[j] = parts[j], parts[i]
				}
				r.URL.RawQuery = strings.Join(parts, "&")
			}},

		{name: "expired", target: "/registries", expires: "300", at: testNow.Add(-301 * time.Second),
			want: sigv4.CodeInvalidSignature, message: "Signature expired: 20260514T115459Z + 300s (20260514T115959Z) is now earlier than 20260514T120000Z"},
		{name: "not yet valid", target: "/registries", expires: "300", at: testNow.Add(6 * time.Minute),
			want: sigv4.CodeInvalidSignature, message: "not yet current"},
		{name: "no expires", target: "/registries", want: sigv4.CodeIncompleteSignature},
		{name: "expires zero", target: "/registries", expires: "0", want: sigv4.CodeIncompleteSignature},
		{name: "expires too long", target: "/registries", expires: "604801", want: sigv4.CodeIncompleteSignature},
		{name: "expires not a number", target: "/registries", expires: "5m", want: sigv4.CodeIncompleteSignature},
		{name: "expires extended after signing", target: "/registries", expires: "60", at: testNow.Add(-2 * time.Minute),
			after: setQuery("X-Amz-Expires", "600"), want: sigv4.CodeInvalidSignature, message: "does not match"},
		{name: "query tampered", target: "/registries?a=1", expires: "60",
			after: setQuery("a", "2"), want: sigv4.CodeInvalidSignature},
		{name: "missing signature", target: "/registries", expires: "60",
			after: func(r *http.Request) { q := r.URL.Query(); q.Del("X-Amz-Signature"); r.URL.RawQuery = q.Encode() },
			want:  sigv4.CodeIncompleteSignature},
		{name: "duplicate credential", target: "/registries", expires: "60",
			after: func(r *http.Request) { r.URL.RawQuery += "&X-Amz-Credential=x" }, want: sigv4.CodeIncompleteSignature},
		{name: "wrong algorithm", target: "/registries", expires: "60",
			after: setQuery("X-Amz-Algorithm", "AWS4-HMAC-SHA1"), want: sigv4.CodeIncompleteSignature},
		{name: "also has Authorization header", target: "/registries", expires: "60",
			after: func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 x") }, want: sigv4.CodeIncompleteSignature},
		{name: "host changed", target: "/registries", expires: "60",
			after: func(r *http.Request) { r.Host = "other.example.com" }, want: sigv4.CodeInvalidSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := presign(t, http.MethodGet, c.target, c.expires, orTime(c.at, testNow))
			if c.after != nil {
				c.after(req)
			}
			srv, body := overWire(t, req)
			_, err := newVerifier(testNow).Verify(srv, body)
			checkCode(t, err, c.want)
			if c.message != "" && !strings.Contains(err.Error(), c.message) {
				t.Fatalf("error %q does not mention %q", err, c.message)
			}
		})
	}
}

// TestPresignedQueryIsUnescaped guards against treating the escaped
// X-Amz-Credential (with %2F) as the raw value.
func TestPresignedQueryIsUnescaped(t *testing.T) {
	req := presign(t, http.MethodGet, "/registries", "60", testNow)
	if !strings.Contains(req.URL.RawQuery, "X-Amz-Credential="+url.QueryEscape(testAKID+"/")) {
		t.Fatalf("unexpected presigned query %q", req.URL.RawQuery)
	}
	_, err := newVerifier(testNow).Verify(req, nil)
	checkCode(t, err, "")
}
