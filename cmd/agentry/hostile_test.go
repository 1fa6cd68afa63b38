package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	ctl "github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/agentry/agentry/credentials"
)

// Keys of the hostile benchmark's IAM file: the attackers know the first
// one's id but not its secret; the slow readers sign with the second.
const (
	attackerKeyID = "AKIAATTACKER0000001"
	readerKeyID   = "AKIASLOWREADER00001"
	readerSecret  = "slow-reader-secret-0000000000000000000000"
)

// BenchmarkHostileClients runs a real agentry process through two attacks
// while a monitor probes /healthz every 20 ms and a well-behaved SDK client
// (retries off) keeps calling ListRegistries, SearchRegistryRecords and
// CreateRegistryRecord:
//
//   - for 30 s, 500 connections that send a request body up to its last
//     byte and stall (2 MiB - 1 on the control plane, 256 KiB - 1 on search
//     and MCP): unsigned, or signed with a known access key id and a wrong
//     signature; each reconnects a second after the server lets it go;
//   - then for 30 s, 100 connections that ask the MCP endpoint, signed, for
//     20 records of about 90 KB each and never read the answer, each
//     replaced by a new one every 10 s.
//
// It reports agentry's resident memory (sampled every 100 ms) before and at
// the peak of each phase, /healthz latency and the client's successes and
// failures, and fails when memory grows by more than 150 MB, /healthz p99
// reaches 100 ms or a client call fails. Loopback only.
//
//	go test -run '^$' -bench BenchmarkHostileClients -benchtime 1x -timeout 20m ./cmd/agentry/
func BenchmarkHostileClients(b *testing.B) {
	raiseFileLimit(b, 4096)
	key := credentials.Generate()
	iamFile := filepath.Join(b.TempDir(), "iam.json")
	writeHostileIAM(b, iamFile)
	for b.Loop() {
		p := startAgentry(b, b.TempDir(), append(keyEnv(key), "AGENTRY_IAM_FILE="+iamFile)...)
		ctx := context.Background()
		c := sdkClient(p.url, key)
		catalog := createHostileRegistry(b, c, "catalog")
		for i := range 20 {
			in := largeRecord(fmt.Sprintf("big-%02d", i))
			in.RegistryId = catalog.RegistryArn
			if _, err := c.CreateRegistryRecord(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
		small := createHostileRegistry(b, c, "small")
		for i := range 3 {
			in := mcpRecord(fmt.Sprintf("small-%d", i))
			in.RegistryId = small.RegistryArn
			if _, err := c.CreateRegistryRecord(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
		catalogID := idOf(aws.ToString(catalog.RegistryArn))
		approveAll(b, c, catalog.RegistryArn, 0, new(atomic.Int64))
		approveAll(b, c, small.RegistryArn, 0, new(atomic.Int64))
		// One slow reader's request, read: it gets 20 large records.
		if n := readMCPAnswer(b, p.url, catalogID); n < 20*90_000 {
			b.Fatalf("the slow readers' request is answered with %d bytes, want 20 large records", n)
		}
		time.Sleep(2 * time.Second)
		pid := p.cmd.Process.Pid
		baseline := statusMB(b, pid, "VmRSS")

		stop := make(chan struct{})
		var monitors sync.WaitGroup
		var peak atomic.Int64 // KB, per phase
		monitors.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				kb := int64(statusMB(b, pid, "VmRSS") * 1024)
				for old := peak.Load(); kb > old && !peak.CompareAndSwap(old, kb); old = peak.Load() {
				}
			}
		})
		var health healthProbe
		monitors.Go(func() { health.run(p.url, stop) })
		client := &wellBehaved{ctl: c, data: dataClient(p.url, key), small: small.RegistryArn}
		monitors.Go(func() { client.run(stop) })

		addr := strings.TrimPrefix(p.url, "http://")
		bodies := slowBodies(b, addr, catalogID, 30*time.Second)
		bodyPeak := float64(peak.Swap(0)) / 1024
		readers := slowReaders(b, p.url, catalogID, 30*time.Second)
		readerPeak := float64(peak.Load()) / 1024
		close(stop)
		monitors.Wait()

		growth := max(bodyPeak, readerPeak) - baseline
		p50, p99, worst := health.percentiles()
		b.ReportMetric(baseline, "baseline-rss-MB")
		b.ReportMetric(bodyPeak, "slow-body-peak-rss-MB")
		b.ReportMetric(readerPeak, "slow-reader-peak-rss-MB")
		b.ReportMetric(growth, "growth-MB")
		b.ReportMetric(p50, "healthz-p50-ms")
		b.ReportMetric(p99, "healthz-p99-ms")
		b.ReportMetric(worst, "healthz-max-ms")
		b.ReportMetric(float64(client.ok.Load()), "client-ok")
		b.ReportMetric(float64(client.failed.Load()), "client-errors")
		b.Logf("resident memory: %.0f MB before, peaks %.0f MB (slow bodies) and %.0f MB (slow readers); /healthz p50 %.1f ms, p99 %.1f ms, max %.1f ms; client %d ok, %d failed",
			baseline, bodyPeak, readerPeak, p50, p99, worst, client.ok.Load(), client.failed.Load())
		b.Logf("slow bodies: %s", bodies)
		b.Logf("slow readers: %s", readers)
		b.Logf("healthz: %d probes, %d failed", health.count(), health.failed.Load())
		if growth > 150 {
			b.Errorf("resident memory grew by %.0f MB, more than 150 MB", growth)
		}
		if p99 >= 100 {
			b.Errorf("/healthz p99 %.1f ms, not under 100 ms", p99)
		}
		if n := client.failed.Load(); n > 0 || health.failed.Load() > 0 {
			b.Errorf("%d of %d client calls failed (first: %v), %d health probes failed", n, n+client.ok.Load(), client.first.Load(), health.failed.Load())
		}
		p.cmd.Process.Kill()
		<-p.done
	}
}

// raiseFileLimit raises the soft limit of open files to at least n, for the
// benchmark's connections and the server it starts.
func raiseFileLimit(tb testing.TB, n uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		tb.Skipf("the hard limit of open files is %d; %d are needed", lim.Max, n)
	}
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Fatal(err)
	}
}

func writeHostileIAM(tb testing.TB, path string) {
	policy := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
		"Action": ["bedrock-agentcore:InvokeRegistryMcp", "bedrock-agentcore:SearchRegistryRecords"],
		"Resource": "arn:aws:bedrock-agentcore:us-east-1:000000000000:registry/*"}]}`
	file := fmt.Sprintf(`{"principals": [
		{"name": "attacker", "accessKeys": [{"accessKeyId": %q, "secretAccessKey": "attacker-secret-never-known-00000000000"}]},
		{"name": "reader", "accessKeys": [{"accessKeyId": %q, "secretAccessKey": %q}], "policies": [%s]}]}`,
		attackerKeyID, readerKeyID, readerSecret, policy)
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		tb.Fatal(err)
	}
}

func createHostileRegistry(tb testing.TB, c *ctl.Client, name string) *ctl.CreateRegistryOutput {
	out, err := c.CreateRegistry(context.Background(), &ctl.CreateRegistryInput{
		Name: aws.String(name), ApprovalConfiguration: &types.ApprovalConfiguration{AutoApproval: true}})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func idOf(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// largeRecord is an MCP record whose tools/list is about 90 KB.
func largeRecord(name string) *ctl.CreateRegistryRecordInput {
	in := mcpRecord(name)
	in.Description = aws.String("Weather forecasts and alerts, record " + name)
	var tools []map[string]any
	for i := 0; len(tools) < 1000; i++ {
		tools = append(tools, map[string]any{"name": fmt.Sprintf("weather_tool_%d", i),
			"description": strings.Repeat(fmt.Sprintf("Forecast number %d for a city, with hourly detail. ", i), 6),
			"inputSchema": map[string]any{"type": "object"}})
		if raw, _ := json.Marshal(map[string]any{"tools": tools}); len(raw) > 90_000 {
			in.Descriptors.Mcp.Tools = &types.ToolsDefinition{InlineContent: aws.String(string(raw))}
			return in
		}
	}
	panic("unreachable")
}

// mcpSearchRequest is a signed tools/call asking for 20 weather records.
func mcpSearchRequest(tb testing.TB, baseURL, registryID string) *http.Request {
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_registry_records",` +
		`"arguments":{"searchQuery":"weather forecast","maxResults":20}}}`)
	req, err := http.NewRequest("POST", baseURL+"/registry/"+registryID+"/mcp", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: readerKeyID, SecretAccessKey: readerSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "bedrock-agentcore", "us-east-1", time.Now()); err != nil {
		tb.Fatal(err)
	}
	return req
}

// readMCPAnswer sends the slow readers' request and reads the answer.
func readMCPAnswer(tb testing.TB, baseURL, registryID string) int {
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(mcpSearchRequest(tb, baseURL, registryID))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(raw, []byte(`"big-19"`)) {
		tb.Fatalf("MCP search: %d %v %.300s", resp.StatusCode, err, raw)
	}
	return len(raw)
}

// attackStats counts what happened to the attackers' requests.
type attackStats struct {
	mu       sync.Mutex
	statuses map[string]int // status line (or the error) -> count
}

func (s *attackStats) add(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.statuses == nil {
		s.statuses = map[string]int{}
	}
	s.statuses[what]++
}

func (s *attackStats) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for what, n := range s.statuses {
		parts = append(parts, fmt.Sprintf("%d x %s", n, what))
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

// slowBodies runs the slow-body attack for d and returns what the server
// answered.
func slowBodies(tb testing.TB, addr, registryID string, d time.Duration) *attackStats {
	type target struct {
		path   string
		size   int
		signed bool // with the attacker's key id and a wrong signature
	}
	const controlMax, consumerMax = 2 << 20, 256 << 10
	targets := []target{
		{"/registries", controlMax, false}, {"/registries", controlMax, true},
		{"/registry-records/search", consumerMax, false}, {"/registry-records/search", consumerMax, true},
		{"/registry/" + registryID + "/mcp", consumerMax, false},
	}
	filler := bytes.Repeat([]byte("a"), controlMax)
	stats := &attackStats{}
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := range 500 {
		t := targets[i%len(targets)]
		wg.Go(func() {
			for time.Now().Before(end) {
				stats.add(slowBody(addr, t.path, t.size, t.signed, filler, end))
				if wait := time.Until(end); wait > 0 {
					time.Sleep(min(wait, time.Second))
				}
			}
		})
	}
	wg.Wait()
	return stats
}

// slowBody sends one request whose body stops one byte short, and waits
// for the server's answer or for end. It returns the status line or what
// went wrong.
func slowBody(addr, path string, size int, signed bool, filler []byte, end time.Time) string {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return "dial: " + err.Error()
	}
	defer conn.Close()
	conn.SetDeadline(end)
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", path, addr, size)
	if signed {
		now := time.Now().UTC()
		head += fmt.Sprintf("X-Amz-Date: %s\r\nAuthorization: AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/bedrock-agentcore/aws4_request, "+
			"SignedHeaders=host;x-amz-date, Signature=%s\r\n", now.Format("20060102T150405Z"), attackerKeyID, now.Format("20060102"), strings.Repeat("0", 64))
	}
	answered := make(chan string, 1)
	go func() {
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				answered <- "held until the attack ended"
			} else {
				answered <- "closed without an answer"
			}
			return
		}
		answered <- strings.TrimSpace(line)
	}()
	if _, err := io.WriteString(conn, head+"\r\n"); err == nil {
		// Written in pieces, as a slow client does; a refusal stops it.
		for sent := 0; sent < size-1; {
			n := min(32<<10, size-1-sent)
			if _, err := conn.Write(filler[:n]); err != nil {
				break
			}
			sent += n
		}
	}
	return <-answered
}

// slowReaders runs the slow-reader attack for d: 100 connections, each
// replaced every 10 s, that send a signed MCP search and never read.
func slowReaders(tb testing.TB, baseURL, registryID string, d time.Duration) *attackStats {
	stats := &attackStats{}
	end := time.Now().Add(d)
	addr := strings.TrimPrefix(baseURL, "http://")
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		// A small receive window, so that the kernel takes little of the answer.
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			for time.Now().Before(end) {
				conn, err := dialer.Dial("tcp", addr)
				if err != nil {
					stats.add("dial: " + err.Error())
					time.Sleep(time.Second)
					continue
				}
				if err := mcpSearchRequest(tb, baseURL, registryID).Write(conn); err != nil {
					stats.add("write: " + err.Error())
				} else {
					stats.add("sent, never read")
				}
				time.Sleep(min(time.Until(end), 10*time.Second))
				conn.Close()
			}
		})
	}
	wg.Wait()
	return stats
}

// healthProbe calls /healthz every 20 ms and keeps the latencies.
type healthProbe struct {
	mu        sync.Mutex
	latencies []time.Duration
	failed    atomic.Int64
}

func (h *healthProbe) run(baseURL string, stop <-chan struct{}) {
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		select {
		case <-stop:
			return
		case <-time.After(20 * time.Millisecond):
		}
		start := time.Now()
		resp, err := client.Get(baseURL + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		took := time.Since(start)
		if err != nil || resp.StatusCode != http.StatusOK {
			h.failed.Add(1)
		}
		h.mu.Lock()
		h.latencies = append(h.latencies, took)
		h.mu.Unlock()
	}
}

func (h *healthProbe) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.latencies)
}

// percentiles returns p50, p99 and the maximum in milliseconds.
func (h *healthProbe) percentiles() (p50, p99, worst float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.latencies) == 0 {
		return 0, 0, 0
	}
	l := slices.Clone(h.latencies)
	slices.Sort(l)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return ms(l[len(l)/2]), ms(l[len(l)*99/100]), ms(l[len(l)-1])
}

// wellBehaved is a client that keeps making signed calls with small
// answers (larger ones meet the SDK's own transport bug with retries off).
type wellBehaved struct {
	ctl        *ctl.Client
	data       *data.Client
	small      *string
	ok, failed atomic.Int64
	first      atomic.Value
}

func (c *wellBehaved) run(stop <-chan struct{}) {
	ctx := context.Background()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-time.After(50 * time.Millisecond):
		}
		var err error
		switch i % 3 {
		case 0:
			_, err = c.ctl.ListRegistries(ctx, &ctl.ListRegistriesInput{})
		case 1:
			_, err = c.data.SearchRegistryRecords(ctx, &data.SearchRegistryRecordsInput{RegistryIds: []string{aws.ToString(c.small)},
				SearchQuery: aws.String("server"), MaxResults: aws.Int32(2)})
		case 2:
			in := mcpRecord(fmt.Sprintf("during-attack-%d", i))
			in.RegistryId = c.small
			_, err = c.ctl.CreateRegistryRecord(ctx, in)
		}
		if err != nil {
			c.failed.Add(1)
			c.first.CompareAndSwap(nil, err.Error())
		} else {
			c.ok.Add(1)
		}
	}
}
