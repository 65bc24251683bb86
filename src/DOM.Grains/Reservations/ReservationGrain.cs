using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dom.Grains.Hosting;
using Dom.Grains.Journal;
using Dom.Reservations;
using Dom.Sourcing;
using Orleans.Serialization;

namespace Dom.Grains.Reservations;

[GenerateSerializer, Immutable, Alias("dom.reservations.reservation-state")]
public sealed record ReservationState
{
    /// <summary>The hash of the first request: the same id with another body is a conflict.</summary>
    [Id(0)] public string Fingerprint { get; init; } = "";

    [Id(1)] public string Channel { get; init; } = "";

    [Id(2)] public ReservationView? View { get; init; }

    /// <summary>The order the reservation was converted into.</summary>
    [Id(3)] public string? OrderId { get; init; }
}

/// <summary>What happens to a reservation. Stored in the journal: never reorder or renumber members.</summary>
[GenerateSerializer, Alias("dom.reservations.reservation-event")]
public abstract record ReservationEvent;

/// <summary>The first answer, recorded before it is given.</summary>
[GenerateSerializer, Immutable, Alias("dom.reservations.recorded")]
public sealed record ReservationRecorded([property: Id(0)] string Fingerprint, [property: Id(1)] string Channel, [property: Id(2)] ReservationView View) : ReservationEvent;

[GenerateSerializer, Immutable, Alias("dom.reservations.status-changed")]
public sealed record ReservationStatusChanged([property: Id(0)] ReservationStatus Status) : ReservationEvent;

[GenerateSerializer, Immutable, Alias("dom.reservations.converted")]
public sealed record ReservationConverted([property: Id(0)] string OrderId) : ReservationEvent;

/// <summary>
/// A checkout hold across lines. Sourcing takes the holds (each carrying this reservation's id and expiry); this
/// grain records the answer in the journal before it is given, and answers retries with it. The holds lapse by
/// themselves at the expiry time, so a crash between holding and recording leaks nothing for longer than the TTL.
/// Every reservation is its own activation; idle ones are collected after two minutes, as checkout traffic creates
/// them by the thousand per second and a later read just reloads one.
/// </summary>
[CollectionAgeLimit(Minutes = 2)]
internal sealed class ReservationGrain(IGrainJournal journal, Serializer serializer, DomClock clock, ILogger<ReservationGrain> logger)
    : JournaledGrain<ReservationState, ReservationEvent>(journal, serializer, logger), IReservationGrain
{
    private IGrainTimer? _expiryTimer;

    private ISourcingGrain Sourcing => GrainFactory.Get<ISourcingGrain>(0);

    protected override string Stream => $"reservation/{this.GetPrimaryKeyString()}";

    protected override ReservationState Initial => new();

    protected override int SnapshotEvery => int.MaxValue;

    protected override bool LoadOnActivation => false;

    protected override ReservationState Apply(ReservationState state, ReservationEvent @event) => @event switch
    {
        ReservationRecorded recorded => new ReservationState { Fingerprint = recorded.Fingerprint, Channel = recorded.Channel, View = recorded.View },
        ReservationStatusChanged changed => state with { View = state.View! with { Status = changed.Status } },
        ReservationConverted converted => state with { View = state.View! with { Status = ReservationStatus.Converted }, OrderId = converted.OrderId },
        _ => throw new InvalidOperationException($"Unknown reservation event {@event.GetType().Name}."),
    };

    protected override void OnLoaded() => ArmExpiryTimer();

    public async Task<CreateReservationResult> CreateAsync(CreateReservationRequest request)
    {
        EnsureUsable();
        var fingerprint = Fingerprint(request);
        if (State.View is { } existing)
        {
            var outcome = fingerprint == State.Fingerprint ? ReservationOutcome.Replayed : ReservationOutcome.IdempotencyConflict;
            return new CreateReservationResult(outcome, Current(existing));
        }

        var expiresAt = clock.UtcNow.AddSeconds(request.TtlSeconds);
        var result = await Sourcing.ReserveAsync(new SourcingRequest(
            request.ReservationId, request.Channel, request.ShipTo, request.Lines, expiresAt, null, request.Priority, request.CustomerTier, request.PickupLocationId, request.PromisedBy));
        var view = result.Succeeded
            ? new ReservationView(request.ReservationId, ReservationStatus.Held, expiresAt, result.Lines, [], result.ProfileVersion, result.Cost)
            : new ReservationView(
                request.ReservationId,
                ReservationStatus.Refused,
                expiresAt,
                request.Lines.Select(line => new ReservationLine(line.Sku, line.Quantity, [])).ToList(),
                result.Shortages,
                result.ProfileVersion);

        // If this write fails, the holds stay and lapse at their expiry: the write may have landed after all, and then
        // the recorded answer must stay true. A retry with the same id finds the record, or re-holds idempotently.
        try
        {
            await Raise(new ReservationRecorded(fingerprint, request.Channel, view));
        }
        catch (JournalConflictException)
        {
            // Recorded before by an earlier activation: answer with that, and give back what this attempt held beyond it.
            await ReloadAsync();
            var recorded = Current(State.View!);
            await Sourcing.ReleaseAsync(request.ReservationId, Beyond(result.Lines, recorded));
            var outcome = fingerprint == State.Fingerprint ? ReservationOutcome.Replayed : ReservationOutcome.IdempotencyConflict;
            return new CreateReservationResult(outcome, recorded);
        }

        ArmExpiryTimer();
        logger.LogDebug("{ReservationId} {Status} until {ExpiresAt}", request.ReservationId, view.Status, expiresAt);
        return new CreateReservationResult(result.Succeeded ? ReservationOutcome.Created : ReservationOutcome.Refused, view);
    }

    public async Task<ReservationView?> GetAsync(string channel)
    {
        EnsureUsable();
        await EnsureLoadedAsync();
        return IsVisibleTo(channel) ? Current(State.View!) : null;
    }

    public async Task<ReservationView?> ConvertAsync(string channel, string orderId)
    {
        EnsureUsable();
        await EnsureLoadedAsync();
        if (!IsVisibleTo(channel))
        {
            return null;
        }

        if (State.View!.Status == ReservationStatus.Converted)
        {
            return State.OrderId == orderId ? State.View with { Status = ReservationStatus.Held } : null;
        }

        var view = Current(State.View);
        if (view.Status != ReservationStatus.Held)
        {
            return null;
        }

        await Raise(new ReservationConverted(orderId));
        return view;
    }

    public async Task<ReservationView?> ReleaseAsync(string channel)
    {
        EnsureUsable();
        await EnsureLoadedAsync();
        if (!IsVisibleTo(channel))
        {
            return null;
        }

        var view = Current(State.View!);
        if (view.Status == ReservationStatus.Held)
        {
            await Sourcing.ReleaseAsync(view.ReservationId, view.Lines);
            view = view with { Status = ReservationStatus.Released };
        }

        if (view.Status != State.View!.Status)
        {
            await Raise(new ReservationStatusChanged(view.Status));
        }

        return view;
    }

    /// <summary>The holds of <paramref name="taken"/> that the recorded reservation does not hold (all of them unless it is held).</summary>
    private static List<ReservationLine> Beyond(IReadOnlyList<ReservationLine> taken, ReservationView recorded) =>
        taken
            .Select(line => line with
            {
                Allocations = line.Allocations
                    .Where(a => recorded.Status != ReservationStatus.Held
                        || !recorded.Lines.Any(r => r.Sku == line.Sku && r.Allocations.Contains(a)))
                    .ToList(),
            })
            .Where(line => line.Allocations.Count > 0)
            .ToList();

    private bool IsVisibleTo(string channel) => State.View is not null && State.Channel == channel;

    /// <summary>The view as of now: a held reservation past its expiry has expired, whether or not the timer ran.</summary>
    private ReservationView Current(ReservationView view) =>
        view.Status == ReservationStatus.Held && clock.UtcNow >= view.ExpiresAt ? view with { Status = ReservationStatus.Expired } : view;

    /// <summary>Records the expiry when it happens. The stock and capacity lapse in their own grains at the same
    /// instant, so nothing needs releasing here, and a lost timer loses nothing (the view is computed on read).</summary>
    private void ArmExpiryTimer()
    {
        if (State.View is not { Status: ReservationStatus.Held } view)
        {
            return;
        }

        var due = clock.Until(view.ExpiresAt);
        _expiryTimer?.Dispose();
        _expiryTimer = this.RegisterGrainTimer(OnExpiryAsync, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan));
    }

    private async Task OnExpiryAsync(CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync();
        if (State.View is not { } stored)
        {
            return;
        }

        var view = Current(stored);
        if (view.Status != stored.Status)
        {
            await Raise(new ReservationStatusChanged(view.Status));
        }
        else
        {
            ArmExpiryTimer();
        }
    }

    private static string Fingerprint(CreateReservationRequest request)
    {
        var text = new StringBuilder()
            .Append(request.Channel).Append('|')
            .Append(request.TtlSeconds).Append('|')
            .Append(request.ShipTo.Country).Append('|')
            .Append(request.ShipTo.Latitude.ToString("R", CultureInfo.InvariantCulture)).Append('|')
            .Append(request.ShipTo.Longitude.ToString("R", CultureInfo.InvariantCulture));
        foreach (var line in request.Lines)
        {
            text.Append('|').Append(line.Sku).Append('*').Append(line.Quantity);
        }

        // Members added later count only when set, so fingerprints recorded before them stay valid.
        if (request.Priority != RequestPriority.Normal || request.CustomerTier is not null || request.PickupLocationId is not null || request.PromisedBy is not null)
        {
            text.Append("|p=").Append(request.Priority)
                .Append("|t=").Append(request.CustomerTier)
                .Append("|c=").Append(request.PickupLocationId)
                .Append("|d=").Append(request.PromisedBy?.ToString("O", CultureInfo.InvariantCulture));
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
