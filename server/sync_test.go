package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentry/agentry/server"
)

type cityInput struct {
	City string `json:"city" jsonschema:"the city"`
}

func addTool(s *mcp.Server, name, description string) {
	mcp.AddTool(s, &mcp.Tool{Name: name, Description: description},
		func(context.Context, *mcp.CallToolRequest, cityInput) (*mcp.CallToolResult, any, error) {
			return nil, nil, nil
		})
}

func syncConfig(url string) *types.SynchronizationConfiguration {
	return &types.SynchronizationConfiguration{FromUrl: &types.FromUrlSynchronizationConfiguration{Url: aws.String(url)}}
}

// waitSettled polls GetRegistryRecord until the record is neither
// CREATING nor UPDATING.
func (ts *testServer) waitSettled(t *testing.T, regID, recID string) *ctl.GetRegistryRecordOutput {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := ts.Client.GetRegistryRecord(context.Background(), &ctl.GetRegistryRecordInput{RegistryId: aws.String(regID), RecordId: aws.String(recID)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != types.RegistryRecordStatusCreating && out.Status != types.RegistryRecordStatusUpdating {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("record %s still %s", recID, out.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func recordID(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// TestSyncThroughSDK: a record filled from a live MCP server, re-synchronized
// after the server changed, through its approval path, and found by search.
func TestSyncThroughSDK(t *testing.T) {
	mcpServer := mcp.NewServer(&mcp.Implementation{Name: "io.example/weather", Version: "1.0.0"},
		&mcp.ServerOptions{Instructions: "Weather forecasts for any city."})
	addTool(mcpServer, "get_forecast", "Tells the weather forecast for a city.")
	source := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return mcpServer }, nil))
	defer source.Close()

	ts := startServerWith(t, func(c *server.Config) { c.AllowPrivateURLs = true })
	ctx := context.Background()
	reg := ts.createRegistry(t, "synced", false)

	created, err := ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
		RegistryId: aws.String(reg), Name: aws.String("weather"), DescriptorType: types.DescriptorTypeMcp,
		SynchronizationType: types.SynchronizationTypeUrl, SynchronizationConfiguration: syncConfig(source.URL + "/mcp"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.Status != types.RegistryRecordStatusCreating {
		t.Fatalf("create answered %s, want CREATING", created.Status)
	}
	id := recordID(aws.ToString(created.RecordArn))
	got := ts.waitSettled(t, reg, id)
	if got.Status != types.RegistryRecordStatusDraft || got.Descriptors == nil || got.Descriptors.Mcp == nil ||
		!strings.Contains(aws.ToString(got.Descriptors.Mcp.Tools.InlineContent), "get_forecast") ||
		!strings.Contains(aws.ToString(got.Descriptors.Mcp.Server.InlineContent), `"name":"io.example/weather"`) ||
		aws.ToString(got.RecordVersion) != "1.0.0" {
		t.Fatalf("after sync: %s %q version %q descriptors %+v", got.Status, aws.ToString(got.StatusReason), aws.ToString(got.RecordVersion), got.Descriptors)
	}
	if got.SynchronizationType != types.SynchronizationTypeUrl || got.SynchronizationConfiguration == nil ||
		aws.ToString(got.SynchronizationConfiguration.FromUrl.Url) != source.URL+"/mcp" {
		t.Fatalf("synchronization configuration read back: %s %+v", got.SynchronizationType, got.SynchronizationConfiguration)
	}

	approve := func() {
		t.Helper()
		must[*ctl.SubmitRegistryRecordForApprovalOutput](t)(ts.Client.SubmitRegistryRecordForApproval(ctx,
			&ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(reg), RecordId: aws.String(id)}))
		must[*ctl.UpdateRegistryRecordStatusOutput](t)(ts.Client.UpdateRegistryRecordStatus(ctx, &ctl.UpdateRegistryRecordStatusInput{
			RegistryId: aws.String(reg), RecordId: aws.String(id), Status: types.RegistryRecordStatusApproved, StatusReason: aws.String("reviewed")}))
	}
	dc := ts.dataClient(ts.Key.AccessKeyID, ts.Key.SecretAccessKey)
	found := func(query string) bool {
		t.Helper()
		out, err := dc.SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{RegistryIds: []string{reg}, SearchQuery: aws.String(query)})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.RegistryRecords {
			if aws.ToString(r.RecordId) == id && strings.Contains(aws.ToString(r.Descriptors.Mcp.Tools.InlineContent), strings.Fields(query)[0]) {
				return true
			}
		}
		return false
	}
	approve()
	if !found("get_forecast") {
		t.Fatal("search does not find the synchronized tool")
	}

	// The source gains a tool; a re-synchronization makes a new DRAFT
	// revision, and search serves the approved one until it is approved.
	addTool(mcpServer, "get_storm_alerts", "Lists severe storm alerts for a region.")
	up, err := ts.Client.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{
		RegistryId: aws.String(reg), RecordId: aws.String(id), TriggerSynchronization: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if up.Status != types.RegistryRecordStatusUpdating {
		t.Fatalf("trigger answered %s, want UPDATING", up.Status)
	}
	got = ts.waitSettled(t, reg, id)
	if got.Status != types.RegistryRecordStatusDraft || !strings.Contains(aws.ToString(got.Descriptors.Mcp.Tools.InlineContent), "get_storm_alerts") {
		t.Fatalf("after re-sync: %s %q", got.Status, aws.ToString(got.StatusReason))
	}
	if found("get_storm_alerts") || !found("get_forecast") {
		t.Fatal("search must serve the approved revision while the new one is a DRAFT")
	}
	approve()
	if !found("get_storm_alerts") {
		t.Fatal("search does not serve the newly approved revision")
	}

	// An unchanged source: back to APPROVED, no new revision.
	must[*ctl.UpdateRegistryRecordOutput](t)(ts.Client.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{
		RegistryId: aws.String(reg), RecordId: aws.String(id), TriggerSynchronization: aws.Bool(true)}))
	if got = ts.waitSettled(t, reg, id); got.Status != types.RegistryRecordStatusApproved {
		t.Fatalf("unchanged source: %s %q, want APPROVED", got.Status, aws.ToString(got.StatusReason))
	}

	// The source goes away: UPDATE_FAILED, with the reason and the content kept.
	source.Close()
	must[*ctl.UpdateRegistryRecordOutput](t)(ts.Client.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{
		RegistryId: aws.String(reg), RecordId: aws.String(id), TriggerSynchronization: aws.Bool(true)}))
	got = ts.waitSettled(t, reg, id)
	if got.Status != types.RegistryRecordStatusUpdateFailed || !strings.Contains(aws.ToString(got.StatusReason), "MCP initialize failed") ||
		!strings.Contains(aws.ToString(got.Descriptors.Mcp.Tools.InlineContent), "get_storm_alerts") {
		t.Fatalf("failed re-sync: %s %q", got.Status, aws.ToString(got.StatusReason))
	}
	if !found("get_storm_alerts") {
		t.Fatal("a failed re-sync must leave the approved revision searchable")
	}
}

// TestSyncFailures: hostile or refused sources, through the SDK.
func TestSyncFailures(t *testing.T) {
	ts := startServerWith(t, func(c *server.Config) { c.AllowPrivateURLs = true; c.SyncTimeout = 2 * time.Second })
	ctx := context.Background()
	reg := ts.createRegistry(t, "hostile", false)
	metadata := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/latest/meta-data/", http.StatusFound))
	defer metadata.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer slow.Close()
	for _, tt := range []struct {
		name, url string
		typ       types.DescriptorType
		want      string
	}{
		{"metadata", metadata.URL + "/mcp", types.DescriptorTypeMcp, "link-local"},
		{"slow", slow.URL + "/.well-known/agent-card.json", types.DescriptorTypeA2a, "did not answer within 2s"},
		{"not-markdown", metadata.URL + "/SKILL.md", types.DescriptorTypeAgentSkills, "link-local"},
	} {
		out, err := ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
			RegistryId: aws.String(reg), Name: aws.String(tt.name), DescriptorType: tt.typ,
			SynchronizationType: types.SynchronizationTypeUrl, SynchronizationConfiguration: syncConfig(tt.url),
		})
		if err != nil {
			t.Fatal(err)
		}
		got := ts.waitSettled(t, reg, recordID(aws.ToString(out.RecordArn)))
		if got.Status != types.RegistryRecordStatusCreateFailed || !strings.Contains(aws.ToString(got.StatusReason), tt.want) {
			t.Errorf("%s: %s %q, want CREATE_FAILED saying %q", tt.name, got.Status, aws.ToString(got.StatusReason), tt.want)
		}
	}

	// Refused at once: a type that cannot be synchronized, descriptors
	// given beside a source, a trigger on a record without one.
	_, err := ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
		RegistryId: aws.String(reg), Name: aws.String("custom"), DescriptorType: types.DescriptorTypeCustom,
		SynchronizationType: types.SynchronizationTypeUrl, SynchronizationConfiguration: syncConfig("https://example.com/x")})
	wantValidation(t, err, "synchronizationType", "only MCP, A2A and AGENT_SKILLS")
	_, err = ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
		RegistryId: aws.String(reg), Name: aws.String("both"), DescriptorType: types.DescriptorTypeMcp, Descriptors: mcpDescriptors(minimalServer),
		SynchronizationType: types.SynchronizationTypeUrl, SynchronizationConfiguration: syncConfig("https://example.com/x")})
	wantValidation(t, err, "descriptors", "must not be given")
	inline := ts.createRecord(t, reg, "inline")
	_, err = ts.Client.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{
		RegistryId: aws.String(reg), RecordId: aws.String(inline), TriggerSynchronization: aws.Bool(true)})
	wantValidation(t, err, "triggerSynchronization", "synchronizationType URL")
}

// TestSyncURLPolicy: without --allow-private-urls a local or plain-http
// source is refused when the record is created.
func TestSyncURLPolicy(t *testing.T) {
	ts := startServer(t)
	reg := ts.createRegistry(t, "policy", false)
	for _, u := range []string{"http://example.com/mcp", "https://127.0.0.1/mcp", "https://169.254.169.254/"} {
		_, err := ts.Client.CreateRegistryRecord(context.Background(), &ctl.CreateRegistryRecordInput{
			RegistryId: aws.String(reg), Name: aws.String("r"), DescriptorType: types.DescriptorTypeMcp,
			SynchronizationType: types.SynchronizationTypeUrl, SynchronizationConfiguration: syncConfig(u)})
		wantValidation(t, err, "synchronizationConfiguration.fromUrl.url", "--allow-private-urls")
	}
}

// TestSyncA2AAndSkill: an agent card (from a base URL) and a SKILL.md,
// served by the test, through the SDK.
func TestSyncA2AAndSkill(t *testing.T) {
	card, err := os.ReadFile("../descriptor/testdata/agent-card-0.3.json")
	if err != nil {
		t.Fatal(err)
	}
	skill, err := os.ReadFile("../descriptor/testdata/SKILL.md")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/agent-card.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(card)
	})
	mux.HandleFunc("/SKILL.md", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/markdown")
		w.Write(skill)
	})
	source := httptest.NewServer(mux)
	defer source.Close()
	ts := startServerWith(t, func(c *server.Config) { c.AllowPrivateURLs = true })
	reg := ts.createRegistry(t, "agents", true)
	for _, tt := range []struct {
		typ types.DescriptorType
		url string
	}{{types.DescriptorTypeA2a, source.URL}, {types.DescriptorTypeAgentSkills, source.URL + "/SKILL.md"}} {
		out, err := ts.Client.CreateRegistryRecord(context.Background(), &ctl.CreateRegistryRecordInput{
			RegistryId: aws.String(reg), Name: aws.String(string(tt.typ)), DescriptorType: tt.typ,
			SynchronizationType: types.SynchronizationTypeUrl, SynchronizationConfiguration: syncConfig(tt.url)})
		if err != nil {
			t.Fatal(err)
		}
		got := ts.waitSettled(t, reg, recordID(aws.ToString(out.RecordArn)))
		switch {
		case got.Status != types.RegistryRecordStatusDraft:
			t.Errorf("%s: %s %q", tt.typ, got.Status, aws.ToString(got.StatusReason))
		case tt.typ == types.DescriptorTypeA2a && aws.ToString(got.Descriptors.A2a.AgentCard.InlineContent) != string(card):
			t.Errorf("agent card not stored as served")
		case tt.typ == types.DescriptorTypeAgentSkills && aws.ToString(got.Descriptors.AgentSkills.SkillMd.InlineContent) != string(skill):
			t.Errorf("SKILL.md not stored as served")
		}
	}
}

// TestSyncOnceAcrossReplicas: two replicas on one PostgreSQL database
// run each job once: each source is initialized (or, by a stateless
// server, discovered) once.
func TestSyncOnceAcrossReplicas(t *testing.T) {
	if os.Getenv("AGENTRY_TEST_STORE") != "postgres" {
		t.Skip("needs AGENTRY_TEST_STORE=postgres")
	}
	s := mcp.NewServer(&mcp.Implementation{Name: "io.example/replicas", Version: "1.0.0"}, &mcp.ServerOptions{Instructions: "Replicated."})
	addTool(s, "ping", "Answers pong.")
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, &mcp.StreamableHTTPOptions{Stateless: true})
	var mu sync.Mutex
	inits := map[string]int{}
	source := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var msg struct{ Method string }
		if json.Unmarshal(body, &msg) == nil && (msg.Method == "initialize" || msg.Method == "server/discover") {
			mu.Lock()
			inits[r.URL.Path]++
			mu.Unlock()
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	}))
	defer source.Close()

	a := startServerWith(t, func(c *server.Config) { c.AllowPrivateURLs = true; c.SyncConcurrency = 2 })
	b := startServerWith(t, func(c *server.Config) {
		c.AllowPrivateURLs = true
		c.SyncConcurrency = 2
		c.DatabaseURL = a.cfg.DatabaseURL
	})
	reg := a.createRegistry(t, "replicated", false)
	const n = 30
	ids := make([]string, n)
	for i := range n {
		client := a.Client
		if i%2 == 1 {
			client = b.Client
		}
		out, err := client.CreateRegistryRecord(context.Background(), &ctl.CreateRegistryRecordInput{
			RegistryId: aws.String(reg), Name: aws.String(fmt.Sprint("r", i)), DescriptorType: types.DescriptorTypeMcp,
			SynchronizationType: types.SynchronizationTypeUrl, SynchronizationConfiguration: syncConfig(fmt.Sprintf("%s/mcp/%d", source.URL, i))})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = recordID(aws.ToString(out.RecordArn))
	}
	for _, id := range ids {
		if got := a.waitSettled(t, reg, id); got.Status != types.RegistryRecordStatusDraft {
			t.Fatalf("%s: %s %q", id, got.Status, aws.ToString(got.StatusReason))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("initializations by path: %v", inits)
	for i := range n {
		if c := inits[fmt.Sprintf("/mcp/%d", i)]; c != 1 {
			t.Errorf("record %d: its source was initialized %d times, want once", i, c)
		}
	}
}

// TestSyncCredentialConfigRoundTrip: the credential provider union the SDK
// sends is stored and read back as sent, and an ARN the server's file
// lacks fails the synchronization saying so.
func TestSyncCredentialConfigRoundTrip(t *testing.T) {
	ts := startServerWith(t, func(c *server.Config) { c.AllowPrivateURLs = true })
	reg := ts.createRegistry(t, "creds", false)
	const arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/oauth2credentialprovider/x"
	cfg := syncConfig("http://127.0.0.1:1/mcp")
	cfg.FromUrl.CredentialProviderConfigurations = []types.RegistryRecordCredentialProviderConfiguration{{
		CredentialProviderType: types.RegistryRecordCredentialProviderTypeOauth,
		CredentialProvider: &types.RegistryRecordCredentialProviderUnionMemberOauthCredentialProvider{Value: types.RegistryRecordOAuthCredentialProvider{
			ProviderArn: aws.String(arn), GrantType: types.RegistryRecordOAuthGrantTypeClientCredentials,
			Scopes: []string{"read"}, CustomParameters: map[string]string{"audience": "x"}}},
	}}
	out, err := ts.Client.CreateRegistryRecord(context.Background(), &ctl.CreateRegistryRecordInput{
		RegistryId: aws.String(reg), Name: aws.String("oauth"), DescriptorType: types.DescriptorTypeMcp,
		SynchronizationType: types.SynchronizationTypeUrl, SynchronizationConfiguration: cfg})
	if err != nil {
		t.Fatal(err)
	}
	got := ts.waitSettled(t, reg, recordID(aws.ToString(out.RecordArn)))
	if got.Status != types.RegistryRecordStatusCreateFailed || !strings.Contains(aws.ToString(got.StatusReason), "no credential-provider file") {
		t.Errorf("status %s %q, want CREATE_FAILED saying the server has no credential-provider file", got.Status, aws.ToString(got.StatusReason))
	}
	cps := got.SynchronizationConfiguration.FromUrl.CredentialProviderConfigurations
	if len(cps) != 1 || cps[0].CredentialProviderType != types.RegistryRecordCredentialProviderTypeOauth {
		t.Fatalf("credential providers read back: %+v", cps)
	}
	o, ok := cps[0].CredentialProvider.(*types.RegistryRecordCredentialProviderUnionMemberOauthCredentialProvider)
	if !ok || aws.ToString(o.Value.ProviderArn) != arn || o.Value.GrantType != types.RegistryRecordOAuthGrantTypeClientCredentials ||
		len(o.Value.Scopes) != 1 || o.Value.CustomParameters["audience"] != "x" {
		t.Fatalf("OAuth provider read back: %#v", cps[0].CredentialProvider)
	}
}
