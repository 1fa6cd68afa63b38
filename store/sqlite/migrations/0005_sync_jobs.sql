-- Pending URL synchronizations of records (registry.SyncJob): one per
-- record, claimed by a worker until lease_until (0 = unclaimed).
CREATE TABLE sync_jobs (
    registry_id  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    prior_status TEXT NOT NULL,
    prior_reason TEXT NOT NULL,
    periodic     INTEGER NOT NULL,
    attempts     INTEGER NOT NULL,
    lease_until  INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (registry_id, record_id)
) STRICT;

CREATE INDEX sync_jobs_lease ON sync_jobs (lease_until, created_at);
