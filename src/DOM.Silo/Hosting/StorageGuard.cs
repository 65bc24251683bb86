using System.Data.Common;
using System.Net.Sockets;
using Dom.Grains.Hosting;
using Orleans.Storage;

namespace Dom.Silo.Hosting;

/// <summary>
/// Keeps driver exceptions on the silo where they happen. They cannot be relied on to cross the wire (Npgsql's carry
/// batch commands, connectors and socket state) and they name internals, so every storage failure becomes the engine's
/// own <see cref="StorageUnavailableException"/>, without an inner exception, after the original is logged here once.
/// </summary>
internal static class StorageFailures
{
    /// <summary>True for a failure of the storage or the network under it, anywhere in the exception chain.</summary>
    public static bool IsStorageFailure(Exception exception) => InChain(exception, current =>
        current is StorageUnavailableException or DbException or SocketException
        || current.GetType().Namespace?.StartsWith("Npgsql", StringComparison.Ordinal) == true);

    /// <summary>True when <paramref name="exception"/>, an inner exception of it, or one inside an aggregate among them
    /// matches: Orleans and the task machinery may wrap what a grain threw.</summary>
    public static bool InChain(Exception exception, Func<Exception, bool> match)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (match(current) || (current is AggregateException aggregate && aggregate.InnerExceptions.Any(inner => InChain(inner, match))))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Replaces the grain storage registered under <paramref name="name"/> with <see cref="GuardedGrainStorage"/>
    /// around it. Call after the provider is added.</summary>
    public static IServiceCollection GuardGrainStorage(this IServiceCollection services, string name)
    {
        var original = services.LastOrDefault(d => d.ServiceType == typeof(IGrainStorage) && d.IsKeyedService && Equals(d.ServiceKey, name) && d.KeyedImplementationFactory is not null)
            ?? throw new InvalidOperationException($"No grain storage named '{name}' to guard.");
        services.Remove(original);
        services.AddKeyedSingleton<IGrainStorage>(name, (provider, key) => new GuardedGrainStorage(
            (IGrainStorage)original.KeyedImplementationFactory!(provider, key),
            provider.GetRequiredService<EngineMetrics>(),
            provider.GetRequiredService<ILogger<GuardedGrainStorage>>()));
        return services;
    }
}

/// <summary>
/// Grain storage that fails with <see cref="StorageUnavailableException"/> only. Covers the paths grains do not see:
/// a state read while a grain activates, whose failure Orleans hands to every waiting caller. Version conflicts
/// (<see cref="InconsistentStateException"/>) pass unchanged: Orleans and the grains treat them on purpose.
/// </summary>
internal sealed class GuardedGrainStorage(IGrainStorage inner, EngineMetrics metrics, ILogger<GuardedGrainStorage> logger)
    : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        try
        {
            await inner.ReadStateAsync(stateName, grainId, grainState);
        }
        catch (Exception exception) when (IsTranslated(exception))
        {
            throw Unavailable(exception, "reading", stateName, grainId);
        }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        try
        {
            await inner.WriteStateAsync(stateName, grainId, grainState);
        }
        catch (Exception exception) when (IsTranslated(exception))
        {
            throw Unavailable(exception, "writing", stateName, grainId);
        }
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        try
        {
            await inner.ClearStateAsync(stateName, grainId, grainState);
        }
        catch (Exception exception) when (IsTranslated(exception))
        {
            throw Unavailable(exception, "clearing", stateName, grainId);
        }
    }

    public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);

    private static bool IsTranslated(Exception exception) => exception is not InconsistentStateException and not StorageUnavailableException;

    private StorageUnavailableException Unavailable(Exception exception, string what, string stateName, GrainId grainId)
    {
        metrics.StorageUnavailable("grain");
        logger.LogWarning(exception, "Storage failed {What} {StateName} of {GrainId}", what, stateName, grainId);
        return new StorageUnavailableException();
    }
}
