using System.Reflection;
using Npgsql;

namespace Dom.Silo.Hosting;

/// <summary>
/// Applies the project's versioned PostgreSQL scripts (silo-config/sql, embedded in this assembly) in order, each
/// once, recorded in <c>dom_schema_version</c>. Safe to run from several silos at once: an advisory lock serialises
/// them. Used by <c>dotnet run --project src/DOM.Silo -- migrate</c> and by the test fixtures.
/// </summary>
public static class DatabaseSchema
{
    private const long MigrationLock = 0x444f4d5f534348; // "DOM_SCH"

    /// <summary>The oldest PostgreSQL major version the scripts run on.</summary>
    public const int MinimumServerVersion = 15;

    /// <summary>The scripts, ordered by their numeric prefix.</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Scripts { get; } = LoadScripts();

    public static async Task<IReadOnlyList<string>> ApplyAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        if (connection.PostgreSqlVersion.Major < MinimumServerVersion)
        {
            throw new SchemaException($"PostgreSQL {MinimumServerVersion} or later is needed (the scripts use UNIQUE NULLS NOT DISTINCT); this server is {connection.PostgreSqlVersion}.");
        }

        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({MigrationLock})", cancellationToken);
        try
        {
            await ExecuteAsync(
                connection,
                """
                CREATE TABLE IF NOT EXISTS dom_schema_version (
                    version    integer     PRIMARY KEY,
                    name       text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                cancellationToken);

            var applied = new HashSet<int>();
            await using (var read = new NpgsqlCommand("SELECT version FROM dom_schema_version", connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }

            var done = new List<string>();
            foreach (var (version, name, sql) in Scripts.Where(s => !applied.Contains(s.Version)))
            {
                // Each script carries its own transaction (so it also runs as is under psql) and records itself.
                try
                {
                    await ExecuteAsync(connection, sql, cancellationToken);
                }
                catch (PostgresException failure)
                {
                    // The script's transaction is aborted: end it, or releasing the lock fails and hides this error.
                    await ExecuteAsync(connection, "ROLLBACK", CancellationToken.None);
                    throw new SchemaException($"{name} failed, nothing of it was applied: {failure.SqlState}: {failure.MessageText}", failure);
                }

                await using var record = new NpgsqlCommand("INSERT INTO dom_schema_version (version, name) VALUES (@version, @name) ON CONFLICT (version) DO NOTHING", connection);
                record.Parameters.AddWithValue("version", version);
                record.Parameters.AddWithValue("name", name);
                await record.ExecuteNonQueryAsync(cancellationToken);
                done.Add(name);
            }

            return done;
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({MigrationLock})", CancellationToken.None);
        }
    }

    /// <summary><c>migrate [--environment NAME]</c>: applies the scripts to ConnectionStrings:Dom and exits.</summary>
    public static async Task<int> MigrateCommandAsync(string[] args)
    {
        var configuration = DomHost.CreateConfiguration(args);
        if (configuration.GetConnectionString(OrleansSetup.ConnectionStringName) is not { Length: > 0 } connectionString)
        {
            await Console.Error.WriteLineAsync($"ConnectionStrings:{OrleansSetup.ConnectionStringName} is not set (e.g. ConnectionStrings__Dom in the environment).");
            return 2;
        }

        try
        {
            var applied = await ApplyAsync(connectionString);
            Console.WriteLine(applied.Count == 0 ? "Schema is up to date." : $"Applied: {string.Join(", ", applied)}");
            return 0;
        }
        catch (Exception exception) when (exception is SchemaException or NpgsqlException)
        {
            await Console.Error.WriteLineAsync($"migrate failed: {exception.Message}");
            return 1;
        }
    }

    /// <summary>Why a silo cannot run on this database, or null when it can: no schema, or one older than this build's
    /// scripts (a silo that started anyway would miss tables, queries or guards the code relies on).</summary>
    public static async Task<string?> CheckAsync(NpgsqlDataSource data, CancellationToken cancellationToken = default)
    {
        var needed = Scripts[^1];
        int? version;
        try
        {
            await using var command = data.CreateCommand("SELECT max(version) FROM dom_schema_version");
            version = await command.ExecuteScalarAsync(cancellationToken) is int found ? found : null;
        }
        catch (PostgresException missing) when (missing.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            version = null;
        }

        return version >= needed.Version
            ? null
            : $"the database's schema is {(version is { } at ? $"at version {at}" : "not there")}; this build needs version {needed.Version} ({needed.Name}). " +
              "Run `DOM.Silo migrate` (or the scripts in silo-config/sql with psql) first.";
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<(int, string, string)> LoadScripts()
    {
        var assembly = Assembly.GetExecutingAssembly();
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith("schema/", StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Select(name =>
            {
                var file = name["schema/".Length..];
                using var stream = assembly.GetManifestResourceStream(name)!;
                using var reader = new StreamReader(stream);
                return (int.Parse(file[..file.IndexOf('-', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture), file, reader.ReadToEnd());
            })
            .OrderBy(script => script.Item1)
            .ToList();
    }
}

/// <summary>The schema cannot be applied: the message names the script or the reason.</summary>
public sealed class SchemaException(string message, Exception? inner = null) : Exception(message, inner);
