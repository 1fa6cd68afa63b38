package server_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
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
// driven in alternating rounds (off-on, on-off, ...) of the same calls from
// 8 concurrent SDK clients.
//
// Two measures: throughput (req/s, the median of the rounds') and CPU time
// per call (getrusage of the whole process, clients and both servers, over
// the round: only one server works at a time). Wall-clock throughput swings
// with whatever else runs on the machine; CPU time per call much less, so
// it is the one to decide on. Each round pairs an "on" with the "off" next
// to it, and cpu-overhead-% is the median of the pairs' (on/off - 1), with
// its quartiles (cpu-overhead-p25-%, -p75-%): under 5 % when p75 is.
// AGENTRY_BENCH_ROUNDS sets the number of rounds (default 15).
func BenchmarkObservabilityOverhead(b *testing.B) {
	const perRound = 400
	rounds := 15
	if v := os.Getenv("AGENTRY_BENCH_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("AGENTRY_BENCH_ROUNDS=%q", v)
		}
		rounds = n
	}
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
			// run makes perRound calls and returns the calls per second and
			// the process's CPU time per call, in microseconds.
			run := func(op func(context.Context, int) error) (rate, cpuUS float64) {
				var next atomic.Int64
				var wg sync.WaitGroup
				cpu, start := processCPU(), time.Now()
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
				return perRound / time.Since(start).Seconds(), float64((processCPU() - cpu).Microseconds()) / perRound
			}
			offOp, onOp := ops[name](targets[0]), ops[name](targets[1])
			for range b.N {
				var offRates, onRates, offCPU, onCPU, pairs []float64
				run(offOp) // warm both
				run(onOp)
				for r := range rounds {
					var offRate, offUS, onRate, onUS float64
					if r%2 == 0 {
						offRate, offUS = run(offOp)
						onRate, onUS = run(onOp)
					} else {
						onRate, onUS = run(onOp)
						offRate, offUS = run(offOp)
					}
					offRates, onRates = append(offRates, offRate), append(onRates, onRate)
					offCPU, onCPU = append(offCPU, offUS), append(onCPU, onUS)
					pairs = append(pairs, 100*(onUS/offUS-1))
				}
				offMed, onMed := median(offRates), median(onRates)
				b.ReportMetric(offMed, "off-req/s")
				b.ReportMetric(onMed, "on-req/s")
				b.ReportMetric(100*(offMed/onMed-1), "overhead-%")
				b.ReportMetric(median(offCPU), "off-cpu-us/call")
				b.ReportMetric(median(onCPU), "on-cpu-us/call")
				b.ReportMetric(median(pairs), "cpu-overhead-%")
				b.ReportMetric(quantile(pairs, 0.25), "cpu-overhead-p25-%")
				b.ReportMetric(quantile(pairs, 0.75), "cpu-overhead-p75-%")
			}
			b.ReportMetric(float64(errs.Load()), "errors")
		})
	}
}

func median(xs []float64) float64 { return quantile(xs, 0.5) }

// quantile is the q-quantile of xs, the nearest rank.
func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}
