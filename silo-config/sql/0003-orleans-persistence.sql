-- =============================================================================
-- 0003-orleans-persistence.sql -- Orleans ADO.NET grain storage (PostgreSQL 15+)
-- =============================================================================
-- What      : Table and OrleansQuery entries for the Orleans ADO.NET grain
--             storage provider (package Microsoft.Orleans.Persistence.AdoNet).
-- Contract  : Microsoft Orleans 10.4.2, ADO.NET invariant "Npgsql" (Npgsql 10.x).
-- Origin    : DOM.Orleans' own SQL, written for this project against the 10.4.2
--             query contract. It is not a copy of the upstream Orleans scripts.
-- Requires  : 0001-orleans-main.sql (OrleansQuery table); PostgreSQL 15+
--             (unique index uses NULLS NOT DISTINCT).
-- Usage     : psql -v ON_ERROR_STOP=1 -f 0003-orleans-persistence.sql
--             Idempotent: tables/indexes are created if missing, query texts are
--             upserted (re-running refreshes them to this file's version).
--
-- Contract notes (10.4.2), as relied upon below:
--   * Every query gets the grain identity as parameters:
--       @GrainIdHash int, @GrainTypeHash int   (hashes computed by Orleans),
--       @GrainIdN0 bigint, @GrainIdN1 bigint   (Guid halves / integer key; 0 for
--                                                string keys),
--       @GrainIdExtensionString text or NULL   (key extension, or the whole key
--                                                for string-keyed grains),
--       @GrainTypeString text, @ServiceId text.
--     Hashes can collide, so the full identity is always compared; the key
--     extension is compared NULL-safely.
--   * Write/Clear/Delete also get @GrainStateVersion int or NULL (the grain's
--     ETag; NULL = the grain believes no row exists). Write gets @PayloadBinary
--     bytea (serialized by the configured IGrainStorageSerializer).
--   * ReadFromStorageKey: 0 or 1 row; columns read BY NAME "PayloadBinary"
--     (NULL = no state / cleared) and "Version" (becomes the ETag).
--   * WriteToStorageKey: column read BY NAME "NewGrainStateVersion". Return the
--     new version on success and NO ROW on a version conflict; Orleans then
--     throws InconsistentStateException.
--   * ClearStorageKey / DeleteStorageKey: first column (by ordinal) is the new
--     version; no row means conflict. DeleteStorageKey is optional and only used
--     with AdoNetGrainStorageOptions.DeleteStateOnClear = true.
--   * Versions: first insert stores 1, each successful write/clear adds 1.
-- =============================================================================

BEGIN;

CREATE TABLE IF NOT EXISTS orleans_storage
(
    grain_id_hash             integer      NOT NULL,
    grain_type_hash           integer      NOT NULL,
    grain_id_n0               bigint       NOT NULL,
    grain_id_n1               bigint       NOT NULL,
    grain_id_extension_string text         NULL,
    grain_type_string         text         NOT NULL,
    service_id                varchar(150) NOT NULL,
    payload_binary            bytea        NULL,      -- NULL after ClearState
    version                   integer      NOT NULL,  -- the grain ETag
    modified_on               timestamptz  NOT NULL DEFAULT now()
);

-- One row per grain state. Leading hash columns serve the lookups; the long
-- text columns go in as md5() so the index stays small whatever the key size.
-- NULLS NOT DISTINCT makes a NULL key extension count as a value, so two
-- concurrent first writes of the same grain cannot both insert.
CREATE UNIQUE INDEX IF NOT EXISTS orleans_storage_identity_ux
    ON orleans_storage (grain_id_hash, grain_type_hash, grain_id_n0, grain_id_n1,
                        md5(service_id), md5(grain_type_string),
                        md5(grain_id_extension_string))
    NULLS NOT DISTINCT;

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES

('ReadFromStorageKey', $sql$
SELECT s.payload_binary AS "PayloadBinary",
       s.version        AS "Version"
  FROM orleans_storage AS s
 WHERE s.grain_id_hash = @GrainIdHash
   AND s.grain_type_hash = @GrainTypeHash
   AND s.grain_id_n0 = @GrainIdN0
   AND s.grain_id_n1 = @GrainIdN1
   AND s.service_id = @ServiceId
   AND s.grain_type_string = @GrainTypeString
   AND s.grain_id_extension_string IS NOT DISTINCT FROM @GrainIdExtensionString
$sql$),

-- Optimistic write. Known version -> update the row if it still has that
-- version. NULL version -> insert version 1 unless a row already exists.
-- Anything else yields no row (= version conflict).
('WriteToStorageKey', $sql$
WITH updated AS (
    UPDATE orleans_storage AS s
       SET payload_binary = @PayloadBinary,
           version = s.version + 1,
           modified_on = now()
     WHERE s.grain_id_hash = @GrainIdHash
       AND s.grain_type_hash = @GrainTypeHash
       AND s.grain_id_n0 = @GrainIdN0
       AND s.grain_id_n1 = @GrainIdN1
       AND s.service_id = @ServiceId
       AND s.grain_type_string = @GrainTypeString
       AND s.grain_id_extension_string IS NOT DISTINCT FROM @GrainIdExtensionString
       AND s.version = @GrainStateVersion
    RETURNING s.version
), inserted AS (
    INSERT INTO orleans_storage
        (grain_id_hash, grain_type_hash, grain_id_n0, grain_id_n1,
         grain_id_extension_string, grain_type_string, service_id,
         payload_binary, version, modified_on)
    SELECT @GrainIdHash, @GrainTypeHash, @GrainIdN0, @GrainIdN1,
           @GrainIdExtensionString, @GrainTypeString, @ServiceId,
           @PayloadBinary, 1, now()
     WHERE @GrainStateVersion IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version
)
SELECT version AS "NewGrainStateVersion" FROM updated
UNION ALL
SELECT version FROM inserted
$sql$),

-- ClearState with DeleteStateOnClear = false: keep the row, drop the payload,
-- bump the version so the ETag keeps protecting later writes.
('ClearStorageKey', $sql$
UPDATE orleans_storage AS s
   SET payload_binary = NULL,
       version = s.version + 1,
       modified_on = now()
 WHERE s.grain_id_hash = @GrainIdHash
   AND s.grain_type_hash = @GrainTypeHash
   AND s.grain_id_n0 = @GrainIdN0
   AND s.grain_id_n1 = @GrainIdN1
   AND s.service_id = @ServiceId
   AND s.grain_type_string = @GrainTypeString
   AND s.grain_id_extension_string IS NOT DISTINCT FROM @GrainIdExtensionString
   AND s.version = @GrainStateVersion
RETURNING s.version AS "NewGrainStateVersion"
$sql$),

-- ClearState with DeleteStateOnClear = true: remove the row if the version
-- matches. Orleans only needs a non-empty value different from the old ETag.
('DeleteStorageKey', $sql$
DELETE FROM orleans_storage AS s
 WHERE s.grain_id_hash = @GrainIdHash
   AND s.grain_type_hash = @GrainTypeHash
   AND s.grain_id_n0 = @GrainIdN0
   AND s.grain_id_n1 = @GrainIdN1
   AND s.service_id = @ServiceId
   AND s.grain_type_string = @GrainTypeString
   AND s.grain_id_extension_string IS NOT DISTINCT FROM @GrainIdExtensionString
   AND s.version = @GrainStateVersion
RETURNING s.version + 1 AS "NewGrainStateVersion"
$sql$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Recorded here as well as by `DOM.Silo migrate`, so a database set up with psql is one the silo recognises.
CREATE TABLE IF NOT EXISTS dom_schema_version (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO dom_schema_version (version, name) VALUES (3, '0003-orleans-persistence.sql') ON CONFLICT (version) DO NOTHING;

COMMIT;
