package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentry/agentry/audit"
	"github.com/agentry/agentry/registry"
)

// memStore is an audit.Store in memory that fails while failing is set.
type memStore struct {
	mu      sync.Mutex
	entries []registry.AuditEntry
	failing bool
	batches int
}

func (m *memStore) AppendAudit(_ context.Context, es []registry.AuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failing {
		return errors.New("disk full")
	}
	for _, e := range es {
		e.Seq = int64(len(m.entries) + 1)
		m.entries = append(m.entries, e)
	}
	m.batches++
	return nil
}

func (m *memStore) Audit(_ context.Context, q registry.AuditQuery) ([]registry.AuditEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []registry.AuditEntry
	for _, e := range m.entries {
		if e.Seq > q.AfterSeq && len(out) < q.Limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memStore) PruneAudit(context.Context, time.Time) (int64, error) { return 0, nil }

func (m *memStore) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// TestRecorderBatchesAndKeepsEverything: entries are written in batches,
// kept while the store fails, and written on Close.
func TestRecorderBatchesAndKeepsEverything(t *testing.T) {
	st := &memStore{}
	r := audit.New(st, audit.Options{})
	for i := range 1000 {
		r.Record(registry.AuditEntry{RequestID: strings.Repeat("x", i%3), Operation: "CreateRegistry"})
	}
	deadline := time.Now().Add(5 * time.Second)
	for st.count() < 1000 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := st.count(); n != 1000 {
		t.Fatalf("%d entries written, want 1000", n)
	}
	if st.batches > 100 {
		t.Errorf("%d batches for 1000 entries: not batched", st.batches)
	}
	st.mu.Lock()
	st.failing = true
	st.mu.Unlock()
	r.Record(registry.AuditEntry{Operation: "DeleteRegistry"})
	time.Sleep(200 * time.Millisecond)
	st.mu.Lock()
	st.failing = false
	st.mu.Unlock()
	r.Record(registry.AuditEntry{Operation: "UpdateRegistry"})
	r.Close()
	if n := st.count(); n != 1002 {
		t.Errorf("%d entries after a failure and Close, want 1002", n)
	}
}

// TestExportPages: Export writes every entry as a JSON line, page by page.
func TestExportPages(t *testing.T) {
	st := &memStore{}
	var es []registry.AuditEntry
	for range 2500 {
		es = append(es, registry.AuditEntry{Operation: "UpdateRegistryRecord", Changed: []string{"description"}})
	}
	st.AppendAudit(context.Background(), es)
	var buf bytes.Buffer
	n, err := audit.Export(context.Background(), st, registry.AuditQuery{}, &buf)
	if err != nil || n != 2500 {
		t.Fatalf("Export = %d, %v", n, err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var last audit.Line
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Seq != 2500 || last.ChangedFields[0] != "description" {
		t.Errorf("last line %q: %v", lines[len(lines)-1], err)
	}
	if n, _ := audit.Export(context.Background(), st, registry.AuditQuery{Limit: 1200}, &bytes.Buffer{}); n != 1200 {
		t.Errorf("Export with limit 1200 wrote %d", n)
	}
}
