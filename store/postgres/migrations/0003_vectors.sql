-- Vectors of the search index's semantic leg, by embedding model and by the
-- SHA-256 of the text they were computed from.
CREATE TABLE vectors (
    fingerprint text NOT NULL,
    text_hash   bytea NOT NULL,
    vector      bytea NOT NULL,
    PRIMARY KEY (fingerprint, text_hash)
);
