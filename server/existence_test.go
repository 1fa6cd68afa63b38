package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/agentry/agentry/server"
)

// answer is what a caller sees of a refusal.
type answer struct {
	Status    int
	ErrorType string
	Message   string
}

// TestRegistryExistenceNotRevealed asks the consumer surfaces about an
// AWS_IAM registry and about an unknown id, as callers who may not use
// either: they get the same answers, and only a caller allowed to use the
// registry named learns that one does not exist.
func TestRegistryExistenceNotRevealed(t *testing.T) {
	ts := startServerWith(t, func(c *server.Config) {
		c.IAMFile = t.TempDir() + "/iam.json"
		writeIAMFile(t, c.IAMFile, "none", "127.0.0.0/8")
	})
	known := ts.createRegistry(t, "catalog", false)
	const unknown = "nosuchregist"
	const jwtLike = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	root := sigv4Transport{ts.Key.AccessKeyID, ts.Key.SecretAccessKey}
	publisher := sigv4Transport{"AKIAPUBLISHER0000001", "publisher-secret-0001"} // may not search
	ask := func(rt http.RoundTripper, method, path, body, bearer, id string) answer {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+strings.ReplaceAll(path, "ID", id), strings.NewReader(strings.ReplaceAll(body, "ID", id)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		if rt == nil {
			rt = http.DefaultTransport
		}
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var shape struct{ Message string }
		json.Unmarshal(raw, &shape)
		// Messages may name the id asked about, and nothing else.
		return answer{resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), strings.ReplaceAll(shape.Message, id, "ID")}
	}
	mcp := func(rt http.RoundTripper, bearer, id string) answer {
		return ask(rt, "POST", "/registry/ID/mcp", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, bearer, id)
	}
	search := func(rt http.RoundTripper, bearer, id string) answer {
		return ask(rt, "POST", "/registry-records/search", `{"searchQuery":"x","registryIds":["ID"]}`, bearer, id)
	}
	metadata := func(rt http.RoundTripper, bearer, id string) answer {
		return ask(rt, "GET", "/.well-known/oauth-protected-resource/registry/ID/mcp", "", bearer, id)
	}
	for _, c := range []struct {
		name   string
		call   func(http.RoundTripper, string, string) answer
		rt     http.RoundTripper
		bearer string
		status int
	}{
		{"MCP, no credentials", mcp, nil, "", http.StatusForbidden},
		{"MCP, a bearer token", mcp, nil, jwtLike, http.StatusForbidden},
		{"MCP, a principal without rights", mcp, publisher, "", http.StatusForbidden},
		{"search, no credentials", search, nil, "", http.StatusForbidden},
		{"search, a bearer token", search, nil, jwtLike, http.StatusForbidden},
		{"search, a principal without rights", search, publisher, "", http.StatusForbidden},
		{"protected resource metadata", metadata, nil, "", http.StatusNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := c.call(c.rt, c.bearer, known), c.call(c.rt, c.bearer, unknown)
			if a != b || a.Status != c.status || a.ErrorType == "" {
				t.Fatalf("an existing registry: %+v\nan unknown one:      %+v", a, b)
			}
			if strings.Contains(a.Message, "AWS_IAM") {
				t.Fatalf("the answer names the authorizer type: %q", a.Message)
			}
		})
	}
	// A caller allowed to use the registry named learns whether it exists.
	if a := mcp(root, "", known); a.Status != http.StatusOK {
		t.Fatalf("MCP, allowed, existing registry: %+v", a)
	}
	if a := mcp(root, "", unknown); a.Status != http.StatusNotFound || a.ErrorType != "ResourceNotFoundException" {
		t.Fatalf("MCP, allowed, unknown registry: %+v", a)
	}
	if a := search(root, "", unknown); a.Status != http.StatusNotFound || a.ErrorType != "ResourceNotFoundException" {
		t.Fatalf("search, allowed, unknown registry: %+v", a)
	}
}
