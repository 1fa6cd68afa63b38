package server

import (
	"context"
	"encoding/json"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/agentry/agentry/audit"
	"github.com/agentry/agentry/httpapi"
	"github.com/agentry/agentry/metrics"
	"github.com/agentry/agentry/store/sqlite"
)

// BenchmarkObservationCost measures, in isolation and so with little
// noise, the CPU that metrics and the audit trail add to one call: what the
// server does for a finished CreateRegistryRecord or SearchRegistryRecords
// (counters and histograms; for the create, the changed fields read from
// the body and an audit entry queued and written in batches to a real
// SQLite file; for the search, its lexical leg observed). Set against the
// CPU time a whole call takes (BenchmarkObservabilityOverhead's
// off-cpu-us/call), it bounds the overhead without the noise of two
// servers under load.
func BenchmarkObservationCost(b *testing.B) {
	store, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), DatabaseFile))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	m := metrics.New()
	createBody := []byte(`{"name":"server-1","descriptorType":"MCP","descriptors":{"mcp":{"server":{"inlineContent":"{\"name\": \"my/mcp-server\", \"description\": \"My MCP server\", \"version\": \"1.0.0\"}"}}},"clientToken":"8c6f0b1e-3c1f-4b53-9f55-0d0a5e2b7a11"}`)
	finished := func(op string, status, results int) httpapi.Finished {
		return httpapi.Finished{Context: context.Background(), Time: time.Now(), Duration: 2 * time.Millisecond,
			RequestID: "5f0c7f4e-8a43-4d6c-9a57-1c2a3b4d5e6f", Operation: op, Method: "POST", Status: status,
			Principal: "arn:aws:iam::123456789012:root", AccessKeyID: "AKIAEXAMPLE000000001", SourceIP: "127.0.0.1",
			Resource: "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/reg000000001", Results: results}
	}
	for _, tt := range []struct {
		name string
		f    httpapi.Finished
	}{
		{"CreateRegistryRecord", finished("CreateRegistryRecord", 202, -1)},
		{"SearchRegistryRecords", finished("SearchRegistryRecords", 200, 10)},
	} {
		b.Run(tt.name, func(b *testing.B) {
			rec := audit.New(store, audit.Options{})
			cpu := cpuTime()
			for b.Loop() {
				f := tt.f
				if f.Results >= 0 {
					start := time.Now()
					m.SearchLeg("lexical", time.Since(start), 10)
				} else {
					var fields map[string]json.RawMessage
					json.Unmarshal(createBody, &fields)
					for name := range fields {
						f.Changed = append(f.Changed, name)
					}
				}
				observeMetrics(m, f)
				if auditable(f) {
					rec.Record(auditEntry(f))
				}
			}
			rec.Close() // writes what is queued: its cost counts
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/1000/float64(b.N), "cpu-us/call")
		})
	}
}

// cpuTime is the process's CPU time so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
