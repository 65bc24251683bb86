-- =============================================================================
-- 0001-orleans-main.sql -- Orleans ADO.NET query registry (PostgreSQL 15+)
-- =============================================================================
-- What      : Creates the OrleansQuery table. Every Orleans ADO.NET provider
--             (clustering, grain persistence, reminders) loads its SQL from this
--             table at start-up, looked up by a well-known key. Scripts 0002..0004
--             create the provider tables and register their query texts here.
-- Contract  : Microsoft Orleans 10.4.2 ADO.NET providers, ADO.NET invariant
--             "Npgsql" (Npgsql 10.x).
--             The providers run the hard-coded, unquoted statement
--                 SELECT QueryKey, QueryText FROM OrleansQuery [WHERE QueryKey = ...]
--             which PostgreSQL folds to orleansquery(querykey, querytext); the
--             two columns are then read by name (Npgsql matches names
--             case-insensitively). The table name and both column names must
--             therefore stay exactly as below (unquoted).
-- Origin    : DOM.Orleans' own SQL, written for this project against the 10.4.2
--             query contract. It is not a copy of the upstream Orleans scripts.
-- Usage     : psql -v ON_ERROR_STOP=1 -f 0001-orleans-main.sql
--             Idempotent: safe to re-run; it never drops or rewrites data.
-- =============================================================================

BEGIN;

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL,   -- e.g. 'InsertMembershipKey', 'WriteToStorageKey'
    QueryText text        NOT NULL,   -- SQL with Npgsql-style named parameters (@Name)

    CONSTRAINT orleansquery_pk PRIMARY KEY (QueryKey)
);

COMMENT ON TABLE OrleansQuery IS
    'Orleans ADO.NET providers read their SQL from here by QueryKey (Orleans 10.4.2 contract). Maintained by DOM.Orleans silo-config/sql scripts.';

-- Recorded here as well as by `DOM.Silo migrate`, so a database set up with psql is one the silo recognises.
CREATE TABLE IF NOT EXISTS dom_schema_version (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO dom_schema_version (version, name) VALUES (1, '0001-orleans-main.sql') ON CONFLICT (version) DO NOTHING;

COMMIT;
