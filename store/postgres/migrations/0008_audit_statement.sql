-- The policy statement that denied a call explicitly
-- (iam.Match.String), for the audit trail; '' for other entries.
ALTER TABLE audit ADD COLUMN denied_by text NOT NULL DEFAULT '';
