package server_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/server"
)

// BenchmarkObservabilityOverhead measures what metrics and the audit trail
// cost CreateRegistryRecord and SearchRegistryRecords: two servers in the
// same process, one with both on (the default) and one with both off, are
// driven in alternating rounds of the same calls from 8 concurrent SDK
// clients, and the medians of the rounds' throughputs are compared.
// "overhead-%" is how much slower "on" is (negative: faster, noise).
func BenchmarkObservabilityOverhead(b *testing.B) {
	const rounds, perRound = 7, 400
	on := startServer(b)
	off := startServerWith(b, func(c *server.Config) { c.NoMetrics, c.NoAudit = true, true })
	type target struct {
		ts  *testServer
		reg string // for creates
		cat string // a catalog of 2,000 approved records, for searches
	}
	var targets [2]target
	for i, ts := range []*testServer{off, on} {
		targets[i] = target{ts: ts, reg: ts.createRegistry(b, "writes", false), cat: ts.createRegistry(b, "catalog", true)}
		populate(b, ts, targets[i].cat, 2000)
	}
	queries := seedQueries(b, 1000)
	var names atomic.Int64
	ops := map[string]func(t target) func(ctx context.Context, i int) error{
		"CreateRegistryRecord": func(t target) func(context.Context, int) error {
			return func(ctx context.Context, i int) error {
				_, err := t.ts.Client.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
					RegistryId: aws.String(t.reg), Name: aws.String(fmt.Sprintf("server-%d", names.Add(1))),
					DescriptorType: types.DescriptorTypeMcp, Descriptors: mcpDescriptors(minimalServer)})
				return err
			}
		},
		"SearchRegistryRecords": func(t target) func(context.Context, int) error {
			dc := t.ts.dataClient(t.ts.Key.AccessKeyID, t.ts.Key.SecretAccessKey)
			return func(ctx context.Context, i int) error {
				_, err := dc.SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{RegistryIds: []string{t.cat},
					SearchQuery: aws.String(queries[i%len(queries)])})
				return err
			}
		},
	}
	for _, name := range []string{"CreateRegistryRecord", "SearchRegistryRecords"} {
		b.Run(name, func(b *testing.B) {
			var errs atomic.Int64
			run := func(op func(context.Context, int) error) float64 {
				var next atomic.Int64
				var wg sync.WaitGroup
				start := time.Now()
				for range benchClients {
					wg.Go(func() {
						for {
							i := int(next.Add(1))
							if i > perRound {
								return
							}
							if op(context.Background(), i) != nil {
								errs.Add(1)
							}
						}
					})
				}
				wg.Wait()
				return perRound / time.Since(start).Seconds()
			}
			offOp, onOp := ops[name](targets[0]), ops[name](targets[1])
			for range b.N {
				var offRates, onRates []float64
				run(offOp) // warm both
				run(onOp)
				for r := range rounds {
					if r%2 == 0 {
						offRates, onRates = append(offRates, run(offOp)), append(onRates, run(onOp))
					} else {
						onRates, offRates = append(onRates, run(onOp)), append(offRates, run(offOp))
					}
				}
				offMed, onMed := median(offRates), median(onRates)
				b.ReportMetric(offMed, "off-req/s")
				b.ReportMetric(onMed, "on-req/s")
				b.ReportMetric(100*(offMed/onMed-1), "overhead-%")
			}
			b.ReportMetric(float64(errs.Load()), "errors")
		})
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
