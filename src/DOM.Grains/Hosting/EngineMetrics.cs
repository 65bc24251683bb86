using System.Diagnostics.Metrics;
using Dom.Locations;
using Dom.Reservations;
using Dom.Stock;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dom.Grains.Hosting;

/// <summary>
/// The engine's own OpenTelemetry meter, <c>Dom.Engine</c>, exported beside Orleans' <c>Microsoft.Orleans</c> meter.
/// One instance per silo (a DI singleton); grains and the host record through it, never through a static meter,
/// so tests can observe one silo's numbers. Durations are in seconds (OpenTelemetry's convention).
/// </summary>
/// <remarks>
/// Today the host records at its edges (the HTTP API and an incoming grain call filter around slot holds and
/// capacity bookings, plus the slot grains' activation lifecycle); grains may inject this class and record from
/// inside later without changing a name.
/// </remarks>
public sealed class EngineMetrics
{
    public const string MeterName = "Dom.Engine";

    private readonly Counter<long> _reservations;
    private readonly Histogram<double> _reservationDuration;
    private readonly Counter<long> _holds;
    private readonly Histogram<double> _holdDuration;
    private readonly UpDownCounter<long> _activeSlots;
    private readonly Counter<long> _bookings;
    private readonly Counter<long> _storageUnavailable;

    public EngineMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _reservations = meter.CreateCounter<long>(
            "dom.reservations", "{reservation}", "Reservation requests answered, by outcome: created, replayed, refused (shortage), conflict (idempotency key reused), invalid (an unknown article), unavailable (503).");
        _reservationDuration = meter.CreateHistogram(
            "dom.reservation.duration", "s", "Time to answer a reservation request at the API, by outcome.", advice: LatencyBuckets);
        _holds = meter.CreateCounter<long>(
            "dom.stock.holds", "{hold}", "Hold requests answered by stock slots, by status: held, already_held, refused, conflict, unknown_slot, failed.");
        _holdDuration = meter.CreateHistogram(
            "dom.stock.hold.duration", "s", "Time a stock slot took to answer a hold, including its durable write.", advice: LatencyBuckets);
        _activeSlots = meter.CreateUpDownCounter<long>(
            "dom.stock.slots.active", "{slot}", "Stock slot grains active on this silo.");
        _bookings = meter.CreateCounter<long>(
            "dom.capacity.bookings", "{booking}", "Capacity booking requests answered by locations, by status: booked, already_booked, full, unknown_location, failed.");
        _storageUnavailable = meter.CreateCounter<long>(
            "dom.storage.unavailable", "{failure}", "Storage failures turned into StorageUnavailableException (grain side) or a 503 (API side).");
    }

    private static InstrumentAdvice<double> LatencyBuckets { get; } = new()
    {
        HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    /// <summary>A reservation request answered at the API.</summary>
    public void ReservationAnswered(string outcome, TimeSpan elapsed)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _reservations.Add(1, tag);
        _reservationDuration.Record(elapsed.TotalSeconds, tag);
    }

    /// <summary>The outcome tag for a reservation answer.</summary>
    public static string OutcomeOf(CreateReservationResult result) => result.Outcome switch
    {
        ReservationOutcome.Created => "created",
        ReservationOutcome.Replayed when result.Reservation.Status == ReservationStatus.Refused => "refused",
        ReservationOutcome.Replayed => "replayed",
        ReservationOutcome.IdempotencyConflict => "conflict",
        ReservationOutcome.UnknownArticles => "invalid",
        _ => "refused",
    };

    /// <summary>A slot answered a hold (<paramref name="status"/> null: it failed with an exception).</summary>
    public void HoldAnswered(HoldStatus? status, TimeSpan elapsed)
    {
        var tag = new KeyValuePair<string, object?>("status", status switch
        {
            HoldStatus.Held => "held",
            HoldStatus.AlreadyHeld => "already_held",
            HoldStatus.Refused => "refused",
            HoldStatus.Conflict => "conflict",
            HoldStatus.UnknownSlot => "unknown_slot",
            _ => "failed",
        });
        _holds.Add(1, tag);
        _holdDuration.Record(elapsed.TotalSeconds, tag);
    }

    /// <summary>A location answered a capacity booking (<paramref name="status"/> null: it failed with an exception).</summary>
    public void BookingAnswered(BookingStatus? status) =>
        _bookings.Add(1, new KeyValuePair<string, object?>("status", status switch
        {
            BookingStatus.Booked => "booked",
            BookingStatus.AlreadyBooked => "already_booked",
            BookingStatus.Full => "full",
            BookingStatus.UnknownLocation => "unknown_location",
            _ => "failed",
        }));

    public void SlotActivated() => _activeSlots.Add(1);

    public void SlotDeactivated() => _activeSlots.Add(-1);

    /// <summary>A storage failure was turned into the engine's own error; <paramref name="where"/> is grain or api.</summary>
    public void StorageUnavailable(string where) => _storageUnavailable.Add(1, new KeyValuePair<string, object?>("where", where));
}

public static class EngineMetricsServiceCollectionExtensions
{
    /// <summary>Registers <see cref="EngineMetrics"/> (and the meter factory it needs) once.</summary>
    public static IServiceCollection AddEngineMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<EngineMetrics>();
        return services;
    }
}
