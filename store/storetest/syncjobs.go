package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

var syncJobTests = []test{
	{"PutGetDelete", func(t *testing.T, s Store) {
		at := time.Date(2025, 5, 1, 9, 0, 0, 123e6, time.UTC)
		j := registry.SyncJob{RegistryID: "reg", RecordID: "rec", PriorStatus: registry.StatusApproved,
			PriorReason: "fine", Periodic: true, Namespace: registry.NamespaceGA, CreatedAt: at}
		write(t, s, func(tx registry.Tx) error { return tx.PutSyncJob(j) })
		wantSyncJob(t, s, j, true)
		j.Attempts, j.LeaseUntil = 2, at.Add(time.Minute)
		write(t, s, func(tx registry.Tx) error { return tx.PutSyncJob(j) })
		wantSyncJob(t, s, j, true)
		write(t, s, func(tx registry.Tx) error { return tx.DeleteSyncJob("reg", "rec") })
		wantSyncJob(t, s, j, false)
		write(t, s, func(tx registry.Tx) error { return tx.DeleteSyncJob("reg", "rec") })
	}},
	{"ClaimLeases", func(t *testing.T, s Store) {
		t0 := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
		write(t, s, func(tx registry.Tx) error {
			for i := range 3 {
				j := registry.SyncJob{RegistryID: "reg", RecordID: fmt.Sprint("rec", i), CreatedAt: t0.Add(time.Duration(-i) * time.Second)}
				if err := tx.PutSyncJob(j); err != nil {
					return err
				}
			}
			return nil
		})
		claim := func(now time.Time, limit int) []registry.SyncJob {
			var jobs []registry.SyncJob
			write(t, s, func(tx registry.Tx) (err error) {
				jobs, err = tx.ClaimSyncJobs(now, now.Add(time.Minute), limit)
				return err
			})
			return jobs
		}
		jobs := claim(t0, 2)
		if len(jobs) != 2 || jobs[0].RecordID == "rec0" || jobs[1].RecordID == "rec0" {
			t.Fatalf("first claim = %+v, want the two oldest (rec2, rec1)", jobs)
		}
		for _, j := range jobs {
			if j.Attempts != 1 || !j.LeaseUntil.Equal(t0.Add(time.Minute)) {
				t.Errorf("claimed %+v, want attempts 1 and the lease", j)
			}
		}
		if jobs := claim(t0.Add(time.Second), 5); len(jobs) != 1 || jobs[0].RecordID != "rec0" {
			t.Fatalf("second claim = %+v, want only rec0: the others are leased", jobs)
		}
		if jobs := claim(t0.Add(2*time.Minute), 5); len(jobs) != 3 || jobs[0].Attempts != 2 {
			t.Fatalf("claim after the leases ended = %+v, want all three again", jobs)
		}
	}},
	{"ConcurrentClaimsDisjoint", func(t *testing.T, s Store) {
		const n = 30
		t0 := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
		write(t, s, func(tx registry.Tx) error {
			for i := range n {
				if err := tx.PutSyncJob(registry.SyncJob{RegistryID: "reg", RecordID: fmt.Sprintf("rec%02d", i), CreatedAt: t0}); err != nil {
					return err
				}
			}
			return nil
		})
		var (
			mu   sync.Mutex
			seen = map[string]int{}
			wg   sync.WaitGroup
		)
		for range 4 {
			wg.Go(func() {
				for {
					var jobs []registry.SyncJob
					err := s.Update(t.Context(), func(tx registry.Tx) (err error) {
						jobs, err = tx.ClaimSyncJobs(t0, t0.Add(time.Hour), 3)
						return err
					})
					if err != nil {
						t.Error(err)
						return
					}
					if len(jobs) == 0 {
						return
					}
					mu.Lock()
					for _, j := range jobs {
						seen[j.RecordID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != n {
			t.Errorf("claimed %d distinct jobs, want %d", len(seen), n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("job %s claimed %d times", id, c)
			}
		}
	}},
}

func wantSyncJob(t *testing.T, s Store, want registry.SyncJob, wantOK bool) {
	t.Helper()
	var (
		got registry.SyncJob
		ok  bool
	)
	err := s.View(t.Context(), func(tx registry.Tx) (err error) {
		got, ok, err = tx.SyncJob(want.RegistryID, want.RecordID)
		return err
	})
	if err != nil || ok != wantOK || (ok && (got.PriorStatus != want.PriorStatus || got.PriorReason != want.PriorReason ||
		got.Attempts != want.Attempts || got.Periodic != want.Periodic || !got.LeaseUntil.Equal(want.LeaseUntil) || !got.CreatedAt.Equal(want.CreatedAt))) {
		t.Errorf("SyncJob = %+v, ok %v, err %v; want %+v, ok %v", got, ok, err, want, wantOK)
	}
}
