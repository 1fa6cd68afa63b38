CREATE TABLE changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    registry_id TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    at          INTEGER NOT NULL
) STRICT;

CREATE INDEX changes_at ON changes (at);
