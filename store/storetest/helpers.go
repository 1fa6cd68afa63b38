package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/agentry/agentry/registry"
)

// write runs fn in an Update and fails the test if it returns an error.
func write(t *testing.T, s registry.Store, fn func(registry.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// read runs fn in a View and returns its result, failing the test on error.
func read[T any](t *testing.T, s registry.Store, fn func(registry.Tx) (T, error)) T {
	t.Helper()
	v, err := readErr(t, s, fn)
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	return v
}

// readErr runs fn in a View and returns its result and error.
func readErr[T any](t *testing.T, s registry.Store, fn func(registry.Tx) (T, error)) (T, error) {
	t.Helper()
	var v T
	err := s.View(t.Context(), func(tx registry.Tx) error {
		var err error
		v, err = fn(tx)
		return err
	})
	return v, err
}

func createRegistries(t *testing.T, s registry.Store, rs ...registry.Registry) {
	t.Helper()
	write(t, s, func(tx registry.Tx) error {
		for _, r := range rs {
			if err := tx.CreateRegistry(r); err != nil {
				return err
			}
		}
		return nil
	})
}

func createRecords(t *testing.T, s registry.Store, rs ...registry.Record) {
	t.Helper()
	write(t, s, func(tx registry.Tx) error {
		for _, r := range rs {
			if err := tx.CreateRecord(r); err != nil {
				return err
			}
		}
		return nil
	})
}

func getRegistry(t *testing.T, s registry.Store, id string) (registry.Registry, error) {
	t.Helper()
	return readErr(t, s, func(tx registry.Tx) (registry.Registry, error) { return tx.Registry(id) })
}

func getRecord(t *testing.T, s registry.Store, registryID, recordID string) (registry.Record, error) {
	t.Helper()
	return readErr(t, s, func(tx registry.Tx) (registry.Record, error) { return tx.Record(registryID, recordID) })
}

func countRecords(t *testing.T, s registry.Store, registryID string) int {
	t.Helper()
	return read(t, s, func(tx registry.Tx) (int, error) { return tx.CountRecords(registryID) })
}

func listRegistries(t *testing.T, s registry.Store, q registry.RegistryQuery) []registry.Registry {
	t.Helper()
	return read(t, s, func(tx registry.Tx) ([]registry.Registry, error) { return tx.ListRegistries(q) })
}

func listRecords(t *testing.T, s registry.Store, q registry.RecordQuery) []registry.Record {
	t.Helper()
	recs := read(t, s, func(tx registry.Tx) ([]registry.Record, error) { return tx.ListRecords(q) })
	// Every list is also listed as summaries: the same records, each the
	// summary of its latest revision.
	sums := listSummaries(t, s, q)
	want := make([]registry.RecordSummary, len(recs))
	for i, r := range recs {
		want[i] = summaryOf(r)
	}
	if len(sums)+len(want) > 0 { // an empty list may be nil
		wantSame(t, "summaries", sums, want)
	}
	return recs
}

// listSummaries lists summaries without their Rev, which only stores that
// give one set, and which is not the record's to compare.
func listSummaries(t *testing.T, s registry.Store, q registry.RecordQuery) []registry.RecordSummary {
	t.Helper()
	sums := read(t, s, func(tx registry.Tx) ([]registry.RecordSummary, error) { return tx.ListRecordSummaries(q) })
	for i := range sums {
		sums[i].Rev = 0
	}
	return sums
}

// summaryOf is the summary of r that ListRecordSummaries returns.
func summaryOf(r registry.Record) registry.RecordSummary {
	l := r.Latest
	return registry.RecordSummary{RegistryID: r.RegistryID, ID: r.ID, CreatedAt: r.CreatedAt, Name: l.Name,
		Description: l.Description, DescriptorType: l.DescriptorType, Version: l.Version, Status: l.Status, UpdatedAt: l.UpdatedAt,
		HasApproved: r.Approved != nil, DisplayName: l.DisplayName, Provenance: l.Provenance, CreatedBy: r.CreatedBy}
}

// wantKind fails the test unless err is a *registry.Error of kind want.
func wantKind(t *testing.T, err error, want registry.Kind) {
	t.Helper()
	var e *registry.Error
	switch {
	case err == nil:
		t.Fatalf("got no error, want a %s error", want)
	case !errors.As(err, &e):
		t.Fatalf("got %T %v, want a *registry.Error of kind %s", err, err, want)
	case e.Kind != want:
		t.Fatalf("got a %s error (%v), want %s", e.Kind, err, want)
	}
}

// wantSame compares got and want by their JSON encodings, which show every
// member, nil pointers, and times with their precision and UTC offset.
func wantSame(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.MarshalIndent(want, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Errorf("%s:\ngot  %s\nwant %s", what, g, w)
	}
}

func registryNames(rs []registry.Registry) []string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return names
}

func recordNames(rs []registry.Record) []string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Latest.Name
	}
	return names
}

func wantNames(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("got names %q, want %q", got, want)
	}
}

// pageThrough lists every item with pages of limit, following the keyset of
// the last item of each page, and returns the pages.
func pageThrough[T any](t *testing.T, limit int, list func(afterName, afterID string) []T, key func(T) (string, string)) [][]T {
	t.Helper()
	var pages [][]T
	afterName, afterID := "", ""
	for range 100 {
		page := list(afterName, afterID)
		if len(page) > limit {
			t.Fatalf("page of %d items exceeds Limit %d", len(page), limit)
		}
		if len(page) == 0 {
			return pages
		}
		pages = append(pages, page)
		afterName, afterID = key(page[len(page)-1])
	}
	t.Fatal("paging did not end after 100 pages")
	return nil
}

func flatten[T any](pages [][]T) []T {
	var all []T
	for _, p := range pages {
		all = append(all, p...)
	}
	return all
}

// byteOrderNames are valid names whose byte order differs from a
// case-insensitive or locale-aware order.
var byteOrderNames = []string{"delta", "Bravo", "alpha", "charlie-2", "Charlie", "alpha.v2", "0-zero", "echo/x", "a_b"}

func sortedCopy(names []string) []string {
	s := slices.Clone(names)
	slices.Sort(s)
	return s
}

// SummarySamples stores records whose summaries test a store's summary
// columns (text JSON must escape, empty fields) in a new registry, and
// returns them, for tests of a store's migrations.
func SummarySamples(t *testing.T, s registry.Store) []registry.Record {
	t.Helper()
	reg := sampleRegistry("summaries")
	createRegistries(t, s, reg)
	odd := sampleRecord(reg.ID, "odd")
	odd.Latest.Description = "quotes \" back\\slash <tag> & \u2028 line\nnext, emoji \U0001F600, NUL \x00."
	odd.Latest.Version = "2.0.0-rc.1+build\"x\""
	odd.Latest.UpdatedAt = t0.Add(90*time.Minute + 123*time.Millisecond)
	bare := sampleRecord(reg.ID, "bare")
	bare.Latest.Description, bare.Latest.Version = "", ""
	createRecords(t, s, odd, bare)
	return []registry.Record{bare, odd}
}

// CheckSummaries fails the test unless the store lists recs, all of one
// registry and in the order of their names, with their summaries.
func CheckSummaries(t *testing.T, s registry.Store, recs []registry.Record) {
	t.Helper()
	got := listSummaries(t, s, registry.RecordQuery{RegistryID: recs[0].RegistryID, Limit: 100})
	want := make([]registry.RecordSummary, len(recs))
	for i, r := range recs {
		want[i] = summaryOf(r)
	}
	wantSame(t, "summaries", got, want)
}
