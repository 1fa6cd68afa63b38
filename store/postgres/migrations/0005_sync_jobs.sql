-- Pending URL synchronizations of records (registry.SyncJob): one per
-- record, claimed by a worker until lease_until (NULL = unclaimed) with
-- SELECT ... FOR UPDATE SKIP LOCKED, so replicas never claim the same job.
CREATE TABLE sync_jobs (
    registry_id  text COLLATE "C" NOT NULL,
    record_id    text COLLATE "C" NOT NULL,
    prior_status text NOT NULL,
    prior_reason text NOT NULL,
    periodic     boolean NOT NULL,
    attempts     integer NOT NULL,
    lease_until  timestamptz,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (registry_id, record_id)
);

CREATE INDEX sync_jobs_lease ON sync_jobs (lease_until, created_at);
