using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Runtime;

namespace Dom.Silo.Hosting;

/// <summary>Which endpoint a check belongs to: <c>/health/live</c> (restart me when failing) or <c>/health/ready</c>
/// (send me traffic).</summary>
internal static class HealthTags
{
    public const string Live = "live";
    public const string Ready = "ready";
}

/// <summary>
/// The silo's place in the cluster, from the membership service (no I/O). Ready only while this silo is an Active
/// member and not draining for shutdown; live unless the cluster has declared it dead (a silo declared dead must be
/// restarted, it never comes back by itself).
/// </summary>
internal sealed class SiloHealthCheck(ILocalSiloDetails silo, IClusterMembershipService membership, GracefulShutdown shutdown) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        var data = new Dictionary<string, object> { ["status"] = status.ToString(), ["activeSilos"] = ActiveSilos() };
        var liveness = context.Registration.Tags.Contains(HealthTags.Live);
        var result = (liveness, status) switch
        {
            (true, SiloStatus.Dead) => HealthCheckResult.Unhealthy("The cluster declared this silo dead.", data: data),
            (true, _) => HealthCheckResult.Healthy($"Silo is {status}.", data),
            (false, _) when shutdown.IsDraining => HealthCheckResult.Unhealthy("Silo is shutting down.", data: data),
            (false, SiloStatus.Active) => HealthCheckResult.Healthy("Silo is an active cluster member.", data),
            _ => HealthCheckResult.Unhealthy($"Silo is {status}.", data: data),
        };
        return Task.FromResult(result);
    }

    private int ActiveSilos() => membership.CurrentSnapshot.Members.Values.Count(member => member.Status == SiloStatus.Active);
}

/// <summary>Storage is reachable: a <c>SELECT 1</c> through the shared data source, bounded by a short timeout so a
/// hung database makes the silo unready rather than the probe hang. Registered only when a provider is AdoNet.</summary>
internal sealed class StorageHealthCheck(NpgsqlDataSource data, IOptions<PostgresOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var timeout = TimeSpan.FromSeconds(options.Value.HealthCheckTimeoutSeconds);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await using var command = data.CreateCommand("SELECT 1");
            command.CommandTimeout = options.Value.HealthCheckTimeoutSeconds;
            await command.ExecuteScalarAsync(deadline.Token);
            return HealthCheckResult.Healthy("PostgreSQL answers.");
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            // The driver's message stays in the logs of the health check service, never in the response.
            return HealthCheckResult.Unhealthy("PostgreSQL is not reachable.", exception);
        }
    }
}

/// <summary>The health answer: overall status and each check's status and description, nothing internal.</summary>
internal static class HealthResponse
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new { status = entry.Value.Status.ToString(), description = entry.Value.Description, data = entry.Value.Data.Count == 0 ? null : entry.Value.Data }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }
}
