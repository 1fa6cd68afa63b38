package server_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/document"
	datatypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/internal/awstest"
	"github.com/agentry/agentry/server"
)

// dataClient returns an SDK client of the data plane for ts.
func (ts *testServer) dataClient(id, secret string) *data.Client {
	return awstest.Data(ts.URL, id, secret)
}

func serverJSON(name, description, version string) string {
	return fmt.Sprintf(`{"name": %q, "description": %q, "version": %q}`, name, description, version)
}

// publish creates an MCP record with tools, submits and approves it, and
// returns its id.
func (ts *testServer) publish(t testing.TB, reg, name, description, tools string) string {
	t.Helper()
	ctx := context.Background()
	d := &types.Descriptors{Mcp: &types.McpDescriptor{Server: &types.ServerDefinition{InlineContent: aws.String(serverJSON("io.example/"+name, description, "1.0.0"))}}}
	if tools != "" {
		d.Mcp.Tools = &types.ToolsDefinition{InlineContent: aws.String(tools)}
	}
	out := must[*ctl.CreateRegistryRecordOutput](t)(ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
		RegistryId: aws.String(reg), Name: aws.String(name), Description: aws.String(description),
		DescriptorType: types.DescriptorTypeMcp, Descriptors: d}))
	id := aws.ToString(out.RecordArn)[strings.LastIndex(aws.ToString(out.RecordArn), "/")+1:]
	must[*ctl.SubmitRegistryRecordForApprovalOutput](t)(ts.Client.SubmitRegistryRecordForApproval(ctx,
		&ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(reg), RecordId: aws.String(id)}))
	ts.setStatus(t, reg, id, types.RegistryRecordStatusApproved)
	return id
}

func (ts *testServer) setStatus(t testing.TB, reg, id string, s types.RegistryRecordStatus) {
	t.Helper()
	must[*ctl.UpdateRegistryRecordStatusOutput](t)(ts.Client.UpdateRegistryRecordStatus(context.Background(), &ctl.UpdateRegistryRecordStatusInput{
		RegistryId: aws.String(reg), RecordId: aws.String(id), Status: s, StatusReason: aws.String("test")}))
}

func names(recs []datatypes.RegistryRecordSummary) []string {
	var out []string
	for _, r := range recs {
		out = append(out, aws.ToString(r.Name))
	}
	return out
}

const weatherTools = `{"tools":[{"name":"get_forecast","description":"Weather forecast for a city","inputSchema":{"type":"object","properties":{"city":{"type":"string"}}}}]}`

// seedCatalog publishes a small catalog and returns the registry id.
func seedCatalog(t testing.TB, ts *testServer) string {
	reg := ts.createRegistry(t, "catalog", false)
	ts.publish(t, reg, "weather", "Weather forecasts and severe weather alerts", weatherTools)
	ts.publish(t, reg, "github", "Manage GitHub repositories, issues and pull requests",
		`{"tools":[{"name":"create_issue","description":"Open an issue","inputSchema":{"type":"object"}}]}`)
	ts.publish(t, reg, "postgres", "Query a PostgreSQL database with SQL", "")
	ts.publish(t, reg, "gmail", "Read and send email from a Gmail inbox", "")
	ts.createRecord(t, reg, "draft-weather-clone") // a DRAFT: never served
	return reg
}

func TestSearchRegistryRecords(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := seedCatalog(t, ts)
	dc := ts.dataClient(ts.Key.AccessKeyID, ts.Key.SecretAccessKey)
	search := func(query string, filters document.Interface, max *int32) []datatypes.RegistryRecordSummary {
		t.Helper()
		out, err := dc.SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{
			RegistryIds: []string{reg}, SearchQuery: aws.String(query), Filters: filters, MaxResults: max})
		if err != nil {
			t.Fatalf("search %q: %v", query, err)
		}
		return out.RegistryRecords
	}

	got := search("weather forecast for tomorrow", nil, nil)
	if len(got) == 0 || aws.ToString(got[0].Name) != "weather" {
		t.Fatalf("weather query: %v", names(got))
	}
	r := got[0]
	if r.Status != datatypes.RegistryRecordStatusApproved || r.DescriptorType != datatypes.DescriptorTypeMcp ||
		aws.ToString(r.Version) != "1.0.0" || r.Descriptors == nil || r.Descriptors.Mcp == nil ||
		aws.ToString(r.Descriptors.Mcp.Tools.InlineContent) != weatherTools || r.CreatedAt == nil ||
		!strings.HasSuffix(aws.ToString(r.RecordArn), "/record/"+aws.ToString(r.RecordId)) {
		t.Fatalf("summary = %+v", r)
	}
	for _, n := range names(search("weather", nil, aws.Int32(20))) {
		if n == "draft-weather-clone" {
			t.Fatal("a DRAFT record was served by search")
		}
	}
	if got := search("open an issue on my repo", nil, nil); len(got) == 0 || aws.ToString(got[0].Name) != "github" {
		t.Fatalf("github query: %v", names(got))
	}
	// Searching by the registry ARN works too.
	out, err := dc.SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{
		RegistryIds: []string{"arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/" + reg}, SearchQuery: aws.String("sql database")})
	if err != nil || len(out.RegistryRecords) == 0 || aws.ToString(out.RegistryRecords[0].Name) != "postgres" {
		t.Fatalf("search by ARN: %v %v", out, err)
	}

	// Filters apply before the cut to maxResults.
	onlyGmail := document.NewLazyDocument(map[string]any{"name": map[string]any{"$in": []any{"gmail", "postgres"}}})
	if got := search("weather email database", onlyGmail, aws.Int32(1)); len(got) != 1 || aws.ToString(got[0].Name) == "weather" {
		t.Fatalf("filtered: %v", names(got))
	}
	notMCP := document.NewLazyDocument(map[string]any{"$and": []any{
		map[string]any{"descriptorType": map[string]any{"$ne": "MCP"}}, map[string]any{"version": map[string]any{"$eq": "1.0.0"}}}})
	if got := search("weather", notMCP, nil); len(got) != 0 {
		t.Fatalf("descriptorType $ne MCP: %v", names(got))
	}
}

func TestSearchFollowsTheLifecycle(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := seedCatalog(t, ts)
	dc := ts.dataClient(ts.Key.AccessKeyID, ts.Key.SecretAccessKey)
	find := func(query string) []string {
		t.Helper()
		out, err := dc.SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{RegistryIds: []string{reg}, SearchQuery: aws.String(query)})
		if err != nil {
			t.Fatal(err)
		}
		return names(out.RegistryRecords)
	}
	list := must[*ctl.ListRegistryRecordsOutput](t)(ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg), Name: aws.String("gmail")}))
	gmail := aws.ToString(list.RegistryRecords[0].RecordId)

	// A new revision in DRAFT: the approved one is still what search serves.
	must[*ctl.UpdateRegistryRecordOutput](t)(ts.Client.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{
		RegistryId: aws.String(reg), RecordId: aws.String(gmail), Description: &types.UpdatedDescription{OptionalValue: aws.String("Calendar scheduling and meeting invites")}}))
	if got := find("email inbox"); len(got) == 0 || got[0] != "gmail" {
		t.Fatalf("approved revision not served while a draft exists: %v", got)
	}
	if got := find("calendar meeting invites"); len(got) > 0 && got[0] == "gmail" {
		t.Fatalf("draft revision served: %v", got)
	}
	// Approving the new revision changes results before the call returns.
	must[*ctl.SubmitRegistryRecordForApprovalOutput](t)(ts.Client.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(reg), RecordId: aws.String(gmail)}))
	ts.setStatus(t, reg, gmail, types.RegistryRecordStatusApproved)
	if got := find("calendar meeting invites"); len(got) == 0 || got[0] != "gmail" {
		t.Fatalf("new approved revision not served: %v", got)
	}
	// Deprecating withdraws it at once; deleting too.
	ts.setStatus(t, reg, gmail, types.RegistryRecordStatusDeprecated)
	for _, n := range find("calendar meeting invites email") {
		if n == "gmail" {
			t.Fatal("deprecated record still served")
		}
	}
	list = must[*ctl.ListRegistryRecordsOutput](t)(ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg), Name: aws.String("weather")}))
	must[*ctl.DeleteRegistryRecordOutput](t)(ts.Client.DeleteRegistryRecord(ctx, &ctl.DeleteRegistryRecordInput{RegistryId: aws.String(reg), RecordId: list.RegistryRecords[0].RecordId}))
	for _, n := range find("weather forecast") {
		if n == "weather" {
			t.Fatal("deleted record still served")
		}
	}
}

func TestSearchValidation(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := seedCatalog(t, ts)
	dc := ts.dataClient(ts.Key.AccessKeyID, ts.Key.SecretAccessKey)
	cases := []struct {
		name, query, field, msg string
		max                     *int32
		filters                 document.Interface
		ids                     []string
	}{
		{name: "empty query", query: "", field: "searchQuery", msg: "1 to 256"},
		{name: "257 characters", query: strings.Repeat("a", 257), field: "searchQuery", msg: "got 257"},
		{name: "maxResults 0", query: "x", max: aws.Int32(0), field: "maxResults", msg: "between 1 and 20"},
		{name: "maxResults 21", query: "x", max: aws.Int32(21), field: "maxResults", msg: "between 1 and 20"},
		{name: "unknown operator", query: "x", filters: document.NewLazyDocument(map[string]any{"version": map[string]any{"$gt": "1"}}),
			field: "filters.version", msg: "$gt"},
		{name: "unknown field", query: "x", filters: document.NewLazyDocument(map[string]any{"owner": map[string]any{"$eq": "me"}}),
			field: "filters", msg: "owner"},
		{name: "two registries", query: "x", ids: []string{reg, reg}, field: "registryIds", msg: "exactly one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ids := c.ids
			if ids == nil {
				ids = []string{reg}
			}
			_, err := dc.SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{RegistryIds: ids, SearchQuery: aws.String(c.query),
				MaxResults: c.max, Filters: c.filters})
			var ve *datatypes.ValidationException
			if !errors.As(err, &ve) {
				t.Fatalf("want ValidationException, got %T %v", err, err)
			}
			found := false
			for _, f := range ve.FieldList {
				found = found || (strings.HasPrefix(aws.ToString(f.Name), c.field) && strings.Contains(aws.ToString(f.Message)+aws.ToString(f.Name), c.msg))
			}
			if !found {
				t.Fatalf("want field %s mentioning %q; got %q %v", c.field, c.msg, aws.ToString(ve.Message), ve.FieldList)
			}
		})
	}
	_, err := dc.SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{RegistryIds: []string{"nosuchregist"}, SearchQuery: aws.String("x")})
	var nf *datatypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("unknown registry: %T %v", err, err)
	}
	_, err = ts.dataClient(ts.Key.AccessKeyID, "wrong-secret-wrong-secret").SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{RegistryIds: []string{reg}, SearchQuery: aws.String("x")})
	if code := apiCode(t, err); code != "InvalidSignatureException" {
		t.Fatalf("bad signature: %s", code)
	}
}

func TestSearchIndexSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ts := startServerWith(t, func(c *server.Config) { c.DataDir = dir })
	reg := seedCatalog(t, ts)
	key := ts.Key
	ts.srv.Close()

	ts2 := startServerWith(t, func(c *server.Config) { c.DataDir, c.DatabaseURL, c.Root = dir, ts.cfg.DatabaseURL, key })
	out, err := ts2.dataClient(key.AccessKeyID, key.SecretAccessKey).SearchRegistryRecords(context.Background(),
		&data.SearchRegistryRecordsInput{RegistryIds: []string{reg}, SearchQuery: aws.String("postgres sql")})
	if err != nil || len(out.RegistryRecords) == 0 || aws.ToString(out.RegistryRecords[0].Name) != "postgres" {
		t.Fatalf("after restart: %v %v", out, err)
	}
}
