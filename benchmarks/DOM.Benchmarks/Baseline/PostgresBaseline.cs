using Npgsql;
using NpgsqlTypes;

namespace Dom.Benchmarks.Baseline;

/// <summary>
/// The conventional design, written the way a careful PostgreSQL user would: one stock row per article and
/// location, a reservation row per reservation, <c>synchronous_commit</c> on, prepared statements, one connection
/// per caller. Two patterns: <see cref="SystemInfo.Lock"/> (lock the article's rows, pick, update, insert, commit)
/// and <see cref="SystemInfo.Cond"/> (one statement: conditional update plus insert). Own tables, own database.
/// </summary>
internal sealed class PostgresBaseline : IAsyncDisposable
{
    private const string Schema = """
        CREATE TABLE bench_location (
            location_id      text PRIMARY KEY,
            latitude         double precision NOT NULL,
            longitude        double precision NOT NULL,
            capacity_per_day integer NOT NULL);
        CREATE TABLE bench_capacity (
            location_id text    NOT NULL REFERENCES bench_location,
            day         date    NOT NULL,
            capacity    integer NOT NULL,
            PRIMARY KEY (location_id, day));
        -- Room on each page for the updated row versions (HOT updates: reserved is not indexed).
        CREATE TABLE bench_stock (
            sku         text    NOT NULL,
            location_id text    NOT NULL REFERENCES bench_location,
            on_hand     integer NOT NULL,
            reserved    integer NOT NULL DEFAULT 0,
            PRIMARY KEY (sku, location_id)) WITH (fillfactor = 70);
        CREATE TABLE bench_reservation (
            reservation_id text        PRIMARY KEY,
            sku            text        NOT NULL,
            location_id    text        NOT NULL,
            quantity       integer     NOT NULL,
            created_at     timestamptz NOT NULL DEFAULT now());
        """;

    private const string LockSelect = "SELECT location_id, on_hand - reserved FROM bench_stock WHERE sku = $1 ORDER BY location_id FOR UPDATE";
    private const string LockUpdate = "UPDATE bench_stock SET reserved = reserved + $3 WHERE sku = $1 AND location_id = $2";
    private const string LockInsert = "INSERT INTO bench_reservation (reservation_id, sku, location_id, quantity) VALUES ($4, $1, $2, $3)";

    // The update re-checks its condition on the row version it finally locks (READ COMMITTED re-evaluation), so a
    // lost race updates nothing and inserts nothing; the caller then tries again if a candidate was seen.
    private const string CondReserve = """
        WITH candidate AS (
            SELECT location_id FROM bench_stock
            WHERE sku = $1 AND on_hand - reserved >= $2
            ORDER BY array_position($3::text[], location_id)
            LIMIT 1),
        taken AS (
            UPDATE bench_stock s SET reserved = s.reserved + $2
            FROM candidate c
            WHERE s.sku = $1 AND s.location_id = c.location_id AND s.on_hand - s.reserved >= $2
            RETURNING s.location_id),
        recorded AS (
            INSERT INTO bench_reservation (reservation_id, sku, location_id, quantity)
            SELECT $4, $1, location_id, $2 FROM taken
            RETURNING location_id)
        SELECT (SELECT count(*) FROM candidate)::integer, (SELECT location_id FROM recorded)
        """;

    private const string AddStock = "UPDATE bench_stock SET on_hand = on_hand + $3 WHERE sku = $1 AND location_id = $2";
    private const string SetCapacity = """
        INSERT INTO bench_capacity (location_id, day, capacity) VALUES ($1, $2, $3)
        ON CONFLICT (location_id, day) DO UPDATE SET capacity = excluded.capacity
        """;

    private const int MaxCondAttempts = 64;

    private readonly string _admin;
    private readonly string _database;
    private readonly Catalog _catalog;

    private PostgresBaseline(string admin, string database, string connectionString, Catalog catalog)
    {
        _admin = admin;
        _database = database;
        _catalog = catalog;
        ConnectionString = connectionString;
        Lock = new Target(this, SystemInfo.Lock);
        Cond = new Target(this, SystemInfo.Cond);
    }

    public string ConnectionString { get; }

    public ITarget Lock { get; }

    public ITarget Cond { get; }

    /// <summary>Creates the database and tables and loads every article's stock rows (before timing).</summary>
    public static async Task<PostgresBaseline> CreateAsync(string admin, string runId, Catalog catalog, IEnumerable<string> sellOutTags, int callers)
    {
        var database = $"dom_bench_base_{runId}";
        await Sql.ExecuteAsync(admin, $"CREATE DATABASE {database}");
        var connectionString = new NpgsqlConnectionStringBuilder(admin)
        {
            Database = database,
            MaxPoolSize = callers + 8,
            Options = "-c synchronous_commit=on",
            CommandTimeout = 60,
        }.ConnectionString;
        var baseline = new PostgresBaseline(admin, database, connectionString, catalog);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await Sql.ExecuteAsync(connection, Schema);
        await using (var writer = await connection.BeginBinaryImportAsync("COPY bench_location (location_id, latitude, longitude, capacity_per_day) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var site in catalog.Locations)
            {
                await writer.WriteRowAsync(default, site.Id, site.Latitude, site.Longitude, Catalog.CapacityPerDay);
            }

            await writer.CompleteAsync();
        }

        await using (var writer = await connection.BeginBinaryImportAsync("COPY bench_stock (sku, location_id, on_hand) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var (sku, onHand) in catalog.Articles(sellOutTags))
            {
                foreach (var site in catalog.Locations)
                {
                    await writer.WriteRowAsync(default, sku, site.Id, onHand);
                }
            }

            await writer.CompleteAsync();
        }

        foreach (var table in new[] { "bench_location", "bench_stock", "bench_reservation" })
        {
            await Sql.ExecuteAsync(connection, $"VACUUM ANALYZE {table}");
        }

        return baseline;
    }

    /// <summary>What the server really runs with, for the report.</summary>
    public async Task<string> SettingsAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        var values = new List<string>();
        foreach (var name in new[] { "synchronous_commit", "fsync", "shared_buffers", "wal_level", "max_connections", "checkpoint_timeout", "max_wal_size" })
        {
            values.Add($"{name}={await Sql.ScalarAsync<string>(connection, $"SHOW {name}")}");
        }

        return string.Join(", ", values);
    }

    /// <summary>
    /// The oversell and loss check: no stock row reserves more than is on hand; every row's reserved equals its
    /// reservation rows; every acknowledged reservation is there as acknowledged; each sell-out set sold exactly
    /// what was on hand.
    /// </summary>
    public async Task<IReadOnlyList<Check>> CheckAsync(IReadOnlyList<Ack> acknowledged, IReadOnlyDictionary<string, IReadOnlyList<Ack>> sellOutAcks)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        var checks = new List<Check>();

        var oversold = await Sql.ScalarAsync<long>(connection, "SELECT count(*) FROM bench_stock WHERE reserved > on_hand");
        var rows = await Sql.ScalarAsync<long>(connection, "SELECT count(*) FROM bench_stock");
        checks.Add(new Check("baseline: no stock row oversold (reserved ≤ on_hand)", oversold == 0, $"{oversold} of {rows} rows oversold"));

        var drift = await Sql.ScalarAsync<long>(
            connection,
            """
            SELECT count(*) FROM bench_stock s
            LEFT JOIN (SELECT sku, location_id, sum(quantity) AS quantity FROM bench_reservation GROUP BY sku, location_id) r
              USING (sku, location_id)
            WHERE s.reserved <> coalesce(r.quantity, 0)
            """);
        checks.Add(new Check("baseline: every row's reserved equals its reservation rows", drift == 0, $"{drift} rows differ"));

        await Sql.ExecuteAsync(connection, "CREATE TEMP TABLE acknowledged (reservation_id text PRIMARY KEY, sku text NOT NULL, quantity integer NOT NULL)");
        await using (var writer = await connection.BeginBinaryImportAsync("COPY acknowledged (reservation_id, sku, quantity) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var ack in acknowledged)
            {
                await writer.WriteRowAsync(default, ack.ReservationId, ack.Sku, ack.Quantity);
            }

            await writer.CompleteAsync();
        }

        var missing = await Sql.ScalarAsync<long>(
            connection,
            """
            SELECT count(*) FROM acknowledged a
            LEFT JOIN bench_reservation r USING (reservation_id)
            WHERE r.reservation_id IS NULL OR r.sku <> a.sku OR r.quantity <> a.quantity
            """);
        checks.Add(new Check("baseline: every acknowledged reservation is stored as acknowledged", missing == 0, $"{missing} of {acknowledged.Count} missing or different"));

        foreach (var (tag, acks) in sellOutAcks)
        {
            await using var command = new NpgsqlCommand("SELECT coalesce(sum(on_hand), 0)::bigint, coalesce(sum(reserved), 0)::bigint FROM bench_stock WHERE sku LIKE $1", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = $"so-{tag}-%" });
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            var (onHand, reserved) = (reader.GetInt64(0), reader.GetInt64(1));
            var granted = acks.Sum(a => (long)a.Quantity);
            checks.Add(new Check(
                $"baseline {tag} sell-out: units granted = units reserved = units on hand = units stocked",
                granted == onHand && reserved == onHand && onHand == _catalog.SellOutUnits,
                $"granted {granted}, reserved {reserved}, on hand {onHand}, stocked {_catalog.SellOutUnits}"));
        }

        return checks;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Sql.ExecuteAsync(_admin, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
    }

    private sealed class Target(PostgresBaseline baseline, SystemInfo system) : ITarget
    {
        public SystemInfo System { get; } = system;

        public async Task<ICaller> ConnectAsync(int caller)
        {
            var connection = new NpgsqlConnection(baseline.ConnectionString);
            await connection.OpenAsync();
            return System == SystemInfo.Lock
                ? await LockCaller.CreateAsync(connection, baseline._catalog)
                : await CondCaller.CreateAsync(connection, baseline._catalog);
        }
    }

    private abstract class Caller(NpgsqlConnection connection, Catalog catalog) : ICaller
    {
        private NpgsqlCommand _addStock = null!;
        private NpgsqlCommand _setCapacity = null!;

        protected NpgsqlConnection Connection { get; } = connection;

        protected Catalog Catalog { get; } = catalog;

        public abstract Task<ReserveStatus> ReserveAsync(string reservationId, string sku, int customer);

        public async Task AddStockAsync(string sku, int location, int delta, int onHandAfter)
        {
            _addStock.Parameters[0].Value = sku;
            _addStock.Parameters[1].Value = Catalog.Locations[location].Id;
            _addStock.Parameters[2].Value = delta;
            await _addStock.ExecuteNonQueryAsync();
        }

        public async Task SetCapacityAsync(int location, DateOnly day, int limit)
        {
            _setCapacity.Parameters[0].Value = Catalog.Locations[location].Id;
            _setCapacity.Parameters[1].Value = day;
            _setCapacity.Parameters[2].Value = limit;
            await _setCapacity.ExecuteNonQueryAsync();
        }

        public async ValueTask DisposeAsync() => await Connection.DisposeAsync();

        protected async Task PrepareAsync()
        {
            _addStock = await Sql.PrepareAsync(Connection, AddStock, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Integer);
            _setCapacity = await Sql.PrepareAsync(Connection, SetCapacity, NpgsqlDbType.Text, NpgsqlDbType.Date, NpgsqlDbType.Integer);
        }
    }

    /// <summary>Per reservation, one transaction: lock the article's stock rows, pick the nearest location with enough,
    /// update it and insert the reservation (one round trip for both), commit.</summary>
    private sealed class LockCaller : Caller
    {
        private NpgsqlCommand _select = null!;
        private NpgsqlBatch _write = null!;

        private LockCaller(NpgsqlConnection connection, Catalog catalog)
            : base(connection, catalog)
        {
        }

        public static async Task<ICaller> CreateAsync(NpgsqlConnection connection, Catalog catalog)
        {
            var caller = new LockCaller(connection, catalog);
            await caller.PrepareAsync();
            caller._select = await Sql.PrepareAsync(connection, LockSelect, NpgsqlDbType.Text);
            caller._write = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    Sql.BatchCommand(LockUpdate, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Integer),
                    Sql.BatchCommand(LockInsert, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Integer, NpgsqlDbType.Text),
                },
            };
            await caller._write.PrepareAsync();
            return caller;
        }

        public override async Task<ReserveStatus> ReserveAsync(string reservationId, string sku, int customer)
        {
            const int quantity = 1;
            await using var transaction = await Connection.BeginTransactionAsync();
            _select.Parameters[0].Value = sku;
            var available = new Dictionary<string, int>(Catalog.Locations.Count, StringComparer.Ordinal);
            await using (var reader = await _select.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    available[reader.GetString(0)] = reader.GetInt32(1);
                }
            }

            var pick = Catalog.Geography.NearestFirstIds[customer].FirstOrDefault(id => available.GetValueOrDefault(id) >= quantity);
            if (pick is null)
            {
                await transaction.RollbackAsync();
                return ReserveStatus.SoldOut;
            }

            foreach (var command in _write.BatchCommands)
            {
                command.Parameters[0].Value = sku;
                command.Parameters[1].Value = pick;
                command.Parameters[2].Value = quantity;
            }

            _write.BatchCommands[1].Parameters[3].Value = reservationId;
            await _write.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
            return ReserveStatus.Granted;
        }
    }

    /// <summary>Per reservation, one statement in its own transaction (see <see cref="CondReserve"/>).</summary>
    private sealed class CondCaller : Caller
    {
        private NpgsqlCommand _reserve = null!;

        private CondCaller(NpgsqlConnection connection, Catalog catalog)
            : base(connection, catalog)
        {
        }

        public static async Task<ICaller> CreateAsync(NpgsqlConnection connection, Catalog catalog)
        {
            var caller = new CondCaller(connection, catalog);
            await caller.PrepareAsync();
            caller._reserve = await Sql.PrepareAsync(connection, CondReserve, NpgsqlDbType.Text, NpgsqlDbType.Integer, NpgsqlDbType.Array | NpgsqlDbType.Text, NpgsqlDbType.Text);
            return caller;
        }

        public override async Task<ReserveStatus> ReserveAsync(string reservationId, string sku, int customer)
        {
            _reserve.Parameters[0].Value = sku;
            _reserve.Parameters[1].Value = 1;
            _reserve.Parameters[2].Value = Catalog.Geography.NearestFirstIds[customer];
            _reserve.Parameters[3].Value = reservationId;
            for (var attempt = 0; attempt < MaxCondAttempts; attempt++)
            {
                await using var reader = await _reserve.ExecuteReaderAsync();
                await reader.ReadAsync();
                if (!reader.IsDBNull(1))
                {
                    return ReserveStatus.Granted;
                }

                if (reader.GetInt32(0) == 0)
                {
                    return ReserveStatus.SoldOut;
                }
            }

            return ReserveStatus.Retry;
        }
    }
}
