using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Dom.Silo.Hosting;

/// <summary>
/// How the silo talks to PostgreSQL. The timeouts are chosen so that trouble surfaces as a fast 503 rather than a hang:
/// a connection attempt gives up after <see cref="ConnectTimeoutSeconds"/>, a statement after
/// <see cref="CommandTimeoutSeconds"/> (which is also a journal entry's budget from its append to its answer, the wait
/// for a batch ahead of it included), and both stay below <c>Silo:ResponseTimeoutSeconds</c> so the grain that
/// waits on storage sees the failure (and deactivates, reloading later) before its caller times out.
/// They override whatever the connection string says.
/// </summary>
public sealed class PostgresOptions
{
    public const string Section = "Postgres";

    /// <summary>Seconds to open a connection (Npgsql <c>Timeout</c>; its default is 15).</summary>
    [Range(1, 60)] public int ConnectTimeoutSeconds { get; set; } = 2;

    /// <summary>Seconds a statement may run (Npgsql <c>Command Timeout</c>; its default is 30).</summary>
    [Range(1, 300)] public int CommandTimeoutSeconds { get; set; } = 4;

    /// <summary>Seconds the readiness check waits for <c>SELECT 1</c>.</summary>
    [Range(1, 30)] public int HealthCheckTimeoutSeconds { get; set; } = 2;
}

internal static class PostgresSetup
{
    /// <summary>Statements Npgsql keeps prepared per connection: the journal's five, the health check's and the Orleans
    /// providers' queries (about 28 in all); past it, the least used is replaced.</summary>
    public const int AutoPreparedStatements = 32;

    /// <summary>How long a cancelled statement waits for the server's confirmation before its connection is dropped.</summary>
    public const int CancellationTimeoutMilliseconds = 500;

    public static void AddDomPostgres(this WebApplicationBuilder builder, string connectionStringName)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionStringName) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"ConnectionStrings:{connectionStringName} is required when an Orleans provider is AdoNet.");
        builder.Services.AddOptions<PostgresOptions>().BindConfiguration(PostgresOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(services =>
        {
            var options = services.GetRequiredService<IOptions<PostgresOptions>>().Value;
            var data = new NpgsqlDataSourceBuilder(connectionString);
            data.ConnectionStringBuilder.Timeout = options.ConnectTimeoutSeconds;
            data.ConnectionStringBuilder.CommandTimeout = options.CommandTimeoutSeconds;

            // A statement cancelled (a journal entry's budget spent) waits this long for the server to confirm, then
            // the connection is dropped: the budget plus this stays below the response timeout (Npgsql's default
            // is 2 s, which would not).
            data.ConnectionStringBuilder.CancellationTimeout = CancellationTimeoutMilliseconds;

            Configure(data.ConnectionStringBuilder, connectionString);
            data.UseLoggerFactory(services.GetRequiredService<ILoggerFactory>());
            return data.Build();
        });
        builder.Services.AddHealthChecks().AddCheck<StorageHealthCheck>("storage", tags: [HealthTags.Ready]);
    }

    /// <summary>How the silo's connections behave, on top of the connection string (which wins where it names a
    /// setting itself).</summary>
    internal static void Configure(NpgsqlConnectionStringBuilder connections, string connectionString)
    {
        // Nothing of ours leaves state on a session (no SET, temporary tables or LISTEN), so a connection going
        // back to the pool need not be reset: otherwise each journal batch costs the server a DISCARD ALL before
        // its INSERT (pg_stat_statements, one per batch). An open transaction is still rolled back on close. Here
        // and below, a connection string that names the setting keeps its own.
        if (!Names(connectionString, "NoResetOnClose"))
        {
            connections.NoResetOnClose = true;
        }

        // The journal's few statements run hundreds of times a second: Npgsql prepares each one on a connection
        // after a few uses, so the server parses it once per connection instead of once per batch (and, once a
        // generic plan costs no more than the custom ones, plans it once too). Max Auto Prepare=0 turns it off, e.g.
        // behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode without
        // max_prepared_statements: before 1.21, or 1.21-1.23 at their default).
        if (!Names(connectionString, "MaxAutoPrepare"))
        {
            connections.MaxAutoPrepare = AutoPreparedStatements;
        }
    }

    /// <summary>Whether the connection string itself sets <paramref name="keyword"/> (spaces and case aside; Npgsql's
    /// own builder answers true for every keyword it knows).</summary>
    internal static bool Names(string connectionString, string keyword) =>
        new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Any(key => string.Equals(key.Replace(" ", "", StringComparison.Ordinal), keyword, StringComparison.OrdinalIgnoreCase));
}
