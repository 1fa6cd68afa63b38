package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	apiv0 "github.com/modelcontextprotocol/registry/pkg/api/v0"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/agentry/agentry/internal/awstest"
	"github.com/agentry/agentry/server"
)

// The MCP Registry v0.1 API, read as its clients read it: every answer is
// decoded strictly into the official registry's own types (pkg/api/v0),
// and every server document is validated against the official server.json
// schema of the same module.

// officialSchema compiles the server.json schema of the official registry
// module this repository's go.mod names.
var officialSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/modelcontextprotocol/registry").Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	path := filepath.Join(strings.TrimSpace(string(out)), "docs", "reference", "server-json", "draft", "server.schema.json")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("server.schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("server.schema.json")
})

var v01Client = awstest.HTTPClient()

// v01Get sends a GET signed with key (unsigned when key is nil) and
// returns the status, headers and body.
func v01Get(t testing.TB, rawURL string, key *aws.Credentials, header http.Header) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if key != nil {
		sum := sha256.Sum256(nil)
		if err := v4.NewSigner().SignHTTP(context.Background(), *key, req, hex.EncodeToString(sum[:]), "bedrock-agentcore", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := v01Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

// decodeStrict decodes an answer into an official type, refusing members
// the type does not know, and validates every server document in it.
func decodeStrict[T any](t testing.TB, body []byte) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %T: %v\n%s", v, err, body)
	}
	schema, err := officialSchema()
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Server  json.RawMessage   `json:"server"`
		Servers []json.RawMessage `json:"servers"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	docs := raw.Servers
	if raw.Server != nil {
		docs = []json.RawMessage{body}
	}
	for _, d := range docs {
		var item struct{ Server json.RawMessage }
		json.Unmarshal(d, &item)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(item.Server))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("server document does not validate against the official schema: %v\n%s", err, item.Server)
		}
	}
	return v
}

type v01Fixture struct {
	ts  *testServer
	reg string
	key aws.Credentials
}

func (f *v01Fixture) url(path string, query ...string) string {
	u := f.ts.URL + "/registry/" + f.reg + "/v0.1" + path
	if len(query) > 0 {
		u += "?" + strings.Join(query, "&")
	}
	return u
}

// publishMCP creates an MCP record with a server.json and submits it
// (approved at once in an autoApproval registry); it returns the id.
func publishMCP(t testing.TB, c *ctl.Client, reg, name, doc string) string {
	t.Helper()
	ctx := context.Background()
	out := must[*ctl.CreateRegistryRecordOutput](t)(c.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
		RegistryId: aws.String(reg), Name: aws.String(name), DescriptorType: types.DescriptorTypeMcp,
		Descriptors: mcpDescriptors(doc)}))
	arn := aws.ToString(out.RecordArn)
	id := arn[strings.LastIndex(arn, "/")+1:]
	must[*ctl.SubmitRegistryRecordForApprovalOutput](t)(c.SubmitRegistryRecordForApproval(ctx,
		&ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(reg), RecordId: aws.String(id)}))
	return id
}

func serverDoc(name, version, description string) string {
	b, _ := json.Marshal(map[string]any{
		"$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
		"name":    name, "description": description, "version": version,
		"packages": []any{map[string]any{"registryType": "npm", "identifier": "@example/" + strings.ReplaceAll(name, "/", "-"),
			"version": version, "transport": map[string]string{"type": "stdio"}}},
	})
	return string(b)
}

func TestMCPRegistryAPI(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := ts.createRegistry(t, "ide-catalog", true)
	f := &v01Fixture{ts: ts, reg: reg, key: aws.Credentials{AccessKeyID: ts.Key.AccessKeyID, SecretAccessKey: ts.Key.SecretAccessKey}}
	c := ts.Client

	w1 := publishMCP(t, c, reg, "weather-1", serverDoc("io.example/weather", "1.0.0", "Weather forecasts"))
	w2 := publishMCP(t, c, reg, "weather-2", serverDoc("io.example/weather", "1.10.0", "Weather forecasts and alerts"))
	// No "$schema": served with one.
	publishMCP(t, c, reg, "git", `{"name": "io.example/git", "description": "Git repositories", "version": "2.0.0"}`)
	old := publishMCP(t, c, reg, "legacy", serverDoc("io.example/legacy", "0.9.0", "Old tool"))
	must[*ctl.UpdateRegistryRecordStatusOutput](t)(c.UpdateRegistryRecordStatus(ctx, &ctl.UpdateRegistryRecordStatusInput{
		RegistryId: aws.String(reg), RecordId: aws.String(old), Status: types.RegistryRecordStatusDeprecated,
		StatusReason: aws.String("use io.example/git")}))
	// Not served: a draft never approved, and an A2A record.
	must[*ctl.CreateRegistryRecordOutput](t)(c.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
		RegistryId: aws.String(reg), Name: aws.String("draft"), DescriptorType: types.DescriptorTypeMcp,
		Descriptors: mcpDescriptors(serverDoc("io.example/draft", "1.0.0", "Not yet"))}))

	status, hdr, body := v01Get(t, f.url("/servers"), &f.key, nil)
	if status != http.StatusOK {
		t.Fatalf("list: %d %s", status, body)
	}
	if hdr.Get("Access-Control-Allow-Origin") != "*" || hdr.Get("ETag") == "" {
		t.Errorf("headers: %v", hdr)
	}
	list := decodeStrict[apiv0.ServerListResponse](t, body)
	var got []string
	for _, s := range list.Servers {
		m := s.Meta.Official
		if m == nil || m.PublishedAt.IsZero() || m.UpdatedAt.IsZero() {
			t.Fatalf("meta of %s: %+v", s.Server.Name, m)
		}
		got = append(got, fmt.Sprintf("%s@%s %s latest=%v", s.Server.Name, s.Server.Version, m.Status, m.IsLatest))
		if s.Server.Schema == "" {
			t.Errorf("%s has no $schema", s.Server.Name)
		}
	}
	want := []string{
		"io.example/git@2.0.0 active latest=true",
		"io.example/legacy@0.9.0 deprecated latest=true",
		"io.example/weather@1.0.0 active latest=false",
		"io.example/weather@1.10.0 active latest=true",
	}
	if !slices.Equal(got, want) || list.Metadata.Count != 4 || list.Metadata.NextCursor != "" {
		t.Fatalf("servers = %q, metadata %+v", got, list.Metadata)
	}

	// If-None-Match: 304 until something changes.
	status, _, _ = v01Get(t, f.url("/servers"), &f.key, http.Header{"If-None-Match": {hdr.Get("ETag")}})
	if status != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", status)
	}

	// version=latest, an exact version, and paging.
	_, _, body = v01Get(t, f.url("/servers", "version=latest"), &f.key, nil)
	if n := decodeStrict[apiv0.ServerListResponse](t, body).Metadata.Count; n != 3 {
		t.Errorf("version=latest: %d servers", n)
	}
	_, _, body = v01Get(t, f.url("/servers", "version=1.0.0"), &f.key, nil)
	if l := decodeStrict[apiv0.ServerListResponse](t, body); l.Metadata.Count != 1 || l.Servers[0].Server.Name != "io.example/weather" {
		t.Errorf("version=1.0.0: %+v", l)
	}
	var paged []string
	cursor := ""
	for range 10 {
		q := []string{"limit=1"}
		if cursor != "" {
			q = append(q, "cursor="+url.QueryEscape(cursor))
		}
		_, _, body = v01Get(t, f.url("/servers", q...), &f.key, nil)
		l := decodeStrict[apiv0.ServerListResponse](t, body)
		for _, s := range l.Servers {
			paged = append(paged, s.Server.Name+"@"+s.Server.Version)
		}
		if cursor = l.Metadata.NextCursor; cursor == "" {
			break
		}
	}
	if len(paged) != 4 || !slices.IsSorted(paged) {
		t.Errorf("paged: %q", paged)
	}

	// Search is agentry's ranked search.
	_, _, body = v01Get(t, f.url("/servers", "search=forecast+alerts"), &f.key, nil)
	if l := decodeStrict[apiv0.ServerListResponse](t, body); l.Metadata.Count == 0 || l.Servers[0].Server.Name != "io.example/weather" {
		t.Errorf("search: %s", body)
	}

	// A search pages in rank order.
	_, _, body = v01Get(t, f.url("/servers", "search=weather+forecasts", "limit=1"), &f.key, nil)
	p1 := decodeStrict[apiv0.ServerListResponse](t, body)
	if p1.Metadata.Count != 1 || p1.Metadata.NextCursor == "" {
		t.Fatalf("search page 1: %s", body)
	}
	_, _, body = v01Get(t, f.url("/servers", "search=weather+forecasts", "limit=1", "cursor="+p1.Metadata.NextCursor), &f.key, nil)
	if p2 := decodeStrict[apiv0.ServerListResponse](t, body); p2.Metadata.Count != 1 || p2.Servers[0].Server.Version == p1.Servers[0].Server.Version {
		t.Errorf("search page 2: %s", body)
	}

	// The versions of a server, and one version.
	_, _, body = v01Get(t, f.url("/servers/"+url.PathEscape("io.example/weather")+"/versions"), &f.key, nil)
	if l := decodeStrict[apiv0.ServerListResponse](t, body); l.Metadata.Count != 2 {
		t.Errorf("versions: %s", body)
	}
	status, _, body = v01Get(t, f.url("/servers/"+url.PathEscape("io.example/weather")+"/versions/latest"), &f.key, nil)
	if one := decodeStrict[apiv0.ServerResponse](t, body); status != 200 || one.Server.Version != "1.10.0" || !one.Meta.Official.IsLatest {
		t.Errorf("latest: %d %s", status, body)
	}
	status, _, body = v01Get(t, f.url("/servers/"+url.PathEscape("io.example/weather")+"/versions/1.0.0"), &f.key, nil)
	if one := decodeStrict[apiv0.ServerResponse](t, body); status != 200 || one.Meta.Official.IsLatest {
		t.Errorf("1.0.0: %d %s", status, body)
	}
	for _, path := range []string{"/servers/" + url.PathEscape("io.example/draft") + "/versions/latest",
		"/servers/" + url.PathEscape("io.example/weather") + "/versions/3.0.0", "/servers/nope/versions"} {
		if status, _, body := v01Get(t, f.url(path), &f.key, nil); status != http.StatusNotFound {
			t.Errorf("%s: %d %s", path, status, body)
		}
	}

	// Deleting a record: gone by default, "deleted" with include_deleted.
	must[*ctl.DeleteRegistryRecordOutput](t)(c.DeleteRegistryRecord(ctx, &ctl.DeleteRegistryRecordInput{
		RegistryId: aws.String(reg), RecordId: aws.String(w2)}))
	status, _, body = v01Get(t, f.url("/servers/"+url.PathEscape("io.example/weather")+"/versions/latest"), &f.key, nil)
	if one := decodeStrict[apiv0.ServerResponse](t, body); status != 200 || one.Server.Version != "1.0.0" {
		t.Errorf("latest after delete: %d %s", status, body)
	}
	_, _, body = v01Get(t, f.url("/servers", "include_deleted=true"), &f.key, nil)
	deleted := 0
	for _, s := range decodeStrict[apiv0.ServerListResponse](t, body).Servers {
		if s.Meta.Official.Status == "deleted" {
			deleted++
		}
	}
	if deleted != 1 {
		t.Errorf("include_deleted: %d deleted\n%s", deleted, body)
	}
	_ = w1

	// Bad parameters are 400s; the cursor of one kind of listing is not
	// accepted by another.
	for _, q := range []string{"limit=0", "limit=x", "updated_since=yesterday", "cursor=!!!", "include_deleted=maybe",
		"cursor=" + cursor + "x"} {
		if status, _, body := v01Get(t, f.url("/servers", q), &f.key, nil); status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", q, status, body)
		}
	}

	// Authorization: an AWS_IAM registry refuses callers without a
	// signature and with a bad one; CORS preflights need none.
	if status, _, _ := v01Get(t, f.url("/servers"), nil, nil); status != http.StatusForbidden && status != http.StatusUnauthorized {
		t.Errorf("unsigned: %d", status)
	}
	bad := aws.Credentials{AccessKeyID: ts.Key.AccessKeyID, SecretAccessKey: "wrong-secret-wrong-secret"}
	if status, _, _ := v01Get(t, f.url("/servers"), &bad, nil); status != http.StatusForbidden {
		t.Errorf("bad signature: %d", status)
	}
	req, _ := http.NewRequest("OPTIONS", f.url("/servers"), nil)
	req.Header.Set("Origin", "https://vscode.dev")
	req.Header.Set("Access-Control-Request-Method", "GET")
	resp, err := awstest.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestMCPRegistryAnonymousAndRoot: a registry opened to anonymous reads
// answers without credentials, also at the root; another still refuses.
func TestMCPRegistryAnonymousAndRoot(t *testing.T) {
	// The registry id is known only once a server runs: create it on a
	// first server, then start a second on the same data with the
	// settings.
	dir := t.TempDir()
	first := startServerWith(t, func(c *server.Config) { c.DataDir = dir })
	open := first.createRegistry(t, "open", true)
	closed := first.createRegistry(t, "closed", true)
	publishMCP(t, first.Client, open, "weather", serverDoc("io.example/weather", "1.0.0", "Weather forecasts"))
	publishMCP(t, first.Client, closed, "secret", serverDoc("io.example/secret", "1.0.0", "Secret tool"))

	ts := startServerWith(t, func(c *server.Config) {
		c.DataDir, c.Root = dir, first.Key
		c.MCPRegistryRoot, c.AnonymousRegistries = open, []string{open}
		c.DatabaseURL = first.cfg.DatabaseURL
	})
	for _, u := range []string{ts.URL + "/registry/" + open + "/v0.1/servers", ts.URL + "/v0.1/servers"} {
		status, _, body := v01Get(t, u, nil, nil)
		if status != 200 {
			t.Fatalf("%s: %d %s", u, status, body)
		}
		if l := decodeStrict[apiv0.ServerListResponse](t, body); l.Metadata.Count != 1 || l.Servers[0].Server.Name != "io.example/weather" {
			t.Errorf("%s: %s", u, body)
		}
	}
	status, _, body := v01Get(t, ts.URL+"/v0.1/servers/"+url.PathEscape("io.example/weather")+"/versions/latest", nil, nil)
	if status != 200 || decodeStrict[apiv0.ServerResponse](t, body).Server.Name != "io.example/weather" {
		t.Errorf("root get: %d %s", status, body)
	}
	if status, _, _ := v01Get(t, ts.URL+"/registry/"+closed+"/v0.1/servers", nil, nil); status != http.StatusForbidden && status != http.StatusUnauthorized {
		t.Errorf("closed registry without credentials: %d", status)
	}
}

// TestMCPRegistryPagingUnderWrites pages through a registry while others
// create and delete records in it: every record that exists throughout is
// returned exactly once, in order. Then, paging with updated_since while
// records are edited returns every change exactly once: a record edited
// after it was returned comes again, later, with its new time, and no
// (record, time) twice.
func TestMCPRegistryPagingUnderWrites(t *testing.T) {
	ts := startServer(t)
	reg := ts.createRegistry(t, "churn", true)
	key := aws.Credentials{AccessKeyID: ts.Key.AccessKeyID, SecretAccessKey: ts.Key.SecretAccessKey}
	f := &v01Fixture{ts: ts, reg: reg, key: key}
	ctx := context.Background()
	const stable = 40
	since := time.Now().UTC()
	stableIDs := map[string]bool{}
	for i := range stable {
		stableIDs[publishMCP(t, ts.Client, reg, fmt.Sprintf("s%02d", i), serverDoc(fmt.Sprintf("io.example/s%02d", i), "1.0.0", "Stable server"))] = true
	}

	writes := func(stop <-chan struct{}, write func(i int)) *sync.WaitGroup {
		var wg sync.WaitGroup
		var n atomic.Int64
		for range 2 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					write(int(n.Add(1)))
				}
			})
		}
		return &wg
	}

	// Names that sort between the stable ones: inserted and deleted while
	// the client pages.
	stop := make(chan struct{})
	wg := writes(stop, func(i int) {
		id := publishMCP(t, ts.Client, reg, fmt.Sprintf("c%d", i), serverDoc(fmt.Sprintf("io.example/s%02d-churn%d", i%stable, i), "1.0.0", "Churn"))
		if i%2 == 0 {
			ts.Client.DeleteRegistryRecord(ctx, &ctl.DeleteRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String(id)})
		}
	})
	seen := map[string]int{}
	var names []string
	cursor := ""
	for {
		q := []string{"limit=3"}
		if cursor != "" {
			q = append(q, "cursor="+cursor)
		}
		status, _, body := v01Get(t, f.url("/servers", q...), &key, nil)
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		l := decodeStrict[apiv0.ServerListResponse](t, body)
		for _, s := range l.Servers {
			seen[s.Server.Name+"@"+s.Server.Version]++
			names = append(names, s.Server.Name)
		}
		if cursor = l.Metadata.NextCursor; cursor == "" {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	for i := range stable {
		if n := seen[fmt.Sprintf("io.example/s%02d@1.0.0", i)]; n != 1 {
			t.Errorf("stable server %d returned %d times", i, n)
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s returned %d times", k, n)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("not in name order: %q", names)
	}

	// updated_since while records are edited and re-approved.
	var edits atomic.Int64
	stop = make(chan struct{})
	ids := make([]string, 0, stable)
	for id := range stableIDs {
		ids = append(ids, id)
	}
	wg = writes(stop, func(i int) {
		id := ids[i%len(ids)]
		_, err := ts.Client.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String(id),
			Description: &types.UpdatedDescription{OptionalValue: aws.String(fmt.Sprintf("edit %d", i))}})
		if err == nil {
			if _, err := ts.Client.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{
				RegistryId: aws.String(reg), RecordId: aws.String(id)}); err == nil {
				edits.Add(1)
			}
		}
	})
	type change struct{ name, updated string }
	changes := map[change]int{}
	last := map[string]string{}
	cursor = ""
	pages := 0
	for {
		q := []string{"limit=4", "updated_since=" + since.Format(time.RFC3339Nano)}
		if cursor != "" {
			q = append(q, "cursor="+cursor)
		}
		status, _, body := v01Get(t, f.url("/servers", q...), &key, nil)
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		l := decodeStrict[apiv0.ServerListResponse](t, body)
		for _, s := range l.Servers {
			u := s.Meta.Official.UpdatedAt.Format(time.RFC3339Nano)
			changes[change{s.Server.Name, u}]++
			last[s.Server.Name] = u
		}
		if pages++; pages == 4 {
			close(stop) // the rest of the pages see no more writes
			wg.Wait()
		}
		if cursor = l.Metadata.NextCursor; cursor == "" {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if pages < 4 {
		t.Fatalf("only %d pages", pages)
	}
	if edits.Load() == 0 {
		t.Fatal("no edits happened while paging")
	}
	for c, n := range changes {
		if n != 1 {
			t.Errorf("change %v returned %d times", c, n)
		}
	}
	// Every server's final state was returned.
	_, _, body := v01Get(t, f.url("/servers", "updated_since="+since.Format(time.RFC3339Nano), "limit=100"), &key, nil)
	for _, s := range decodeStrict[apiv0.ServerListResponse](t, body).Servers {
		if u := s.Meta.Official.UpdatedAt.Format(time.RFC3339Nano); last[s.Server.Name] != u {
			t.Errorf("%s: final state %s not returned while paging (last seen %s)", s.Server.Name, u, last[s.Server.Name])
		}
	}
}

// TestMCPRegistryIAM: the v0.1 API asks IAM for ListRegistryMcpServers on
// the registry: a principal allowed List* reads it, one allowed only
// record operations does not, whether the registry exists or not.
func TestMCPRegistryIAM(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iam.json")
	writeIAMFile(t, path, "placeholder0", "127.0.0.0/8")
	ts := startServerWith(t, func(c *server.Config) { c.IAMFile = path })
	team := ts.createRegistry(t, "team", true)
	writeIAMFile(t, path, team, "127.0.0.0/8")
	if err := ts.srv.ReloadIAM(); err != nil {
		t.Fatal(err)
	}
	publishMCP(t, ts.Client, team, "weather", serverDoc("io.example/weather", "1.0.0", "Weather forecasts"))
	consumer := aws.Credentials{AccessKeyID: "AKIACONSUMER00000001", SecretAccessKey: "consumer-secret-0001"}
	publisher := aws.Credentials{AccessKeyID: "AKIAPUBLISHER0000001", SecretAccessKey: "publisher-secret-0001"}
	u := ts.URL + "/registry/" + team + "/v0.1/servers"
	if status, _, body := v01Get(t, u, &consumer, nil); status != 200 || decodeStrict[apiv0.ServerListResponse](t, body).Metadata.Count != 1 {
		t.Errorf("consumer: %d %s", status, body)
	}
	status, _, body := v01Get(t, u, &publisher, nil)
	if status != http.StatusForbidden || !strings.Contains(string(body), "bedrock-agentcore:ListRegistryMcpServers") {
		t.Errorf("publisher: %d %s", status, body)
	}
	status2, _, body2 := v01Get(t, ts.URL+"/registry/AAAAAAAAAAAA/v0.1/servers", &publisher, nil)
	if status2 != status || strings.ReplaceAll(string(body2), "AAAAAAAAAAAA", team) != string(body) {
		t.Errorf("an unknown registry answers otherwise: %d %s", status2, body2)
	}
}

// TestMCPRegistryJWT: a CUSTOM_JWT registry's v0.1 API takes its bearer
// tokens, and refuses requests without one or with a wrong one.
func TestMCPRegistryJWT(t *testing.T) {
	m, mint := startOIDC(t)
	ts := startServerWith(t, func(c *server.Config) { c.AllowPrivateURLs = true })
	ctx := context.Background()
	out := must[*ctl.CreateRegistryOutput](t)(ts.Client.CreateRegistry(ctx, &ctl.CreateRegistryInput{
		Name: aws.String("jwt-catalog"), AuthorizerType: types.RegistryAuthorizerTypeCustomJwt,
		ApprovalConfiguration: &types.ApprovalConfiguration{AutoApproval: true},
		AuthorizerConfiguration: &types.AuthorizerConfigurationMemberCustomJWTAuthorizer{Value: types.CustomJWTAuthorizerConfiguration{
			DiscoveryUrl: aws.String(m.DiscoveryEndpoint()), AllowedAudience: []string{"agentry"},
		}},
	}))
	reg := aws.ToString(out.RegistryArn)[strings.LastIndex(aws.ToString(out.RegistryArn), "/")+1:]
	publishMCP(t, ts.Client, reg, "weather", serverDoc("io.example/weather", "1.0.0", "Weather forecasts"))
	u := ts.URL + "/registry/" + reg + "/v0.1/servers"
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	status, _, body := v01Get(t, u, nil, bearer(mint(map[string]any{"aud": "agentry"})))
	if status != 200 || decodeStrict[apiv0.ServerListResponse](t, body).Metadata.Count != 1 {
		t.Fatalf("good token: %d %s", status, body)
	}
	if status, _, _ := v01Get(t, u, nil, nil); status != http.StatusUnauthorized {
		t.Errorf("no token: %d", status)
	}
	if status, _, _ := v01Get(t, u, nil, bearer(mint(map[string]any{"aud": "someone-else"}))); status != http.StatusUnauthorized {
		t.Errorf("wrong audience: %d", status)
	}
}
