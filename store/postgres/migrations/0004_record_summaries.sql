-- What a list of records shows of each, so that listing reads neither
-- revision: the latest revision's description, version and updatedAt, as
-- a small JSON object beside its name, status and type. JSON, not text
-- columns, because text cannot hold the NUL a description may contain.
--
-- PostgreSQL's JSON functions refuse a \u0000 escape, so the rows whose
-- latest revision has one keep no summary until they are written again;
-- a list reads their revision instead.
ALTER TABLE records ADD COLUMN summary json;

UPDATE records SET summary = json_build_object(
    'description', latest->'description', 'version', latest->'version', 'updatedAt', latest->'updatedAt')
    WHERE latest::text NOT LIKE '%\\u0000%';

-- The GA members a summary shows (display name, provenance), as JSON; NULL
-- when the latest revision has none, as every revision stored before them.
ALTER TABLE records ADD COLUMN summary_extra json;
