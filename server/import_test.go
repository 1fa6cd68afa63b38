package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	apiv0 "github.com/modelcontextprotocol/registry/pkg/api/v0"

	"github.com/agentry/agentry/importer"
)

// TestImportSeed imports the official registry's 2025-05-16 seed (471
// servers in the older shape) through the API, then imports it again:
// the second run changes nothing. The servers come out of agentry's v0.1
// API as valid server.json documents.
func TestImportSeed(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := ts.createRegistry(t, "public", true)
	items, err := importer.ReadFile(filepath.Join("..", "testdata", "search-eval", "mcp-registry-seed", "seed_2025_05_16.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 471 {
		t.Fatalf("%d items", len(items))
	}
	opts := importer.Options{Registry: reg, Submit: true, Concurrency: 8}

	// A dry run changes nothing.
	dry := opts
	dry.DryRun = true
	sum, err := importer.Run(ctx, ts.Client, items, dry)
	if err != nil || sum.Counts[importer.Created] != 464 {
		t.Fatalf("dry run: %v %v", sum.Counts, err)
	}
	if out := must[*ctl.ListRegistryRecordsOutput](t)(ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg)})); len(out.RegistryRecords) != 0 {
		t.Fatalf("the dry run created %d records", len(out.RegistryRecords))
	}

	start := time.Now()
	sum, err = importer.Run(ctx, ts.Client, items, opts)
	first := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first import: %v in %v", sum.Counts, first)
	if sum.Counts[importer.Created] != 464 || sum.Counts[importer.Skipped] != 7 || sum.Counts[importer.Failed] != 0 {
		t.Fatalf("first import: %v\n%s", sum.Counts, strings.Join(sum.SortedReasons(), "\n"))
	}
	start = time.Now()
	sum, err = importer.Run(ctx, ts.Client, items, opts)
	again := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("second import: %v in %v", sum.Counts, again)
	if sum.Counts[importer.Unchanged] != 464 || sum.Counts[importer.Created]+sum.Counts[importer.Updated]+sum.Counts[importer.Failed] != 0 {
		t.Fatalf("second import: %v", sum.Counts)
	}

	// A long description is whole in the record and cut in server.json.
	var long *importer.Item
	for i := range items {
		if len([]rune(items[i].Description)) > 100 && items[i].Skip == "" {
			long = &items[i]
			break
		}
	}
	key := aws.Credentials{AccessKeyID: ts.Key.AccessKeyID, SecretAccessKey: ts.Key.SecretAccessKey}
	status, _, body := v01Get(t, ts.URL+"/registry/"+reg+"/v0.1/servers/"+strings.ReplaceAll(long.Name, "/", "%2F")+"/versions/latest", &key, nil)
	one := decodeStrict[apiv0.ServerResponse](t, body)
	if status != 200 || len([]rune(one.Server.Description)) > 100 || !strings.HasPrefix(long.Description, strings.TrimSuffix(one.Server.Description, "…")) {
		t.Errorf("%d %q vs %q", status, one.Server.Description, long.Description)
	}
	// Every imported server is served, valid.
	n, cursor := 0, ""
	for {
		u := ts.URL + "/registry/" + reg + "/v0.1/servers?limit=100"
		if cursor != "" {
			u += "&cursor=" + cursor
		}
		_, _, body := v01Get(t, u, &key, nil)
		l := decodeStrict[apiv0.ServerListResponse](t, body)
		n += len(l.Servers)
		if cursor = l.Metadata.NextCursor; cursor == "" {
			break
		}
	}
	if n != 464 {
		t.Errorf("the v0.1 API serves %d servers", n)
	}
}

// fakeRegistry is an MCP Registry v0.1 registry served by the test: it
// pages by name with cursors and filters by updated_since.
type fakeRegistry struct {
	mu      sync.Mutex
	servers map[string]apiv0.ServerResponse // by name
	calls   int
}

func (f *fakeRegistry) set(name, version, desc string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s apiv0.ServerResponse
	json.Unmarshal([]byte(serverDoc(name, version, desc)), &s.Server)
	s.Meta.Official = &apiv0.RegistryExtensions{Status: "active", PublishedAt: at, UpdatedAt: at, StatusChangedAt: at, IsLatest: true}
	f.servers[name] = s
}

func (f *fakeRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if r.URL.Path != "/v0.1/servers" {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	var since time.Time
	if s := q.Get("updated_since"); s != "" {
		since, _ = time.Parse(time.RFC3339Nano, s)
	}
	var names []string
	for n, s := range f.servers {
		if n > q.Get("cursor") && !s.Meta.Official.UpdatedAt.Before(since) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	out := apiv0.ServerListResponse{Servers: []apiv0.ServerResponse{}}
	for i, n := range names {
		if i == limit {
			out.Metadata.NextCursor = names[i-1]
			break
		}
		out.Servers = append(out.Servers, f.servers[n])
	}
	out.Metadata.Count = len(out.Servers)
	json.NewEncoder(w).Encode(out)
}

// TestImportFromRegistry imports from a v0.1 registry, following its
// cursors, then again from where it stopped: only what changed since is
// read and updated.
func TestImportFromRegistry(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	reg := ts.createRegistry(t, "mirror", true)
	fake := &fakeRegistry{servers: map[string]apiv0.ServerResponse{}}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 250 {
		fake.set(fmt.Sprintf("io.example/server-%03d", i), "1.0.0", fmt.Sprintf("Server number %d", i), t0.Add(time.Duration(i)*time.Minute))
	}
	src := httptest.NewServer(fake)
	defer src.Close()

	items, pos, err := importer.ReadRegistry(ctx, src.Client(), src.URL, time.Time{})
	if err != nil || len(items) != 250 || fake.calls != 3 {
		t.Fatalf("read: %d items, %d calls, %v", len(items), fake.calls, err)
	}
	if want := t0.Add(249 * time.Minute); !pos.Equal(want) {
		t.Fatalf("position %v, want %v", pos, want)
	}
	opts := importer.Options{Registry: reg, Submit: true, Concurrency: 4}
	sum, err := importer.Run(ctx, ts.Client, items, opts)
	if err != nil || sum.Counts[importer.Created] != 250 {
		t.Fatalf("%v %v %q", sum.Counts, err, sum.SortedReasons())
	}

	// One server changes at the source; the next import reads from the
	// position and updates that one only.
	fake.set("io.example/server-007", "1.0.0", "Server number 7, improved", t0.Add(300*time.Minute))
	items, pos2, err := importer.ReadRegistry(ctx, src.Client(), src.URL, pos)
	if err != nil || len(items) != 2 { // the change, and the last one of the previous import (at the position)
		t.Fatalf("incremental read: %d items, %v", len(items), err)
	}
	if !pos2.After(pos) {
		t.Fatalf("position did not advance: %v", pos2)
	}
	sum, err = importer.Run(ctx, ts.Client, items, opts)
	if err != nil || sum.Counts[importer.Updated] != 1 || sum.Counts[importer.Unchanged] != 1 {
		t.Fatalf("incremental: %v %v", sum.Counts, err)
	}
	key := aws.Credentials{AccessKeyID: ts.Key.AccessKeyID, SecretAccessKey: ts.Key.SecretAccessKey}
	_, _, body := v01Get(t, ts.URL+"/registry/"+reg+"/v0.1/servers/io.example%2Fserver-007/versions/latest", &key, nil)
	if d := decodeStrict[apiv0.ServerResponse](t, body).Server.Description; d != "Server number 7, improved" {
		t.Errorf("after the incremental import: %q", d)
	}

	// include/exclude.
	sum, err = importer.Run(ctx, ts.Client, items, importer.Options{Registry: reg, Exclude: []string{"io.example/server-007"}, Concurrency: 1})
	if err != nil || sum.Counts[importer.Skipped] != 1 {
		t.Fatalf("exclude: %v %v", sum.Counts, err)
	}
}
