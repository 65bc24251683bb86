-- =============================================================================
-- 0004-orleans-reminders.sql -- Orleans ADO.NET reminders (PostgreSQL 15+)
-- =============================================================================
-- What      : Table and OrleansQuery entries for the Orleans ADO.NET reminder
--             table (package Microsoft.Orleans.Reminders.AdoNet).
-- Contract  : Microsoft Orleans 10.4.2, ADO.NET invariant "Npgsql" (Npgsql 10.x).
-- Origin    : DOM.Orleans' own SQL, written for this project against the 10.4.2
--             query contract. It is not a copy of the upstream Orleans scripts.
-- Requires  : 0001-orleans-main.sql (OrleansQuery table).
-- Usage     : psql -v ON_ERROR_STOP=1 -f 0004-orleans-reminders.sql
--             Idempotent: tables/indexes are created if missing, query texts are
--             upserted (re-running refreshes them to this file's version).
--
-- Contract notes (10.4.2), as relied upon below:
--   * Parameters: @ServiceId text, @GrainId text (GrainId.ToString(), e.g.
--       "mygrain/key"), @ReminderName text, @StartTime timestamptz (UTC),
--       @Period int OR bigint milliseconds (int when it fits, else bigint),
--       @GrainHash / @BeginHash / @EndHash int, @Version int.
--   * Grain hashes are Orleans' uint32 ring hashes passed REINTERPRETED AS
--       SIGNED int32, and Orleans picks the range query in that signed order:
--         (int)begin <  (int)end  -> ReadRangeRows1Key: begin < hash <= end
--         otherwise (wrap-around,  -> ReadRangeRows2Key: hash > begin OR
--          incl. begin = end = full ring)               hash <= end
--       so grain_hash is a plain signed integer column compared as such.
--   * Result columns are read BY NAME: GrainId, ReminderName, StartTime,
--       Period (int or bigint accepted), Version.
--   * UpsertReminderRowKey returns the new "Version" (the reminder ETag).
--   * DeleteReminderRowKey returns one row with one boolean-convertible column:
--       true only if the row existed with version @Version.
-- =============================================================================

BEGIN;

CREATE TABLE IF NOT EXISTS orleans_reminders
(
    service_id    varchar(150) NOT NULL,
    grain_id      text         NOT NULL,   -- GrainId.ToString()
    reminder_name text         NOT NULL,
    start_time    timestamptz  NOT NULL,   -- first due time (UTC)
    period        bigint       NOT NULL,   -- milliseconds
    grain_hash    integer      NOT NULL,   -- uniform hash as signed int32
    version       integer      NOT NULL,   -- the reminder ETag

    CONSTRAINT orleans_reminders_pk PRIMARY KEY (service_id, grain_id, reminder_name)
);

-- Each silo periodically reads the reminders of its hash-ring range.
CREATE INDEX IF NOT EXISTS orleans_reminders_hash_ix
    ON orleans_reminders (service_id, grain_hash);

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES

-- All reminders of one grain.
('ReadReminderRowsKey', $sql$
SELECT r.grain_id      AS "GrainId",
       r.reminder_name AS "ReminderName",
       r.start_time    AS "StartTime",
       r.period        AS "Period",
       r.version       AS "Version"
  FROM orleans_reminders AS r
 WHERE r.service_id = @ServiceId
   AND r.grain_id = @GrainId
$sql$),

-- One reminder of one grain (0 or 1 row).
('ReadReminderRowKey', $sql$
SELECT r.grain_id      AS "GrainId",
       r.reminder_name AS "ReminderName",
       r.start_time    AS "StartTime",
       r.period        AS "Period",
       r.version       AS "Version"
  FROM orleans_reminders AS r
 WHERE r.service_id = @ServiceId
   AND r.grain_id = @GrainId
   AND r.reminder_name = @ReminderName
$sql$),

-- Ring range that does not wrap in signed order: (begin, end].
('ReadRangeRows1Key', $sql$
SELECT r.grain_id      AS "GrainId",
       r.reminder_name AS "ReminderName",
       r.start_time    AS "StartTime",
       r.period        AS "Period",
       r.version       AS "Version"
  FROM orleans_reminders AS r
 WHERE r.service_id = @ServiceId
   AND r.grain_hash > @BeginHash
   AND r.grain_hash <= @EndHash
$sql$),

-- Ring range that wraps around (or is the whole ring): (begin, max] + [min, end].
('ReadRangeRows2Key', $sql$
SELECT r.grain_id      AS "GrainId",
       r.reminder_name AS "ReminderName",
       r.start_time    AS "StartTime",
       r.period        AS "Period",
       r.version       AS "Version"
  FROM orleans_reminders AS r
 WHERE r.service_id = @ServiceId
   AND (r.grain_hash > @BeginHash OR r.grain_hash <= @EndHash)
$sql$),

-- Register or re-register a reminder (last writer wins, as Orleans expects);
-- every upsert yields a fresh version.
('UpsertReminderRowKey', $sql$
INSERT INTO orleans_reminders AS r
    (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
VALUES
    (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
   SET start_time = EXCLUDED.start_time,
       period     = EXCLUDED.period,
       grain_hash = EXCLUDED.grain_hash,
       version    = r.version + 1
RETURNING r.version AS "Version"
$sql$),

-- Unregister one reminder, only if its version still equals @Version.
('DeleteReminderRowKey', $sql$
WITH deleted AS (
    DELETE FROM orleans_reminders AS r
     WHERE r.service_id = @ServiceId
       AND r.grain_id = @GrainId
       AND r.reminder_name = @ReminderName
       AND r.version = @Version
    RETURNING 1
)
SELECT count(*) = 1 AS "Deleted" FROM deleted
$sql$),

-- Remove every reminder of the service (used by tests / tooling).
('DeleteReminderRowsKey', $sql$
DELETE FROM orleans_reminders
 WHERE service_id = @ServiceId
$sql$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Recorded here as well as by `DOM.Silo migrate`, so a database set up with psql is one the silo recognises.
CREATE TABLE IF NOT EXISTS dom_schema_version (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO dom_schema_version (version, name) VALUES (4, '0004-orleans-reminders.sql') ON CONFLICT (version) DO NOTHING;

COMMIT;
