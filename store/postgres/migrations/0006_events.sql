-- The outbox of lifecycle events (registry.Event), written in the
-- transaction of the change that caused each; webhooks deliver from it.
-- Like the change feed's, seq is drawn under the feed lock, so events
-- become visible in seq order (see AppendEvent).
CREATE TABLE events (
    seq         bigserial PRIMARY KEY,
    id          text NOT NULL,
    detail_type text NOT NULL,
    registry_id text COLLATE "C" NOT NULL,
    record_id   text COLLATE "C" NOT NULL,
    at          timestamptz NOT NULL,
    detail      text NOT NULL
);

-- Events a webhook gave up on, with the envelope as sent.
CREATE TABLE event_dead_letters (
    webhook    text NOT NULL,
    seq        bigint NOT NULL,
    event_id   text NOT NULL,
    attempts   integer NOT NULL,
    last_error text NOT NULL,
    at         timestamptz NOT NULL,
    body       bytea NOT NULL,
    PRIMARY KEY (webhook, seq)
);

-- The audit trail (registry.AuditEntry).
CREATE TABLE audit (
    seq           bigserial PRIMARY KEY,
    at            timestamptz NOT NULL,
    request_id    text NOT NULL,
    operation     text NOT NULL,
    principal     text NOT NULL,
    access_key_id text NOT NULL,
    source_ip     text NOT NULL,
    resource      text COLLATE "C" NOT NULL,
    outcome       text NOT NULL,
    status        integer NOT NULL,
    error         text NOT NULL,
    denial        text NOT NULL,
    changed       text NOT NULL
);

CREATE INDEX audit_at ON audit (at);
