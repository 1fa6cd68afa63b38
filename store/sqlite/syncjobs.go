package sqlite

import (
	"database/sql"
	"errors"
	"time"

	"github.com/agentry/agentry/registry"
)

// ---- synchronization jobs ----

const syncJobColumns = `registry_id, record_id, prior_status, prior_reason, periodic, attempts, lease_until, created_at, namespace`

func scanSyncJob(row interface{ Scan(...any) error }) (registry.SyncJob, error) {
	var (
		j              registry.SyncJob
		prior          string
		lease, created int64
	)
	err := row.Scan(&j.RegistryID, &j.RecordID, &prior, &j.PriorReason, &j.Periodic, &j.Attempts, &lease, &created, &j.Namespace)
	j.PriorStatus, j.CreatedAt = registry.RecordStatus(prior), fromMillis(created)
	if lease != 0 {
		j.LeaseUntil = fromMillis(lease)
	}
	return j, err
}

func leaseMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return millis(t)
}

func (t *txn) SyncJob(registryID, recordID string) (registry.SyncJob, bool, error) {
	j, err := scanSyncJob(t.tx.QueryRowContext(t.ctx,
		`SELECT `+syncJobColumns+` FROM sync_jobs WHERE registry_id = ? AND record_id = ?`, registryID, recordID))
	if errors.Is(err, sql.ErrNoRows) {
		return j, false, nil
	}
	return j, err == nil, err
}

func (t *txn) PutSyncJob(j registry.SyncJob) error {
	_, err := t.exec(`INSERT OR REPLACE INTO sync_jobs (`+syncJobColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		j.RegistryID, j.RecordID, string(j.PriorStatus), j.PriorReason, j.Periodic, j.Attempts, leaseMillis(j.LeaseUntil), millis(j.CreatedAt), j.Namespace)
	return err
}

func (t *txn) DeleteSyncJob(registryID, recordID string) error {
	_, err := t.exec(`DELETE FROM sync_jobs WHERE registry_id = ? AND record_id = ?`, registryID, recordID)
	return err
}

// ClaimSyncJobs needs no row locks: SQLite runs one write transaction at a
// time, and one process uses the file.
func (t *txn) ClaimSyncJobs(now, leaseUntil time.Time, limit int) ([]registry.SyncJob, error) {
	rows, err := t.tx.QueryContext(t.ctx, `UPDATE sync_jobs SET lease_until = ?, attempts = attempts + 1
		WHERE (registry_id, record_id) IN (
			SELECT registry_id, record_id FROM sync_jobs WHERE lease_until < ? ORDER BY created_at LIMIT ?)
		RETURNING `+syncJobColumns, millis(leaseUntil), millis(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.SyncJob
	for rows.Next() {
		j, err := scanSyncJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}
