package postgres

import (
	"fmt"
	"strconv"
	"strings"
)

// All SQL of the store but the migrations, in one place. Lists add their
// filters to the select* queries with listQuery.

// Advisory lock keys ("agentry" and a number). Advisory locks are scoped to
// one database, so agentry can share a server with other applications.
const (
	migrationLock int64 = 0x6167656e74727901
	feedLock      int64 = 0x6167656e74727902
)

// notifyChannel is the LISTEN/NOTIFY channel of the change feed.
const notifyChannel = "agentry_changes"

// How a read-write transaction begins: it locks write_lock (migration
// 0010) in the same round trip, before any statement takes its snapshot.
// beginShared lets writers run together; beginAlone waits for every
// running writer to end and keeps new ones from starting until it ends.
const (
	beginShared = `BEGIN ISOLATION LEVEL SERIALIZABLE; LOCK TABLE write_lock IN ROW SHARE MODE`
	beginAlone  = `BEGIN ISOLATION LEVEL SERIALIZABLE; LOCK TABLE write_lock IN EXCLUSIVE MODE`
)

const (
	sqlLock = `SELECT pg_advisory_xact_lock($1)`

	sqlHasMigrations    = `SELECT to_regclass('schema_migrations') IS NOT NULL`
	sqlCreateMigrations = `CREATE TABLE schema_migrations (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now())`
	sqlAppliedMigrations = `SELECT version FROM schema_migrations`
	sqlAddMigration      = `INSERT INTO schema_migrations (version) VALUES ($1)`
)

// registries

const (
	registryColumns = `id, name, description, authorizer_type, authorizer_config, auto_approval, status, status_reason, created_at, updated_at, extra`

	sqlSelectRegistries = `SELECT ` + registryColumns + ` FROM registries`
	sqlRegistry         = sqlSelectRegistries + ` WHERE id = $1`
	sqlInsertRegistry   = `INSERT INTO registries (` + registryColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	sqlUpdateRegistry   = `UPDATE registries SET name = $2, description = $3, authorizer_type = $4, authorizer_config = $5,
		auto_approval = $6, status = $7, status_reason = $8, created_at = $9, updated_at = $10, extra = $11 WHERE id = $1`
	sqlDeleteRegistry = `DELETE FROM registries WHERE id = $1`
)

// records

const (
	recordColumns = `registry_id, id, created_at, latest, approved, extra`

	sqlSelectRecords = `SELECT ` + recordColumns + ` FROM records`
	// sqlSelectSummaries reads what a list shows: columns and a small JSON
	// object beside the stored revisions (migration 0004), so that listing
	// reads neither revision.
	sqlSelectSummaries = `SELECT registry_id, id, created_at, name, status, descriptor_type, summary,
		CASE WHEN summary IS NULL THEN latest END, approved IS NOT NULL, extra, summary_extra FROM records`
	sqlRecord       = sqlSelectRecords + ` WHERE registry_id = $1 AND id = $2`
	sqlCountRecords = `SELECT count(*) FROM records WHERE registry_id = $1`
	sqlInsertRecord = `INSERT INTO records (registry_id, id, name, status, descriptor_type, created_at, latest, approved,
		extra, summary, summary_extra)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	sqlUpdateRecord = `UPDATE records SET name = $3, status = $4, descriptor_type = $5, created_at = $6, latest = $7, approved = $8,
		extra = $9, summary = $10, summary_extra = $11
		WHERE registry_id = $1 AND id = $2`
	sqlDeleteRecord = `DELETE FROM records WHERE registry_id = $1 AND id = $2`
)

// idempotency and settings

const (
	sqlIdempotency    = `SELECT fingerprint, result, created_at FROM idempotency WHERE key = $1`
	sqlPutIdempotency = `INSERT INTO idempotency (key, fingerprint, result, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, result = excluded.result, created_at = excluded.created_at`
	sqlPruneIdempotency = `DELETE FROM idempotency WHERE created_at < $1`

	sqlSetting    = `SELECT value FROM settings WHERE name = $1`
	sqlPutSetting = `INSERT INTO settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`
)

// change feed

const (
	sqlLockFeedAndNotify = `SELECT pg_advisory_xact_lock($1), pg_notify('` + notifyChannel + `', '')`
	sqlAppendChange      = `INSERT INTO changes (registry_id, record_id, at) VALUES ($1, $2, $3) RETURNING seq`
	sqlChangesSince      = `SELECT seq, registry_id, record_id, at FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2`
	sqlPruneChanges      = `DELETE FROM changes WHERE at < $1`
	sqlListen            = `LISTEN ` + notifyChannel
)

// listQuery builds a list query: a select* query, filters, then the keyset
// order and a limit.
type listQuery struct {
	where []string
	args  []any
}

// filter adds a condition; each %s in cond becomes the next parameter.
func (q *listQuery) filter(cond string, args ...any) {
	marks := make([]any, len(args))
	for i := range args {
		marks[i] = "$" + strconv.Itoa(len(q.args)+i+1)
	}
	q.where = append(q.where, fmt.Sprintf(cond, marks...))
	q.args = append(q.args, args...)
}

// keysetAfter resumes strictly after (name, id); the row comparison is one
// range of the (…, name, id) index.
func (q *listQuery) keysetAfter(name, id string) {
	if name != "" || id != "" {
		q.filter("(name, id) > (%s, %s)", name, id)
	}
}

// sql returns the query and its arguments. A negative limit means no limit,
// as in SQLite.
func (q *listQuery) sql(selectFrom string, limit int) (string, []any) {
	s := selectFrom
	if len(q.where) > 0 {
		s += " WHERE " + strings.Join(q.where, " AND ")
	}
	return s + " ORDER BY name, id LIMIT $" + strconv.Itoa(len(q.args)+1), append(q.args, limitArg(limit))
}

// limitArg maps a negative limit to NULL, which PostgreSQL reads as no
// limit (it rejects negative ones).
func limitArg(n int) any {
	if n < 0 {
		return nil
	}
	return n
}
