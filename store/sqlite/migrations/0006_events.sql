-- The outbox of lifecycle events (registry.Event), written in the
-- transaction of the change that caused each; webhooks deliver from it.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL,
    detail_type TEXT NOT NULL,
    registry_id TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    at          INTEGER NOT NULL,
    detail      TEXT NOT NULL
) STRICT;

-- Events a webhook gave up on, with the envelope as sent.
CREATE TABLE event_dead_letters (
    webhook    TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    event_id   TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    at         INTEGER NOT NULL,
    body       BLOB NOT NULL,
    PRIMARY KEY (webhook, seq)
) STRICT;

-- The audit trail (registry.AuditEntry).
CREATE TABLE audit (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    request_id    TEXT NOT NULL,
    operation     TEXT NOT NULL,
    principal     TEXT NOT NULL,
    access_key_id TEXT NOT NULL,
    source_ip     TEXT NOT NULL,
    resource      TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    status        INTEGER NOT NULL,
    error         TEXT NOT NULL,
    denial        TEXT NOT NULL,
    changed       TEXT NOT NULL
) STRICT;

CREATE INDEX audit_at ON audit (at);
