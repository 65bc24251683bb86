using System.Diagnostics;
using Npgsql;

namespace Dom.Cluster.Tests.Infrastructure;

/// <summary>A fresh database on a PostgreSQL server, with the schema applied by the silo's own <c>migrate</c> command
/// (as an operator would), dropped at the end.</summary>
public sealed class ClusterDatabase : IAsyncDisposable
{
    public const string ServerVariable = "DOM_TEST_POSTGRES";

    private readonly string _admin;
    private readonly string _name = $"dom_cluster_{Guid.NewGuid():N}";

    private ClusterDatabase(string admin)
    {
        _admin = admin;
        ConnectionString = new NpgsqlConnectionStringBuilder(admin)
        {
            Database = _name,
            MaxPoolSize = 30,
        }.ConnectionString;
    }

    /// <summary>The silos' connection string (pool of 30 per silo; timeouts come from the silo's Postgres options).</summary>
    public string ConnectionString { get; }

    /// <summary>The database's name, for statements about its sessions (<c>pg_stat_activity.datname</c>).</summary>
    public string Name => _name;

    /// <summary>The admin connection string of the server tests/run.sh started. Missing means fail, never skip.</summary>
    public static string SuiteServer() =>
        Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{ServerVariable} is not set: cluster tests need a real PostgreSQL. Run the suite with tests/run.sh, which starts one.");

    public static async Task<ClusterDatabase> CreateAsync(string admin)
    {
        var database = new ClusterDatabase(admin);
        await ExecuteAsync(admin, $"CREATE DATABASE {database._name}");
        await Commands.RunAsync("dotnet", [Paths.SiloAssembly, "migrate", "--environment", "PostgreSQL"], new Dictionary<string, string> { ["ConnectionStrings__Dom"] = database.ConnectionString });
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await ExecuteAsync(_admin, $"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
        }
        catch (NpgsqlException)
        {
            // The server may already be gone (a private one stopped by its owner); nothing to drop then.
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// A PostgreSQL server of the test's own, in a temporary directory, that the test may stop and start: started and
/// stopped with deploy/lib/private-postgres.sh, the same code tests/run.sh and deploy/local-cluster.sh use.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private static readonly string Script = Path.Combine(Paths.RepositoryRoot, "deploy", "lib", "private-postgres.sh");

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"dom-cluster-pg-{Guid.NewGuid():N}");

    public string AdminConnectionString { get; private set; } = "";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var server = new PrivatePostgres();
        server.AdminConnectionString = (await Commands.RunAsync("bash", [Script, "start", server._directory])).Trim();
        return server;
    }

    /// <summary>Fast shutdown: open transactions roll back, committed data stays.</summary>
    public Task StopAsync() => Commands.RunAsync("bash", [Script, "stop", _directory]);

    /// <summary>Starts it again on the same port with the same data.</summary>
    public Task RestartAsync() => Commands.RunAsync("bash", [Script, "start", _directory]);

    public async ValueTask DisposeAsync() => await Commands.RunAsync("bash", [Script, "destroy", _directory]);
}

public static class Commands
{
    /// <summary>Runs a command to completion; returns its standard output; throws with its output when it fails.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} failed with {process.ExitCode}:\n{await output}\n{await error}");
        }

        return await output;
    }
}
