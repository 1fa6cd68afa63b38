CREATE TABLE registries (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    description       TEXT NOT NULL,
    authorizer_type   TEXT NOT NULL,
    authorizer_config TEXT,
    auto_approval     INTEGER NOT NULL,
    status            TEXT NOT NULL,
    status_reason     TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
) STRICT;

CREATE TABLE records (
    registry_id     TEXT NOT NULL REFERENCES registries (id),
    id              TEXT NOT NULL,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL,
    descriptor_type TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    latest          TEXT NOT NULL,
    approved        TEXT,
    PRIMARY KEY (registry_id, id),
    UNIQUE (registry_id, name)
) STRICT;

CREATE TABLE idempotency (
    key         TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    result      BLOB NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX idempotency_created_at ON idempotency (created_at);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;
