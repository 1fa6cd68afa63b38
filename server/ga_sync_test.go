package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentry/agentry/internal/awstest"
	"github.com/agentry/agentry/server"
)

// gaWaitSettled polls the GA GetRegistryRecord until the record is
// neither CREATING nor UPDATING, and returns it.
func gaWaitSettled(t *testing.T, c *awstest.GA, path string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := gaCall(t, c, "GET", path, nil, 200, "")
		if st := got["status"]; st != "CREATING" && st != "UPDATING" {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("record %s still %v", path, got["status"])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func descriptorsOf(rec map[string]any) string {
	d, _ := json.Marshal(rec["descriptors"])
	return string(d)
}

// TestGASyncFromSource: a GA descriptor source without inline content is
// a URL synchronization (CREATING -> DRAFT | CREATE_FAILED), and
// triggerSynchronization fetches it again (UPDATING -> DRAFT), over HTTP
// with SigV4 agent-registry against a live go-sdk MCP server.
func TestGASyncFromSource(t *testing.T) {
	mcpServer := mcp.NewServer(&mcp.Implementation{Name: "io.example/weather", Version: "1.0.0"},
		&mcp.ServerOptions{Instructions: "Weather forecasts for any city."})
	addTool(mcpServer, "get_forecast", "Tells the weather forecast for a city.")
	card, err := os.ReadFile("../descriptor/testdata/agent-card-0.3.json")
	if err != nil {
		t.Fatal(err)
	}
	skill, err := os.ReadFile("../descriptor/testdata/SKILL.md")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return mcpServer }, nil))
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
	c := ts.gaClient()
	reg := gaRegistry(t, c, "synced")
	base := "/registries/" + reg + "/records"
	fromURL := func(u string) map[string]any { return map[string]any{"fromUrl": map[string]any{"url": u}} }

	// MCP: server and tools from one MCP URL.
	out := gaCall(t, c, "POST", base, map[string]any{"name": "weather", "recordType": "MCP",
		"descriptors": map[string]any{"mcpServer": map[string]any{"source": fromURL(source.URL + "/mcp")}}}, 202, "")
	if out["status"] != "CREATING" {
		t.Fatalf("CreateRegistryRecord with a source answered %v, want CREATING", out)
	}
	path := base + "/" + idOf(str(out["recordArn"]))
	got := gaWaitSettled(t, c, path)
	d := descriptorsOf(got)
	if got["status"] != "DRAFT" || got["recordVersion"] != "1.0.0" || !strings.Contains(d, `io.example/weather`) ||
		!strings.Contains(d, `get_forecast`) || !strings.Contains(d, `"source":{"fromUrl":{"url":"`+source.URL+`/mcp"}}`) {
		t.Fatalf("after the synchronization: %v %v %s", got["status"], got["statusReason"], d)
	}
	// The preview sees the same record as synchronized.
	pv, err := ts.Client.GetRegistryRecord(context.Background(), &ctl.GetRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String(idOf(str(out["recordArn"])))})
	if err != nil {
		t.Fatal(err)
	}
	if pv.SynchronizationType != types.SynchronizationTypeUrl || aws.ToString(pv.SynchronizationConfiguration.FromUrl.Url) != source.URL+"/mcp" {
		t.Fatalf("preview view: %s %+v", pv.SynchronizationType, pv.SynchronizationConfiguration)
	}

	// The source changed: triggerSynchronization makes a new revision.
	addTool(mcpServer, "get_alerts", "Lists the weather alerts of a city.")
	upd := gaCall(t, c, "PATCH", path, map[string]any{"triggerSynchronization": true}, 202, "")
	if upd["status"] != "UPDATING" {
		t.Fatalf("triggerSynchronization answered %v, want UPDATING", upd["status"])
	}
	if got = gaWaitSettled(t, c, path); got["status"] != "DRAFT" || !strings.Contains(descriptorsOf(got), "get_alerts") {
		t.Fatalf("after triggerSynchronization: %v %v %s", got["status"], got["statusReason"], descriptorsOf(got))
	}

	// A new source on the descriptor of a synchronized record replaces its
	// source and synchronizes from it.
	other := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server {
		s := mcp.NewServer(&mcp.Implementation{Name: "io.example/tides", Version: "2.0.0"}, nil)
		addTool(s, "get_tides", "Tells the tides of a harbour.")
		return s
	}, nil))
	defer other.Close()
	upd = gaCall(t, c, "PATCH", path, map[string]any{"descriptors": map[string]any{"optionalValue": map[string]any{"mcpServer": map[string]any{
		"optionalValue": map[string]any{"source": map[string]any{"optionalValue": fromURL(other.URL)}}}}}}, 202, "")
	if upd["status"] != "UPDATING" {
		t.Fatalf("a new source answered %v, want UPDATING", upd["status"])
	}
	if got = gaWaitSettled(t, c, path); got["status"] != "DRAFT" || !strings.Contains(descriptorsOf(got), "get_tides") ||
		!strings.Contains(descriptorsOf(got), `"url":"`+other.URL+`"`) || strings.Contains(descriptorsOf(got), source.URL) {
		t.Fatalf("after a new source: %v %v %s", got["status"], got["statusReason"], descriptorsOf(got))
	}

	// A2A card and SKILL.md.
	for _, tt := range []struct{ typ, member, url, want string }{
		{"AGENT", "a2aAgentCard", source.URL, `Recipe Agent`},
		{"SKILL", "agentSkillsDefinition", source.URL + "/SKILL.md", "---"},
	} {
		desc := map[string]any{tt.member: map[string]any{"source": fromURL(tt.url)}}
		if tt.typ == "SKILL" {
			desc = map[string]any{tt.member: map[string]any{"additionalData": map[string]any{"skillMd": map[string]any{"source": fromURL(tt.url)}}}}
		}
		out := gaCall(t, c, "POST", base, map[string]any{"name": strings.ToLower(tt.typ), "recordType": tt.typ, "descriptors": desc}, 202, "")
		got := gaWaitSettled(t, c, base+"/"+idOf(str(out["recordArn"])))
		if d := descriptorsOf(got); out["status"] != "CREATING" || got["status"] != "DRAFT" || !strings.Contains(d, tt.want) || !strings.Contains(d, `"url":"`+tt.url+`"`) {
			t.Errorf("%s: created %v, then %v %v %s", tt.typ, out["status"], got["status"], got["statusReason"], d)
		}
	}

	// A source that fails: CREATE_FAILED, and the reason says why.
	out = gaCall(t, c, "POST", base, map[string]any{"name": "missing", "recordType": "AGENT",
		"descriptors": map[string]any{"a2aAgentCard": map[string]any{"source": fromURL(source.URL + "/missing.json")}}}, 202, "")
	if got := gaWaitSettled(t, c, base+"/"+idOf(str(out["recordArn"]))); got["status"] != "CREATE_FAILED" ||
		!strings.Contains(str(got["statusReason"]), "Synchronization from "+source.URL+"/missing.json failed") {
		t.Fatalf("failed source: %v %v", got["status"], got["statusReason"])
	}

	// Inline content beside a source: the content is the record's until a
	// synchronization is triggered, which fetches it from the source (a
	// stored source is https, as the model says; this test server's
	// certificate is one agentry does not trust, so the fetch fails and the
	// inline content stays).
	tlsSource := httptest.NewTLSServer(mux)
	defer tlsSource.Close()
	out = gaCall(t, c, "POST", base, map[string]any{"name": "inline", "recordType": "MCP",
		"descriptors": map[string]any{"mcpServer": map[string]any{"data": gaServerJSON, "source": fromURL(tlsSource.URL + "/mcp")}}}, 202, "")
	if out["status"] != "DRAFT" {
		t.Fatalf("create with data and source answered %v, want DRAFT", out["status"])
	}
	path = base + "/" + idOf(str(out["recordArn"]))
	if upd := gaCall(t, c, "PATCH", path, map[string]any{"triggerSynchronization": true}, 202, ""); upd["status"] != "UPDATING" {
		t.Fatalf("triggerSynchronization answered %v, want UPDATING", upd["status"])
	}
	if got = gaWaitSettled(t, c, path); got["status"] != "UPDATE_FAILED" || !strings.Contains(descriptorsOf(got), "Weather forecasts") ||
		!strings.Contains(str(got["statusReason"]), "Synchronization from "+tlsSource.URL+"/mcp failed") {
		t.Fatalf("after triggerSynchronization of an inline record: %v %v %s", got["status"], got["statusReason"], descriptorsOf(got))
	}

	// The URL policy applies to a GA source as to a preview one.
	strict := startServer(t)
	sc := strict.gaClient()
	sreg := gaRegistry(t, sc, "strict")
	wantField(t, gaCall(t, sc, "POST", "/registries/"+sreg+"/records", map[string]any{"name": "local", "recordType": "MCP",
		"descriptors": map[string]any{"mcpServer": map[string]any{"source": fromURL("https://127.0.0.1/mcp")}}}, 400, "ValidationException"),
		"descriptors.mcpServer.source.fromUrl.url")
}

// TestGAEventsAndSyncEvents: changes made through the GA API send events
// with source aws.agent-registry and GA ARNs (its detail-type "Registry
// Ready" for a new registry); preview changes keep aws.bedrock-agentcore;
// and a synchronization job sends the event of the state it moves a
// record to, as the API that started it.
func TestGAEventsAndSyncEvents(t *testing.T) {
	mcpServer := mcp.NewServer(&mcp.Implementation{Name: "io.example/weather", Version: "1.0.0"}, nil)
	addTool(mcpServer, "get_forecast", "Tells the weather forecast for a city.")
	source := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return mcpServer }, nil))
	defer source.Close()
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	rc := newReceiver(t)
	ts := startWithWebhook(t, rc, func(*server.Config) {})
	c := ts.gaClient()
	reg := gaRegistry(t, c, "ga-events")
	base := "/registries/" + reg + "/records"
	fromURL := func(u string) map[string]any { return map[string]any{"fromUrl": map[string]any{"url": u}} }

	// Through GA: a synchronized record (CREATING -> DRAFT, sent by the
	// job), submitted; then a failing synchronization.
	out := gaCall(t, c, "POST", base, map[string]any{"name": "weather", "recordType": "MCP",
		"descriptors": map[string]any{"mcpServer": map[string]any{"source": fromURL(source.URL + "/mcp")}}}, 202, "")
	rec := idOf(str(out["recordArn"]))
	gaWaitSettled(t, c, base+"/"+rec)
	gaCall(t, c, "POST", base+"/"+rec+"/submit-for-approval", nil, 202, "")
	failing := idOf(str(gaCall(t, c, "POST", base, map[string]any{"name": "gone", "recordType": "MCP",
		"descriptors": map[string]any{"mcpServer": map[string]any{"source": fromURL(missing.URL + "/mcp")}}}, 202, "")["recordArn"]))
	gaWaitSettled(t, c, base+"/"+failing)
	// Through the preview: the same record approved.
	ts.setStatus(t, reg, rec, types.RegistryRecordStatusApproved)

	gaReg := "arn:aws:agent-registry:us-east-1:123456789012:registry/" + reg
	pvReg := "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/" + reg
	want := []struct{ detailType, previous, status, source, resource string }{
		{"Registry Ready", "CREATING", "READY", "aws.agent-registry", gaReg},
		{"Registry Record State changed to Draft", "CREATING", "DRAFT", "aws.agent-registry", gaReg + "/record/" + rec},
		{"Registry Record State changed to Pending Approval", "DRAFT", "PENDING_APPROVAL", "aws.agent-registry", gaReg + "/record/" + rec},
		{"Registry Record State changed to Create Failed", "CREATING", "CREATE_FAILED", "aws.agent-registry", gaReg + "/record/" + failing},
		{"Registry Record State changed to Approved", "PENDING_APPROVAL", "APPROVED", "aws.bedrock-agentcore", pvReg + "/record/" + rec},
	}
	rc.waitFor(t, len(want), 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	got := rc.got()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		e := got[i]
		var d struct {
			eventDetail
			RegistryArn string `json:"registryArn"`
			RecordArn   string `json:"recordArn"`
		}
		json.Unmarshal(e.Detail, &d)
		if e.DetailType != w.detailType || d.PreviousStatus != w.previous || d.Status != w.status || e.Source != w.source ||
			len(e.Resources) != 1 || e.Resources[0] != w.resource || !strings.HasPrefix(w.resource, d.RegistryArn) ||
			(d.RecordArn != "" && d.RecordArn != w.resource) {
			t.Errorf("event %d: %q %s -> %s from %s on %v, detail %s; want %+v", i, e.DetailType, d.PreviousStatus, d.Status, e.Source, e.Resources, e.Detail, w)
		}
	}
}
