-- =============================================================================
-- 0005-dom-journal.sql -- DOM.Orleans grain journal (PostgreSQL 15+)
-- =============================================================================
-- What : The append-only journal the hot grains (stock slots, locations,
--        reservations) write their events to, and their snapshots. A silo
--        writes the events of all its grains in batches (one multi-row INSERT
--        and one commit per batch), so the cost per reservation is a few
--        narrow rows, not a blob that grows with a slot's open holds.
-- Keys : stream = '<kind>/<grain key>', e.g. 'slot/sku-1@wh-1'; seq = 1, 2, 3...
--        per stream, assigned by the grain. The primary key rejects a second
--        activation writing the same seq (the silo then fails that write).
-- Data : payload is the event (or the state, in dom_snapshot) serialised with
--        the Orleans serializer (version tolerant by [Id] members).
-- Origin: DOM.Orleans' own schema. Idempotent: safe to re-run.
-- =============================================================================

BEGIN;

CREATE TABLE IF NOT EXISTS dom_journal
(
    stream  text   NOT NULL,
    seq     bigint NOT NULL,
    payload bytea  NOT NULL,

    CONSTRAINT dom_journal_pk PRIMARY KEY (stream, seq)
);

CREATE TABLE IF NOT EXISTS dom_snapshot
(
    stream   text        NOT NULL,
    seq      bigint      NOT NULL,   -- the last event the snapshot includes
    payload  bytea       NOT NULL,
    taken_at timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT dom_snapshot_pk PRIMARY KEY (stream)
);

-- Recorded here as well as by `DOM.Silo migrate`, so a database set up with psql is one the silo recognises.
CREATE TABLE IF NOT EXISTS dom_schema_version (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO dom_schema_version (version, name) VALUES (5, '0005-dom-journal.sql') ON CONFLICT (version) DO NOTHING;

COMMIT;
