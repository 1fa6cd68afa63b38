package server_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
)

// BenchmarkListRegistryRecords: ListRegistryRecords with maxResults 100
// through the real HTTP stack with SigV4, on a registry of 1,000 approved
// records built from the MCP Registry seed, from 8 concurrent SDK clients.
//
//	go test -run '^$' -bench ListRegistryRecords -benchtime 2000x ./server/
//	AGENTRY_TEST_STORE=postgres go test -run '^$' -bench ListRegistryRecords -benchtime 2000x ./server/
func BenchmarkListRegistryRecords(b *testing.B) {
	ts := startServer(b)
	reg := ts.createRegistry(b, "bench", true)
	populate(b, ts, reg, 1000)
	parallel8(b)
	var errs atomic.Int64
	cpu := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			out, err := ts.Client.ListRegistryRecords(ctx, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg), MaxResults: aws.Int32(100)})
			if err != nil || len(out.RegistryRecords) != 100 {
				errs.Add(1)
				b.Errorf("list: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(errs.Load()), "errors")
	// CPU time per request (client and server) depends less on what else
	// the machine runs.
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-us/req")
}
