package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agentry/agentry/sigv4"
)

// TestWriteError: each kind of error that is not a domain error is
// answered in its shape: the transfer budget's refusals, SigV4 refusals
// and the MCP endpoint's JSON-RPC errors. (Domain errors and bearer
// refusals: TestErrorShapes and TestBearerChallenges.)
func TestWriteError(t *testing.T) {
	for _, c := range []struct {
		name       string
		err        error
		status     int
		errorType  string
		retryAfter string
		body       string
	}{
		{"client's share full", &errBusy{client: true}, http.StatusTooManyRequests, "ThrottlingException", "1",
			`{"__type":"ThrottlingException","message":"Too many request or answer bytes of this client are in transit; retry shortly."}`},
		{"server's budget full", fmt.Errorf("read body: %w", &errBusy{}), http.StatusServiceUnavailable, "ServiceUnavailableException", "1",
			`{"__type":"ServiceUnavailableException","message":"The server has too many request or answer bytes in transit; retry shortly."}`},
		{"SigV4", &sigv4.Error{Code: sigv4.CodeInvalidSignature, Message: "Signature expired."}, http.StatusForbidden,
			"InvalidSignatureException", "", `{"__type":"InvalidSignatureException","message":"Signature expired."}`},
		{"unknown key", unknownKeyError(), http.StatusForbidden, "UnrecognizedClientException", "",
			`{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}`},
		{"JSON-RPC", &rpcProblem{status: http.StatusOK, id: []byte("7"), code: rpcMethodNotFound, message: "Method not found"},
			http.StatusOK, "", "", `{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"Method not found"}}`},
		{"JSON-RPC without id", &rpcProblem{status: http.StatusBadRequest, code: rpcParseError, message: "Parse error"},
			http.StatusBadRequest, "", "", `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			writeError(w, httptest.NewRequest("GET", "/", nil), c.err)
			if w.Code != c.status || w.Header().Get("X-Amzn-ErrorType") != c.errorType || w.Header().Get("Retry-After") != c.retryAfter ||
				w.Header().Get("Content-Type") != "application/json" || strings.TrimSpace(w.Body.String()) != c.body {
				t.Fatalf("got %d %q Retry-After %q %s\nwant %d %q Retry-After %q %s", w.Code, w.Header().Get("X-Amzn-ErrorType"),
					w.Header().Get("Retry-After"), w.Body, c.status, c.errorType, c.retryAfter, c.body)
			}
		})
	}
}
