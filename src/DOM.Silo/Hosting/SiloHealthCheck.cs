using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace Dom.Silo.Hosting;

/// <summary>Ready when this silo is an active cluster member and can reach grain storage through a grain call.</summary>
internal sealed class SiloHealthCheck(ILocalSiloDetails silo, IClusterMembershipService membership, IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        if (status != SiloStatus.Active)
        {
            return HealthCheckResult.Unhealthy($"Silo is {status}.");
        }

        try
        {
            // Reads a grain's state: activates it through the storage provider if it is not in memory.
            await grains.GetGrain<Dom.Access.IApiKeyGrain>("health-probe").GetAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return HealthCheckResult.Healthy("Active.");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("Grain storage is not reachable.");
        }
    }
}
