package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	datatypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/internal/awstest"
	"github.com/agentry/agentry/store/postgres/pgtest"
)

func dataClient(url string, key credentials.Key) *data.Client {
	return awstest.Data(url, key.AccessKeyID, key.SecretAccessKey)
}

func mcpRecord(name string) *ctl.CreateRegistryRecordInput {
	return &ctl.CreateRegistryRecordInput{
		Name: aws.String(name), DescriptorType: types.DescriptorTypeMcp,
		Descriptors: &types.Descriptors{Mcp: &types.McpDescriptor{Server: &types.ServerDefinition{InlineContent: aws.String(
			fmt.Sprintf(`{"name": "io.example/%s", "description": "Server %s", "version": "1.0.0"}`, name, name))}}},
	}
}

// TestReplicasOnPostgres runs three agentry processes on one PostgreSQL
// database, as a load balancer would see them.
func TestReplicasOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	dbURL := pgtest.NewDatabase(t, false)
	key := credentials.Generate()
	env := append(keyEnv(key), "AGENTRY_DATABASE_URL="+dbURL)
	var replicas []*process
	for range 3 {
		replicas = append(replicas, startAgentry(t, t.TempDir(), env...))
	}
	ctx := context.Background()
	a := sdkClient(replicas[0].url, key)
	reg, err := a.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("shared"), ApprovalConfiguration: &types.ApprovalConfiguration{AutoApproval: true}})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("writes through one replica are searchable through the others", func(t *testing.T) {
		const n = 40
		var delays []time.Duration
		for i := range n {
			name := fmt.Sprintf("converge-%d", i)
			in := mcpRecord(name)
			in.RegistryId = reg.RegistryArn
			w := sdkClient(replicas[i%3].url, key)
			out, err := w.CreateRegistryRecord(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{RegistryId: reg.RegistryArn, RecordId: out.RecordArn}); err != nil {
				t.Fatal(err)
			}
			approved := time.Now()
			for _, r := range replicas {
				delays = append(delays, waitSearchable(t, r.url, key, aws.ToString(reg.RegistryArn), name, approved))
			}
		}
		slices.Sort(delays)
		p50, p99, worst := delays[len(delays)/2], delays[len(delays)*99/100], delays[len(delays)-1]
		t.Logf("convergence over %d (write, replica) pairs: p50 %v, p99 %v, max %v", len(delays), p50, p99, worst)
		if p99 > time.Second {
			t.Fatalf("p99 convergence %v exceeds 1 s", p99)
		}
	})

	t.Run("a registry changed through one replica changes on the others", func(t *testing.T) {
		tmp, err := a.CreateRegistry(ctx, &ctl.CreateRegistryInput{Name: aws.String("short-lived")})
		if err != nil {
			t.Fatal(err)
		}
		b := dataClient(replicas[1].url, key)
		search := func() error {
			_, err := b.SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{RegistryIds: []string{aws.ToString(tmp.RegistryArn)}, SearchQuery: aws.String("x")})
			return err
		}
		if err := search(); err != nil { // replica 1 now holds the registry in memory
			t.Fatal(err)
		}
		if _, err := a.DeleteRegistry(ctx, &ctl.DeleteRegistryInput{RegistryId: tmp.RegistryArn}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for {
			err := search()
			var nf *datatypes.ResourceNotFoundException
			if errors.As(err, &nf) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica 1 still serves a registry deleted through replica 0: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})

	t.Run("concurrent creates of one name yield one record", func(t *testing.T) {
		for round := range 5 {
			name := fmt.Sprintf("contested-%d", round)
			var ok, conflicts atomic.Int32
			var wg sync.WaitGroup
			for _, r := range replicas {
				wg.Go(func() {
					in := mcpRecord(name)
					in.RegistryId = reg.RegistryArn
					_, err := sdkClient(r.url, key).CreateRegistryRecord(ctx, in)
					var ce *types.ConflictException
					switch {
					case err == nil:
						ok.Add(1)
					case errors.As(err, &ce):
						conflicts.Add(1)
					default:
						t.Errorf("create %s: %v", name, err)
					}
				})
			}
			wg.Wait()
			if ok.Load() != 1 || conflicts.Load() != 2 {
				t.Fatalf("%s: %d successes and %d conflicts, want 1 and 2", name, ok.Load(), conflicts.Load())
			}
		}
	})

	t.Run("kill -9 during writes loses nothing acknowledged, and a restarted replica catches up", func(t *testing.T) {
		victim := replicas[2]
		var mu sync.Mutex
		var acked []string
		var wg sync.WaitGroup
		for w := range 3 {
			wg.Go(func() {
				c := sdkClient(victim.url, key)
				for i := 0; ; i++ {
					name := fmt.Sprintf("kill-w%d-%d", w, i)
					in := mcpRecord(name)
					in.RegistryId = reg.RegistryArn
					if _, err := c.CreateRegistryRecord(ctx, in); err != nil {
						return
					}
					mu.Lock()
					acked = append(acked, name)
					mu.Unlock()
				}
			})
		}
		time.Sleep(500 * time.Millisecond)
		victim.cmd.Process.Signal(syscall.SIGKILL)
		wg.Wait()
		<-victim.done

		// While it is down, another replica approves a record.
		in := mcpRecord("while-down")
		in.RegistryId = reg.RegistryArn
		out, err := a.CreateRegistryRecord(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.SubmitRegistryRecordForApproval(ctx, &ctl.SubmitRegistryRecordForApprovalInput{RegistryId: reg.RegistryArn, RecordId: out.RecordArn}); err != nil {
			t.Fatal(err)
		}
		replicas[2] = startAgentry(t, t.TempDir(), env...)
		waitSearchable(t, replicas[2].url, key, aws.ToString(reg.RegistryArn), "while-down", time.Now())

		stored := map[string]bool{}
		p := ctl.NewListRegistryRecordsPaginator(sdkClient(replicas[1].url, key), &ctl.ListRegistryRecordsInput{RegistryId: reg.RegistryArn, MaxResults: aws.Int32(100)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.RegistryRecords {
				stored[aws.ToString(r.Name)] = true
			}
		}
		if len(acked) < 10 {
			t.Fatalf("only %d writes acknowledged before the kill", len(acked))
		}
		for _, name := range acked {
			if !stored[name] {
				t.Errorf("acknowledged record %s lost", name)
			}
		}
		t.Logf("%d acknowledged writes before kill -9, none lost", len(acked))
	})

	t.Run("a replica cut off from the database is not ready, and recovers", func(t *testing.T) {
		proxy := newTCPProxy(t, dbURL)
		cut := startAgentry(t, t.TempDir(), append(keyEnv(key), "AGENTRY_DATABASE_URL="+proxy.url)...)
		wantReady(t, cut.url, http.StatusOK)
		proxy.setDown(true)
		wantReady(t, cut.url, http.StatusServiceUnavailable)
		proxy.setDown(false)
		wantReady(t, cut.url, http.StatusOK)
		// And it has caught up with what happened meanwhile.
		waitSearchable(t, cut.url, key, aws.ToString(reg.RegistryArn), "while-down", time.Now())
	})
}

// waitSearchable polls a replica's search until name is found, and returns
// how long after since it was.
func waitSearchable(t *testing.T, url string, key credentials.Key, registryArn, name string, since time.Time) time.Duration {
	t.Helper()
	c := dataClient(url, key)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out, err := c.SearchRegistryRecords(context.Background(), &data.SearchRegistryRecordsInput{
			RegistryIds: []string{registryArn}, SearchQuery: aws.String(name), MaxResults: aws.Int32(20)})
		if err == nil {
			for _, r := range out.RegistryRecords {
				if aws.ToString(r.Name) == name {
					return time.Since(since)
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s not searchable on %s within 10 s", name, url)
	return 0
}

func wantReady(t *testing.T, url string, status int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == status {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz did not become %d within 15 s", status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tcpProxy forwards connections to PostgreSQL and can cut them all, to
// play a database that goes away and comes back.
type tcpProxy struct {
	url  string
	mu   sync.Mutex
	down bool
	open []net.Conn
}

func newTCPProxy(t *testing.T, dbURL string) *tcpProxy {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	u.Host = ln.Addr().String()
	p := &tcpProxy{url: u.String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.down {
				p.mu.Unlock()
				c.Close()
				continue
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.open = append(p.open, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

func (p *tcpProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for _, c := range p.open {
			c.Close()
		}
		p.open = nil
	}
}
