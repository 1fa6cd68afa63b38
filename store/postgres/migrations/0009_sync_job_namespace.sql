-- The ARN namespace of the API that started a synchronization
-- (registry.SyncJob.Namespace): the events the job sends name it.
ALTER TABLE sync_jobs ADD COLUMN namespace TEXT NOT NULL DEFAULT '';
