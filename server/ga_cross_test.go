package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentry/agentry/internal/awstest"
	"github.com/agentry/agentry/server"
)

// gaSigv4Transport signs each request with SigV4 for agent-registry, as a
// client of the GA MCP endpoint does.
type gaSigv4Transport struct {
	id, secret string
}

func (s gaSigv4Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: s.id, SecretAccessKey: s.secret}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, r, hex.EncodeToString(sum[:]), awstest.GASigningName, awstest.Region, time.Now()); err != nil {
		return nil, err
	}
	return http.DefaultTransport.RoundTrip(r)
}

// callTool calls an MCP tool and returns its structured result, or the
// text of its error.
func callTool(t *testing.T, s *mcp.ClientSession, name string, args map[string]any) (map[string]any, string) {
	t.Helper()
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("tools/call %s: %v", name, err)
	}
	if res.IsError {
		return nil, toolErrorText(res)
	}
	raw, _ := json.Marshal(res.StructuredContent)
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: structuredContent %s: %v", name, raw, err)
	}
	return out, ""
}

func recordNames(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, r := range list {
		out = append(out, str(r.(map[string]any)["name"]))
	}
	return out
}

// TestGACrossAPI: a record created through the preview SDK is read,
// updated, tagged and approved through the GA API, found by both searches
// and both MCP tool sets, and deprecated through the GA API: then it is
// gone from discovery in both.
func TestGACrossAPI(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	ga := ts.gaClient()
	reg := ts.createRegistry(t, "cross", false)
	rec := ts.createRecord(t, reg, "weather")
	// The preview record through the GA API, with the same ids.
	path := "/registries/" + reg + "/records/" + rec
	got := gaCall(t, ga, "GET", path, nil, 200, "")
	if got["recordType"] != "MCP" || got["status"] != "DRAFT" || got["createdBy"] != gaAccount ||
		!strings.HasPrefix(str(got["recordArn"]), "arn:aws:agent-registry:") {
		t.Fatalf("GA view of a preview record: %v", got)
	}
	if d, _ := got["descriptors"].(map[string]any); str(d["mcpServer"].(map[string]any)["data"]) != minimalServer {
		t.Fatalf("GA descriptors: %v", got["descriptors"])
	}
	// Update through GA; the preview sees it.
	gaCall(t, ga, "PATCH", path, map[string]any{"displayName": map[string]any{"optionalValue": "Weather"},
		"description": map[string]any{"optionalValue": "Forecasts and alerts for any city"},
		"descriptors": map[string]any{"optionalValue": map[string]any{"mcpServer": map[string]any{"optionalValue": map[string]any{
			"data": map[string]any{"optionalValue": gaServerJSON},
			"additionalData": map[string]any{"optionalValue": map[string]any{"tools": map[string]any{"optionalValue": map[string]any{
				"data": map[string]any{"optionalValue": weatherTools}}}}}}}}}}, 202, "")
	pv := must[*ctl.GetRegistryRecordOutput](t)(ts.Client.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String(rec)}))
	if aws.ToString(pv.Description) != "Forecasts and alerts for any city" || aws.ToString(pv.Descriptors.Mcp.Tools.InlineContent) != weatherTools ||
		aws.ToString(pv.Descriptors.Mcp.Server.InlineContent) != gaServerJSON {
		t.Fatalf("preview view after a GA update: %+v", pv)
	}
	// Tag and approve through GA.
	gaCall(t, ga, "POST", "/tags/"+str(got["recordArn"]), map[string]any{"tags": map[string]string{"team": "weather"}}, 204, "")
	gaCall(t, ga, "POST", path+"/submit-for-approval", nil, 202, "")
	gaCall(t, ga, "PATCH", path+"/status", map[string]any{"status": "APPROVED", "statusReason": "ok"}, 202, "")
	pv = must[*ctl.GetRegistryRecordOutput](t)(ts.Client.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String(rec)}))
	if pv.Status != types.RegistryRecordStatusApproved {
		t.Fatalf("preview status = %s", pv.Status)
	}

	// Discovery through both APIs and both tool sets.
	dc := ts.dataClient(ts.Key.AccessKeyID, ts.Key.SecretAccessKey)
	previewSearch := func() []string {
		out, err := dc.SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{RegistryIds: []string{reg}, SearchQuery: aws.String("weather forecast")})
		if err != nil {
			t.Fatal(err)
		}
		return names(out.RegistryRecords)
	}
	gaSearch := func() []string {
		out := gaCall(t, ga, "POST", "/discoverable-records-search", map[string]any{"searchQuery": "weather forecast", "registryIds": []string{reg}}, 200, "")
		return recordNames(out["registryRecords"])
	}
	s := connectMCP(t, ts.URL+"/registry/"+reg+"/mcp", sigv4Transport{ts.Key.AccessKeyID, ts.Key.SecretAccessKey})
	sGA := connectMCP(t, ts.URL+"/registry/"+reg+"/mcp", gaSigv4Transport{ts.Key.AccessKeyID, ts.Key.SecretAccessKey})
	mcpPreview := func() []string {
		_, n := callSearch(t, s, map[string]any{"searchQuery": "weather forecast"})
		return n
	}
	mcpGA := func() []string {
		out, msg := callTool(t, sGA, "search_discoverable_registry_records", map[string]any{"searchQuery": "weather forecast",
			"filter": map[string]any{"recordType": map[string]any{"$eq": "MCP"}}})
		if msg != "" {
			t.Fatal(msg)
		}
		return recordNames(out["registryRecords"])
	}
	for name, f := range map[string]func() []string{"preview REST": previewSearch, "GA REST": gaSearch, "preview MCP": mcpPreview, "GA MCP": mcpGA} {
		if got := f(); !slices.Equal(got, []string{"weather"}) {
			t.Fatalf("%s search = %v", name, got)
		}
	}
	out := gaCall(t, ga, "POST", "/discoverable-records-search", map[string]any{"searchQuery": "weather", "registryIds": []string{reg}}, 200, "")
	hit := out["registryRecords"].([]any)[0].(map[string]any)
	if hit["displayName"] != "Weather" || hit["recordType"] != "MCP" || hit["recordVersion"] != "1.0.0" || hit["status"] != "APPROVED" {
		t.Fatalf("GA search hit = %v", hit)
	}
	// Search results carry the preview's relevanceScore, through REST and
	// the MCP tool (whose output schema requires it); lists do not.
	mcpOut, msg := callTool(t, sGA, "search_discoverable_registry_records", map[string]any{"searchQuery": "weather"})
	if msg != "" {
		t.Fatal(msg)
	}
	restScore, _ := hit["relevanceScore"].(float64)
	mcpHit := mcpOut["registryRecords"].([]any)[0].(map[string]any)
	if restScore <= 0 || restScore > 1 || mcpHit["relevanceScore"] != restScore {
		t.Fatalf("relevanceScore: REST %v, MCP %v", hit["relevanceScore"], mcpHit["relevanceScore"])
	}
	tools, err := sGA.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools.Tools {
		schema, _ := json.Marshal(tool.OutputSchema)
		if has := strings.Contains(string(schema), `"relevanceScore"`); has != (tool.Name == "search_discoverable_registry_records" || tool.Name == "search_registry_records") {
			t.Fatalf("tool %s: relevanceScore in its output schema %v", tool.Name, has)
		}
	}
	list, msg := callTool(t, sGA, "list_discoverable_registry_records", map[string]any{"filters": []any{map[string]any{"name": "descriptorType", "values": []string{"mcpServer"}}}})
	if l, _ := list["registryRecords"].([]any); len(l) > 0 && l[0].(map[string]any)["relevanceScore"] != nil {
		t.Fatalf("GA MCP list carries a relevanceScore: %v", l[0])
	}
	if msg != "" || !slices.Equal(recordNames(list["registryRecords"]), []string{"weather"}) {
		t.Fatalf("GA MCP list = %v %s", list, msg)
	}
	batch, msg := callTool(t, sGA, "batch_get_discoverable_registry_record", map[string]any{"recordIds": []string{rec, "AAAAAAAAAAAA"}})
	if msg != "" || !slices.Equal(recordNames(batch["registryRecords"]), []string{"weather"}) || len(batch["errors"].([]any)) != 1 {
		t.Fatalf("GA MCP batch get = %v %s", batch, msg)
	}
	if _, msg := callTool(t, sGA, "list_discoverable_registry_records", map[string]any{"maxResults": 0}); !strings.Contains(msg, "maxResults") {
		t.Fatalf("GA MCP list with maxResults 0: %q", msg)
	}
	if _, msg := callTool(t, sGA, "batch_get_discoverable_registry_record", map[string]any{"ids": []string{rec}}); !strings.Contains(msg, "unknown field") {
		t.Fatalf("GA MCP batch get with a wrong argument: %q", msg)
	}
	// Each API's callers see its own tools.
	for _, c := range []struct {
		s    *mcp.ClientSession
		want []string
	}{{s, []string{"search_registry_records"}},
		{sGA, []string{"batch_get_discoverable_registry_record", "list_discoverable_registry_records", "search_discoverable_registry_records"}}} {
		tools, err := c.s.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var toolNames []string
		for _, tool := range tools.Tools {
			toolNames = append(toolNames, tool.Name)
			if tool.OutputSchema == nil {
				t.Fatalf("tool %s has no output schema", tool.Name)
			}
		}
		slices.Sort(toolNames)
		if !slices.Equal(toolNames, c.want) {
			t.Fatalf("tools = %v, want %v", toolNames, c.want)
		}
	}

	// Deprecate through GA: gone from discovery everywhere.
	gaCall(t, ga, "PATCH", path+"/status", map[string]any{"status": "DEPRECATED", "statusReason": "superseded"}, 202, "")
	for name, f := range map[string]func() []string{"preview REST": previewSearch, "GA REST": gaSearch, "preview MCP": mcpPreview, "GA MCP": mcpGA} {
		if got := f(); len(got) != 0 {
			t.Fatalf("%s search after deprecation = %v", name, got)
		}
	}
	listed := gaCall(t, ga, "POST", "/registries/"+reg+"/discoverable-records-list", map[string]any{}, 200, "")
	if recs, _ := listed["registryRecords"].([]any); len(recs) != 0 {
		t.Fatalf("ListDiscoverable after deprecation = %v", listed)
	}
	batchOut := gaCall(t, ga, "POST", "/discoverable-records-batch", map[string]any{"entries": []any{map[string]any{"registryId": reg, "recordIds": []string{rec}}}}, 200, "")
	if errs, _ := batchOut["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["errorCode"] != "RESOURCE_NOT_FOUND" {
		t.Fatalf("BatchGet after deprecation = %v", batchOut)
	}
}

func TestGADataPlane(t *testing.T) {
	ts := startServer(t)
	ga := ts.gaClient()
	reg := gaRegistry(t, ga, "catalog")
	publish := func(name, typ string, descriptors map[string]any) string {
		t.Helper()
		body := map[string]any{"name": name, "recordType": typ, "recordVersion": "1.0", "descriptors": descriptors}
		if name == "recipes" {
			body["displayName"] = "Culinary Companion"
		}
		out := gaCall(t, ga, "POST", "/registries/"+reg+"/records", body, 202, "")
		id := idOf(str(out["recordArn"]))
		gaCall(t, ga, "POST", "/registries/"+reg+"/records/"+id+"/submit-for-approval", nil, 202, "")
		gaCall(t, ga, "PATCH", "/registries/"+reg+"/records/"+id+"/status", map[string]any{"status": "APPROVED", "statusReason": "ok"}, 202, "")
		return id
	}
	source := map[string]any{"fromUrl": map[string]any{"url": "https://mcp.example.com/mcp",
		"credentialProviderConfigurations": []any{map[string]any{"credentialProviderType": "IAM",
			"credentialProvider": map[string]any{"iamCredentialProvider": map[string]any{"service": "execute-api"}}}}}}
	weather := publish("weather", "MCP", map[string]any{"mcpServer": map[string]any{"data": gaServerJSON, "source": source}})
	agent := publish("recipes", "AGENT", map[string]any{"a2aAgentCard": map[string]any{"data": gaAgentCard}})
	gateway := publish("gateway", "GATEWAY", map[string]any{"agui": map[string]any{"source": map[string]any{"fromUrl": map[string]any{"url": "https://gw.example.com"}}}})
	draft := idOf(str(gaCall(t, ga, "POST", "/registries/"+reg+"/records", map[string]any{"name": "draft", "recordType": "CUSTOM",
		"descriptors": map[string]any{"custom": map[string]any{"data": `{"weather": true}`}}}, 202, "")["recordArn"]))

	// Search: approved only, descriptors without credential providers,
	// GA filter names and values.
	search := func(body map[string]any) []any {
		t.Helper()
		body["registryIds"] = []string{reg}
		recs, _ := gaCall(t, ga, "POST", "/discoverable-records-search", body, 200, "")["registryRecords"].([]any)
		return recs
	}
	recs := search(map[string]any{"searchQuery": "weather forecasts"})
	if len(recs) == 0 || recs[0].(map[string]any)["recordId"] != weather {
		t.Fatalf("search = %v", recs)
	}
	for _, r := range recs {
		if r.(map[string]any)["recordId"] == draft {
			t.Fatal("a DRAFT was found")
		}
	}
	d, _ := json.Marshal(recs[0].(map[string]any)["descriptors"])
	if !strings.Contains(string(d), `"source":{"fromUrl":{"url":"https://mcp.example.com/mcp"}}`) || strings.Contains(string(d), "credentialProvider") {
		t.Fatalf("data-plane descriptors = %s", d)
	}
	if recs := search(map[string]any{"searchQuery": "culinary companion"}); len(recs) == 0 || recs[0].(map[string]any)["displayName"] != "Culinary Companion" {
		t.Fatalf("search by display name = %v", recs)
	}
	if recs := search(map[string]any{"searchQuery": "recipes agent", "filters": map[string]any{"recordType": map[string]any{"$eq": "AGENT"}}}); len(recs) != 1 ||
		recs[0].(map[string]any)["recordType"] != "AGENT" {
		t.Fatalf("AGENT filter = %v", recs)
	}
	if recs := search(map[string]any{"searchQuery": "gateway", "filters": map[string]any{"$and": []any{
		map[string]any{"recordType": map[string]any{"$in": []string{"GATEWAY", "SKILL"}}}, map[string]any{"recordVersion": map[string]any{"$eq": "1.0"}}}}}); len(recs) != 1 {
		t.Fatalf("GATEWAY filter = %v", recs)
	}
	bad := func(body map[string]any, field string) {
		t.Helper()
		wantField(t, gaCall(t, ga, "POST", "/discoverable-records-search", body, 400, "ValidationException"), field)
	}
	bad(map[string]any{"registryIds": []string{reg}}, "searchQuery")
	bad(map[string]any{"registryIds": []string{reg}, "searchQuery": strings.Repeat("q", 257)}, "searchQuery")
	bad(map[string]any{"registryIds": []string{reg}, "searchQuery": "x", "maxResults": 21}, "maxResults")
	bad(map[string]any{"registryIds": []string{reg, reg}, "searchQuery": "x"}, "registryIds")
	bad(map[string]any{"registryIds": []string{reg}, "searchQuery": "x", "filters": map[string]any{"recordType": map[string]any{"$gt": "MCP"}}}, "filters.descriptorType")
	gaCall(t, ga, "POST", "/discoverable-records-search", map[string]any{"registryIds": []string{"AAAAAAAAAAAA"}, "searchQuery": "x"}, 404, "ResourceNotFoundException")

	// List: approved only, descriptor types, filters and paging.
	listPath := "/registries/" + reg + "/discoverable-records-list"
	all := gaCall(t, ga, "POST", listPath, map[string]any{}, 200, "")
	if got := recordNames(all["registryRecords"]); !slices.Equal(got, []string{"gateway", "recipes", "weather"}) {
		t.Fatalf("list = %v", got)
	}
	first := all["registryRecords"].([]any)[0].(map[string]any)
	if !slices.Equal(anyStrings(first["descriptorTypes"]), []string{"agui"}) || first["descriptors"] != nil || first["recordVersion"] != "1.0" {
		t.Fatalf("list item = %v", first)
	}
	page := gaCall(t, ga, "POST", listPath, map[string]any{"maxResults": 2}, 200, "")
	if got := recordNames(page["registryRecords"]); !slices.Equal(got, []string{"gateway", "recipes"}) || str(page["nextToken"]) == "" {
		t.Fatalf("first page = %v", page)
	}
	page = gaCall(t, ga, "POST", listPath, map[string]any{"maxResults": 2, "nextToken": page["nextToken"]}, 200, "")
	if got := recordNames(page["registryRecords"]); !slices.Equal(got, []string{"weather"}) || page["nextToken"] != nil {
		t.Fatalf("second page = %v", page)
	}
	byType := gaCall(t, ga, "POST", listPath, map[string]any{"filters": []any{map[string]any{"name": "recordType", "values": []string{"MCP", "AGENT"}}}}, 200, "")
	if got := recordNames(byType["registryRecords"]); !slices.Equal(got, []string{"recipes", "weather"}) {
		t.Fatalf("recordType filter = %v", got)
	}
	wantField(t, gaCall(t, ga, "POST", listPath, map[string]any{"filters": []any{map[string]any{"name": "descriptorType", "values": []string{"mcp"}}}},
		400, "ValidationException"), "filters.descriptorType.values[0]")
	gaCall(t, ga, "POST", listPath, map[string]any{"nextToken": "forged"}, 400, "ValidationException")
	gaCall(t, ga, "POST", "/registries/AAAAAAAAAAAA/discoverable-records-list", map[string]any{}, 404, "ResourceNotFoundException")
	regARN := "arn:aws:agent-registry:us-east-1:" + gaAccount + ":registry/" + reg
	gaCall(t, ga, "POST", "/registries/"+strings.ReplaceAll(regARN, "/", "%2F")+"/discoverable-records-list", map[string]any{}, 200, "")

	// BatchGet: per-item errors, identifiers echoed as given.
	recARN := regARN + "/record/" + agent
	batch := gaCall(t, ga, "POST", "/discoverable-records-batch", map[string]any{"entries": []any{map[string]any{"registryId": regARN,
		"recordIds": []string{weather, recARN, draft, "AAAAAAAAAAAA", "not-an-id", gateway}}}}, 200, "")
	if got := recordNames(batch["registryRecords"]); !slices.Equal(got, []string{"weather", "recipes", "gateway"}) {
		t.Fatalf("batch records = %v", got)
	}
	errs, _ := batch["errors"].([]any)
	var failed []string
	for _, e := range errs {
		m := e.(map[string]any)
		if m["registryId"] != regARN || m["errorCode"] != "RESOURCE_NOT_FOUND" {
			t.Fatalf("batch error = %v", m)
		}
		failed = append(failed, str(m["recordId"]))
	}
	slices.Sort(failed)
	if want := []string{"AAAAAAAAAAAA", draft, "not-an-id"}; !slices.Equal(failed, func() []string { slices.Sort(want); return want }()) {
		t.Fatalf("batch errors = %v", failed)
	}
	wantField(t, gaCall(t, ga, "POST", "/discoverable-records-batch", map[string]any{"entries": []any{}}, 400, "ValidationException"), "entries")
	wantField(t, gaCall(t, ga, "POST", "/discoverable-records-batch", map[string]any{"entries": []any{map[string]any{"registryId": reg, "recordIds": []string{}}}},
		400, "ValidationException"), "entries[0].recordIds")
}

// TestGAIAM: agent-registry actions and ARNs in policies; the GA data
// plane's own action names; a SigV4 scope decides the API.
func TestGAIAM(t *testing.T) {
	path := t.TempDir() + "/iam.json"
	policy := `{"principals": [
 {"name": "ga-reader", "accessKeys": [{"accessKeyId": "AKIAGAREADER00000001", "secretAccessKey": "ga-reader-secret-001"}],
  "policies": [{"Version": "2012-10-17", "Statement": [
   {"Effect": "Allow", "Action": ["agent-registry:GetRegistry", "agent-registry:SearchDiscoverableRegistryRecords", "agent-registry:InvokeRegistryMcp"],
    "Resource": "arn:aws:agent-registry:us-east-1:123456789012:registry/*"}]}]},
 {"name": "preview-consumer", "accessKeys": [{"accessKeyId": "AKIAPREVIEW000000001", "secretAccessKey": "preview-secret-00001"}],
  "policies": [{"Version": "2012-10-17", "Statement": [
   {"Effect": "Allow", "Action": ["bedrock-agentcore:SearchRegistryRecords", "bedrock-agentcore:GetRegistry"],
    "Resource": "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/*"}]}]}
]}`
	if err := os.WriteFile(path, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServerWith(t, func(c *server.Config) { c.IAMFile = path })
	reg := gaRegistry(t, ts.gaClient(), "iam")
	reader := awstest.NewGA(ts.URL, "AKIAGAREADER00000001", "ga-reader-secret-001")
	preview := awstest.NewGA(ts.URL, "AKIAPREVIEW000000001", "preview-secret-00001")
	// An agent-registry ARN in a policy covers the registry on both APIs.
	gaCall(t, reader, "GET", "/registries/"+reg, nil, 200, "")
	must[*ctl.GetRegistryOutput](t)(ts.clientWith("AKIAGAREADER00000001", "ga-reader-secret-001").GetRegistry(context.Background(),
		&ctl.GetRegistryInput{RegistryId: aws.String(reg)}))
	// ... and a bedrock-agentcore ARN does too.
	gaCall(t, preview, "GET", "/registries/"+reg, nil, 200, "")
	body := map[string]any{"searchQuery": "x", "registryIds": []string{reg}}
	gaCall(t, reader, "POST", "/discoverable-records-search", body, 200, "")
	// The GA search is its own action: SearchRegistryRecords does not grant it.
	denied := gaCall(t, preview, "POST", "/discoverable-records-search", body, 403, "AccessDeniedException")
	if !strings.Contains(str(denied["message"]), "agent-registry:SearchDiscoverableRegistryRecords") ||
		!strings.Contains(str(denied["message"]), "arn:aws:agent-registry:us-east-1:123456789012:registry/"+reg) {
		t.Fatalf("denial = %v", denied)
	}
	denied = gaCall(t, reader, "POST", "/registries", map[string]any{"name": "nope"}, 403, "AccessDeniedException")
	if !strings.Contains(str(denied["message"]), "agent-registry:CreateRegistry") {
		t.Fatalf("denial = %v", denied)
	}
	gaCall(t, reader, "POST", "/registries/"+reg+"/discoverable-records-list", map[string]any{}, 403, "AccessDeniedException")

	// The GA MCP endpoint: InvokeRegistryMcp to reach it, and each tool's
	// own action.
	s := connectMCP(t, ts.URL+"/registry/"+reg+"/mcp", gaSigv4Transport{"AKIAGAREADER00000001", "ga-reader-secret-001"})
	if _, msg := callTool(t, s, "search_discoverable_registry_records", map[string]any{"searchQuery": "x"}); msg != "" {
		t.Fatalf("GA MCP search: %s", msg)
	}
	if _, msg := callTool(t, s, "list_discoverable_registry_records", nil); !strings.Contains(msg, "agent-registry:ListDiscoverableRegistryRecords") {
		t.Fatalf("GA MCP list without the right: %q", msg)
	}

	// The credential scope picks the API: the same path and body signed
	// for bedrock-agentcore is the preview's CreateRegistry, which wants
	// authorizerType-style bodies and answers the preview ARN.
	root := ts.gaClient()
	root.Service = "bedrock-agentcore"
	out := gaCall(t, root, "POST", "/registries", map[string]any{"name": "via-preview"}, 202, "")
	if !strings.HasPrefix(str(out["registryArn"]), "arn:aws:bedrock-agentcore:") {
		t.Fatalf("preview CreateRegistry answered %v", out)
	}
	root.Service = "agent-registry"
	gaCall(t, root, "POST", "/registries-list", map[string]any{}, 200, "")
	root.Service = "bedrock-agentcore"
	gaCall(t, root, "POST", "/registries-list", map[string]any{}, 404, "ResourceNotFoundException")
	root.Service = "s3"
	resp, err := root.Do(context.Background(), "GET", "/registries", nil)
	if err != nil || resp.Status == http.StatusOK {
		t.Fatalf("a credential scoped to s3: %v %v", resp, err)
	}
}

// TestGAPreviewFieldsSurvive: what only the preview API can express (the
// authorizer's advertisedScopeMapping) survives a GA update, and a GA
// record the preview cannot express is shown to it as GATEWAY.
func TestGAPreviewFieldsSurvive(t *testing.T) {
	m, _ := startOIDC(t)
	ts := startServerWith(t, func(c *server.Config) { c.AllowPrivateURLs = true })
	ctx := context.Background()
	out := must[*ctl.CreateRegistryOutput](t)(ts.Client.CreateRegistry(ctx, &ctl.CreateRegistryInput{
		Name: aws.String("jwt"), AuthorizerType: types.RegistryAuthorizerTypeCustomJwt,
		AuthorizerConfiguration: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
			DiscoveryUrl: aws.String(m.DiscoveryEndpoint()), AllowedAudience: []string{"agentry"},
			AdvertisedScopeMapping: map[string]string{"search": "registry:search"},
		}},
	}))
	reg := idOf(aws.ToString(out.RegistryArn))
	ga := ts.gaClient()
	got := gaCall(t, ga, "GET", "/registries/"+reg, nil, 200, "")
	if b, _ := json.Marshal(got["discoveryConfiguration"]); strings.Contains(string(b), "advertisedScopeMapping") || !strings.Contains(string(b), `"CUSTOM_JWT"`) {
		t.Fatalf("GA discoveryConfiguration = %s", b)
	}
	gaCall(t, ga, "PATCH", "/registries/"+reg, map[string]any{"discoveryConfiguration": map[string]any{"authorizerConfiguration": map[string]any{
		"optionalValue": map[string]any{"customJWTAuthorizer": map[string]any{"discoveryUrl": m.DiscoveryEndpoint(), "allowedAudience": []string{"agentry", "other"}}}}}}, 202, "")
	pv := must[*ctl.GetRegistryOutput](t)(ts.Client.GetRegistry(ctx, &ctl.GetRegistryInput{RegistryId: aws.String(reg)}))
	j := pv.AuthorizerConfiguration.(*types.AuthorizerConfigurationMemberCustomJWTAuthorizer).Value
	if !slices.Equal(j.AllowedAudience, []string{"agentry", "other"}) || j.AdvertisedScopeMapping["search"] != "registry:search" {
		t.Fatalf("preview authorizer after a GA update: %+v", j)
	}

	// A gateway, which the preview has no type for.
	gw := gaCall(t, ga, "POST", "/registries/"+reg+"/records", map[string]any{"name": "gw", "recordType": "GATEWAY", "displayName": "Gateway",
		"descriptors": map[string]any{"mcpServer": map[string]any{"data": gaServerJSON}}}, 202, "")
	prec := must[*ctl.GetRegistryRecordOutput](t)(ts.Client.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(reg),
		RecordId: aws.String(idOf(str(gw["recordArn"])))}))
	if prec.DescriptorType != "GATEWAY" || aws.ToString(prec.Descriptors.Mcp.Server.InlineContent) != gaServerJSON {
		t.Fatalf("preview view of a gateway: %+v", prec)
	}
	// A preview update keeps the GA-only display name.
	must[*ctl.UpdateRegistryRecordOutput](t)(ts.Client.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{RegistryId: aws.String(reg),
		RecordId: aws.String(idOf(str(gw["recordArn"]))), Description: &types.UpdatedDescription{OptionalValue: aws.String("d")}}))
	if got := gaCall(t, ga, "GET", "/registries/"+reg+"/records/"+idOf(str(gw["recordArn"])), nil, 200, ""); got["displayName"] != "Gateway" {
		t.Fatalf("display name after a preview update: %v", got)
	}
}

// TestGADataPlaneJWT: on a CUSTOM_JWT registry the GA data plane takes
// bearer tokens, and answers UnauthorizedException without one.
func TestGADataPlaneJWT(t *testing.T) {
	m, mint := startOIDC(t)
	ts := startServerWith(t, func(c *server.Config) {
		c.AllowPrivateURLs = true
		c.AllowedHosts = []string{"agent-registry.localhost"}
	})
	ga := ts.gaClient()
	out := gaCall(t, ga, "POST", "/registries", map[string]any{"name": "jwt", "discoveryConfiguration": map[string]any{"authorizerType": "CUSTOM_JWT",
		"authorizerConfiguration": map[string]any{"customJWTAuthorizer": map[string]any{"discoveryUrl": m.DiscoveryEndpoint(), "allowedAudience": []string{"agentry"}}}}}, 202, "")
	reg := idOf(str(out["registryArn"]))
	ts.publish(t, reg, "weather", "Weather forecasts and severe weather alerts", weatherTools)
	call := func(path, body, token string) (int, string, []byte) {
		req, _ := http.NewRequest("POST", ts.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := make([]byte, 1<<16)
		n, _ := resp.Body.Read(b)
		return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), b[:n]
	}
	good := mint(map[string]any{"aud": "agentry"})
	search := `{"searchQuery":"forecast","registryIds":["` + reg + `"]}`
	if st, _, b := call("/discoverable-records-search", search, good); st != 200 || !strings.Contains(string(b), `"name":"weather"`) {
		t.Fatalf("bearer search: %d %s", st, b)
	}
	if st, typ, _ := call("/discoverable-records-search", search, ""); st != 401 || typ != "UnauthorizedException" {
		t.Fatalf("no token: %d %s", st, typ)
	}
	if st, typ, _ := call("/discoverable-records-search", search, mint(map[string]any{"aud": "other"})); st != 401 || typ != "UnauthorizedException" {
		t.Fatalf("wrong audience: %d %s", st, typ)
	}
	if st, _, b := call("/registries/"+reg+"/discoverable-records-list", `{}`, good); st != 200 || !strings.Contains(string(b), `"descriptorTypes":["mcpServer"]`) {
		t.Fatalf("bearer list: %d %s", st, b)
	}
	if st, typ, _ := call("/registries/"+reg+"/discoverable-records-list", `{}`, ""); st != 401 || typ != "UnauthorizedException" {
		t.Fatalf("list without a token: %d %s", st, typ)
	}
	// The MCP endpoint gives a bearer-token caller the GA tools when it
	// calls an agent-registry.* host, else the preview tool.
	for host, want := range map[string]string{"agent-registry.localhost": "search_discoverable_registry_records", "": "search_registry_records"} {
		req, _ := http.NewRequest("POST", ts.URL+"/registry/"+reg+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+good)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"name":"`+want+`"`) || strings.Count(string(b), `"inputSchema"`) != map[bool]int{true: 3, false: 1}[host != ""] {
			t.Fatalf("tools/list at host %q: %d %s", host, resp.StatusCode, b)
		}
	}
	batch := `{"entries":[{"registryId":"` + reg + `","recordIds":["AAAAAAAAAAAA"]}]}`
	if st, _, b := call("/discoverable-records-batch", batch, good); st != 200 || !strings.Contains(string(b), `"RESOURCE_NOT_FOUND"`) {
		t.Fatalf("bearer batch: %d %s", st, b)
	}
}
