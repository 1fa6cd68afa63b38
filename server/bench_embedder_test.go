package server_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/embedding"
	"github.com/agentry/agentry/search"
	"github.com/agentry/agentry/semantic"
	"github.com/agentry/agentry/server"
)

// BenchmarkPublishWithSlowEmbedder publishes records (CreateRegistryRecord,
// then SubmitRegistryRecordForApproval into an autoApproval registry, which
// makes the record searchable and needs its vector) from 8 concurrent SDK
// clients, retries off, and reports each call's p50 and p99 and the number
// of failed calls: with no model, with the built-in model, and with an
// OpenAI-compatible embedding service that takes 5 s per call.
//
//	go test -run '^$' -bench BenchmarkPublishWithSlowEmbedder -benchtime 2000x ./server/
func BenchmarkPublishWithSlowEmbedder(b *testing.B) {
	for _, tc := range []struct {
		name     string
		embedder func(b *testing.B) search.Embedder
	}{
		{"no-model", func(*testing.B) search.Embedder { return nil }},
		{"builtin-model", func(b *testing.B) search.Embedder {
			m, err := semantic.Default()
			if err != nil {
				b.Fatal(err)
			}
			return m
		}},
		{"embedder-5s", func(b *testing.B) search.Embedder {
			var down atomic.Bool
			api := fakeEmbeddingsHook(b, &down, nil, func(r *http.Request) {
				select {
				case <-time.After(5 * time.Second):
				case <-r.Context().Done():
				}
			})
			e, err := embedding.NewHTTP(embedding.HTTPConfig{URL: api.URL, Model: "slow"})
			if err != nil {
				b.Fatal(err)
			}
			return e
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := tc.embedder(b)
			ts := startServerWith(b, func(c *server.Config) {
				if e != nil {
					c.Embedder = e
				}
			})
			reg := ts.createRegistry(b, "bench", true)
			var (
				mu              sync.Mutex
				creates, submit []time.Duration
				failed          atomic.Int64
				n               atomic.Int64
			)
			parallel8(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				var c, s []time.Duration
				for pb.Next() {
					t0 := time.Now()
					out, err := ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
						RegistryId: aws.String(reg), Name: aws.String(fmt.Sprintf("server-%d", n.Add(1))),
						Description:    aws.String("Read and send email from a Gmail inbox"),
						DescriptorType: types.DescriptorTypeMcp, Descriptors: mcpDescriptors(minimalServer),
					})
					c = append(c, time.Since(t0))
					if err != nil {
						failed.Add(1)
						continue
					}
					t0 = time.Now()
					_, err = ts.Client.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{
						RegistryId: aws.String(reg), RecordId: out.RecordArn})
					s = append(s, time.Since(t0))
					if err != nil {
						failed.Add(1)
					}
				}
				mu.Lock()
				creates, submit = append(creates, c...), append(submit, s...)
				mu.Unlock()
			})
			b.StopTimer()
			for _, m := range []struct {
				name string
				ds   []time.Duration
			}{{"create", creates}, {"approve", submit}} {
				b.ReportMetric(percentile(m.ds, 0.50), m.name+"-p50-ms")
				b.ReportMetric(percentile(m.ds, 0.99), m.name+"-p99-ms")
			}
			b.ReportMetric(float64(failed.Load()), "errors")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "publish/s")
		})
	}
}

// percentile returns the q-quantile of ds in milliseconds.
func percentile(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[min(len(s)-1, int(q*float64(len(s))))].Microseconds()) / 1000
}
