package server_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"
)

// The benchmarks below drive the real HTTP stack (loopback TCP, SigV4
// verification, JSON, descriptor validation, SQLite with the shipped
// durability settings) with the real AWS SDK client, from 8 concurrent
// clients. Client and server share the machine's cores.

const benchClients = 8

func parallel8(b *testing.B) {
	// RunParallel starts parallelism*GOMAXPROCS goroutines.
	p := benchClients / runtime.GOMAXPROCS(0)
	b.SetParallelism(max(1, p))
}

func BenchmarkCreateRegistryRecord(b *testing.B) {
	ts := startServer(b)
	reg := ts.createRegistry(b, "bench", false)
	var n atomic.Int64
	parallel8(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			_, err := ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
				RegistryId: aws.String(reg), Name: aws.String(fmt.Sprintf("server-%d", n.Add(1))),
				DescriptorType: types.DescriptorTypeMcp, Descriptors: mcpDescriptors(minimalServer),
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkGetRegistryRecord(b *testing.B) {
	ts := startServer(b)
	reg := ts.createRegistry(b, "bench", false)
	var ids []string
	for i := range 100 {
		ids = append(ids, ts.createRecord(b, reg, fmt.Sprintf("server-%d", i)))
	}
	var n atomic.Int64
	parallel8(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			id := ids[n.Add(1)%int64(len(ids))]
			if _, err := ts.Client.GetRegistryRecord(ctx, &ctl.GetRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String(id)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
