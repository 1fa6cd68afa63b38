package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
)

// A string that is not UTF-8 (raw bytes, or a \u escape of half a
// surrogate pair) is refused with a ValidationException naming its JSON
// path, rather than stored with U+FFFD in its place; nothing changes. The
// AWS SDKs cannot send such a string, so the requests are signed by hand.
func TestRequestBodyStringsMustBeUTF8(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := ts.createRegistry(t, "texts", true)
	rec := ts.createRecord(t, reg, "server-one")
	client := &http.Client{Transport: sigv4Transport{ts.Key.AccessKeyID, ts.Key.SecretAccessKey}}
	send := func(method, path, body string) (int, string, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), b
	}
	server := func(description string) string {
		return `{"descriptors":{"mcp":{"server":{"inlineContent":"{\"name\":\"my/mcp-server\",\"description\":\"` + description + `\",\"version\":\"1.0.0\"}"}}}}`
	}
	cases := []struct {
		name, method, path, body, field string
	}{
		{"registry description", "POST", "/registries", `{"name":"bad","description":"caf` + "\xe9" + `"}`, "description"},
		{"lone surrogate escape", "POST", "/registries", `{"name":"bad","description":"x\udc00y"}`, "description"},
		{"high surrogate without its pair", "POST", "/registries", `{"name":"bad","description":"x\ud83d"}`, "description"},
		{"registry update", "PATCH", "/registries/" + reg, `{"description":{"optionalValue":"` + "\xff" + `"}}`, "description.optionalValue"},
		{"record descriptor", "POST", "/registries/" + reg + "/records",
			`{"name":"bad","descriptorType":"MCP",` + server("\xc3\x28")[1:], "descriptors.mcp.server.inlineContent"},
		{"record update", "PATCH", "/registries/" + reg + "/records/" + rec, server("\xed\xa0\x80"), "descriptors.mcp.server.inlineContent"},
		{"array element", "PATCH", "/registries/" + reg, `{"authorizerConfiguration":{"optionalValue":{"customJWTAuthorizer":{"allowedAudience":["ok","` + "\xfe" + `"]}}}}`,
			"authorizerConfiguration.optionalValue.customJWTAuthorizer.allowedAudience[1]"},
		{"member name", "POST", "/registries", `{"name":"bad","x` + "\xff" + `":1}`, "x\ufffd"},
		{"search query", "POST", "/registry-records/search", `{"registryIds":["` + reg + `"],"searchQuery":"m` + "\xe9t\xe9" + `o"}`, "searchQuery"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, errType, body := send(c.method, c.path, c.body)
			var answer struct {
				Message   string `json:"message"`
				FieldList []struct{ Name, Message string }
			}
			json.Unmarshal(body, &answer)
			if status != 400 || errType != "ValidationException" || len(answer.FieldList) != 1 ||
				answer.FieldList[0].Name != c.field || !strings.Contains(answer.Message, "UTF-8") {
				t.Fatalf("got %d %s %s, want a ValidationException naming %s", status, errType, body, c.field)
			}
		})
	}
	// Nothing changed.
	regs := must[*ctl.ListRegistriesOutput](t)(ts.Client.ListRegistries(ctx, &ctl.ListRegistriesInput{}))
	got := must[*ctl.GetRegistryOutput](t)(ts.Client.GetRegistry(ctx, &ctl.GetRegistryInput{RegistryId: aws.String(reg)}))
	recs := must[*ctl.ListRegistryRecordsOutput](t)(ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg)}))
	if len(regs.Registries) != 1 || got.Description != nil || len(recs.RegistryRecords) != 1 {
		t.Fatalf("a refused request changed something: %d registries, description %v, %d records",
			len(regs.Registries), got.Description, len(recs.RegistryRecords))
	}
	// Characters outside the BMP, as escaped surrogate pairs (Python's json
	// module writes them so) or as UTF-8, are text.
	for _, description := range []string{`caf\u00e9 \ud83d\ude00`, "caf\u00e9 \U0001F600"} {
		if status, _, body := send("PATCH", "/registries/"+reg, `{"description":{"optionalValue":"`+description+`"}}`); status != 202 {
			t.Fatalf("update with %s: %d %s", description, status, body)
		}
		got := must[*ctl.GetRegistryOutput](t)(ts.Client.GetRegistry(ctx, &ctl.GetRegistryInput{RegistryId: aws.String(reg)}))
		if aws.ToString(got.Description) != "caf\u00e9 \U0001F600" {
			t.Fatalf("description %q", aws.ToString(got.Description))
		}
	}
}
