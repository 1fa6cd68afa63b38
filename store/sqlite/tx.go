package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/agentry/agentry/registry"
	"github.com/agentry/agentry/store/internal/stored"
)

// txn implements registry.Tx on one SQL transaction.
type txn struct {
	ctx      context.Context
	tx       *sql.Tx
	readOnly bool
	stmts    *stmtCache // of the transaction's pool; nil: none
	// summaries: of read-only transactions only, which see committed
	// revs alone (a rolled-back write's rev is given again).
	summaries *stored.SummaryCache
}

// query runs query through its prepared statement, if the store prepared
// one (stmtCache).
func (t *txn) query(query string, args ...any) (*sql.Rows, error) {
	if st := t.stmts.get(query); st != nil {
		return t.tx.StmtContext(t.ctx, st).QueryContext(t.ctx, args...)
	}
	return t.tx.QueryContext(t.ctx, query, args...)
}

// queryRow is query for one row.
func (t *txn) queryRow(query string, args ...any) *sql.Row {
	if st := t.stmts.get(query); st != nil {
		return t.tx.StmtContext(t.ctx, st).QueryRowContext(t.ctx, args...)
	}
	return t.tx.QueryRowContext(t.ctx, query, args...)
}

// get returns the prepared statement of query; nil if none (or c is nil).
func (c *stmtCache) get(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	return c.m[query]
}

var errReadOnly = errors.New("sqlite: write in a read-only transaction")

func (t *txn) exec(query string, args ...any) (sql.Result, error) {
	if t.readOnly {
		return nil, errReadOnly
	}
	return t.tx.ExecContext(t.ctx, query, args...)
}

func millis(t time.Time) int64      { return t.UnixMilli() }
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// ---- registries ----

const registryColumns = `id, name, description, authorizer_type, authorizer_config, auto_approval, status, status_reason, created_at, updated_at, extra`

func scanRegistry(row interface{ Scan(...any) error }) (registry.Registry, error) {
	var (
		r          registry.Registry
		cfg        sql.NullString
		created    int64
		updated    int64
		autoApprov int
		extra      sql.NullString
	)
	err := row.Scan(&r.ID, &r.Name, &r.Description, &r.AuthorizerType, &cfg, &autoApprov, &r.Status, &r.StatusReason, &created, &updated, &extra)
	if err != nil {
		return r, err
	}
	if extra.Valid {
		if err := stored.DecodeRegistryExtra([]byte(extra.String), &r); err != nil {
			return r, err
		}
	}
	if cfg.Valid {
		a, err := stored.DecodeAuthorizer([]byte(cfg.String))
		if err != nil {
			return r, err
		}
		r.Authorizer = &a
	}
	r.AutoApproval = autoApprov != 0
	r.CreatedAt, r.UpdatedAt = fromMillis(created), fromMillis(updated)
	return r, nil
}

func registryArgs(r registry.Registry) []any {
	var cfg sql.NullString
	if r.Authorizer != nil {
		cfg = sql.NullString{String: string(stored.EncodeAuthorizer(*r.Authorizer)), Valid: true}
	}
	auto := 0
	if r.AutoApproval {
		auto = 1
	}
	var extra sql.NullString
	if b := stored.EncodeRegistryExtra(r); b != nil {
		extra = sql.NullString{String: string(b), Valid: true}
	}
	return []any{r.ID, r.Name, r.Description, string(r.AuthorizerType), cfg, auto, string(r.Status), r.StatusReason,
		millis(r.CreatedAt), millis(r.UpdatedAt), extra}
}

const sqlRegistry = `SELECT ` + registryColumns + ` FROM registries WHERE id = ?`

func (t *txn) Registry(id string) (registry.Registry, error) {
	r, err := scanRegistry(t.queryRow(sqlRegistry, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, registry.Errorf(registry.KindNotFound, "Registry %s was not found.", id)
	}
	return r, err
}

func (t *txn) CreateRegistry(r registry.Registry) error {
	_, err := t.exec(`INSERT INTO registries (`+registryColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, registryArgs(r)...)
	if isUnique(err) {
		return registry.Errorf(registry.KindConflict, "A registry named %q already exists.", r.Name)
	}
	return err
}

func (t *txn) PutRegistry(r registry.Registry) error {
	args := registryArgs(r)
	res, err := t.exec(`UPDATE registries SET name = ?, description = ?, authorizer_type = ?, authorizer_config = ?,
		auto_approval = ?, status = ?, status_reason = ?, created_at = ?, updated_at = ?, extra = ? WHERE id = ?`,
		append(args[1:], args[0])...)
	if isUnique(err) {
		return registry.Errorf(registry.KindConflict, "A registry named %q already exists.", r.Name)
	}
	return matchedOne(res, err, registry.Errorf(registry.KindNotFound, "Registry %s was not found.", r.ID))
}

func (t *txn) DeleteRegistry(id string) error {
	res, err := t.exec(`DELETE FROM registries WHERE id = ?`, id)
	return matchedOne(res, err, registry.Errorf(registry.KindNotFound, "Registry %s was not found.", id))
}

// matchedOne returns notFound when an UPDATE or DELETE matched no row.
func matchedOne(res sql.Result, err, notFound error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound
	}
	return nil
}

func (t *txn) ListRegistries(q registry.RegistryQuery) ([]registry.Registry, error) {
	var (
		where []string
		args  []any
	)
	if q.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(q.Status))
	}
	if q.AuthorizerType != "" {
		where, args = append(where, "authorizer_type = ?"), append(args, string(q.AuthorizerType))
	}
	if q.AfterName != "" || q.AfterID != "" {
		where, args = append(where, "(name, id) > (?, ?)"), append(args, q.AfterName, q.AfterID)
	}
	query := `SELECT ` + registryColumns + ` FROM registries`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY name, id LIMIT ?"
	rows, err := t.tx.QueryContext(t.ctx, query, append(args, q.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.Registry
	for rows.Next() {
		r, err := scanRegistry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ---- records ----

const recordColumns = `registry_id, id, created_at, latest, approved, extra`

func scanRecord(row interface{ Scan(...any) error }) (registry.Record, error) {
	var (
		r        registry.Record
		created  int64
		latest   string
		approved sql.NullString
		extra    sql.NullString
	)
	if err := row.Scan(&r.RegistryID, &r.ID, &created, &latest, &approved, &extra); err != nil {
		return r, err
	}
	if extra.Valid {
		if err := stored.DecodeRecordExtra([]byte(extra.String), &r); err != nil {
			return r, err
		}
	}
	r.CreatedAt = fromMillis(created)
	var err error
	if r.Latest, err = stored.DecodeRevision([]byte(latest)); err != nil {
		return r, err
	}
	if approved.Valid {
		a, err := stored.DecodeRevision([]byte(approved.String))
		if err != nil {
			return r, err
		}
		r.Approved = &a
	}
	return r, nil
}

func recordArgs(r registry.Record) []any {
	var approved sql.NullString
	if r.Approved != nil {
		approved = sql.NullString{String: string(stored.EncodeRevision(*r.Approved)), Valid: true}
	}
	var extra sql.NullString
	if b := stored.EncodeRecordExtra(r); b != nil {
		extra = sql.NullString{String: string(b), Valid: true}
	}
	l := r.Latest
	return []any{l.Name, string(l.Status), string(l.DescriptorType), millis(r.CreatedAt),
		string(stored.EncodeRevision(l)), approved, extra, l.Description, l.Version, millis(l.UpdatedAt),
		nullString(stored.EncodeSummaryExtra(l)), r.RegistryID, r.ID}
}

func (t *txn) Record(registryID, recordID string) (registry.Record, error) {
	r, err := scanRecord(t.tx.QueryRowContext(t.ctx,
		`SELECT `+recordColumns+` FROM records WHERE registry_id = ? AND id = ?`, registryID, recordID))
	if errors.Is(err, sql.ErrNoRows) {
		return r, registry.Errorf(registry.KindNotFound, "Record %s was not found in registry %s.", recordID, registryID)
	}
	return r, err
}

func (t *txn) CountRecords(registryID string) (int, error) {
	var n int
	err := t.tx.QueryRowContext(t.ctx, `SELECT count(*) FROM records WHERE registry_id = ?`, registryID).Scan(&n)
	return n, err
}

func recordNameConflict(r registry.Record) error {
	return registry.Errorf(registry.KindConflict, "A record named %q already exists in registry %s.", r.Latest.Name, r.RegistryID)
}

func (t *txn) CreateRecord(r registry.Record) error {
	_, err := t.exec(`INSERT INTO records (name, status, descriptor_type, created_at, latest, approved, extra,
		description, version, updated_at, summary_extra, registry_id, id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, recordArgs(r)...)
	if isUnique(err) {
		return recordNameConflict(r)
	}
	return err
}

func (t *txn) PutRecord(r registry.Record) error {
	res, err := t.exec(`UPDATE records SET name = ?, status = ?, descriptor_type = ?, created_at = ?, latest = ?, approved = ?, extra = ?,
		description = ?, version = ?, updated_at = ?, summary_extra = ?
		WHERE registry_id = ? AND id = ?`, recordArgs(r)...)
	if isUnique(err) {
		return recordNameConflict(r)
	}
	return matchedOne(res, err, registry.Errorf(registry.KindNotFound, "Record %s was not found in registry %s.", r.ID, r.RegistryID))
}

func (t *txn) DeleteRecord(registryID, recordID string) error {
	res, err := t.exec(`DELETE FROM records WHERE registry_id = ? AND id = ?`, registryID, recordID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return registry.Errorf(registry.KindNotFound, "Record %s was not found in registry %s.", recordID, registryID)
	}
	return nil
}

func (t *txn) ListRecords(q registry.RecordQuery) ([]registry.Record, error) {
	where, args := recordFilter(q)
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+recordColumns+` FROM records WHERE `+strings.Join(where, " AND ")+
		` ORDER BY name, id LIMIT ?`, append(args, q.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// summaryColumns are what a list shows: columns beside the stored
// revisions (migration 0004), so that listing reads no JSON.
const summaryColumns = `registry_id, id, created_at, name, status, descriptor_type, description, version, updated_at,
	approved IS NOT NULL, extra, summary_extra, rev`

func (t *txn) ListRecordSummaries(q registry.RecordQuery) ([]registry.RecordSummary, error) {
	where, args := recordFilter(q)
	if t.summaries == nil {
		out, err := t.readSummaries(t.query, `WHERE `+strings.Join(where, " AND ")+` ORDER BY name, id LIMIT ?`, append(args, q.Limit)...)
		for i := range out {
			out[i].Rev = 0 // perhaps a write's that will be rolled back
		}
		return out, err
	}
	// The page's ids and revs, then the summaries the cache lacks.
	rows, err := t.query(pageRevsSQL(where), append(args, q.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		ids  []string
		revs []int64
	)
	for rows.Next() {
		var (
			id  string
			rev int64
		)
		if err := rows.Scan(&id, &rev); err != nil {
			return nil, err
		}
		ids, revs = append(ids, id), append(revs, rev)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return t.summaries.Fill(q.RegistryID, ids, revs, func(ids []string) ([]registry.RecordSummary, error) {
		// Not prepared: the SQL differs with the number of ids.
		uncached := func(query string, args ...any) (*sql.Rows, error) { return t.tx.QueryContext(t.ctx, query, args...) }
		args := []any{q.RegistryID}
		for _, id := range ids {
			args = append(args, id)
		}
		return t.readSummaries(uncached, `WHERE registry_id = ? AND id IN (?`+strings.Repeat(`, ?`, len(ids)-1)+`)`, args...)
	})
}

// pageRevsSQL reads the ids and revs of a page of records, the conditions
// of where (recordFilter) on them.
func pageRevsSQL(where []string) string {
	return `SELECT id, rev FROM records WHERE ` + strings.Join(where, " AND ") + ` ORDER BY name, id LIMIT ?`
}

// readSummaries reads, with query, the summaries of the records that
// clause (a WHERE clause and what follows it) selects, in its order.
func (t *txn) readSummaries(query func(string, ...any) (*sql.Rows, error), clause string, args ...any) ([]registry.RecordSummary, error) {
	rows, err := query(`SELECT `+summaryColumns+` FROM records `+clause, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.RecordSummary
	for rows.Next() {
		var (
			r                registry.RecordSummary
			created, updated int64
			extra, sumExtra  sql.NullString
		)
		if err := rows.Scan(&r.RegistryID, &r.ID, &created, &r.Name, &r.Status, &r.DescriptorType,
			&r.Description, &r.Version, &updated, &r.HasApproved, &extra, &sumExtra, &r.Rev); err != nil {
			return nil, err
		}
		r.CreatedAt, r.UpdatedAt = fromMillis(created), fromMillis(updated)
		if err := stored.DecodeSummary(nullBytes(extra), nullBytes(sumExtra), &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// recordFilter is the WHERE clause of q, as conditions and arguments.
func recordFilter(q registry.RecordQuery) ([]string, []any) {
	where := []string{"registry_id = ?"}
	args := []any{q.RegistryID}
	if q.Name != "" {
		where, args = append(where, "name = ?"), append(args, q.Name)
	}
	if q.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(q.Status))
	}
	if q.DescriptorType != "" {
		where, args = append(where, "descriptor_type = ?"), append(args, string(q.DescriptorType))
	}
	if q.AfterName != "" || q.AfterID != "" {
		where, args = append(where, "(name, id) > (?, ?)"), append(args, q.AfterName, q.AfterID)
	}
	return where, args
}

// ---- idempotency and settings ----

func (t *txn) Idempotency(key string) (registry.Idempotency, bool, error) {
	e := registry.Idempotency{Key: key}
	var created int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT fingerprint, result, created_at FROM idempotency WHERE key = ?`, key).
		Scan(&e.Fingerprint, &e.Result, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	e.CreatedAt = fromMillis(created)
	return e, err == nil, err
}

func (t *txn) PutIdempotency(e registry.Idempotency) error {
	// Forget tokens past the window; the index makes this cheap.
	cutoff := millis(e.CreatedAt.Add(-registry.IdempotencyWindow))
	if _, err := t.exec(`DELETE FROM idempotency WHERE created_at < ?`, cutoff); err != nil {
		return err
	}
	_, err := t.exec(`INSERT OR REPLACE INTO idempotency (key, fingerprint, result, created_at) VALUES (?, ?, ?, ?)`,
		e.Key, e.Fingerprint, e.Result, millis(e.CreatedAt))
	return err
}

func (t *txn) Setting(name string) ([]byte, bool, error) {
	var v []byte
	err := t.tx.QueryRowContext(t.ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (t *txn) PutSetting(name string, value []byte) error {
	_, err := t.exec(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return err
}

// ---- change feed ----

// AppendChange adds an entry to the feed. seq is the table's
// AUTOINCREMENT rowid: never reused, and in commit order, since SQLite
// commits one write transaction at a time.
func (t *txn) AppendChange(registryID, recordID string, at time.Time) (int64, error) {
	if _, err := t.exec(`DELETE FROM changes WHERE at < ?`, millis(at.Add(-registry.ChangeRetention))); err != nil {
		return 0, err
	}
	res, err := t.exec(`INSERT INTO changes (registry_id, record_id, at) VALUES (?, ?, ?)`, registryID, recordID, millis(at))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// nullString is b as a nullable column value: NULL when b is nil.
func nullString(b []byte) sql.NullString {
	return sql.NullString{String: string(b), Valid: b != nil}
}

// nullBytes is a nullable column's value, nil when NULL.
func nullBytes(s sql.NullString) []byte {
	if !s.Valid {
		return nil
	}
	return []byte(s.String)
}
