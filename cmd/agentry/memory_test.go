package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	data "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"

	"github.com/agentry/agentry/credentials"
	"github.com/agentry/agentry/internal/searcheval"
	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/server"
	"github.com/agentry/agentry/store/sqlite"
)

// BenchmarkResidentMemory100k measures the resident memory of a real
// agentry process serving 100,000 approved MCP records (server.json and a
// tools/list of 2 to 6 tools each, about 1.4 KB of text, words drawn
// from the MCP Registry seed) from SQLite: lexical only, and with the
// built-in model once every record has its vector and the approximate
// index is built.
//
//	go test -run '^$' -bench BenchmarkResidentMemory100k -benchtime 1x ./cmd/agentry/
func BenchmarkResidentMemory100k(b *testing.B) {
	dir := b.TempDir()
	seedRecords(b, filepath.Join(dir, server.DatabaseFile), 100_000)
	key := credentials.Generate()
	for _, mode := range []string{"off", "builtin"} {
		b.Run("semantic-"+mode, func(b *testing.B) {
			for b.Loop() {
				t0 := time.Now()
				p := startAgentry(b, dir, append(keyEnv(key), "AGENTRY_SEMANTIC="+mode)...)
				ready := time.Since(t0)
				if mode == "builtin" {
					waitLogged(b, p, "semantic vectors ready", 5*time.Minute)
					waitLogged(b, p, "approximate semantic index ready", 5*time.Minute)
				}
				// A few searches, so that what serving needs is resident.
				for _, q := range []string{"create github issues", "query a postgres database", "send slack messages"} {
					resp, err := dataClient(p.url, key).SearchRegistryRecords(context.Background(), &data.SearchRegistryRecordsInput{
						RegistryIds: []string{"memorybench1"}, SearchQuery: aws.String(q)})
					if err != nil || len(resp.RegistryRecords) == 0 {
						b.Fatalf("search %q: %v", q, err)
					}
				}
				time.Sleep(time.Second)
				b.ReportMetric(ready.Seconds(), "ready-s")
				b.ReportMetric(statusMB(b, p.cmd.Process.Pid, "VmRSS"), "rss-MB")
				b.ReportMetric(statusMB(b, p.cmd.Process.Pid, "VmHWM"), "peak-rss-MB")
				p.cmd.Process.Kill()
				<-p.done
			}
		})
	}
}

// statusMB reads a memory figure of a process from /proc.
func statusMB(tb testing.TB, pid int, field string) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Skipf("no /proc here: %v", err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb / 1024
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

func waitLogged(tb testing.TB, p *process, msg string, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !p.logged(msg) {
		select {
		case <-p.done:
			tb.Fatalf("agentry exited: %v", p.err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("agentry did not log %q within %v", msg, timeout)
		}
	}
}

// seedRecords writes n approved MCP records into a new SQLite database, in
// one registry, "memorybench1": searcheval.SeedCorpus's records, each with a
// tools/list of 2 to 6 tools made of the same words.
func seedRecords(tb testing.TB, path string, n int) {
	recs, _, words, err := searcheval.SeedCorpus("../../testdata/search-eval", n)
	if err != nil {
		tb.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	defer store.Close()
	now := time.Now().UTC().Truncate(time.Millisecond)
	err = store.Update(ctx, func(tx registry.Tx) error {
		if err := tx.CreateRegistry(registry.Registry{ID: "memorybench1", Name: "memory", AuthorizerType: registry.AuthorizerAWSIAM,
			Status: registry.RegistryReady, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		for _, rec := range recs {
			var tools []map[string]any
			for t := range 2 + rnd.IntN(5) {
				tools = append(tools, map[string]any{"name": fmt.Sprintf("tool_%d_%s", t, words(1)),
					"description": words(6 + rnd.IntN(13)), "inputSchema": map[string]any{"type": "object", "properties": map[string]any{
						"query": map[string]any{"type": "string", "description": words(3 + rnd.IntN(6))}}}})
			}
			toolsJSON, _ := json.Marshal(map[string]any{"tools": tools})
			rev := *rec.Approved
			rev.UpdatedAt = now
			rev.Descriptors.MCP.Tools = &registry.ToolsDefinition{InlineContent: string(toolsJSON)}
			rec.RegistryID, rec.CreatedAt, rec.Latest, rec.Approved = "memorybench1", now, rev, &rev
			if err := tx.CreateRecord(rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}
