package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/store/internal/stored"
)

// txn implements registry.Tx on one PostgreSQL transaction.
type txn struct {
	ctx      context.Context
	tx       pgx.Tx
	readOnly bool

	// mustRetry is set when a statement failed to serialize, so Update
	// retries even if fn wrapped or replaced the error.
	mustRetry bool
	// appended is set once the feed lock is held and the notification sent.
	appended bool
	// eventLocked is set once AppendEvent holds the feed lock.
	eventLocked bool
	// changeAt and tokenAt are the latest timestamps written to the feed and
	// the idempotency table (zero: none), for pruning after commit.
	changeAt, tokenAt time.Time
	// summaries: of read-only transactions only.
	summaries *stored.SummaryCache
}

var errReadOnly = errors.New("postgres: write in a read-only transaction")

// note records a serialization failure and returns err.
func (t *txn) note(err error) error {
	if retryable(err) {
		t.mustRetry = true
	}
	return err
}

func (t *txn) exec(query string, args ...any) (pgconn.CommandTag, error) {
	if t.readOnly {
		return pgconn.CommandTag{}, errReadOnly
	}
	tag, err := t.tx.Exec(t.ctx, query, args...)
	return tag, t.note(err)
}

func (t *txn) queryRow(query string, args ...any) pgx.Row {
	return t.tx.QueryRow(t.ctx, query, args...)
}

// list runs a query and scans every row with scan.
func list[T any](t *txn, query string, args []any, scan func(pgx.Row) (T, error)) ([]T, error) {
	rows, _ := t.tx.Query(t.ctx, query, args...)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) { return scan(row) })
	return out, t.note(err)
}

// millis truncates t to the stored precision, as SQLite's integer
// milliseconds do.
func millis(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

// isUnique reports whether err is a unique or primary key violation.
func isUnique(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// matchedOne returns notFound when an UPDATE or DELETE matched no row.
func matchedOne(tag pgconn.CommandTag, err, notFound error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound
	}
	return nil
}

// ---- registries ----

func registryNotFound(id string) error {
	return registry.Errorf(registry.KindNotFound, "Registry %s was not found.", id)
}

func registryNameConflict(r registry.Registry) error {
	return registry.Errorf(registry.KindConflict, "A registry named %q already exists.", r.Name)
}

func scanRegistry(row pgx.Row) (registry.Registry, error) {
	var (
		r          registry.Registry
		cfg, extra []byte
	)
	err := row.Scan(&r.ID, &r.Name, &r.Description, &r.AuthorizerType, &cfg, &r.AutoApproval, &r.Status, &r.StatusReason,
		&r.CreatedAt, &r.UpdatedAt, &extra)
	if err != nil {
		return r, err
	}
	if extra != nil {
		if err := stored.DecodeRegistryExtra(extra, &r); err != nil {
			return r, err
		}
	}
	if cfg != nil {
		a, err := stored.DecodeAuthorizer(cfg)
		if err != nil {
			return r, err
		}
		r.Authorizer = &a
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r, nil
}

// registryArgs are the parameters of sqlInsertRegistry and sqlUpdateRegistry.
func registryArgs(r registry.Registry) []any {
	var cfg []byte
	if r.Authorizer != nil {
		cfg = stored.EncodeAuthorizer(*r.Authorizer)
	}
	return []any{r.ID, r.Name, r.Description, string(r.AuthorizerType), cfg, r.AutoApproval, string(r.Status), r.StatusReason,
		millis(r.CreatedAt), millis(r.UpdatedAt), stored.EncodeRegistryExtra(r)}
}

func (t *txn) Registry(id string) (registry.Registry, error) {
	r, err := scanRegistry(t.queryRow(sqlRegistry, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, registryNotFound(id)
	}
	return r, t.note(err)
}

func (t *txn) CreateRegistry(r registry.Registry) error {
	_, err := t.exec(sqlInsertRegistry, registryArgs(r)...)
	if isUnique(err) {
		return registryNameConflict(r)
	}
	return err
}

func (t *txn) PutRegistry(r registry.Registry) error {
	tag, err := t.exec(sqlUpdateRegistry, registryArgs(r)...)
	if isUnique(err) {
		return registryNameConflict(r)
	}
	return matchedOne(tag, err, registryNotFound(r.ID))
}

func (t *txn) DeleteRegistry(id string) error {
	tag, err := t.exec(sqlDeleteRegistry, id)
	return matchedOne(tag, err, registryNotFound(id))
}

func (t *txn) ListRegistries(q registry.RegistryQuery) ([]registry.Registry, error) {
	var lq listQuery
	if q.Status != "" {
		lq.filter("status = %s", string(q.Status))
	}
	if q.AuthorizerType != "" {
		lq.filter("authorizer_type = %s", string(q.AuthorizerType))
	}
	lq.keysetAfter(q.AfterName, q.AfterID)
	query, args := lq.sql(sqlSelectRegistries, q.Limit)
	return list(t, query, args, scanRegistry)
}

// ---- records ----

func recordNotFound(registryID, recordID string) error {
	return registry.Errorf(registry.KindNotFound, "Record %s was not found in registry %s.", recordID, registryID)
}

func recordNameConflict(r registry.Record) error {
	return registry.Errorf(registry.KindConflict, "A record named %q already exists in registry %s.", r.Latest.Name, r.RegistryID)
}

func scanRecord(row pgx.Row) (registry.Record, error) {
	var (
		r                       registry.Record
		latest, approved, extra []byte
	)
	if err := row.Scan(&r.RegistryID, &r.ID, &r.CreatedAt, &latest, &approved, &extra); err != nil {
		return r, err
	}
	if extra != nil {
		if err := stored.DecodeRecordExtra(extra, &r); err != nil {
			return r, err
		}
	}
	r.CreatedAt = r.CreatedAt.UTC()
	var err error
	if r.Latest, err = stored.DecodeRevision(latest); err != nil {
		return r, err
	}
	if approved != nil {
		a, err := stored.DecodeRevision(approved)
		if err != nil {
			return r, err
		}
		r.Approved = &a
	}
	return r, nil
}

// recordArgs are the parameters of sqlInsertRecord and sqlUpdateRecord.
func recordArgs(r registry.Record) []any {
	var approved []byte
	if r.Approved != nil {
		approved = stored.EncodeRevision(*r.Approved)
	}
	l := r.Latest
	return []any{r.RegistryID, r.ID, l.Name, string(l.Status), string(l.DescriptorType),
		millis(r.CreatedAt), stored.EncodeRevision(l), approved, stored.EncodeRecordExtra(r), encodeSummary(l), stored.EncodeSummaryExtra(l)}
}

// summary is the JSON of the summary column: what a list shows of the
// latest revision beside the name, status and type columns.
type summary struct {
	Description string `json:"description,omitempty"`
	Version     string `json:"version,omitempty"`
	UpdatedAt   int64  `json:"updatedAt"` // Unix milliseconds
}

func encodeSummary(l registry.Revision) []byte {
	b, _ := json.Marshal(summary{Description: l.Description, Version: l.Version, UpdatedAt: l.UpdatedAt.UnixMilli()})
	return b
}

func (t *txn) Record(registryID, recordID string) (registry.Record, error) {
	r, err := scanRecord(t.queryRow(sqlRecord, registryID, recordID))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, recordNotFound(registryID, recordID)
	}
	return r, t.note(err)
}

func (t *txn) CountRecords(registryID string) (int, error) {
	var n int
	err := t.queryRow(sqlCountRecords, registryID).Scan(&n)
	return n, t.note(err)
}

func (t *txn) CreateRecord(r registry.Record) error {
	_, err := t.exec(sqlInsertRecord, recordArgs(r)...)
	if isUnique(err) {
		return recordNameConflict(r)
	}
	return err
}

func (t *txn) PutRecord(r registry.Record) error {
	tag, err := t.exec(sqlUpdateRecord, recordArgs(r)...)
	if isUnique(err) {
		return recordNameConflict(r)
	}
	return matchedOne(tag, err, recordNotFound(r.RegistryID, r.ID))
}

func (t *txn) DeleteRecord(registryID, recordID string) error {
	tag, err := t.exec(sqlDeleteRecord, registryID, recordID)
	return matchedOne(tag, err, recordNotFound(registryID, recordID))
}

func (t *txn) ListRecords(q registry.RecordQuery) ([]registry.Record, error) {
	query, args := recordFilter(q).sql(sqlSelectRecords, q.Limit)
	return list(t, query, args, scanRecord)
}

func (t *txn) ListRecordSummaries(q registry.RecordQuery) ([]registry.RecordSummary, error) {
	if t.summaries == nil {
		query, args := recordFilter(q).sql(sqlSelectSummaries, q.Limit)
		out, err := list(t, query, args, scanSummary)
		for i := range out {
			out[i].Rev = 0 // only read-only transactions tell revs
		}
		return out, err
	}
	// The page's ids and revs, then the summaries the cache lacks, in the
	// same (repeatable read) snapshot.
	query, args := recordFilter(q).sql(sqlSelectRevs, q.Limit)
	rows, _ := t.tx.Query(t.ctx, query, args...)
	var (
		ids  []string
		revs []int64
		id   string
		rev  int64
	)
	_, err := pgx.ForEachRow(rows, []any{&id, &rev}, func() error {
		ids, revs = append(ids, id), append(revs, rev)
		return nil
	})
	if err != nil {
		return nil, t.note(err)
	}
	return t.summaries.Fill(q.RegistryID, ids, revs, func(ids []string) ([]registry.RecordSummary, error) {
		return list(t, sqlSelectSummaries+` WHERE registry_id = $1 AND id = ANY($2)`, []any{q.RegistryID, ids}, scanSummary)
	})
}

func scanSummary(row pgx.Row) (registry.RecordSummary, error) {
	var (
		r               registry.RecordSummary
		raw, latest     []byte
		extra, sumExtra []byte
		sum             summary
	)
	if err := row.Scan(&r.RegistryID, &r.ID, &r.CreatedAt, &r.Name, &r.Status, &r.DescriptorType, &raw, &latest,
		&r.HasApproved, &extra, &sumExtra, &r.Rev); err != nil {
		return r, err
	}
	r.CreatedAt = r.CreatedAt.UTC()
	if err := stored.DecodeSummary(extra, sumExtra, &r); err != nil {
		return r, err
	}
	if raw == nil { // not filled by migration 0004, which says why: the revision has it
		l, err := stored.DecodeRevision(latest)
		r.Description, r.Version, r.UpdatedAt = l.Description, l.Version, l.UpdatedAt
		return r, err
	}
	if err := json.Unmarshal(raw, &sum); err != nil {
		return r, err
	}
	r.Description, r.Version, r.UpdatedAt = sum.Description, sum.Version, time.UnixMilli(sum.UpdatedAt).UTC()
	return r, nil
}

// recordFilter is the WHERE clause of q.
func recordFilter(q registry.RecordQuery) *listQuery {
	var lq listQuery
	lq.filter("registry_id = %s", q.RegistryID)
	if q.Name != "" {
		lq.filter("name = %s", q.Name)
	}
	if q.Status != "" {
		lq.filter("status = %s", string(q.Status))
	}
	if q.DescriptorType != "" {
		lq.filter("descriptor_type = %s", string(q.DescriptorType))
	}
	lq.keysetAfter(q.AfterName, q.AfterID)
	return &lq
}

// ---- idempotency and settings ----

func (t *txn) Idempotency(key string) (registry.Idempotency, bool, error) {
	e := registry.Idempotency{Key: key}
	err := t.queryRow(sqlIdempotency, []byte(key)).Scan(&e.Fingerprint, &e.Result, &e.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, false, nil
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return e, err == nil, t.note(err)
}

func (t *txn) PutIdempotency(e registry.Idempotency) error {
	// Expired entries are deleted after the commit (see Store.prune).
	if _, err := t.exec(sqlPutIdempotency, []byte(e.Key), e.Fingerprint, nonNil(e.Result), millis(e.CreatedAt)); err != nil {
		return err
	}
	t.tokenAt = later(t.tokenAt, e.CreatedAt)
	return nil
}

func (t *txn) Setting(name string) ([]byte, bool, error) {
	var v []byte
	err := t.queryRow(sqlSetting, name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	return v, err == nil, t.note(err)
}

func (t *txn) PutSetting(name string, value []byte) error {
	_, err := t.exec(sqlPutSetting, name, nonNil(value))
	return err
}

// nonNil keeps an empty value from becoming NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// ---- change feed ----

// AppendChange adds an entry to the feed. The first entry of a transaction
// takes the feed lock, held until commit, so that entries commit in seq
// order (see the package comment), and queues a notification, which
// PostgreSQL delivers only if the transaction commits. The seq it returns
// is drawn under the lock, so it is above that of every entry committed
// before.
func (t *txn) AppendChange(registryID, recordID string, at time.Time) (int64, error) {
	if t.readOnly {
		return 0, errReadOnly
	}
	if !t.appended {
		if _, err := t.exec(sqlLockFeedAndNotify, feedLock); err != nil {
			return 0, err
		}
		t.appended = true
	}
	var seq int64
	if err := t.queryRow(sqlAppendChange, registryID, recordID, millis(at)).Scan(&seq); err != nil {
		return 0, t.note(err)
	}
	t.changeAt = later(t.changeAt, at)
	return seq, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
