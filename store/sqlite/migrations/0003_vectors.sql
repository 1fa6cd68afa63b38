-- Vectors of the search index's semantic leg, by embedding model and by the
-- SHA-256 of the text they were computed from.
CREATE TABLE vectors (
    fingerprint TEXT NOT NULL,
    text_hash   BLOB NOT NULL,
    vector      BLOB NOT NULL,
    PRIMARY KEY (fingerprint, text_hash)
) STRICT, WITHOUT ROWID;
