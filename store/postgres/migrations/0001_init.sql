-- Names and ids use the "C" collation so that ORDER BY and keyset
-- comparisons follow byte order, whatever the database's locale.
-- Timestamps are stored at millisecond precision, like SQLite's.
-- Revisions and authorizer configurations are json, not jsonb: json keeps
-- the text exactly as written (like SQLite) and accepts \u0000, which jsonb
-- rejects; filters use the columns beside them, so jsonb would buy nothing.

CREATE TABLE registries (
    id                text COLLATE "C" PRIMARY KEY,
    name              text COLLATE "C" NOT NULL UNIQUE,
    description       text NOT NULL,
    authorizer_type   text NOT NULL,
    authorizer_config json,
    auto_approval     boolean NOT NULL,
    status            text NOT NULL,
    status_reason     text NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

-- Keyset pagination: (name, id) > ($1, $2) as one index range.
CREATE INDEX registries_name_id ON registries (name, id);

CREATE TABLE records (
    registry_id     text COLLATE "C" NOT NULL REFERENCES registries (id),
    id              text COLLATE "C" NOT NULL,
    name            text COLLATE "C" NOT NULL,
    status          text NOT NULL,
    descriptor_type text NOT NULL,
    created_at      timestamptz NOT NULL,
    latest          json NOT NULL,
    approved        json,
    PRIMARY KEY (registry_id, id),
    UNIQUE (registry_id, name)
);

CREATE INDEX records_registry_name_id ON records (registry_id, name, id);

-- The key joins operation, scope and client token with a NUL byte, which
-- text cannot hold.
CREATE TABLE idempotency (
    key         bytea PRIMARY KEY,
    fingerprint text NOT NULL,
    result      bytea NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE INDEX idempotency_created_at ON idempotency (created_at);

CREATE TABLE settings (
    name  text COLLATE "C" PRIMARY KEY,
    value bytea NOT NULL
);
