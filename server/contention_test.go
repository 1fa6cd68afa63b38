package server_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/server"
)

// stormResult is what writeStorm did: the records whose create was
// acknowledged (registry id to record ids), the number of writes made and
// the failures, counted by operation and HTTP status.
type stormResult struct {
	created  map[string][]string
	writes   int64
	failures map[string]int
}

// writeStorm runs writers concurrent writers, spread over the given
// replicas and registries; each does rounds of create, update, submit and
// approve of a record of its own while rounds(w) says so.
func writeStorm(t testing.TB, replicas []*testServer, regs []string, writers int, rounds func(w int) bool) stormResult {
	var (
		mu     sync.Mutex
		res    = stormResult{created: map[string][]string{}, failures: map[string]int{}}
		writes atomic.Int64
		wg     sync.WaitGroup
	)
	fail := func(op string, err error) {
		status := 0
		var re *awshttp.ResponseError
		if errors.As(err, &re) {
			status = re.HTTPStatusCode()
		}
		key := fmt.Sprintf("%s: HTTP %d", op, status)
		mu.Lock()
		defer mu.Unlock()
		if res.failures[key]++; res.failures[key] == 1 {
			t.Logf("%s: %v", op, err)
		}
	}
	for w := range writers {
		c := replicas[w%len(replicas)].Client
		reg := regs[w%len(regs)]
		wg.Go(func() {
			ctx := context.Background()
			for i := 0; rounds(w); i++ {
				out, err := c.CreateRegistryRecord(ctx, &ctl.CreateRegistryRecordInput{
					RegistryId: aws.String(reg), Name: aws.String(fmt.Sprintf("w%d-r%d", w, i)),
					DescriptorType: types.DescriptorTypeMcp, Descriptors: mcpDescriptors(minimalServer),
				})
				writes.Add(1)
				if err != nil {
					fail("create", err)
					continue
				}
				arn := aws.ToString(out.RecordArn)
				id := arn[strings.LastIndex(arn, "/")+1:]
				mu.Lock()
				res.created[reg] = append(res.created[reg], id)
				mu.Unlock()
				steps := []struct {
					op   string
					call func() error
				}{
					{"update", func() error {
						_, err := c.UpdateRegistryRecord(ctx, &ctl.UpdateRegistryRecordInput{RegistryId: aws.String(reg), RecordId: aws.String(id),
							Description: &types.UpdatedDescription{OptionalValue: aws.String(fmt.Sprintf("round %d", i))}})
						return err
					}},
					{"submit", func() error {
						_, err := c.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{RegistryId: aws.String(reg), RecordId: aws.String(id)})
						return err
					}},
					{"approve", func() error {
						_, err := c.UpdateRegistryRecordStatus(ctx, &ctl.UpdateRegistryRecordStatusInput{RegistryId: aws.String(reg), RecordId: aws.String(id),
							Status: types.RegistryRecordStatusApproved, StatusReason: aws.String("storm")})
						return err
					}},
				}
				for _, s := range steps {
					writes.Add(1)
					if err := s.call(); err != nil {
						fail(s.op, err)
						break
					}
				}
			}
		})
	}
	wg.Wait()
	res.writes = writes.Load()
	return res
}

// startReplicas starts n servers on one PostgreSQL database.
func startReplicas(t testing.TB, n int) []*testServer {
	first := startServer(t)
	replicas := []*testServer{first}
	for range n - 1 {
		replicas = append(replicas, startServerWith(t, func(c *server.Config) { c.DatabaseURL = first.cfg.DatabaseURL }))
	}
	return replicas
}

// TestContendedWritesOnReplicas: 48 writers on three replicas of one
// PostgreSQL database create, update, submit and approve records in three
// registries at once, with SDK retries off. No valid call may fail because
// of contention, and every acknowledged create must be there, approved.
// (Before writers that failed to serialize ran again alone, one write in a
// few hundred failed on all of its runs and answered HTTP 500.)
func TestContendedWritesOnReplicas(t *testing.T) {
	if os.Getenv("AGENTRY_TEST_STORE") != "postgres" {
		t.Skip("replicas share a PostgreSQL database (AGENTRY_TEST_STORE=postgres)")
	}
	replicas := startReplicas(t, 3)
	regs := []string{
		replicas[0].createRegistry(t, "storm-a", false),
		replicas[1].createRegistry(t, "storm-b", false),
		replicas[0].createRegistry(t, "storm-c", false),
	}
	const writers, rounds = 48, 8
	var done [writers]int
	start := time.Now()
	res := writeStorm(t, replicas, regs, writers, func(w int) bool { done[w]++; return done[w] <= rounds })
	t.Logf("%d writes in %v, failures %v", res.writes, time.Since(start).Round(time.Millisecond), res.failures)
	for what, n := range res.failures {
		t.Errorf("%d failed: %s", n, what)
	}
	ctx := context.Background()
	for _, reg := range regs {
		var listed []string
		p := ctl.NewListRegistryRecordsPaginator(replicas[1].Client, &ctl.ListRegistryRecordsInput{RegistryId: aws.String(reg),
			Status: types.RegistryRecordStatusApproved, MaxResults: aws.Int32(100)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.RegistryRecords {
				listed = append(listed, aws.ToString(r.RecordId))
			}
		}
		created := res.created[reg]
		slices.Sort(listed)
		slices.Sort(created)
		if !slices.Equal(listed, created) {
			t.Errorf("registry %s: %d approved records listed, %d creates acknowledged", reg, len(listed), len(created))
		}
	}
}

// BenchmarkContendedWrites: writes/s and failures of concurrent writers on
// replicas of one PostgreSQL database (16 on two, 48 on three), each write
// one of create, update, submit, approve in three registries (see
// writeStorm), with SDK retries off.
//
//	AGENTRY_TEST_STORE=postgres go test -run '^$' -bench ContendedWrites -benchtime 2000x ./server/
func BenchmarkContendedWrites(b *testing.B) {
	if os.Getenv("AGENTRY_TEST_STORE") != "postgres" {
		b.Skip("replicas share a PostgreSQL database (AGENTRY_TEST_STORE=postgres)")
	}
	for _, c := range []struct{ writers, replicas int }{{16, 2}, {48, 3}} {
		b.Run(fmt.Sprintf("writers=%d/replicas=%d", c.writers, c.replicas), func(b *testing.B) {
			replicas := startReplicas(b, c.replicas)
			regs := []string{
				replicas[0].createRegistry(b, "storm-a", false),
				replicas[1].createRegistry(b, "storm-b", false),
				replicas[0].createRegistry(b, "storm-c", false),
			}
			// Each round is four writes; the writers share b.N/4 rounds.
			var left atomic.Int64
			left.Store(int64(b.N+3) / 4)
			b.ResetTimer()
			res := writeStorm(b, replicas, regs, c.writers, func(int) bool { return left.Add(-1) >= 0 })
			b.StopTimer()
			failed := 0
			for what, n := range res.failures {
				failed += n
				b.Logf("%d failed: %s", n, what)
			}
			b.ReportMetric(float64(res.writes)/b.Elapsed().Seconds(), "writes/s")
			b.ReportMetric(float64(failed), "errors")
		})
	}
}
