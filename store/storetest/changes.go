package storetest

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// changesSince reads the feed, failing the test on error.
func changesSince(t *testing.T, s registry.Store, after int64, limit int) []registry.ChangeEntry {
	t.Helper()
	es, err := s.ChangesSince(t.Context(), after, limit)
	if err != nil {
		t.Fatalf("ChangesSince(%d, %d): %v", after, limit, err)
	}
	return es
}

// appendChanges appends es, in order, in one Update, and returns their
// sequence numbers.
func appendChanges(t *testing.T, s registry.Store, es ...registry.ChangeEntry) []int64 {
	t.Helper()
	var seqs []int64
	write(t, s, func(tx registry.Tx) error {
		seqs = nil
		for _, e := range es {
			seq, err := tx.AppendChange(e.RegistryID, e.RecordID, e.At)
			if err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		return nil
	})
	return seqs
}

// seqsOf returns the sequence numbers of es.
func seqsOf(es []registry.ChangeEntry) []int64 {
	seqs := make([]int64, len(es))
	for i, e := range es {
		seqs[i] = e.Seq
	}
	return seqs
}

// wantChanges compares entries without their sequence numbers, which must
// be positive and increasing.
func wantChanges(t *testing.T, got, want []registry.ChangeEntry) {
	t.Helper()
	var prev int64
	unnumbered := make([]registry.ChangeEntry, len(got))
	for i, e := range got {
		if e.Seq <= prev {
			t.Errorf("entry %d has seq %d after seq %d; want positive, increasing numbers", i, e.Seq, prev)
		}
		prev = e.Seq
		e.Seq = 0
		unnumbered[i] = e
	}
	normalized := make([]registry.ChangeEntry, len(want))
	for i, e := range want {
		e.At = e.At.UTC()
		normalized[i] = e
	}
	wantSame(t, "change feed", unnumbered, normalized)
}

var changeTests = []test{
	{"Empty", func(t *testing.T, s Store) {
		if es := changesSince(t, s, 0, 10); len(es) != 0 {
			t.Errorf("a new store's feed holds %d entries", len(es))
		}
	}},
	{"AppendInOrder", func(t *testing.T, s Store) {
		// The same instant in another zone comes back equal, in UTC.
		tokyo := time.FixedZone("JST", 9*3600)
		first := []registry.ChangeEntry{
			{RegistryID: "reg-a", RecordID: "rec-1", At: t0},
			{RegistryID: "reg-a", RecordID: "", At: t0.Add(time.Millisecond)},
			{RegistryID: "reg-b", RecordID: "rec-1", At: t0.Add(time.Second).In(tokyo)},
		}
		second := []registry.ChangeEntry{{RegistryID: "reg-a", RecordID: "rec-2", At: t0.Add(-time.Hour)}}
		firstSeqs := appendChanges(t, s, first...)
		got := changesSince(t, s, 0, 100)
		wantChanges(t, got, first)
		// AppendChange returns the numbers the entries have once committed.
		if !slices.Equal(seqsOf(got), firstSeqs) {
			t.Errorf("AppendChange returned seqs %v, the feed holds %v", firstSeqs, seqsOf(got))
		}
		secondSeqs := appendChanges(t, s, second...)
		all := changesSince(t, s, 0, 100)
		wantChanges(t, all, append(slices.Clone(first), second...))
		if !slices.Equal(seqsOf(all), append(firstSeqs, secondSeqs...)) {
			t.Errorf("AppendChange returned seqs %v and %v, the feed holds %v", firstSeqs, secondSeqs, seqsOf(all))
		}
		if len(got) == len(first) && len(all) == len(first)+1 {
			wantSame(t, "entries read before the second Update", all[:len(first)], got)
			wantChanges(t, changesSince(t, s, got[len(got)-1].Seq, 100), second)
		}
	}},
	{"AppendWithOtherWrites", func(t *testing.T, s Store) {
		reg := sampleRegistry("reg")
		rec := sampleRecord(reg.ID, "rec")
		write(t, s, func(tx registry.Tx) error {
			_, err := tx.AppendChange(reg.ID, rec.ID, t0)
			return errors.Join(tx.CreateRegistry(reg), tx.CreateRecord(rec), err)
		})
		wantChanges(t, changesSince(t, s, 0, 10), []registry.ChangeEntry{{RegistryID: reg.ID, RecordID: rec.ID, At: t0}})
	}},
	{"NothingFromRolledBackUpdates", func(t *testing.T, s Store) {
		err := s.Update(t.Context(), func(tx registry.Tx) error {
			if _, err := tx.AppendChange("rolled-back", "rec", t0); err != nil {
				return err
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("Update returned %v, want fn's error", err)
		}
		if es := changesSince(t, s, 0, 10); len(es) != 0 {
			t.Errorf("the feed holds %d entries of a rolled-back Update", len(es))
		}
		committed := registry.ChangeEntry{RegistryID: "committed", At: t0}
		appendChanges(t, s, committed)
		wantChanges(t, changesSince(t, s, 0, 10), []registry.ChangeEntry{committed})
	}},
	{"AfterAndLimit", func(t *testing.T, s Store) {
		var want []registry.ChangeEntry
		for i := range 5 {
			e := registry.ChangeEntry{RegistryID: "reg", RecordID: "rec-" + strconv.Itoa(i), At: t0.Add(time.Duration(i) * time.Second)}
			appendChanges(t, s, e)
			want = append(want, e)
		}
		all := changesSince(t, s, 0, 100)
		wantChanges(t, all, want)
		if len(all) != len(want) {
			return
		}
		for _, tc := range []struct {
			name        string
			after       int64
			limit, from int
			n           int
		}{
			{"first page", 0, 2, 0, 2},
			{"next page", all[1].Seq, 2, 2, 2},
			{"last page", all[3].Seq, 2, 4, 1},
			{"after the last", all[4].Seq, 2, 5, 0},
			{"limit above the rest", all[2].Seq, 10, 3, 2},
			{"after below the first", all[0].Seq - 1, 10, 0, 5},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := changesSince(t, s, tc.after, tc.limit)
				if len(got) != tc.n {
					t.Fatalf("ChangesSince(%d, %d) returned %d entries, want %d", tc.after, tc.limit, len(got), tc.n)
				}
				if tc.n > 0 {
					wantSame(t, "entries", got, all[tc.from:tc.from+tc.n])
				}
			})
		}
	}},
	{"PrunedPastRetention", func(t *testing.T, s Store) {
		old := registry.ChangeEntry{RegistryID: "old", At: t0}
		kept := registry.ChangeEntry{RegistryID: "kept", At: t0.Add(time.Hour)}
		latest := registry.ChangeEntry{RegistryID: "latest", At: t0.Add(registry.ChangeRetention + 30*time.Minute)}
		appendChanges(t, s, old)
		appendChanges(t, s, kept)
		wantChanges(t, changesSince(t, s, 0, 10), []registry.ChangeEntry{old, kept})
		// Appending at latest puts old past the retention, kept not yet.
		appendChanges(t, s, latest)
		wantChanges(t, changesSince(t, s, 0, 10), []registry.ChangeEntry{kept, latest})
	}},
	{"ViewRejectsAppend", func(t *testing.T, s Store) {
		var appendErr error
		viewErr := s.View(t.Context(), func(tx registry.Tx) error {
			_, appendErr = tx.AppendChange("reg", "rec", t0)
			return appendErr
		})
		if appendErr == nil || viewErr == nil {
			t.Errorf("AppendChange inside View: %v, View returned %v; want both to fail", appendErr, viewErr)
		}
		if es := changesSince(t, s, 0, 10); len(es) != 0 {
			t.Errorf("the feed holds %d entries after an append inside View", len(es))
		}
	}},
	{"FollowerMissesNothing", func(t *testing.T, s Store) {
		// Writers append while a follower polls the feed the way a replica
		// does, resuming after the last seq it saw. Entries must become
		// visible in seq order, or the follower skips some for good.
		const writers, perWriter = 4, 10
		var (
			wg       sync.WaitGroup
			followed []registry.ChangeEntry
		)
		writersDone := make(chan struct{})
		followerDone := make(chan struct{})
		go func() {
			defer close(followerDone)
			var after int64
			for caughtUp := false; !caughtUp; {
				select {
				case <-writersDone:
					caughtUp = true // one more read after the last commit
				default:
				}
				es, err := s.ChangesSince(t.Context(), after, 7)
				if err != nil {
					t.Errorf("ChangesSince: %v", err)
					return
				}
				followed = append(followed, es...)
				if len(es) > 0 {
					after = es[len(es)-1].Seq
					caughtUp = false // the page may not hold everything
				}
			}
		}()
		returned := make([][]int64, writers) // by writer, the seqs AppendChange returned
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					var seq int64
					err := s.Update(t.Context(), func(tx registry.Tx) (err error) {
						seq, err = tx.AppendChange("w"+strconv.Itoa(w), strconv.Itoa(i), t0.Add(time.Duration(i)*time.Millisecond))
						return err
					})
					if err != nil {
						t.Errorf("writer %d, append %d: %v", w, i, err)
					}
					returned[w] = append(returned[w], seq)
				}
			})
		}
		wg.Wait()
		close(writersDone)
		<-followerDone
		all := changesSince(t, s, 0, 1000)
		if len(all) != writers*perWriter {
			t.Errorf("the feed holds %d entries after %d appends", len(all), writers*perWriter)
		}
		// The seq AppendChange returned is the committed entry's, even for
		// a transaction that had to run again.
		for _, e := range all {
			w, _ := strconv.Atoi(strings.TrimPrefix(e.RegistryID, "w"))
			i, _ := strconv.Atoi(e.RecordID)
			if got := returned[w][i]; got != e.Seq {
				t.Errorf("writer %d, append %d: AppendChange returned seq %d, the feed holds it at %d", w, i, got, e.Seq)
			}
		}
		if len(followed) != len(all) {
			t.Errorf("the follower saw %d of %d entries", len(followed), len(all))
		}
		wantSame(t, "entries the follower saw", followed, all)
	}},
}
