-- A number that every write of a record changes and that no other write
-- ever takes, even of a record deleted and created again: a process may
-- keep what it read of a record under (record, rev) and know from the rev
-- column alone whether it is still what the row holds (see
-- stored.SummaryCache). The triggers give it out, so that no write can
-- forget to.
ALTER TABLE records ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;

CREATE TABLE record_rev (n INTEGER NOT NULL) STRICT;
INSERT INTO record_rev (n) SELECT coalesce(max(rowid), 0) FROM records;
UPDATE records SET rev = rowid;

CREATE TRIGGER records_rev_insert AFTER INSERT ON records BEGIN
    UPDATE record_rev SET n = n + 1;
    UPDATE records SET rev = (SELECT n FROM record_rev) WHERE rowid = NEW.rowid;
END;

-- Not for the triggers' own updates, which change rev (and with recursive
-- triggers off, SQLite's default, would not fire this one again anyway).
CREATE TRIGGER records_rev_update AFTER UPDATE ON records WHEN NEW.rev = OLD.rev BEGIN
    UPDATE record_rev SET n = n + 1;
    UPDATE records SET rev = (SELECT n FROM record_rev) WHERE rowid = NEW.rowid;
END;

-- A page of a list reads its ids and revs from this index alone, in the
-- order of the list, filters included.
CREATE INDEX records_list ON records (registry_id, name, id, rev, status, descriptor_type);
