package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/agentry/agentry/server"
)

// scrape reads /metrics, signed with the root key, and parses it with the
// Prometheus text parser.
func (ts *testServer) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	a := ts.sendRaw(t, "GET", "/metrics", "", "")
	if a.status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", a.status, a.body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(a.body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// value is the value of the counter, gauge or histogram count of family
// whose labels include labels (name, value pairs); 0 when none.
func value(families map[string]*dto.MetricFamily, family string, labels ...string) float64 {
	f := families[family]
	if f == nil {
		return 0
	}
	var sum float64
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

// TestMetrics: /metrics parses as the Prometheus text format and its
// counters move with the calls made: requests by operation, status and
// error, searches and their results, MCP calls by method and tool, IAM and
// SigV4 refusals, the index and the change feed.
func TestMetrics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iam.json")
	writeIAMFile(t, path, "placeholder0", "127.0.0.0/8")
	ts := startServerWith(t, func(c *server.Config) { c.IAMFile = path })
	ctx := context.Background()
	before := ts.scrape(t)
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "agentry_index_records"} {
		if before[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}

	reg := seedCatalog(t, ts) // one CreateRegistry, several records
	ts.Client.GetRegistry(ctx, &ctl.GetRegistryInput{RegistryId: aws.String("nonexistent0")})
	consumer := ts.clientWith("AKIACONSUMER00000001", "consumer-secret-0001")
	if _, err := consumer.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("nope")}); err == nil {
		t.Fatal("the consumer created a registry")
	}
	curator := ts.clientWith("AKIACURATOR000000001", "curator-secret-00001")
	if _, err := curator.DeleteRegistry(ctx, &ctl.DeleteRegistryInput{RegistryId: aws.String(reg)}); err == nil {
		t.Fatal("the curator deleted a registry")
	}
	ts.clientWith("AKIAUNKNOWN000000001", "whatever").ListRegistries(ctx, &ctl.ListRegistriesInput{})
	data := ts.dataClient(ts.Key.AccessKeyID, ts.Key.SecretAccessKey)
	if _, err := data.SearchRegistryRecords(ctx, &bedrockagentcore.SearchRegistryRecordsInput{
		RegistryIds: []string{reg}, SearchQuery: aws.String("weather")}); err != nil {
		t.Fatal(err)
	}
	mcp := ts.sendRaw(t, "POST", "/registry/"+reg+"/mcp",
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_registry_records","arguments":{"searchQuery":"weather"}}}`,
		"", "Accept", "application/json, text/event-stream")
	if mcp.status != http.StatusOK {
		t.Fatalf("MCP call: %d %s", mcp.status, mcp.body)
	}

	after := ts.scrape(t)
	moved := func(name string, want float64, labels ...string) {
		t.Helper()
		if got := value(after, name, labels...) - value(before, name, labels...); got != want {
			t.Errorf("%s%v moved by %v, want %v", name, labels, got, want)
		}
	}
	moved("agentry_http_requests_total", 1, "operation", "CreateRegistry", "code", "202", "error", "")
	moved("agentry_http_requests_total", 1, "operation", "GetRegistry", "code", "404", "error", "ResourceNotFoundException")
	moved("agentry_http_requests_total", 1, "operation", "CreateRegistry", "code", "403", "error", "AccessDeniedException")
	moved("agentry_http_requests_total", 1, "operation", "ListRegistries", "code", "403", "error", "UnrecognizedClientException")
	moved("agentry_http_requests_total", 1, "operation", "SearchRegistryRecords", "code", "200")
	moved("agentry_http_request_duration_seconds", 1, "operation", "SearchRegistryRecords")
	moved("agentry_auth_refusals_total", 1, "reason", "iam_implicit_deny")
	moved("agentry_auth_refusals_total", 1, "reason", "iam_explicit_deny")
	moved("agentry_auth_refusals_total", 1, "reason", "UnrecognizedClientException")
	moved("agentry_search_duration_seconds", 2) // REST and MCP
	moved("agentry_mcp_requests_total", 1, "method", "tools/call", "tool", "search_registry_records")
	if got := value(after, "agentry_index_records"); got < 2 {
		t.Errorf("agentry_index_records = %v, want the catalog's approved records", got)
	}
	if got := value(after, "agentry_change_feed_lag_entries"); got != 0 {
		t.Errorf("agentry_change_feed_lag_entries = %v after writes returned, want 0", got)
	}
	if f := after["agentry_search_results"]; f == nil || f.Metric[0].Histogram.GetSampleSum() < 2 {
		t.Errorf("agentry_search_results recorded no hits: %v", f)
	}
	// No record ids, registry ids or principals as labels.
	for name, f := range after {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if v := l.GetValue(); bytes.Contains([]byte(v), []byte(reg)) || bytes.Contains([]byte(v), []byte("arn:")) {
					t.Errorf("%s has the label %s=%q", name, l.GetName(), v)
				}
			}
		}
	}
}

// TestMetricsAccess: on the API listener /metrics needs agentry:GetMetrics
// (the consumer has only bedrock-agentcore actions); on --metrics-listen it
// is open, and the API listener no longer serves it.
func TestMetricsAccess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iam.json")
	writeIAMFile(t, path, "placeholder0", "127.0.0.0/8")
	ts := startServerWith(t, func(c *server.Config) { c.IAMFile = path })
	consumer := *ts
	consumer.Key.AccessKeyID, consumer.Key.SecretAccessKey = "AKIACONSUMER00000001", "consumer-secret-0001"
	if a := consumer.sendRaw(t, "GET", "/metrics", "", ""); a.status != http.StatusForbidden {
		t.Errorf("consumer GET /metrics: %d, want 403", a.status)
	}
	unsigned, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	unsigned.Body.Close()
	if unsigned.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned GET /metrics: %d, want 403", unsigned.StatusCode)
	}

	// A principal allowed only agentry's own actions reads metrics and
	// the audit trail.
	monitorFile := filepath.Join(t.TempDir(), "monitor.json")
	os.WriteFile(monitorFile, []byte(`{"principals": [{"name": "monitor",
	  "accessKeys": [{"accessKeyId": "AKIAMONITOR000000001", "secretAccessKey": "monitor-secret-00001"}],
	  "policies": [{"Version": "2012-10-17", "Statement": [
	    {"Effect": "Allow", "Action": ["agentry:GetMetrics", "agentry:ListAuditEvents"], "Resource": "*"}]}]}]}`), 0o600)
	mon := startServerWith(t, func(c *server.Config) { c.IAMFile = monitorFile })
	mon.Key.AccessKeyID, mon.Key.SecretAccessKey = "AKIAMONITOR000000001", "monitor-secret-00001"
	for _, path := range []string{"/metrics", "/audit-events"} {
		if a := mon.sendRaw(t, "GET", path, "", ""); a.status != http.StatusOK {
			t.Errorf("monitor GET %s: %d %s", path, a.status, a.body)
		}
	}
	if a := mon.sendRaw(t, "GET", "/registries", "", ""); a.status != http.StatusForbidden {
		t.Errorf("monitor ListRegistries: %d, want 403", a.status)
	}

	sep := startServerWith(t, func(c *server.Config) { c.MetricsListen = "127.0.0.1:0" })
	if a := sep.sendRaw(t, "GET", "/metrics", "", ""); a.status != http.StatusNotFound {
		t.Errorf("GET /metrics on the API listener with --metrics-listen: %d, want 404", a.status)
	}
	open := httptest.NewServer(sep.srv.MetricsHandler())
	defer open.Close()
	resp, err := http.Get(open.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("unsigned GET /metrics on the metrics listener: %d, want 200", resp.StatusCode)
	}
}

// TestMetricsJWT: JWKS and discovery fetches are counted, and so are
// bearer token refusals by reason.
func TestMetricsJWT(t *testing.T) {
	m, mint := startOIDC(t)
	ts := startServerWith(t, func(c *server.Config) { c.AllowPrivateURLs = true })
	ctx := context.Background()
	before := ts.scrape(t)
	out := must[*ctl.CreateRegistryOutput](t)(ts.Client.CreateRegistry(ctx, &ctl.CreateRegistryInput{
		Name: aws.String("jwt"), AuthorizerType: types.RegistryAuthorizerTypeCustomJwt,
		AuthorizerConfiguration: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
			DiscoveryUrl: aws.String(m.DiscoveryEndpoint()), AllowedAudience: []string{"agentry"},
		}},
	}))
	reg := aws.ToString(out.RegistryArn)[strings.LastIndex(aws.ToString(out.RegistryArn), "/")+1:]
	search := func(token string) int {
		req, _ := http.NewRequest("POST", ts.URL+"/registry-records/search",
			strings.NewReader(`{"searchQuery": "forecast", "registryIds": ["`+reg+`"]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := search(mint(map[string]any{"aud": "agentry"})); code != http.StatusOK {
		t.Fatalf("search with a good token: %d", code)
	}
	if code := search(mint(map[string]any{"aud": "someone-else"})); code != http.StatusUnauthorized {
		t.Fatalf("search with a token for another audience: %d", code)
	}
	after := ts.scrape(t)
	if got := value(after, "agentry_jwt_fetches_total", "outcome", "ok") - value(before, "agentry_jwt_fetches_total", "outcome", "ok"); got < 2 {
		t.Errorf("agentry_jwt_fetches_total{outcome=ok} moved by %v, want the discovery document and the JWKS", got)
	}
	if got := value(after, "agentry_auth_refusals_total", "reason", "UnauthorizedException"); got != 1 {
		t.Errorf("agentry_auth_refusals_total{reason=UnauthorizedException} = %v, want 1", got)
	}
}

// TestSearchLegMetrics: each leg of a hybrid search (the query embedding,
// the lexical and semantic legs, their fusion) reports its latency and
// result count, labelled by leg only.
func TestSearchLegMetrics(t *testing.T) {
	ts := startServerWith(t, func(c *server.Config) { c.BuiltinModel = true })
	ctx := context.Background()
	reg := seedCatalog(t, ts)
	data := ts.dataClient(ts.Key.AccessKeyID, ts.Key.SecretAccessKey)
	search := func() {
		t.Helper()
		if _, err := data.SearchRegistryRecords(ctx, &bedrockagentcore.SearchRegistryRecordsInput{
			RegistryIds: []string{reg}, SearchQuery: aws.String("weather forecast")}); err != nil {
			t.Fatal(err)
		}
	}
	// Vectors are computed in the background: until they are, searches
	// are lexical only.
	for deadline := time.Now().Add(10 * time.Second); value(ts.scrape(t), "agentry_search_leg_duration_seconds", "leg", "fusion") == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no search was hybrid within 10 s")
		}
		search()
	}

	before := ts.scrape(t)
	search()
	search()
	after := ts.scrape(t)
	for _, leg := range []string{"query_embedding", "lexical", "semantic", "fusion"} {
		for _, name := range []string{"agentry_search_leg_duration_seconds", "agentry_search_leg_results"} {
			if got := value(after, name, "leg", leg) - value(before, name, "leg", leg); got != 2 {
				t.Errorf("%s{leg=%q} moved by %v, want 2", name, leg, got)
			}
		}
	}
	sum := func(families map[string]*dto.MetricFamily, leg string) float64 {
		for _, m := range families["agentry_search_leg_results"].GetMetric() {
			if m.GetLabel()[0].GetValue() == leg {
				return m.GetHistogram().GetSampleSum()
			}
		}
		return 0
	}
	for _, leg := range []string{"lexical", "semantic", "fusion"} {
		if got := sum(after, leg) - sum(before, leg); got < 2 {
			t.Errorf("%s leg: %v results over two searches, want the weather records", leg, got)
		}
	}
	if got := sum(after, "query_embedding") - sum(before, "query_embedding"); got != 2 {
		t.Errorf("query_embedding: %v, want 2 (one embedded query each)", got)
	}
	for _, f := range []string{"agentry_search_leg_duration_seconds", "agentry_search_leg_results"} {
		if n := len(after[f].GetMetric()); n != 4 {
			t.Errorf("%s has %d series, want one per leg (4)", f, n)
		}
	}
}
