package server_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/agentry/agentry/internal/awstest"
)

// The GA AWS Agent Registry API end to end: HTTP with SigV4 for
// agent-registry (the GA SDK modules are not on the module proxy), against
// the real server, on SQLite and PostgreSQL like the rest of this suite.

const gaAccount = "123456789012"

// gaClient is a GA client of ts signing with its root key.
func (ts *testServer) gaClient() *awstest.GA {
	return awstest.NewGA(ts.URL, ts.Key.AccessKeyID, ts.Key.SecretAccessKey)
}

// gaCall sends a GA request and checks its status (and error type, for a
// failure); it returns the decoded body.
func gaCall(t testing.TB, c *awstest.GA, method, path string, body any, wantStatus int, wantError string) map[string]any {
	t.Helper()
	resp, err := c.Do(context.Background(), method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if resp.Status != wantStatus || resp.ErrorType() != wantError {
		t.Fatalf("%s %s: status %d %q, want %d %q; body %s", method, path, resp.Status, resp.ErrorType(), wantStatus, wantError, resp.Body)
	}
	out := map[string]any{}
	if len(resp.Body) > 0 {
		if err := json.Unmarshal(resp.Body, &out); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, resp.Body, err)
		}
	}
	return out
}

// wantField asserts a ValidationException body names field.
func wantField(t testing.TB, body map[string]any, field string) {
	t.Helper()
	list, _ := body["fieldList"].([]any)
	for _, f := range list {
		if m, _ := f.(map[string]any); m["name"] == field {
			return
		}
	}
	t.Fatalf("want a ValidationException naming %q, got %v", field, body)
}

func str(v any) string { s, _ := v.(string); return s }

const gaAgentCard = `{"name":"Recipe Agent","description":"Finds recipes","version":"1.4.0","url":"https://agents.example.com/a2a",` +
	`"capabilities":{},"defaultInputModes":["text/plain"],"defaultOutputModes":["text/plain"],"skills":[]}`

const gaServerJSON = `{"name":"io.example/weather","description":"Weather forecasts","version":"1.0.0"}`

func TestGARegistriesEndToEnd(t *testing.T) {
	ts := startServer(t)
	c := ts.gaClient()
	token := "3f1c2b7e-5d4a-4c8e-9b2f-0a1d2c3b4e5f-x"
	create := map[string]any{"name": "my-org-registry", "description": "Central catalog", "clientToken": token,
		"approvalConfiguration":      map[string]any{"autoApprovalRules": []string{}},
		"encryptionConfiguration":    map[string]any{"kmsKeyArn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		"autoDetectionConfiguration": map[string]any{"enabled": true, "scope": "ORGANIZATION"},
		"tags":                       map[string]string{"team": "platform"}}
	out := gaCall(t, c, "POST", "/registries", create, 202, "")
	arn := str(out["registryArn"])
	if !strings.HasPrefix(arn, "arn:aws:agent-registry:us-east-1:"+gaAccount+":registry/") {
		t.Fatalf("registryArn %q is not in the agent-registry namespace", arn)
	}
	id := idOf(arn)
	// Idempotency: the same token and body answer the same registry; the
	// same token with another body is refused.
	if again := gaCall(t, c, "POST", "/registries", create, 202, ""); again["registryArn"] != arn {
		t.Fatalf("retry answered %v, want %s", again["registryArn"], arn)
	}
	create["description"] = "changed"
	if b := gaCall(t, c, "POST", "/registries", create, 400, "ValidationException"); b["reason"] != "IdempotentParameterMismatchException" {
		t.Fatalf("reason = %v", b["reason"])
	}

	// Get by id and by (percent-encoded) GA ARN; a preview ARN is not a
	// GA identifier.
	for _, ident := range []string{id, url.PathEscape(arn)} {
		got := gaCall(t, c, "GET", "/registries/"+ident, nil, 200, "")
		if got["registryId"] != id || got["registryArn"] != arn || got["status"] != "READY" || got["description"] != "Central catalog" {
			t.Fatalf("GetRegistry = %v", got)
		}
		if dc, _ := got["discoveryConfiguration"].(map[string]any); dc["authorizerType"] != "AWS_IAM" {
			t.Fatalf("discoveryConfiguration = %v", got["discoveryConfiguration"])
		}
		if ec, _ := got["encryptionConfiguration"].(map[string]any); !strings.HasPrefix(str(ec["kmsKeyArn"]), "arn:aws:kms:") {
			t.Fatalf("encryptionConfiguration = %v", got["encryptionConfiguration"])
		}
		if ad, _ := got["autoDetection"].(map[string]any); ad["status"] != "INACTIVE" {
			t.Fatalf("autoDetection = %v", got["autoDetection"])
		}
	}
	previewARN := strings.Replace(arn, "agent-registry", "bedrock-agentcore", 1)
	wantField(t, gaCall(t, c, "GET", "/registries/"+url.PathEscape(previewARN), nil, 400, "ValidationException"), "registryId")
	gaCall(t, c, "GET", "/registries/AAAAAAAAAAAA", nil, 404, "ResourceNotFoundException")

	// Validation: required members, lengths, patterns, enums.
	wantField(t, gaCall(t, c, "POST", "/registries", map[string]any{}, 400, "ValidationException"), "name")
	wantField(t, gaCall(t, c, "POST", "/registries", map[string]any{"name": strings.Repeat("a", 65)}, 400, "ValidationException"), "name")
	wantField(t, gaCall(t, c, "POST", "/registries", map[string]any{"name": "-bad"}, 400, "ValidationException"), "name")
	wantField(t, gaCall(t, c, "POST", "/registries", map[string]any{"name": "x", "clientToken": "short"}, 400, "ValidationException"), "clientToken")
	wantField(t, gaCall(t, c, "POST", "/registries", map[string]any{"name": "x",
		"approvalConfiguration": map[string]any{"autoApprovalRules": []string{"APPROVE_SOME"}}}, 400, "ValidationException"),
		"approvalConfiguration.autoApprovalRules[0]")
	wantField(t, gaCall(t, c, "POST", "/registries", map[string]any{"name": "x",
		"encryptionConfiguration": map[string]any{"kmsKeyArn": "not-a-key"}}, 400, "ValidationException"), "encryptionConfiguration.kmsKeyArn")
	wantField(t, gaCall(t, c, "POST", "/registries", map[string]any{"name": "x",
		"discoveryConfiguration": map[string]any{"authorizerType": "CUSTOM_JWT"}}, 400, "ValidationException"),
		"discoveryConfiguration.authorizerConfiguration.customJWTAuthorizer")
	wantField(t, gaCall(t, c, "POST", "/registries", map[string]any{"name": "x",
		"discoveryConfiguration": map[string]any{"authorizerType": "OAUTH"}}, 400, "ValidationException"),
		"discoveryConfiguration.authorizerType")
	gaCall(t, c, "POST", "/registries", map[string]any{"name": "my-org-registry"}, 409, "ConflictException")

	// List: body filters and paging.
	gaCall(t, c, "POST", "/registries", map[string]any{"name": "second"}, 202, "")
	page := gaCall(t, c, "POST", "/registries-list", map[string]any{"maxResults": 1}, 200, "")
	if regs, _ := page["registries"].([]any); len(regs) != 1 || str(page["nextToken"]) == "" {
		t.Fatalf("first page = %v", page)
	}
	page2 := gaCall(t, c, "POST", "/registries-list", map[string]any{"maxResults": 1, "nextToken": page["nextToken"]}, 200, "")
	if regs, _ := page2["registries"].([]any); len(regs) != 1 || page2["nextToken"] != nil {
		t.Fatalf("second page = %v", page2)
	}
	filtered := gaCall(t, c, "POST", "/registries-list", map[string]any{"filters": []any{
		map[string]any{"name": "discoveryConfiguration.authorizerType", "values": []string{"CUSTOM_JWT"}}}}, 200, "")
	if regs, _ := filtered["registries"].([]any); len(regs) != 0 {
		t.Fatalf("CUSTOM_JWT filter = %v", filtered)
	}
	wantField(t, gaCall(t, c, "POST", "/registries-list", map[string]any{"filters": []any{
		map[string]any{"name": "status", "values": []string{"READY", "CREATING"}}}}, 400, "ValidationException"), "filters[0].values")
	wantField(t, gaCall(t, c, "POST", "/registries-list", map[string]any{"filters": []any{
		map[string]any{"name": "colour", "values": []string{"x"}}}}, 400, "ValidationException"), "filters[0].name")
	wantField(t, gaCall(t, c, "POST", "/registries-list", map[string]any{"maxResults": 101}, 400, "ValidationException"), "maxResults")

	// Update: PATCH wrappers.
	upd := gaCall(t, c, "PATCH", "/registries/"+id, map[string]any{"description": map[string]any{},
		"approvalConfiguration": map[string]any{"optionalValue": map[string]any{"autoApprovalRules": []string{"APPROVE_ALL"}}}}, 202, "")
	if _, has := upd["description"]; has {
		t.Fatalf("description not unset: %v", upd)
	}
	if ac, _ := upd["approvalConfiguration"].(map[string]any); !slices.Equal(anyStrings(ac["autoApprovalRules"]), []string{"APPROVE_ALL"}) {
		t.Fatalf("approvalConfiguration = %v", upd["approvalConfiguration"])
	}
	gaCall(t, c, "PATCH", "/registries/AAAAAAAAAAAA", map[string]any{}, 404, "ResourceNotFoundException")

	// Tags of the registry.
	tagPath := "/tags/" + arn
	if got := gaCall(t, c, "GET", tagPath, nil, 200, ""); !sameTags(got["tags"], map[string]string{"team": "platform"}) {
		t.Fatalf("tags = %v", got)
	}
	gaCall(t, c, "POST", tagPath, map[string]any{"tags": map[string]string{"env": "prod"}}, 204, "")
	gaCall(t, c, "DELETE", tagPath+"?tagKeys=team&tagKeys=absent", nil, 204, "")
	if got := gaCall(t, c, "GET", tagPath, nil, 200, ""); !sameTags(got["tags"], map[string]string{"env": "prod"}) {
		t.Fatalf("tags after tag and untag = %v", got)
	}
	many := map[string]string{}
	for i := range 50 {
		many["k"+strings.Repeat("x", i)] = "v"
	}
	gaCall(t, c, "POST", tagPath, map[string]any{"tags": many}, 402, "ServiceQuotaExceededException")
	wantField(t, gaCall(t, c, "POST", tagPath, map[string]any{"tags": map[string]string{"bad{key": "v"}}, 400, "ValidationException"), "tags")
	wantField(t, gaCall(t, c, "DELETE", tagPath, nil, 400, "ValidationException"), "tagKeys")
	gaCall(t, c, "GET", "/tags/"+strings.Replace(arn, id, "AAAAAAAAAAAA", 1), nil, 404, "ResourceNotFoundException")
	wantField(t, gaCall(t, c, "GET", "/tags/arn:aws:s3:::bucket", nil, 400, "ValidationException"), "resourceArn")

	// Delete: the registry goes.
	if got := gaCall(t, c, "DELETE", "/registries/"+id, nil, 202, ""); got["status"] != "DELETING" {
		t.Fatalf("DeleteRegistry = %v", got)
	}
	gaCall(t, c, "GET", "/registries/"+id, nil, 404, "ResourceNotFoundException")
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, s := range list {
		out = append(out, str(s))
	}
	return out
}

func sameTags(v any, want map[string]string) bool {
	m, _ := v.(map[string]any)
	if len(m) != len(want) {
		return false
	}
	for k, w := range want {
		if m[k] != w {
			return false
		}
	}
	return true
}

// gaRegistry creates a registry through the GA API and returns its id.
func gaRegistry(t testing.TB, c *awstest.GA, name string) string {
	t.Helper()
	return idOf(str(gaCall(t, c, "POST", "/registries", map[string]any{"name": name}, 202, "")["registryArn"]))
}

func TestGARecordsEndToEnd(t *testing.T) {
	ts := startServer(t)
	c := ts.gaClient()
	reg := gaRegistry(t, c, "records")
	base := "/registries/" + reg + "/records"
	source := map[string]any{"fromUrl": map[string]any{"url": "https://mcp.example.com/mcp",
		"credentialProviderConfigurations": []any{map[string]any{"credentialProviderType": "OAUTH",
			"credentialProvider": map[string]any{"oauthCredentialProvider": map[string]any{
				"providerArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:token-vault/default/oauth2credentialprovider/x",
				"grantType":   "CLIENT_CREDENTIALS"}}}}}}
	create := map[string]any{"name": "weather-mcp-server", "displayName": "Weather MCP Server", "description": "Forecast tools",
		"recordType": "MCP", "recordVersion": "1.0.0",
		"descriptors": map[string]any{"mcpServer": map[string]any{"data": gaServerJSON, "dataSchemaVersion": "2025-12-11",
			"additionalData": map[string]any{"tools": map[string]any{"data": weatherTools, "dataSchemaVersion": "2025-11-25"}},
			"source":         source}},
		"provenance": []any{map[string]any{"relation": "DETECTED_FROM", "sourceId": "arn:aws:bedrock-agentcore:us-east-1:111122223333:gateway/gw-1",
			"sourceType": "AWS::BedrockAgentCore::Gateway"}},
		"tags": map[string]string{"owner": "weather-team"}}
	out := gaCall(t, c, "POST", base, create, 202, "")
	recARN := str(out["recordArn"])
	if !strings.HasPrefix(recARN, "arn:aws:agent-registry:us-east-1:"+gaAccount+":registry/"+reg+"/record/") || out["status"] != "DRAFT" {
		t.Fatalf("CreateRegistryRecord = %v", out)
	}
	rec := idOf(recARN)
	path := base + "/" + rec
	// Idempotency of CreateRegistryRecord.
	tokenBody := map[string]any{"name": "idem", "recordType": "CUSTOM", "clientToken": "record-token-000000000000000000000000001",
		"descriptors": map[string]any{"custom": map[string]any{"data": "{}"}}}
	first := gaCall(t, c, "POST", base, tokenBody, 202, "")
	if again := gaCall(t, c, "POST", base, tokenBody, 202, ""); again["recordArn"] != first["recordArn"] {
		t.Fatalf("retried CreateRegistryRecord answered %v, want %v", again["recordArn"], first["recordArn"])
	}
	tokenBody["description"] = "other"
	if b := gaCall(t, c, "POST", base, tokenBody, 400, "ValidationException"); b["reason"] != "IdempotentParameterMismatchException" {
		t.Fatalf("reason = %v", b["reason"])
	}
	gaCall(t, c, "DELETE", base+"/"+idOf(str(first["recordArn"])), nil, 200, "")

	got := gaCall(t, c, "GET", path, nil, 200, "")
	want := map[string]any{"recordId": rec, "name": "weather-mcp-server", "displayName": "Weather MCP Server", "recordType": "MCP",
		"recordVersion": "1.0.0", "status": "DRAFT", "createdBy": gaAccount, "createdByAutoDetection": false}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("GetRegistryRecord %s = %v, want %v (%v)", k, got[k], v, got)
		}
	}
	d, _ := json.Marshal(got["descriptors"])
	for _, part := range []string{`"dataSchemaVersion":"2025-12-11"`, `"tools":{"data":`, `"credentialProviderConfigurations":[`, `"url":"https://mcp.example.com/mcp"`} {
		if !strings.Contains(string(d), part) {
			t.Fatalf("descriptors %s lack %s", d, part)
		}
	}
	if p, _ := got["provenance"].([]any); len(p) != 1 {
		t.Fatalf("provenance = %v", got["provenance"])
	}
	// The record by ARN too.
	gaCall(t, c, "GET", base+"/"+url.PathEscape(recARN), nil, 200, "")

	// Validation of create.
	bad := func(field string, change map[string]any) {
		t.Helper()
		body := map[string]any{"name": "x", "recordType": "MCP", "descriptors": map[string]any{"mcpServer": map[string]any{"data": gaServerJSON}}}
		for k, v := range change {
			if v == nil {
				delete(body, k)
			} else {
				body[k] = v
			}
		}
		wantField(t, gaCall(t, c, "POST", base, body, 400, "ValidationException"), field)
	}
	bad("name", map[string]any{"name": nil})
	bad("recordType", map[string]any{"recordType": nil})
	bad("recordType", map[string]any{"recordType": "A2A"})
	bad("descriptors", map[string]any{"descriptors": nil})
	bad("recordVersion", map[string]any{"recordVersion": "1.0 beta"})
	bad("displayName", map[string]any{"displayName": strings.Repeat("d", 256)})
	bad("description", map[string]any{"description": ""})
	bad("provenance", map[string]any{"provenance": []any{map[string]any{"relation": "DETECTED_FROM", "sourceId": "arn:aws:x:us-east-1:111122223333:a"},
		map[string]any{"relation": "DETECTED_FROM", "sourceId": "arn:aws:x:us-east-1:111122223333:b"}}})
	bad("provenance[0].relation", map[string]any{"provenance": []any{map[string]any{"relation": "COPIED_FROM", "sourceId": "arn:aws:x:us-east-1:111122223333:a"}}})
	bad("descriptors.a2aAgentCard", map[string]any{"descriptors": map[string]any{"a2aAgentCard": map[string]any{"data": "{}"}}})
	bad("descriptors", map[string]any{"recordType": "GATEWAY", "descriptors": map[string]any{
		"mcpServer": map[string]any{"data": gaServerJSON}, "http": map[string]any{"source": source}}})
	bad("descriptors.http.source.fromUrl.url", map[string]any{"recordType": "GATEWAY", "descriptors": map[string]any{
		"http": map[string]any{"source": map[string]any{"fromUrl": map[string]any{"url": "http://plain.example.com"}}}}})
	bad("descriptors.mcpServer.data", map[string]any{"descriptors": map[string]any{"mcpServer": map[string]any{"data": "not json"}}})
	gaCall(t, c, "POST", "/registries/AAAAAAAAAAAA/records", map[string]any{"name": "x", "recordType": "CUSTOM",
		"descriptors": map[string]any{"custom": map[string]any{"data": "{}"}}}, 404, "ResourceNotFoundException")
	gaCall(t, c, "POST", base, map[string]any{"name": "weather-mcp-server", "recordType": "CUSTOM",
		"descriptors": map[string]any{"custom": map[string]any{"data": "{}"}}}, 409, "ConflictException")

	// Record types the preview lacks: a gateway described by a source-only
	// http descriptor, and an agent.
	gw := gaCall(t, c, "POST", base, map[string]any{"name": "gateway", "recordType": "GATEWAY",
		"descriptors": map[string]any{"http": map[string]any{"source": map[string]any{"fromUrl": map[string]any{"url": "https://gw.example.com"}}}}}, 202, "")
	gwGot := gaCall(t, c, "GET", base+"/"+idOf(str(gw["recordArn"])), nil, 200, "")
	if gwGot["recordType"] != "GATEWAY" {
		t.Fatalf("gateway = %v", gwGot)
	}
	if d, _ := json.Marshal(gwGot["descriptors"]); string(d) != `{"http":{"source":{"fromUrl":{"url":"https://gw.example.com"}}}}` {
		t.Fatalf("gateway descriptors = %s", d)
	}
	gaCall(t, c, "POST", base, map[string]any{"name": "agent", "recordType": "AGENT",
		"descriptors": map[string]any{"a2aAgentCard": map[string]any{"data": gaAgentCard,
			"dataSchemaVersion": "0.3"}}}, 202, "")

	// List with body filters.
	list := gaCall(t, c, "POST", base+"-list", map[string]any{"filters": []any{map[string]any{"name": "recordType", "values": []string{"MCP"}}}}, 200, "")
	recs, _ := list["registryRecords"].([]any)
	if len(recs) != 1 {
		t.Fatalf("MCP filter = %v", list)
	}
	sum := recs[0].(map[string]any)
	if sum["recordVersion"] != "1.0.0" || sum["descriptors"] != nil || sum["displayName"] != "Weather MCP Server" || sum["provenanceSummaryList"] == nil {
		t.Fatalf("summary = %v", sum)
	}
	agents := gaCall(t, c, "POST", base+"-list", map[string]any{"filters": []any{map[string]any{"name": "recordType", "values": []string{"AGENT"}}}}, 200, "")
	if recs, _ := agents["registryRecords"].([]any); len(recs) != 1 || recs[0].(map[string]any)["recordType"] != "AGENT" {
		t.Fatalf("AGENT filter = %v", agents)
	}
	all := gaCall(t, c, "POST", base+"-list", map[string]any{"maxResults": 2}, 200, "")
	if recs, _ := all["registryRecords"].([]any); len(recs) != 2 || str(all["nextToken"]) == "" {
		t.Fatalf("page of 2 = %v", all)
	}
	wantField(t, gaCall(t, c, "POST", base+"-list", map[string]any{"filters": []any{map[string]any{"name": "descriptorType", "values": []string{"MCP"}}}},
		400, "ValidationException"), "filters[0].name")
	gaCall(t, c, "POST", "/registries/AAAAAAAAAAAA/records-list", map[string]any{}, 404, "ResourceNotFoundException")

	// Update: leaf wrappers. Unset the display name, change the server
	// document only (its tools and source stay), new version.
	newServer := strings.Replace(gaServerJSON, "1.0.0", "1.1.0", 1)
	upd := gaCall(t, c, "PATCH", path, map[string]any{"displayName": map[string]any{}, "recordVersion": "1.1.0",
		"descriptors": map[string]any{"optionalValue": map[string]any{"mcpServer": map[string]any{"optionalValue": map[string]any{
			"data": map[string]any{"optionalValue": newServer}}}}}}, 202, "")
	if _, has := upd["displayName"]; has || upd["recordVersion"] != "1.1.0" {
		t.Fatalf("UpdateRegistryRecord = %v", upd)
	}
	ud, _ := json.Marshal(upd["descriptors"])
	if !strings.Contains(string(ud), `1.1.0`) || !strings.Contains(string(ud), `"tools":{"data":`) || !strings.Contains(string(ud), `"source":`) ||
		!strings.Contains(string(ud), `"dataSchemaVersion":"2025-12-11"`) {
		t.Fatalf("patched descriptors = %s", ud)
	}
	// Remove the source, then the tools.
	upd = gaCall(t, c, "PATCH", path, map[string]any{"descriptors": map[string]any{"optionalValue": map[string]any{"mcpServer": map[string]any{"optionalValue": map[string]any{
		"source": map[string]any{}, "additionalData": map[string]any{"optionalValue": map[string]any{"tools": map[string]any{}}}}}}}}, 202, "")
	if ud, _ := json.Marshal(upd["descriptors"]); strings.Contains(string(ud), "source") || strings.Contains(string(ud), "tools") {
		t.Fatalf("after removing source and tools: %s", ud)
	}
	wantField(t, gaCall(t, c, "PATCH", path, map[string]any{"triggerSynchronization": true}, 400, "ValidationException"), "triggerSynchronization")
	wantField(t, gaCall(t, c, "PATCH", path, map[string]any{"recordType": "SERVER"}, 400, "ValidationException"), "recordType")
	gaCall(t, c, "PATCH", base+"/AAAAAAAAAAAA", map[string]any{}, 404, "ResourceNotFoundException")

	// Approval workflow.
	sub := gaCall(t, c, "POST", path+"/submit-for-approval", nil, 202, "")
	if sub["status"] != "PENDING_APPROVAL" || sub["recordArn"] != recARN {
		t.Fatalf("submit = %v", sub)
	}
	if _, has := sub["statusReason"]; has {
		t.Fatalf("submit answered a statusReason: %v", sub)
	}
	gaCall(t, c, "POST", path+"/submit-for-approval", nil, 409, "ConflictException")
	wantField(t, gaCall(t, c, "PATCH", path+"/status", map[string]any{"status": "APPROVED"}, 400, "ValidationException"), "statusReason")
	wantField(t, gaCall(t, c, "PATCH", path+"/status", map[string]any{"status": "APPROVED", "statusReason": strings.Repeat("r", 256)}, 400, "ValidationException"), "statusReason")
	st := gaCall(t, c, "PATCH", path+"/status", map[string]any{"status": "APPROVED", "statusReason": ""}, 202, "")
	if st["status"] != "APPROVED" || st["statusReason"] != "" {
		t.Fatalf("status = %v", st)
	}

	// Tags of a record.
	gaCall(t, c, "POST", "/tags/"+recARN, map[string]any{"tags": map[string]string{"tier": "gold"}}, 204, "")
	if got := gaCall(t, c, "GET", "/tags/"+recARN, nil, 200, ""); !sameTags(got["tags"], map[string]string{"owner": "weather-team", "tier": "gold"}) {
		t.Fatalf("record tags = %v", got)
	}

	// Delete.
	if got := gaCall(t, c, "DELETE", path, nil, 200, ""); len(got) != 0 {
		t.Fatalf("DeleteRegistryRecord = %v", got)
	}
	gaCall(t, c, "GET", path, nil, 404, "ResourceNotFoundException")
	gaCall(t, c, "DELETE", path, nil, 404, "ResourceNotFoundException")
	gaCall(t, c, "GET", "/tags/"+recARN, nil, 404, "ResourceNotFoundException")

	// The GA DeleteRegistry removes the registry with its records (the
	// preview's refuses a registry that has records).
	gwPath := base + "/" + idOf(str(gw["recordArn"]))
	gaCall(t, c, "GET", gwPath, nil, 200, "")
	gaCall(t, c, "DELETE", "/registries/"+reg, nil, 202, "")
	gaCall(t, c, "GET", gwPath, nil, 404, "ResourceNotFoundException")
	gaCall(t, c, "POST", "/discoverable-records-search", map[string]any{"searchQuery": "gateway", "registryIds": []string{reg}}, 404, "ResourceNotFoundException")
}
