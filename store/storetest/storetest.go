// Package storetest is the contract test suite for the stores: their
// registry.Store and search.VectorStore. Every store runs the same
// behaviours from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Store {
//			s, err := mystore.Open(t.Context(), ...)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// open must return a fresh, empty store; Run closes it when the subtest
// ends, so open only needs to clean up what it created besides the store.
//
// Beyond what registry.Store and registry.Tx document, the suite pins down
// what the Service relies on:
//
//   - lists are ordered by (name, id) in byte order, whatever the database's
//     collation, and AfterName/AfterID resume strictly after that pair;
//   - timestamps given with millisecond precision come back equal, in UTC;
//   - Put and Delete of a missing registry or record return KindNotFound;
//   - Update transactions are serializable: concurrent read-modify-write
//     cycles lose nothing, and View sees only committed transactions;
//   - the change feed shows committed entries only, in sequence order, and
//     a follower that polls it while writers append misses none;
//   - so does the outbox of lifecycle events (events.go), and the audit
//     trail returns its entries as written, filtered as asked.
package storetest

import (
	"testing"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/search"
)

// Store is what a store implements: the registry's store and the search
// index's vector cache.
type Store interface {
	registry.Store
	search.VectorStore
}

// Run runs the whole suite against the stores open returns.
func Run(t *testing.T, open func(t *testing.T) Store) {
	suites := []struct {
		name  string
		tests []test
	}{
		{"Registries", registryTests},
		{"Records", recordTests},
		{"Idempotency", idempotencyTests},
		{"Settings", settingTests},
		{"Transactions", transactionTests},
		{"Changes", changeTests},
		{"Vectors", vectorTests},
		{"SyncJobs", syncJobTests},
		{"Events", eventTests},
	}
	for _, suite := range suites {
		t.Run(suite.name, func(t *testing.T) {
			for _, tt := range suite.tests {
				t.Run(tt.name, func(t *testing.T) {
					s := open(t)
					t.Cleanup(func() {
						if err := s.Close(); err != nil {
							t.Errorf("Close: %v", err)
						}
					})
					tt.run(t, s)
				})
			}
		})
	}
}

type test struct {
	name string
	run  func(t *testing.T, s Store)
}
