-- What a list of records shows of each, so that listing reads neither
-- revision's JSON: the latest revision's description, version and update
-- time (Unix milliseconds), beside its name, status and type.
ALTER TABLE records ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE records ADD COLUMN version TEXT NOT NULL DEFAULT '';
ALTER TABLE records ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;

UPDATE records SET
    description = coalesce(json_extract(latest, '$.description'), ''),
    version = coalesce(json_extract(latest, '$.version'), ''),
    updated_at = coalesce(json_extract(latest, '$.updatedAt'), 0);

-- The GA members a summary shows (display name, provenance), as JSON; NULL
-- when the latest revision has none, as every revision stored before them.
ALTER TABLE records ADD COLUMN summary_extra TEXT;
