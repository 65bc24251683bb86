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

    /// <summary>The scripts, ordered by their numeric prefix.</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Scripts { get; } = LoadScripts();

    public static async Task<IReadOnlyList<string>> ApplyAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
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
                // Each script carries its own transaction (so it also runs as is under psql).
                await ExecuteAsync(connection, sql, cancellationToken);
                await using var record = new NpgsqlCommand("INSERT INTO dom_schema_version (version, name) VALUES (@version, @name)", connection);
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

        var applied = await ApplyAsync(connectionString);
        Console.WriteLine(applied.Count == 0 ? "Schema is up to date." : $"Applied: {string.Join(", ", applied)}");
        return 0;
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
