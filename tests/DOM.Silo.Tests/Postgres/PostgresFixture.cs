using Dom.Silo.Hosting;
using Dom.Silo.Tests.Hosting;
using Npgsql;

namespace Dom.Silo.Tests.Postgres;

/// <summary>
/// A fresh database on the private PostgreSQL server that tests/run.sh starts (DOM_TEST_POSTGRES), with the
/// project's schema applied. Without that server the tests fail rather than skip: run them through tests/run.sh.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string ServerVariable = "DOM_TEST_POSTGRES";

    private readonly string _database = $"dom_test_{Guid.NewGuid():N}";
    private string _admin = "";

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _admin = Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{ServerVariable} is not set: PostgreSQL tests need a real server. Run the suite with tests/run.sh, which starts one.");
        await ExecuteAsync(_admin, $"CREATE DATABASE {_database}");
        ConnectionString = new NpgsqlConnectionStringBuilder(_admin) { Database = _database }.ConnectionString;
        await DatabaseSchema.ApplyAsync(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync(_admin, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
    }

    public Task<SiloHost> StartSiloAsync(TimeProvider? businessTime = null, string? clusterId = null, string? connectionString = null) =>
        SiloHost.StartAsync(
            "PostgreSQL",
            new Dictionary<string, string>
            {
                ["ConnectionStrings:Dom"] = connectionString ?? ConnectionString,
                ["Auth:OperatorKey"] = SiloHost.OperatorKey,
                ["Silo:ClusterId"] = clusterId ?? $"pg-{Guid.NewGuid():N}",
            },
            businessTime);

    /// <summary>Another database on the same server, with nothing in it; dropped when disposed.</summary>
    public async Task<ScratchDatabase> CreateEmptyDatabaseAsync()
    {
        var name = $"dom_test_{Guid.NewGuid():N}";
        await ExecuteAsync(_admin, $"CREATE DATABASE {name}");
        return new ScratchDatabase(new NpgsqlConnectionStringBuilder(_admin) { Database = name }.ConnectionString, async () =>
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(_admin, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        });
    }

    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}

/// <summary>A database of its own for one test.</summary>
public sealed class ScratchDatabase(string connectionString, Func<Task> drop) : IAsyncDisposable
{
    public string ConnectionString { get; } = connectionString;

    public Task ExecuteAsync(string sql) => PostgresFixture.ExecuteAsync(ConnectionString, sql);

    public async ValueTask DisposeAsync() => await drop();
}
