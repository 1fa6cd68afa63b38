package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/store/postgres/pgtest"
)

// BenchmarkDeployments measures CreateRegistryRecord and
// SearchRegistryRecords against real agentry processes: one on SQLite, one
// on PostgreSQL, and two on one PostgreSQL, with 8 concurrent SDK clients
// spread over the replicas. Client and servers share this machine's cores,
// so the figures compare deployments rather than bound what a server can do.
func BenchmarkDeployments(b *testing.B) {
	for _, d := range []struct {
		name     string
		replicas int
		postgres bool
	}{{"sqlite-1", 1, false}, {"postgres-1", 1, true}, {"postgres-2", 2, true}} {
		b.Run(d.name, func(b *testing.B) {
			key := credentials.Generate()
			env := keyEnv(key)
			if d.postgres {
				env = append(env, "AGENTRY_DATABASE_URL="+pgtest.NewDatabase(b, false))
			}
			var urls []string
			for range d.replicas {
				urls = append(urls, startAgentry(b, b.TempDir(), env...).url)
			}
			ctx := context.Background()
			reg, err := sdkClient(urls[0], key).CreateRegistry(ctx, &ctl.CreateRegistryInput{
				Name: aws.String("bench"), ApprovalConfiguration: &types.ApprovalConfiguration{AutoApproval: true}})
			if err != nil {
				b.Fatal(err)
			}
			ctls := make([]*ctl.Client, len(urls))
			datas := make([]*data.Client, len(urls))
			for i, u := range urls {
				ctls[i], datas[i] = sdkClient(u, key), dataClient(u, key)
			}
			var seq atomic.Int64
			b.Run("create", func(b *testing.B) {
				parallel(b, func() error {
					i := seq.Add(1)
					in := mcpRecord(fmt.Sprintf("bench-%d", i))
					in.RegistryId = reg.RegistryArn
					_, err := ctls[i%int64(len(ctls))].CreateRegistryRecord(ctx, in)
					return err
				})
			})
			// Approve what was created (at least 2,000 records) and search it.
			approveAll(b, ctls[0], reg.RegistryArn, 2000, &seq)
			words := []string{"weather", "server", "bench 17", "database", "email inbox", "files", "search", "github issues"}
			b.Run("search", func(b *testing.B) {
				parallel(b, func() error {
					i := seq.Add(1)
					_, err := datas[i%int64(len(datas))].SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{
						RegistryIds: []string{aws.ToString(reg.RegistryArn)}, SearchQuery: aws.String(words[i%int64(len(words))])})
					return err
				})
			})
		})
	}
}

// parallel runs op from 8 goroutines and reports requests per second and
// the failed ones. The clients run without retries and with the workaround
// of internal/awstest, so any failure is the server's: one fails the
// benchmark.
func parallel(b *testing.B, op func() error) {
	var failed atomic.Int64
	var first atomic.Value
	b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(); err != nil {
				failed.Add(1)
				first.CompareAndSwap(nil, err.Error())
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(failed.Load()), "failed")
	if failed.Load() > 0 {
		b.Fatalf("%d of %d requests failed; first: %v", failed.Load(), b.N, first.Load())
	}
}

// approveAll creates records until there are at least n, then submits every
// DRAFT (the registry auto-approves).
func approveAll(b *testing.B, c *ctl.Client, reg *string, n int, seq *atomic.Int64) {
	ctx := context.Background()
	for int(seq.Load()) < n {
		i := seq.Add(1)
		in := mcpRecord(fmt.Sprintf("bench-%d", i))
		in.RegistryId = reg
		if _, err := c.CreateRegistryRecord(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	var ids []*string
	p := ctl.NewListRegistryRecordsPaginator(c, &ctl.ListRegistryRecordsInput{RegistryId: reg, Status: types.RegistryRecordStatusDraft, MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range page.RegistryRecords {
			ids = append(ids, r.RecordId)
		}
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 8 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if int(i) >= len(ids) {
					return
				}
				if _, err := c.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{RegistryId: reg, RecordId: ids[i]}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
