package sigv4_test

import (
	"bytes"
	"net/http"
	"testing"
)

// BenchmarkVerify measures a typical SDK-signed POST with a 1 KiB JSON body.
func BenchmarkVerify(b *testing.B) {
	body := `{"description":"` + string(bytes.Repeat([]byte("x"), 1024-18)) + `"}`
	req := newClientRequest(b, http.MethodPost, arnPath+"/records?clientToken=abc", body)
	req.Header.Set("Content-Type", "application/json")
	sdkSign(b, req, testAKID, testSecret, hashHex([]byte(body)), "bedrock-agentcore", testRegion, testNow)
	srv, raw := overWire(b, req)
	if len(raw) != 1024 {
		b.Fatalf("body is %d bytes", len(raw))
	}
	v := newVerifier(testNow)
	if _, err := v.Verify(srv, raw); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(srv, raw); err != nil {
			b.Fatal(err)
		}
	}
}
