package server_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/agentry/agentry/internal/awstest"
	"github.com/agentry/agentry/server"
)

// gaOperation is one operation of testdata/ga-operations.json.
type gaOperation struct {
	Name     string `json:"name"`
	Plane    string `json:"plane"`
	Method   string `json:"method"`
	URI      string `json:"uri"`
	Success  int    `json:"success"`
	Required []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"required"`
	Errors  []string        `json:"errors"`
	Example json.RawMessage `json:"example"`
	Query   string          `json:"query"`
}

// TestGAConformance checks agentry against the GA models' operation list,
// HTTP bindings, success codes, required members and declared errors
// (test data extracted from the models, not the models themselves): every
// operation is routed, answers its modelled success code, refuses each
// missing or malformed required member with a ValidationException naming
// it, and answers only errors the model declares for it.
func TestGAConformance(t *testing.T) {
	raw, err := os.ReadFile("testdata/ga-operations.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Operations []gaOperation `json:"operations"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Operations) != 18 {
		t.Fatalf("%d operations in the test data, want the 18 of the GA API", len(doc.Operations))
	}

	iamFile := t.TempDir() + "/iam.json"
	if err := os.WriteFile(iamFile, []byte(`{"principals": [{"name": "nobody",
  "accessKeys": [{"accessKeyId": "AKIANOBODY0000000001", "secretAccessKey": "nobody-secret-000001"}],
  "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServerWith(t, func(c *server.Config) { c.IAMFile = iamFile })
	c := ts.gaClient()
	nobody := awstest.NewGA(ts.URL, "AKIANOBODY0000000001", "nobody-secret-000001")
	reg := gaRegistry(t, c, "conformance")
	out := gaCall(t, c, "POST", "/registries/"+reg+"/records", map[string]any{"name": "conformance-record", "recordType": "MCP",
		"descriptors": map[string]any{"mcpServer": map[string]any{"data": gaServerJSON}}}, 202, "")
	recARN := str(out["recordArn"])
	rec := idOf(recARN)
	regARN := strings.TrimSuffix(recARN, "/record/"+rec)

	fill := func(s string, labels map[string]string, unique int) string {
		for k, v := range labels {
			s = strings.ReplaceAll(s, "{"+k+"}", v)
		}
		return strings.ReplaceAll(s, "{unique}", strconv.Itoa(unique))
	}
	seen := map[string]bool{}
	for i, op := range doc.Operations {
		if seen[op.Name] {
			t.Fatalf("%s twice in the test data", op.Name)
		}
		seen[op.Name] = true
		labels := map[string]string{"registryId": reg, "recordId": rec, "registryArn": regARN, "recordArn": recARN, "resourceArn+": recARN}
		path := func(labels map[string]string, query string) string {
			p := fill(op.URI, labels, i)
			if query != "" {
				p += "?" + query
			}
			return p
		}
		body := func(drop string) any {
			if op.Example == nil {
				return nil
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(fill(string(op.Example), labels, i)), &m); err != nil {
				t.Fatalf("%s: example: %v", op.Name, err)
			}
			delete(m, drop)
			return m
		}
		call := func(what, p string, b any) (int, string, map[string]any) {
			t.Helper()
			resp, err := c.Do(context.Background(), op.Method, p, b)
			if err != nil {
				t.Fatalf("%s %s: %v", op.Name, what, err)
			}
			got := map[string]any{}
			if len(resp.Body) > 0 {
				if err := json.Unmarshal(resp.Body, &got); err != nil {
					t.Fatalf("%s %s: body %q is not JSON", op.Name, what, resp.Body)
				}
			}
			if strings.Contains(str(got["message"]), "No operation of the agent-registry API matches") {
				t.Fatalf("%s %s: not routed: %s %s", op.Name, what, op.Method, p)
			}
			if typ := resp.ErrorType(); typ != "" && !slices.Contains(op.Errors, typ) {
				t.Fatalf("%s %s: answered %s, which the model does not declare for it (%v)", op.Name, what, typ, op.Errors)
			}
			return resp.Status, resp.ErrorType(), got
		}

		// A caller without rights: AccessDeniedException, declared by
		// every operation.
		if resp, err := nobody.Do(context.Background(), op.Method, path(labels, op.Query), body("")); err != nil || resp.Status != 403 ||
			resp.ErrorType() != "AccessDeniedException" || !slices.Contains(op.Errors, "AccessDeniedException") {
			t.Fatalf("%s by a caller without rights: %v %v", op.Name, resp, err)
		}

		// Each required member, missing or malformed.
		for _, m := range op.Required {
			what := "without " + m.Name
			var status int
			var typ string
			var got map[string]any
			switch m.In {
			case "label":
				bad := map[string]string{}
				for k, v := range labels {
					bad[k] = v
				}
				key := m.Name
				if key == "resourceArn" {
					key = "resourceArn+"
				}
				bad[key] = "not-an-identifier"
				what = "with a malformed " + m.Name
				status, typ, got = call(what, path(bad, op.Query), body(""))
			case "body":
				status, typ, got = call(what, path(labels, op.Query), body(m.Name))
			case "query":
				status, typ, got = call(what, path(labels, ""), body(""))
			}
			if status != 400 || typ != "ValidationException" {
				t.Fatalf("%s %s: %d %s, want 400 ValidationException (%v)", op.Name, what, status, typ, got)
			}
			if m.In != "label" {
				wantFieldPrefix(t, op.Name+" "+what, got, m.Name)
			}
		}
		// A registry that does not exist, where the operation names one.
		if strings.Contains(op.URI, "{registryId}") || op.Name == "SearchDiscoverableRegistryRecords" {
			missing := map[string]string{}
			for k, v := range labels {
				missing[k] = strings.ReplaceAll(v, reg, "AAAAAAAAAAAA")
			}
			b := body("")
			if op.Name == "SearchDiscoverableRegistryRecords" {
				b = map[string]any{"searchQuery": "x", "registryIds": []string{"AAAAAAAAAAAA"}}
			}
			if status, typ, got := call("of a missing registry", path(missing, op.Query), b); status != 404 || typ != "ResourceNotFoundException" {
				t.Fatalf("%s of a missing registry: %d %s (%v)", op.Name, status, typ, got)
			}
		}
		// The operation itself.
		status, typ, got := call("", path(labels, op.Query), body(""))
		if status != op.Success || typ != "" {
			t.Fatalf("%s: %d %s %v, want %d", op.Name, status, typ, got, op.Success)
		}
		if op.Success == 204 && len(got) != 0 {
			t.Fatalf("%s: 204 with a body %v", op.Name, got)
		}
	}
}

// wantFieldPrefix asserts a ValidationException names field or a member
// of it.
func wantFieldPrefix(t *testing.T, what string, body map[string]any, field string) {
	t.Helper()
	list, _ := body["fieldList"].([]any)
	for _, f := range list {
		name := str(f.(map[string]any)["name"])
		if name == field || strings.HasPrefix(name, field+".") || strings.HasPrefix(name, field+"[") {
			return
		}
	}
	t.Fatalf("%s: the ValidationException does not name %q: %v", what, field, body)
}
