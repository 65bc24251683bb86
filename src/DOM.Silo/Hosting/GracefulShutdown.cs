using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Dom.Silo.Hosting;

/// <summary>How the silo leaves the cluster on SIGTERM (Kubernetes, <c>deploy/local-cluster.sh stop</c>, Ctrl+C).</summary>
public sealed class ShutdownOptions
{
    public const string Section = "Shutdown";

    /// <summary>The whole budget for stopping (<c>HostOptions.ShutdownTimeout</c>): draining HTTP requests in flight,
    /// then Orleans' graceful stop (the silo leaves membership and deactivates its grains so they reactivate
    /// elsewhere on the next call). Past it the host stops hard. Keep it below Kubernetes'
    /// <c>terminationGracePeriodSeconds</c> minus the preStop delay.</summary>
    [Range(1, 600)] public int TimeoutSeconds { get; set; } = 30;

    /// <summary>Seconds to keep serving after readiness turns unhealthy, so a load balancer stops sending new requests
    /// first. 0 by default: Kubernetes gets the same from the pod's preStop hook, which runs before SIGTERM.</summary>
    [Range(0, 60)] public int DrainDelaySeconds { get; set; }
}

/// <summary>
/// The order of a graceful stop. The generic host stops services in reverse start order, and ASP.NET Core starts its
/// web server last, so on SIGTERM: (1) here, readiness turns unhealthy; (2) Kestrel stops accepting and lets requests
/// in flight finish, their grain calls included; (3) Orleans stops the silo gracefully (status ShuttingDown → Dead in
/// the membership table, which the other silos learn by gossip at once, and every activation is deactivated so its
/// next call activates it on a remaining silo from durable state).
/// </summary>
internal sealed class GracefulShutdown(IOptions<ShutdownOptions> options, ILogger<GracefulShutdown> logger) : IHostedLifecycleService
{
    private volatile bool _draining;

    /// <summary>True once the host began to stop: readiness reports unhealthy.</summary>
    public bool IsDraining => _draining;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        logger.LogInformation("Shutting down: readiness is now unhealthy; draining requests in flight, then leaving the cluster");
        if (options.Value.DrainDelaySeconds > 0)
        {
            // A deliberate grace period for load balancers outside the process; nothing here can signal it.
            await Task.Delay(TimeSpan.FromSeconds(options.Value.DrainDelaySeconds), cancellationToken);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Stopped");
        return Task.CompletedTask;
    }
}

internal static class GracefulShutdownSetup
{
    public static IServiceCollection AddGracefulShutdown(this IServiceCollection services)
    {
        services.AddOptions<ShutdownOptions>().BindConfiguration(ShutdownOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) => host.ShutdownTimeout = TimeSpan.FromSeconds(shutdown.Value.TimeoutSeconds));
        services.AddSingleton<GracefulShutdown>();
        services.AddHostedService(services => services.GetRequiredService<GracefulShutdown>());
        return services;
    }
}
