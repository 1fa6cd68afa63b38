package registry

import (
	"context"
	"time"
)

// Store keeps registries, records and idempotency entries. Every use case
// runs in exactly one transaction, so a request that fails changes nothing.
// Implementations: store/sqlite (the embedded default, one process) and
// store/postgres (shared by replicas); store/storetest is the contract
// suite both pass.
type Store interface {
	// Update runs fn in a read-write transaction and commits it when fn
	// returns nil. The commit is durable when Update returns.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// ChangesSince returns up to limit entries of the change feed with a
	// sequence number above after, in sequence order. Every process
	// follows it to keep its search index in step, and replicas that share
	// a store see one another's changes through it.
	ChangesSince(ctx context.Context, after int64, limit int) ([]ChangeEntry, error)
	// LatestChange returns the highest sequence number in the change feed,
	// 0 when it is empty.
	LatestChange(ctx context.Context) (int64, error)
	Close() error
}

// ChangeEntry is one entry of the change feed: something discoverable in a
// registry may have changed. RecordID is "" when the registry itself
// changed or was deleted.
type ChangeEntry struct {
	Seq        int64
	RegistryID string
	RecordID   string
	At         time.Time
}

// ChangeRetention is how long the change feed keeps entries; a replica
// that has been away for longer rebuilds its index from the store.
const ChangeRetention = 7 * 24 * time.Hour

// Tx is one transaction. Lookups of missing resources return an *Error of
// KindNotFound; inserts that break a uniqueness rule return KindConflict.
type Tx interface {
	Registry(id string) (Registry, error)
	CreateRegistry(r Registry) error
	PutRegistry(r Registry) error
	DeleteRegistry(id string) error
	ListRegistries(q RegistryQuery) ([]Registry, error)

	Record(registryID, recordID string) (Record, error)
	CountRecords(registryID string) (int, error)
	CreateRecord(r Record) error
	PutRecord(r Record) error
	DeleteRecord(registryID, recordID string) error
	ListRecords(q RecordQuery) ([]Record, error)
	// ListRecordSummaries lists as ListRecords does, only the summaries of
	// the latest revisions, so that a store reads only what they show.
	ListRecordSummaries(q RecordQuery) ([]RecordSummary, error)

	// Idempotency returns the entry stored under key, ok=false if none.
	Idempotency(key string) (entry Idempotency, ok bool, err error)
	PutIdempotency(e Idempotency) error

	// AppendChange adds an entry to the change feed, committed with the
	// transaction, and returns its sequence number: once the transaction
	// has committed, every entry committed before it has a lower one.
	// Older entries past ChangeRetention may be pruned.
	AppendChange(registryID, recordID string, at time.Time) (seq int64, err error)

	// SyncJob returns a record's pending synchronization, ok=false if none.
	SyncJob(registryID, recordID string) (job SyncJob, ok bool, err error)
	// PutSyncJob queues a record's synchronization, replacing any job it had.
	PutSyncJob(j SyncJob) error
	// DeleteSyncJob removes a record's job; none is not an error.
	DeleteSyncJob(registryID, recordID string) error
	// ClaimSyncJobs leases up to limit jobs whose lease ended before now
	// (or that were never claimed), oldest first, until leaseUntil, adds one
	// to their Attempts and returns them as stored. On a shared store it
	// skips jobs another transaction is claiming, so concurrent claims
	// never return the same job.
	ClaimSyncJobs(now, leaseUntil time.Time, limit int) ([]SyncJob, error)
	// AppendEvent adds a lifecycle event to the outbox, committed with the
	// transaction, and returns its sequence number: once the transaction
	// has committed, every event committed before it has a lower one.
	AppendEvent(e Event) (seq int64, err error)

	// Setting returns a named server-wide value, ok=false if unset.
	Setting(name string) (value []byte, ok bool, err error)
	PutSetting(name string, value []byte) error
}

// RegistryQuery selects a page of registries ordered by name, then id.
type RegistryQuery struct {
	Status         RegistryStatus // "" = any
	AuthorizerType AuthorizerType // "" = any
	AfterName      string         // keyset: return registries after (AfterName, AfterID)
	AfterID        string
	Limit          int
}

// RecordQuery selects a page of one registry's records ordered by name,
// then id. Filters apply to the latest revision.
type RecordQuery struct {
	RegistryID     string
	Name           string         // "" = any
	Status         RecordStatus   // "" = any
	DescriptorType DescriptorType // "" = any
	AfterName      string
	AfterID        string
	Limit          int
}

// Idempotency remembers the outcome of a request made with a client token.
type Idempotency struct {
	Key         string // operation, scope and token
	Fingerprint string // hash of the request's parameters
	Result      []byte // the first result, encoded by the service
	CreatedAt   time.Time
}
