package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// eventStore is what the webhooks' dispatcher (package events) and the
// audit trail (package audit) need of a store, beside registry.Store.
type eventStore interface {
	EventsSince(ctx context.Context, after int64, limit int) ([]registry.Event, error)
	LatestEvent(ctx context.Context) (int64, error)
	PruneEvents(ctx context.Context, upTo int64) error
	AddDeadLetter(ctx context.Context, d registry.DeadLetter) error
	DeadLetters(ctx context.Context, webhook string) ([]registry.DeadLetter, error)
	DeleteDeadLetter(ctx context.Context, webhook string, seq int64) error
	AppendAudit(ctx context.Context, entries []registry.AuditEntry) error
	Audit(ctx context.Context, q registry.AuditQuery) ([]registry.AuditEntry, error)
	PruneAudit(ctx context.Context, before time.Time) (int64, error)
}

var eventTests = []test{
	{"OutboxInCommitOrder", testOutboxInCommitOrder},
	{"OutboxConcurrentWriters", testOutboxConcurrentWriters},
	{"DeadLetters", testDeadLetters},
	{"AuditTrail", testAuditTrail},
}

func eventsOf(t *testing.T, s Store) eventStore {
	es, ok := s.(eventStore)
	if !ok {
		t.Fatalf("%T does not keep events and the audit trail", s)
	}
	return es
}

func sampleEvent(reg, rec, detailType string) registry.Event {
	return registry.Event{ID: registry.NewEventID(), DetailType: detailType, At: time.UnixMilli(1_700_000_000_123).UTC(),
		RegistryID: reg, RecordID: rec, Detail: []byte(`{"registryId":"` + reg + `"}`)}
}

// testOutboxInCommitOrder: events come back as written, in seq order; a
// transaction that fails leaves none; pruning deletes up to a seq.
func testOutboxInCommitOrder(t *testing.T, s Store) {
	es := eventsOf(t, s)
	want := []registry.Event{sampleEvent("reg000000001", "rec000000001", registry.EventRecordDraft),
		sampleEvent("reg000000001", "", registry.EventRegistryUpdating)}
	write(t, s, func(tx registry.Tx) error {
		for i := range want {
			seq, err := tx.AppendEvent(want[i])
			if err != nil {
				return err
			}
			want[i].Seq = seq
		}
		return nil
	})
	failed := errors.New("rolled back")
	if err := s.Update(t.Context(), func(tx registry.Tx) error {
		if _, err := tx.AppendEvent(sampleEvent("reg000000001", "x", registry.EventRecordApproved)); err != nil {
			return err
		}
		return failed
	}); !errors.Is(err, failed) {
		t.Fatalf("Update: %v, want the fn's error", err)
	}
	got, err := es.EventsSince(t.Context(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("EventsSince(0) = %+v, want %+v", got, want)
	}
	if want[0].Seq >= want[1].Seq {
		t.Errorf("seqs %d, %d are not increasing", want[0].Seq, want[1].Seq)
	}
	if latest, err := es.LatestEvent(t.Context()); err != nil || latest != want[1].Seq {
		t.Errorf("LatestEvent = %d, %v, want %d", latest, err, want[1].Seq)
	}
	if err := es.PruneEvents(t.Context(), want[0].Seq); err != nil {
		t.Fatal(err)
	}
	if got, _ := es.EventsSince(t.Context(), 0, 10); len(got) != 1 || got[0].Seq != want[1].Seq {
		t.Errorf("after pruning up to %d: %+v", want[0].Seq, got)
	}
}

// testOutboxConcurrentWriters: a reader that polls the outbox while
// writers append misses none (events become visible in seq order).
func testOutboxConcurrentWriters(t *testing.T, s Store) {
	es := eventsOf(t, s)
	const writers, each = 4, 25
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				if err := s.Update(t.Context(), func(tx registry.Tx) error {
					_, err := tx.AppendEvent(sampleEvent("reg000000001", "rec000000001", registry.EventRecordDraft))
					return err
				}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var seen []int64
	var after int64
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		page, err := es.EventsSince(t.Context(), after, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			seen = append(seen, e.Seq)
			after = e.Seq
		}
		if finished && len(page) == 0 {
			break
		}
	}
	if len(seen) != writers*each || !slices.IsSorted(seen) {
		t.Errorf("the poller saw %d events (sorted: %v), want %d", len(seen), slices.IsSorted(seen), writers*each)
	}
}

func testDeadLetters(t *testing.T, s Store) {
	es := eventsOf(t, s)
	d := registry.DeadLetter{Webhook: "ops", Seq: 7, EventID: registry.NewEventID(), Attempts: 16, LastError: "503",
		At: time.UnixMilli(1_700_000_000_456).UTC(), Body: []byte(`{"id":"x"}`)}
	for range 2 { // a second add of the same event is ignored
		if err := es.AddDeadLetter(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}
	other := d
	other.Webhook = "audit"
	es.AddDeadLetter(t.Context(), other)
	got, err := es.DeadLetters(t.Context(), "ops")
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], d) {
		t.Errorf("DeadLetters(ops) = %+v, %v, want [%+v]", got, err, d)
	}
	if all, _ := es.DeadLetters(t.Context(), ""); len(all) != 2 {
		t.Errorf("DeadLetters() = %d, want 2", len(all))
	}
	// Redelivered to ops: gone from ops's list only; a second delete is no error.
	for range 2 {
		if err := es.DeleteDeadLetter(t.Context(), "ops", d.Seq); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := es.DeadLetters(t.Context(), "ops"); len(got) != 0 {
		t.Errorf("DeadLetters(ops) after the delete = %+v", got)
	}
	if got, _ := es.DeadLetters(t.Context(), ""); len(got) != 1 || got[0].Webhook != "audit" {
		t.Errorf("DeadLetters() after the delete = %+v, want audit's", got)
	}
}

func testAuditTrail(t *testing.T, s Store) {
	es := eventsOf(t, s)
	base := time.UnixMilli(1_700_000_000_000).UTC()
	reg := "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/reg000000001"
	entries := []registry.AuditEntry{
		{At: base, RequestID: "a", Operation: "CreateRegistry", Principal: "arn:aws:iam::123456789012:root", AccessKeyID: "AKIA1",
			SourceIP: "127.0.0.1", Resource: "arn:aws:bedrock-agentcore:us-east-1:123456789012:registry/*", Outcome: "allowed", Status: 202,
			Changed: []string{"description", "name"}},
		{At: base.Add(time.Minute), RequestID: "b", Operation: "UpdateRegistryRecord", Principal: "arn:aws:iam::123456789012:user/p",
			SourceIP: "10.0.0.1", Resource: reg + "/record/rec000000001", Outcome: "denied", Status: 403, Error: "AccessDeniedException", Denial: "explicit",
			DeniedBy: `policies[1].Statement[0] (Sid "NoDeletes")`},
		{At: base.Add(2 * time.Minute), RequestID: "c", Operation: "DeleteRegistry", Principal: "arn:aws:iam::123456789012:root",
			SourceIP: "127.0.0.1", Resource: reg, Outcome: "failed", Status: 409, Error: "ConflictException"},
	}
	if err := es.AppendAudit(t.Context(), entries); err != nil {
		t.Fatal(err)
	}
	all, err := es.Audit(t.Context(), registry.AuditQuery{Limit: 10})
	if err != nil || len(all) != 3 {
		t.Fatalf("Audit = %d entries, %v", len(all), err)
	}
	for i := range all {
		entries[i].Seq = all[i].Seq
		if !reflect.DeepEqual(all[i], entries[i]) {
			t.Errorf("entry %d = %+v, want %+v", i, all[i], entries[i])
		}
	}
	for name, c := range map[string]struct {
		q    registry.AuditQuery
		want []string
	}{
		"principal": {registry.AuditQuery{Principal: "arn:aws:iam::123456789012:root"}, []string{"a", "c"}},
		"operation": {registry.AuditQuery{Operation: "UpdateRegistryRecord"}, []string{"b"}},
		"resource":  {registry.AuditQuery{Resource: reg}, []string{"c"}},
		"prefix":    {registry.AuditQuery{Resource: reg + "*"}, []string{"b", "c"}},
		"time":      {registry.AuditQuery{From: base.Add(time.Minute), To: base.Add(2 * time.Minute)}, []string{"b"}},
		"after":     {registry.AuditQuery{AfterSeq: all[0].Seq, Limit: 1}, []string{"b"}},
	} {
		if c.q.Limit == 0 {
			c.q.Limit = 10
		}
		got, err := es.Audit(t.Context(), c.q)
		var ids []string
		for _, e := range got {
			ids = append(ids, e.RequestID)
		}
		if err != nil || !slices.Equal(ids, c.want) {
			t.Errorf("%s: %v, %v, want %v", name, ids, err, c.want)
		}
	}
	if n, err := es.PruneAudit(t.Context(), base.Add(time.Minute)); err != nil || n != 1 {
		t.Errorf("PruneAudit = %d, %v, want 1", n, err)
	}
}
