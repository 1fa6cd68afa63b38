package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"

	"github.com/agentry/agentry/internal/awstest"
)

// seedServers returns the 464 named servers (of 471) of the MCP Registry seed
// (2025-05-16) as current server.json documents: the older shape's
// registry_name and name become registryType and identifier, and
// descriptions are cut to the 100 characters server.json allows.
func seedServers(tb testing.TB) []string {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "search-eval", "mcp-registry-seed", "seed_2025_05_16.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var seed []struct {
		Name, Description string
		Repository        *struct{ URL, Source string }
		Packages          []struct {
			RegistryName string `json:"registry_name"`
			Name         string
			Version      string
		}
	}
	if err := json.Unmarshal(b, &seed); err != nil {
		tb.Fatal(err)
	}
	out := make([]string, 0, len(seed))
	for _, s := range seed {
		if s.Name == "" {
			continue // 7 servers of the seed have no name
		}
		desc := strings.TrimSpace(s.Description)
		if r := []rune(desc); len(r) > 100 {
			desc = strings.TrimSpace(string(r[:100]))
		}
		if desc == "" {
			desc = "MCP server " + s.Name
		}
		doc := map[string]any{"$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
			"name": s.Name, "description": desc, "version": "1.0.0"}
		if s.Repository != nil && s.Repository.URL != "" {
			doc["repository"] = map[string]string{"url": s.Repository.URL, "source": s.Repository.Source}
		}
		var pkgs []any
		for _, p := range s.Packages {
			if p.RegistryName == "" || p.Name == "" {
				continue
			}
			pkg := map[string]any{"registryType": p.RegistryName, "identifier": p.Name, "transport": map[string]string{"type": "stdio"}}
			if p.Version != "" && p.Version != "latest" {
				pkg["version"] = p.Version
			}
			pkgs = append(pkgs, pkg)
		}
		if pkgs != nil {
			doc["packages"] = pkgs
		}
		j, _ := json.Marshal(doc)
		out = append(out, string(j))
	}
	return out
}

// BenchmarkMCPRegistryAPI compares, on the 471 servers of the seed and
// in the same run, a page of 100 servers of the v0.1 API with a page of
// 100 records of ListRegistryRecords (the baseline), and a v0.1 search
// with SearchRegistryRecords; 8 clients, SigV4, retries off.
func BenchmarkMCPRegistryAPI(b *testing.B) {
	ts := startServer(b)
	reg := ts.createRegistry(b, "seed", true)
	docs := seedServers(b)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(docs); i = int(next.Add(1)) - 1 {
				publishMCP(b, ts.Client, reg, fmt.Sprintf("server-%03d", i), docs[i])
			}
		})
	}
	wg.Wait()
	key := aws.Credentials{AccessKeyID: ts.Key.AccessKeyID, SecretAccessKey: ts.Key.SecretAccessKey}
	emptySum := sha256.Sum256(nil)
	hc := awstest.HTTPClient() // one client, so that connections are kept, as the SDK client keeps them
	get := func(rawURL string) error {
		req, _ := http.NewRequest("GET", rawURL, nil)
		if err := v4.NewSigner().SignHTTP(context.Background(), key, req, hex.EncodeToString(emptySum[:]), "bedrock-agentcore", "us-east-1", time.Now()); err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	dc := awstest.Data(ts.URL, key.AccessKeyID, key.SecretAccessKey)
	run := func(b *testing.B, call func(ctx context.Context) error) {
		var failed atomic.Int64
		parallel8(b)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				if err := call(ctx); err != nil {
					if failed.Add(1) == 1 {
						b.Log(err)
					}
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		b.ReportMetric(float64(failed.Load()), "errors")
	}
	b.Run("ListRegistryRecords-100", func(b *testing.B) {
		run(b, func(ctx context.Context) error {
			_, err := ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg), MaxResults: aws.Int32(100)})
			return err
		})
	})
	b.Run("v0.1-servers-100", func(b *testing.B) {
		u := ts.URL + "/registry/" + reg + "/v0.1/servers?limit=100"
		run(b, func(context.Context) error { return get(u) })
	})
	queries := []string{"database", "github issues", "web browser automation", "weather forecast", "file system"}
	var qn atomic.Int64
	b.Run("SearchRegistryRecords-10", func(b *testing.B) {
		run(b, func(ctx context.Context) error {
			q := queries[qn.Add(1)%int64(len(queries))]
			_, err := dc.SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{
				RegistryIds: []string{reg}, SearchQuery: aws.String(q), MaxResults: aws.Int32(10)})
			return err
		})
	})
	b.Run("v0.1-search-10", func(b *testing.B) {
		run(b, func(context.Context) error {
			q := queries[qn.Add(1)%int64(len(queries))]
			return get(ts.URL + "/registry/" + reg + "/v0.1/servers?limit=10&search=" + strings.ReplaceAll(q, " ", "+"))
		})
	})
}
