using System.Globalization;
using Npgsql;

namespace Dom.Benchmarks.Reporting;

/// <summary>One statement's work in a measured window, from <c>pg_stat_statements</c> (every database of the server).</summary>
internal sealed record StatementStat(string Query, long Calls, long Rows, double ExecMs, long WalRecords, long WalBytes);

/// <summary>What the PostgreSQL server did per granted reservation in a row's window: statements executed, rows they
/// returned or changed, their execution time (planning excluded; time inside the executor, not the backend's whole
/// CPU: parsing, protocol and commit are outside it), and the write-ahead log they produced.</summary>
internal sealed record PgWork(double Statements, double Rows, double ExecMicros, double WalRecords, double WalBytes)
{
    /// <summary>Per reservation over <paramref name="stats"/>; null without reservations.</summary>
    public static PgWork? Of(IReadOnlyCollection<StatementStat> stats, long reservations) =>
        reservations <= 0
            ? null
            : new(
                (double)stats.Sum(s => s.Calls) / reservations,
                (double)stats.Sum(s => s.Rows) / reservations,
                stats.Sum(s => s.ExecMs) * 1000 / reservations,
                (double)stats.Sum(s => s.WalRecords) / reservations,
                (double)stats.Sum(s => s.WalBytes) / reservations);

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"PostgreSQL per reservation: {Statements:0.###} statements, {Rows:0.##} rows, {ExecMicros:0.#} µs executing, {WalRecords:0.#} WAL records ({WalBytes:N0} bytes)");
}

/// <summary>
/// A profiling aid, off unless <c>DOM_BENCH_PG_STATEMENTS=1</c> (<c>benchmarks/run.sh</c> then starts its private
/// server with <c>shared_preload_libraries=pg_stat_statements</c>; a server of your own needs that setting too): resets
/// the server's statement statistics when a row's window opens and reads them when it closes, so a row says what
/// PostgreSQL did per reservation, which statements and how many rows, beside the CPU it took (<see cref="CpuSample"/>).
/// Printed to stderr with the statements that took longest, and kept in the row (JSON). Off by default: the extension
/// costs every statement a little, baseline and engine alike.
/// </summary>
internal sealed class PgStatementsSampler(string adminConnectionString)
{
    public const string Variable = "DOM_BENCH_PG_STATEMENTS";

    private const int Shown = 4;

    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>Forgets what the server did so far: the window starts from zero.</summary>
    public async Task StartAsync()
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()", connection);
        await Guarded(() => command.ExecuteNonQueryAsync());
    }

    /// <summary>Reads what the server did since <see cref="StartAsync"/> and prints it for <paramref name="row"/>.</summary>
    public async Task<PgWork?> StopAsync(string row, long reservations)
    {
        var stats = await ReadAsync();
        var work = PgWork.Of(stats, reservations);
        if (work is not null)
        {
            Console.Error.WriteLine($"  {row}: {work}");
            foreach (var stat in stats.OrderByDescending(s => s.ExecMs).Take(Shown))
            {
                Console.Error.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"    {stat.Calls,9:N0} calls {stat.Rows,10:N0} rows {stat.ExecMs,9:N0} ms  {OneLine(stat.Query)}"));
            }
        }

        return work;
    }

    /// <summary>The statements since the reset, without this sampler's own.</summary>
    private async Task<List<StatementStat>> ReadAsync()
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT query, calls, rows, total_exec_time, wal_records, wal_bytes
            FROM pg_stat_statements
            WHERE query NOT ILIKE '%pg_stat_statements%'
            """,
            connection);
        var stats = new List<StatementStat>();
        await Guarded(async () =>
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                stats.Add(new(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetDouble(3), reader.GetInt64(4), (long)reader.GetDecimal(5)));
            }
        });
        return stats;
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task Guarded(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.ObjectNotInPrerequisiteState)
        {
            throw new InvalidOperationException(
                $"{Variable}=1 needs a PostgreSQL server started with shared_preload_libraries=pg_stat_statements (benchmarks/run.sh starts its private server so).",
                exception);
        }
    }

    private static string OneLine(string query)
    {
        var line = string.Join(' ', query.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= 110 ? line : line[..107] + "...";
    }
}
