-- The writers' lock: an empty table that every read-write transaction
-- locks as it begins (see Store.Update). A first run takes ROW SHARE, which
-- any number of writers share; a run after a serialization failure takes
-- EXCLUSIVE and so runs alone, on a snapshot taken after every other
-- writer finished, and cannot fail to serialize with them. A table rather
-- than an advisory lock because LOCK TABLE takes no snapshot, where
-- SELECT pg_advisory_xact_lock(...) takes one before it waits. Empty and
-- never written, it is never vacuumed or analyzed, whose locks would queue
-- behind the writers'.
CREATE TABLE write_lock ();
