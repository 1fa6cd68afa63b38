package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// RunReplicas checks what one process lists after others wrote: a and b
// are two stores open on the same database, as two replicas of agentry
// are. Summaries b listed before (and may keep) must follow every write
// through a: changed, deleted and created again under the same id, and
// writes rolled back.
func RunReplicas(t *testing.T, a, b Store) {
	reg := sampleRegistry("replicas")
	createRegistries(t, a, reg)
	r1, r2, r3 := sampleRecord(reg.ID, "one"), sampleRecord(reg.ID, "two"), sampleRecord(reg.ID, "three")
	createRecords(t, a, r1, r2, r3)
	q := registry.RecordQuery{RegistryID: reg.ID, Limit: 10}
	// A Rev, where the store gives them, names one state of a record.
	states := map[int64]registry.RecordSummary{}
	lists := func(want ...registry.Record) {
		t.Helper()
		for _, s := range []Store{b, a} {
			sums := read(t, s, func(tx registry.Tx) ([]registry.RecordSummary, error) { return tx.ListRecordSummaries(q) })
			for i, sum := range sums {
				if sum.Rev == 0 {
					continue
				}
				sums[i].Rev = 0
				if seen, ok := states[sum.Rev]; ok {
					wantSame(t, fmt.Sprintf("summary at rev %d", sum.Rev), sums[i], seen)
				}
				states[sum.Rev] = sums[i]
			}
			w := make([]registry.RecordSummary, len(want))
			for i, r := range want {
				w[i] = summaryOf(r)
			}
			wantSame(t, "summaries", sums, w)
			listRecords(t, s, q)
		}
	}
	lists(r1, r3, r2) // by name

	// Changed through a.
	later := t0.Add(time.Minute)
	r1.Latest.Description, r1.Latest.Status, r1.Latest.UpdatedAt = "changed", registry.StatusApproved, later
	approved := r1.Latest
	r1.Approved = &approved
	r3.CreatedBy, r3.Latest.DisplayName = "123456789012", "Three"
	write(t, a, func(tx registry.Tx) error { return errors.Join(tx.PutRecord(r1), tx.PutRecord(r3)) })
	lists(r1, r3, r2)

	// Deleted, and created again under the same id with other members.
	again := sampleRecord(reg.ID, "deux")
	again.ID, again.Latest.Description, again.Latest.Version = r2.ID, "again", "2.0.0"
	write(t, a, func(tx registry.Tx) error { return tx.DeleteRecord(reg.ID, r2.ID) })
	write(t, a, func(tx registry.Tx) error { return tx.CreateRecord(again) })
	lists(again, r1, r3)

	// A write rolled back, listed inside its transaction, then another.
	rolledBack := r3
	rolledBack.Latest.Description = "rolled back"
	errRollback := errors.New("roll back")
	err := a.Update(t.Context(), func(tx registry.Tx) error {
		if err := tx.PutRecord(rolledBack); err != nil {
			return err
		}
		if _, err := tx.ListRecordSummaries(q); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update: %v", err)
	}
	lists(again, r1, r3)
	r3.Latest.Description = "committed"
	write(t, a, func(tx registry.Tx) error { return tx.PutRecord(r3) })
	lists(again, r1, r3)
}
