-- =============================================================================
-- 0006-dom-journal-ranges.sql -- a journal row may hold several events
-- =============================================================================
-- What : A silo writes one row per stream and batch: the consecutive events a
--        batch carries for one stream (a slot's holds, a location's bookings)
--        share a row, seq being the first of them and events how many there
--        are. A row of one event keeps the event's bytes as they are (so every
--        row written before this script reads as before); a row of several
--        frames them (each a 7-bit encoded length, then its bytes).
-- Keys : unchanged. A second writer of a stream starts where the rows it
--        loaded end, so it collides on a row's first seq, never inside a row.
-- Upgrade: silos older than this script read a row of several events as one
--        event: stop them before the first new silo writes.
-- Origin: DOM.Orleans' own schema. Idempotent: safe to re-run.
-- =============================================================================

BEGIN;

ALTER TABLE dom_journal ADD COLUMN IF NOT EXISTS events integer NOT NULL DEFAULT 1;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'dom_journal_events_positive') THEN
        ALTER TABLE dom_journal ADD CONSTRAINT dom_journal_events_positive CHECK (events >= 1);
    END IF;
END $$;

COMMIT;
