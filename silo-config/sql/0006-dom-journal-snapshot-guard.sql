-- =============================================================================
-- 0006-dom-journal-snapshot-guard.sql -- no journal row below a snapshot (PostgreSQL 15+)
-- =============================================================================
-- What : A statement-level trigger that fails any INSERT into dom_journal
--        carrying a row whose seq its stream's snapshot already covers.
-- Why  : The primary key catches a second activation of a grain writing a seq
--        that is stored. It cannot catch one writing a seq the other activation
--        has since snapshotted and trimmed: that row would be stored, the write
--        acknowledged, and every load would skip it (loads start after the
--        snapshot). The trigger makes that write collide instead.
-- How  : AFTER the rows are in, with a fresh view (READ COMMITTED: each query in
--        the function sees what is committed when it runs), so a snapshot that
--        commits while the INSERT runs is seen too: either its trim committed
--        before the INSERT's key check (then this query sees the snapshot) or
--        the key check found the live row, or waited for the trimming
--        transaction and then runs this query after its commit.
--        It raises unique_violation (constraint dom_journal_snapshot), as the
--        primary key would: the statement stores nothing.
--        This needs READ COMMITTED, PostgreSQL's default, which the silo's
--        journal statements run under: do not raise the database's or the
--        role's default_transaction_isolation.
-- Origin: DOM.Orleans' own schema. Idempotent: safe to re-run.
-- =============================================================================

BEGIN;

CREATE OR REPLACE FUNCTION dom_journal_snapshot_guard() RETURNS trigger
LANGUAGE plpgsql AS
$$
DECLARE
    stale record;
BEGIN
    SELECT i.stream, i.seq, s.seq AS covered INTO stale
    FROM inserted i JOIN dom_snapshot s ON s.stream = i.stream AND i.seq <= s.seq
    LIMIT 1;

    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'unique_violation',
            CONSTRAINT = 'dom_journal_snapshot',
            MESSAGE = format('dom_journal: %s seq %s is covered by its snapshot (seq %s); another activation wrote it first',
                             stale.stream, stale.seq, stale.covered);
    END IF;

    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS dom_journal_snapshot_guard ON dom_journal;
CREATE TRIGGER dom_journal_snapshot_guard
    AFTER INSERT ON dom_journal
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION dom_journal_snapshot_guard();

-- Recorded here as well as by `DOM.Silo migrate`, so a database set up with psql is one the silo recognises.
CREATE TABLE IF NOT EXISTS dom_schema_version (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO dom_schema_version (version, name) VALUES (6, '0006-dom-journal-snapshot-guard.sql') ON CONFLICT (version) DO NOTHING;

COMMIT;
