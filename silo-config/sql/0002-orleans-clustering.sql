-- =============================================================================
-- 0002-orleans-clustering.sql -- Orleans ADO.NET clustering (PostgreSQL 15+)
-- =============================================================================
-- What      : Tables and OrleansQuery entries for the Orleans ADO.NET membership
--             (clustering) provider and the client gateway list provider
--             (package Microsoft.Orleans.Clustering.AdoNet).
-- Contract  : Microsoft Orleans 10.4.2, ADO.NET invariant "Npgsql" (Npgsql 10.x).
-- Origin    : DOM.Orleans' own SQL, written for this project against the 10.4.2
--             query contract. It is not a copy of the upstream Orleans scripts.
-- Requires  : 0001-orleans-main.sql (OrleansQuery table).
-- Usage     : psql -v ON_ERROR_STOP=1 -f 0002-orleans-clustering.sql
--             Idempotent: tables/indexes are created if missing, query texts are
--             upserted (re-running refreshes them to this file's version).
--
-- Contract notes (10.4.2), as relied upon below:
--   * Parameters (Npgsql @Name, typed by Orleans):
--       @DeploymentId text (= ClusterOptions.ClusterId), @Address text (IP as
--       string), @Port int, @Generation int, @SiloName text, @HostName text,
--       @Status int (SiloStatus: 3 = Active, 6 = Dead), @ProxyPort int,
--       @SuspectTimes text or NULL, @StartTime / @IAmAliveTime timestamptz (UTC
--       DateTime sent as DbType.DateTime, which Npgsql maps to timestamptz),
--       @Version int (the table version the caller last read).
--   * Result columns are read BY NAME: Version, Address, Port, Generation,
--       SiloName, HostName, Status, ProxyPort, SuspectTimes, StartTime,
--       IAmAliveTime. They are aliased here with quoted PascalCase names so
--       the mapping is explicit. A NULL StartTime means "no member on this row".
--   * The membership read queries must always return at least the version row
--       (Orleans takes the table version from the first row).
--   * Insert/Update/InsertVersion must return exactly ONE row with exactly ONE
--       column convertible to boolean (success flag).
--   * Every successful membership insert/update must bump the deployment's
--       version row, and only if that row still carries @Version (optimistic
--       concurrency on the whole table). UpdateIAmAlive does not bump it.
--   * Orleans 10.4.2 also pays attention to the OPTIONAL key
--       CleanupDefunctSiloEntryKey: if present it is used (one row at a time,
--       only for rows Orleans saw as Dead and inactive) instead of the bulk
--       CleanupDefunctSiloEntriesKey, which must nevertheless exist.
-- =============================================================================

BEGIN;

-- One row per cluster (deployment): the membership table version / etag.
CREATE TABLE IF NOT EXISTS orleans_membership_version
(
    deployment_id varchar(150) NOT NULL,
    version       integer      NOT NULL DEFAULT 0,
    changed_at    timestamptz  NOT NULL DEFAULT now(),

    CONSTRAINT orleans_membership_version_pk PRIMARY KEY (deployment_id),
    CONSTRAINT orleans_membership_version_nonneg_ck CHECK (version >= 0)
);

-- One row per silo incarnation (address:port + generation).
CREATE TABLE IF NOT EXISTS orleans_membership
(
    deployment_id varchar(150) NOT NULL,
    address       varchar(45)  NOT NULL,   -- textual IPv4 / IPv6
    port          integer      NOT NULL,
    generation    integer      NOT NULL,
    silo_name     varchar(150) NOT NULL,   -- read back with a non-null cast
    host_name     varchar(150) NOT NULL,
    status        integer      NOT NULL,   -- Orleans.Runtime.SiloStatus
    proxy_port    integer      NOT NULL,   -- gateway port, 0 = not a gateway
    suspect_times text         NULL,       -- 'silo,date|silo,date' as formatted by Orleans
    start_time    timestamptz  NOT NULL,
    iamalive_time timestamptz  NOT NULL,

    CONSTRAINT orleans_membership_pk PRIMARY KEY (deployment_id, address, port, generation),
    CONSTRAINT orleans_membership_version_fk FOREIGN KEY (deployment_id)
        REFERENCES orleans_membership_version (deployment_id)
);

-- Gateway lookups filter by cluster and status.
CREATE INDEX IF NOT EXISTS orleans_membership_status_ix
    ON orleans_membership (deployment_id, status);

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES

-- Creates the version row for the cluster if it is missing.
-- Returns one boolean: true if this call created it.
('InsertMembershipVersionKey', $sql$
WITH created AS (
    INSERT INTO orleans_membership_version (deployment_id, version, changed_at)
    VALUES (@DeploymentId, 0, now())
    ON CONFLICT (deployment_id) DO NOTHING
    RETURNING 1
)
SELECT count(*) = 1 AS "Created" FROM created
$sql$),

-- Heartbeat: refreshes IAmAliveTime of one silo. No result, no version bump.
('UpdateIAmAlivetimeKey', $sql$
UPDATE orleans_membership
   SET iamalive_time = @IAmAliveTime
 WHERE deployment_id = @DeploymentId
   AND address = @Address
   AND port = @Port
   AND generation = @Generation
$sql$),

-- Adds a silo row, succeeding only if the table version still equals @Version
-- and the silo is not already present. The version row is bumped first (this
-- is the compare-and-swap that serialises concurrent writers); the member row
-- is inserted only if the bump happened. Returns one boolean.
('InsertMembershipKey', $sql$
WITH bumped AS (
    UPDATE orleans_membership_version AS v
       SET version = v.version + 1,
           changed_at = now()
     WHERE v.deployment_id = @DeploymentId
       AND v.version = @Version
       AND NOT EXISTS (SELECT 1
                         FROM orleans_membership AS m
                        WHERE m.deployment_id = @DeploymentId
                          AND m.address = @Address
                          AND m.port = @Port
                          AND m.generation = @Generation)
    RETURNING v.deployment_id
), inserted AS (
    INSERT INTO orleans_membership
        (deployment_id, address, port, generation, silo_name, host_name,
         status, proxy_port, suspect_times, start_time, iamalive_time)
    SELECT b.deployment_id, @Address, @Port, @Generation, @SiloName, @HostName,
           @Status, @ProxyPort, NULL, @StartTime, @IAmAliveTime
      FROM bumped AS b
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*) = 1 AS "Inserted" FROM inserted
$sql$),

-- Changes status / suspicions / IAmAliveTime of an existing silo row, only if
-- the table version still equals @Version. Bumps the version. Returns one boolean.
('UpdateMembershipKey', $sql$
WITH bumped AS (
    UPDATE orleans_membership_version AS v
       SET version = v.version + 1,
           changed_at = now()
     WHERE v.deployment_id = @DeploymentId
       AND v.version = @Version
       AND EXISTS (SELECT 1
                     FROM orleans_membership AS m
                    WHERE m.deployment_id = @DeploymentId
                      AND m.address = @Address
                      AND m.port = @Port
                      AND m.generation = @Generation)
    RETURNING v.deployment_id
), updated AS (
    UPDATE orleans_membership AS m
       SET status = @Status,
           suspect_times = @SuspectTimes,
           iamalive_time = @IAmAliveTime
      FROM bumped AS b
     WHERE m.deployment_id = b.deployment_id
       AND m.address = @Address
       AND m.port = @Port
       AND m.generation = @Generation
    RETURNING 1
)
SELECT count(*) = 1 AS "Updated" FROM updated
$sql$),

-- One silo plus the table version. The LEFT JOIN keeps the version row even
-- when the silo is unknown (all member columns NULL then).
('MembershipReadRowKey', $sql$
SELECT v.deployment_id AS "DeploymentId",
       m.address       AS "Address",
       m.port          AS "Port",
       m.generation    AS "Generation",
       m.silo_name     AS "SiloName",
       m.host_name     AS "HostName",
       m.status        AS "Status",
       m.proxy_port    AS "ProxyPort",
       m.suspect_times AS "SuspectTimes",
       m.start_time    AS "StartTime",
       m.iamalive_time AS "IAmAliveTime",
       v.version       AS "Version"
  FROM orleans_membership_version AS v
  LEFT JOIN orleans_membership AS m
         ON m.deployment_id = v.deployment_id
        AND m.address = @Address
        AND m.port = @Port
        AND m.generation = @Generation
 WHERE v.deployment_id = @DeploymentId
$sql$),

-- All silos of the cluster plus the table version (same shape as above).
('MembershipReadAllKey', $sql$
SELECT v.deployment_id AS "DeploymentId",
       m.address       AS "Address",
       m.port          AS "Port",
       m.generation    AS "Generation",
       m.silo_name     AS "SiloName",
       m.host_name     AS "HostName",
       m.status        AS "Status",
       m.proxy_port    AS "ProxyPort",
       m.suspect_times AS "SuspectTimes",
       m.start_time    AS "StartTime",
       m.iamalive_time AS "IAmAliveTime",
       v.version       AS "Version"
  FROM orleans_membership_version AS v
  LEFT JOIN orleans_membership AS m
         ON m.deployment_id = v.deployment_id
 WHERE v.deployment_id = @DeploymentId
$sql$),

-- Removes the whole cluster: member rows and the version row, in one statement
-- (the foreign key is checked at statement end, after both deletes).
('DeleteMembershipTableEntriesKey', $sql$
WITH members AS (
    DELETE FROM orleans_membership
     WHERE deployment_id = @DeploymentId
)
DELETE FROM orleans_membership_version
 WHERE deployment_id = @DeploymentId
$sql$),

-- Gateways for clients: active silos (@Status = 3) that expose a proxy port.
('GatewaysQueryKey', $sql$
SELECT address    AS "Address",
       proxy_port AS "ProxyPort",
       generation AS "Generation"
  FROM orleans_membership
 WHERE deployment_id = @DeploymentId
   AND status = @Status
   AND proxy_port > 0
$sql$),

-- Bulk clean-up (required key; used only when CleanupDefunctSiloEntryKey is
-- absent): non-active silos that have not heart-beaten since @IAmAliveTime.
('CleanupDefunctSiloEntriesKey', $sql$
DELETE FROM orleans_membership
 WHERE deployment_id = @DeploymentId
   AND iamalive_time < @IAmAliveTime
   AND status <> 3
$sql$),

-- Per-row clean-up (optional key, preferred by 10.4.2). Orleans has already
-- decided from a full read that this row is Dead (6) and old; the delete only
-- happens if the row still holds exactly the values Orleans saw, so a row that
-- changed meanwhile is left alone.
('CleanupDefunctSiloEntryKey', $sql$
DELETE FROM orleans_membership
 WHERE deployment_id = @DeploymentId
   AND address = @Address
   AND port = @Port
   AND generation = @Generation
   AND status = 6
   AND start_time = @StartTime
   AND iamalive_time = @IAmAliveTime
   AND coalesce(suspect_times, '') = coalesce(@SuspectTimes, '')
$sql$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Recorded here as well as by `DOM.Silo migrate`, so a database set up with psql is one the silo recognises.
CREATE TABLE IF NOT EXISTS dom_schema_version (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO dom_schema_version (version, name) VALUES (2, '0002-orleans-clustering.sql') ON CONFLICT (version) DO NOTHING;

COMMIT;
