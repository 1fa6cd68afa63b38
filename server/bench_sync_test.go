package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentry/agentry/server"
)

// BenchmarkSync100 creates 100 records synchronized from one local MCP
// server (Streamable HTTP, 10 tools) through the AWS SDK, from 8 clients
// at once, and waits until
// all are DRAFT: create, claim, initialize, tools/list, validation,
// completion. The sub-benchmarks differ in --sync-concurrency; the source
// counts the requests it serves at once, which concurrency bounds.
func BenchmarkSync100(b *testing.B) {
	src := mcp.NewServer(&mcp.Implementation{Name: "io.example/bench", Version: "1.0.0"},
		&mcp.ServerOptions{Instructions: "A server to synchronize from."})
	for i := range 10 {
		addTool(src, fmt.Sprintf("tool_%d", i), fmt.Sprintf("Tool number %d of the benchmark server.", i))
	}
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return src }, &mcp.StreamableHTTPOptions{Stateless: true})
	var inFlight, maxInFlight atomic.Int64
	source := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
		}
		h.ServeHTTP(w, r)
	}))
	defer source.Close()

	for _, conc := range []int{1, 8} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			ts := startServerWith(b, func(c *server.Config) { c.AllowPrivateURLs = true; c.SyncConcurrency = conc })
			ctx := context.Background()
			maxInFlight.Store(0)
			var errs int
			b.ResetTimer()
			for i := range b.N {
				reg := ts.createRegistry(b, fmt.Sprintf("bench-%d", i), false)
				start := time.Now()
				var wg sync.WaitGroup
				var failed atomic.Int64
				for c := range benchClients { // 8 publishers at once
					wg.Go(func() {
						for j := c; j < 100; j += benchClients {
							_, err := ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
								RegistryId: aws.String(reg), Name: aws.String(fmt.Sprintf("server-%d", j)), DescriptorType: types.DescriptorTypeMcp,
								SynchronizationType: types.SynchronizationTypeUrl, SynchronizationConfiguration: syncConfig(source.URL + "/mcp"),
							})
							if err != nil {
								failed.Add(1)
							}
						}
					})
				}
				wg.Wait()
				errs += int(failed.Load())
				for {
					out, err := ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{
						RegistryId: aws.String(reg), Status: types.RegistryRecordStatusDraft, MaxResults: aws.Int32(100)})
					if err != nil {
						b.Fatal(err)
					}
					if len(out.RegistryRecords) == 100 {
						break
					}
					if time.Since(start) > time.Minute {
						b.Fatalf("%d of 100 records DRAFT after a minute", len(out.RegistryRecords))
					}
					time.Sleep(5 * time.Millisecond)
				}
				b.ReportMetric(time.Since(start).Seconds(), "s/100records")
			}
			b.ReportMetric(float64(maxInFlight.Load()), "max-source-requests")
			b.ReportMetric(float64(errs), "errors")
		})
	}
}
