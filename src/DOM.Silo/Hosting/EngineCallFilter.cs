using System.Diagnostics;
using Dom.Grains.Hosting;
using Dom.Locations;
using Dom.Stock;
using Orleans.Metadata;

namespace Dom.Silo.Hosting;

/// <summary>
/// Around every grain call this silo serves: (1) a failure of storage or of its driver leaves the grain as a plain
/// <see cref="StorageUnavailableException"/>, never as a driver exception and never carrying one as its inner
/// exception; (2) slot holds and capacity bookings are measured into <see cref="EngineMetrics"/> from their results,
/// so the grains need no metrics code of their own. Other calls take the synchronous fast path.
/// </summary>
internal sealed class EngineCallFilter(EngineMetrics metrics, ILogger<EngineCallFilter> logger) : IIncomingGrainCallFilter
{
    // Made once: these run on every hold and booking.
    private readonly Action<object?, TimeSpan> _holdAnswered = (result, elapsed) => metrics.HoldAnswered((result as HoldResult)?.Status, elapsed);
    private readonly Action<object?, TimeSpan> _bookingAnswered = (result, _) => metrics.BookingAnswered((result as BookingResult)?.Status);

    public Task Invoke(IIncomingGrainCallContext context)
    {
        // Cheap tests only: InterfaceMethod resolves a MethodInfo by reflection on every call (it showed in profiles).
        if (context.Request is { } request && context.Grain is IStockSlotGrain && request.GetMethodName() == nameof(IStockSlotGrain.HoldAsync))
        {
            return HoldAsync(context);
        }

        if (context.Request is { } booking && context.Grain is ILocationGrain && booking.GetMethodName() == nameof(ILocationGrain.BookAsync))
        {
            return BookAsync(context);
        }

        var call = context.Invoke();
        return call.IsCompletedSuccessfully ? Task.CompletedTask : GuardAsync(call, context);
    }

    private async Task GuardAsync(Task call, IIncomingGrainCallContext context)
    {
        try
        {
            await call;
        }
        catch (Exception exception) when (StorageFailures.IsStorageFailure(exception))
        {
            throw Unavailable(exception, context);
        }
    }

    private Task HoldAsync(IIncomingGrainCallContext context) => ObservedAsync(context, _holdAnswered);

    private Task BookAsync(IIncomingGrainCallContext context) => ObservedAsync(context, _bookingAnswered);

    /// <summary>Runs the call and reports its answer (null when it threw) and duration; storage failures leave as
    /// <see cref="StorageUnavailableException"/>.</summary>
    private async Task ObservedAsync(IIncomingGrainCallContext context, Action<object?, TimeSpan> answered)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await context.Invoke();
            answered(context.Result, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception exception)
        {
            answered(null, Stopwatch.GetElapsedTime(started));
            if (StorageFailures.IsStorageFailure(exception))
            {
                throw Unavailable(exception, context);
            }

            throw;
        }
    }

    private StorageUnavailableException Unavailable(Exception exception, IIncomingGrainCallContext context)
    {
        if (!Chain(exception).Any(e => e is StorageUnavailableException))
        {
            // A StorageUnavailableException was logged where it was made; a raw driver failure is logged here, once.
            logger.LogWarning(exception, "{Method} on {GrainId} failed on storage; answering StorageUnavailable", context.MethodName, context.TargetId);
        }

        return new StorageUnavailableException();
    }

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }
}

/// <summary>Counts stock slot activations on this silo (<c>dom.stock.slots.active</c>) through the grain lifecycle,
/// without code in the slot grain.</summary>
internal sealed class SlotActivationMetrics(EngineMetrics metrics, GrainInterfaceTypeResolver interfaces) : IConfigureGrainContextProvider, IConfigureGrainContext
{
    private readonly string _slotInterface = interfaces.GetGrainInterfaceType(typeof(IStockSlotGrain)).ToString();

    public bool TryGetConfigurator(GrainType grainType, GrainProperties properties, out IConfigureGrainContext configurator)
    {
        var isSlot = properties.Properties.Any(p =>
            p.Key.StartsWith(WellKnownGrainTypeProperties.ImplementedInterfacePrefix, StringComparison.Ordinal) && p.Value == _slotInterface);
        configurator = this;
        return isSlot;
    }

    public void Configure(IGrainContext context)
    {
        var active = 0;
        context.ObservableLifecycle.Subscribe(
            nameof(SlotActivationMetrics),
            GrainLifecycleStage.Activate,
            _ =>
            {
                if (Interlocked.Exchange(ref active, 1) == 0)
                {
                    metrics.SlotActivated();
                }

                return Task.CompletedTask;
            },
            _ =>
            {
                if (Interlocked.Exchange(ref active, 0) == 1)
                {
                    metrics.SlotDeactivated();
                }

                return Task.CompletedTask;
            });
    }
}
