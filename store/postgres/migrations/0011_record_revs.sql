-- A number that every write of a record changes and that no other write
-- ever takes, even of a record deleted and created again, or of a
-- transaction rolled back (sequences never give a value twice): a replica
-- may keep what it read of a record under (record, rev) and know from the
-- rev column alone whether it is still what the row holds (see
-- stored.SummaryCache). The default and the trigger give it out, so that
-- no write can forget to.
CREATE SEQUENCE record_rev AS bigint;
ALTER TABLE records ADD COLUMN rev bigint;
UPDATE records SET rev = nextval('record_rev');
ALTER TABLE records ALTER COLUMN rev SET DEFAULT nextval('record_rev'), ALTER COLUMN rev SET NOT NULL;

CREATE FUNCTION records_next_rev() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.rev := nextval('record_rev');
    RETURN NEW;
END
$$;

CREATE TRIGGER records_rev BEFORE UPDATE ON records FOR EACH ROW EXECUTE FUNCTION records_next_rev();

-- A page of a list reads its ids and revs from this index alone (when the
-- visibility map allows), in the order of the list, filters included.
CREATE INDEX records_list ON records (registry_id, name, id) INCLUDE (rev, status, descriptor_type);
