-- The change feed. seq is assigned at insert time, not at commit time;
-- writers hold an advisory lock from their insert to their commit so that
-- entries become visible in seq order (see AppendChange).
CREATE TABLE changes (
    seq         bigserial PRIMARY KEY,
    registry_id text COLLATE "C" NOT NULL,
    record_id   text COLLATE "C" NOT NULL,
    at          timestamptz NOT NULL
);

CREATE INDEX changes_at ON changes (at);
