-- The GA API's fields that belong to a registry or a record rather than to
-- a revision (tags, encryption, auto-detection, the creator), as stored
-- JSON (store/internal/stored); NULL when there are none.
ALTER TABLE registries ADD COLUMN extra json;
ALTER TABLE records ADD COLUMN extra json;
