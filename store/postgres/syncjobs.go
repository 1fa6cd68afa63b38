package postgres

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentry/agentry/registry"
)

// ---- synchronization jobs ----

const (
	syncJobColumns = `registry_id, record_id, prior_status, prior_reason, periodic, attempts, lease_until, created_at, namespace`
	sqlSyncJob     = `SELECT ` + syncJobColumns + ` FROM sync_jobs WHERE registry_id = $1 AND record_id = $2`
	sqlPutSyncJob  = `INSERT INTO sync_jobs (` + syncJobColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (registry_id, record_id) DO UPDATE SET prior_status = excluded.prior_status,
		prior_reason = excluded.prior_reason, periodic = excluded.periodic, attempts = excluded.attempts, lease_until = excluded.lease_until,
		created_at = excluded.created_at, namespace = excluded.namespace`
	sqlDeleteSyncJob = `DELETE FROM sync_jobs WHERE registry_id = $1 AND record_id = $2`
	// SKIP LOCKED: a replica claiming at the same time takes other jobs
	// instead of waiting for, then failing on, these.
	sqlClaimSyncJobs = `UPDATE sync_jobs SET lease_until = $1, attempts = attempts + 1
		WHERE (registry_id, record_id) IN (
			SELECT registry_id, record_id FROM sync_jobs
			WHERE lease_until IS NULL OR lease_until < $2
			ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING ` + syncJobColumns
)

func scanSyncJob(row pgx.Row) (registry.SyncJob, error) {
	var (
		j     registry.SyncJob
		prior string
		lease *time.Time
	)
	err := row.Scan(&j.RegistryID, &j.RecordID, &prior, &j.PriorReason, &j.Periodic, &j.Attempts, &lease, &j.CreatedAt, &j.Namespace)
	j.PriorStatus, j.CreatedAt = registry.RecordStatus(prior), j.CreatedAt.UTC()
	if lease != nil {
		j.LeaseUntil = lease.UTC()
	}
	return j, err
}

func (t *txn) SyncJob(registryID, recordID string) (registry.SyncJob, bool, error) {
	j, err := scanSyncJob(t.queryRow(sqlSyncJob, registryID, recordID))
	if errors.Is(err, pgx.ErrNoRows) {
		return j, false, nil
	}
	return j, err == nil, t.note(err)
}

func (t *txn) PutSyncJob(j registry.SyncJob) error {
	var lease *time.Time
	if !j.LeaseUntil.IsZero() {
		l := millis(j.LeaseUntil)
		lease = &l
	}
	_, err := t.exec(sqlPutSyncJob, j.RegistryID, j.RecordID, string(j.PriorStatus), j.PriorReason, j.Periodic, j.Attempts, lease, millis(j.CreatedAt), j.Namespace)
	return err
}

func (t *txn) DeleteSyncJob(registryID, recordID string) error {
	_, err := t.exec(sqlDeleteSyncJob, registryID, recordID)
	return err
}

func (t *txn) ClaimSyncJobs(now, leaseUntil time.Time, limit int) ([]registry.SyncJob, error) {
	if t.readOnly {
		return nil, errReadOnly
	}
	return list(t, sqlClaimSyncJobs, []any{millis(leaseUntil), millis(now), limit}, scanSyncJob)
}
