using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dom.Grains.Hosting;
using Dom.Reservations;
using Dom.Sourcing;

namespace Dom.Grains.Reservations;

[GenerateSerializer, Alias("dom.reservations.reservation-state")]
public sealed record ReservationState
{
    /// <summary>The hash of the first request: the same id with another body is a conflict.</summary>
    [Id(0)] public string Fingerprint { get; init; } = "";

    [Id(1)] public string Channel { get; init; } = "";

    [Id(2)] public ReservationView? View { get; init; }
}

/// <summary>
/// A checkout hold across lines. Sourcing takes the holds (each carrying this reservation's id and expiry); this
/// grain records the answer durably before it is given, and answers retries with it. The holds lapse by themselves
/// at the expiry time, so a crash between holding and recording leaks nothing for longer than the TTL.
/// </summary>
internal sealed class ReservationGrain(
    [PersistentState(DomStorage.ReservationState, DomStorage.Name)] IPersistentState<ReservationState> state,
    DomClock clock,
    ILogger<ReservationGrain> logger) : Grain, IReservationGrain
{
    private IGrainTimer? _expiryTimer;

    private ISourcingGrain Sourcing => GrainFactory.GetGrain<ISourcingGrain>(0);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        ArmExpiryTimer();
        return Task.CompletedTask;
    }

    public async Task<CreateReservationResult> CreateAsync(CreateReservationRequest request)
    {
        var fingerprint = Fingerprint(request);
        if (state.State.View is { } existing)
        {
            var outcome = fingerprint == state.State.Fingerprint ? ReservationOutcome.Replayed : ReservationOutcome.IdempotencyConflict;
            return new CreateReservationResult(outcome, Current(existing));
        }

        var expiresAt = clock.UtcNow.AddSeconds(request.TtlSeconds);
        var result = await Sourcing.ReserveAsync(new SourcingRequest(request.ReservationId, request.Channel, request.ShipTo, request.Lines, expiresAt));
        var view = result.Succeeded
            ? new ReservationView(request.ReservationId, ReservationStatus.Held, expiresAt, result.Lines, [])
            : new ReservationView(
                request.ReservationId,
                ReservationStatus.Refused,
                expiresAt,
                request.Lines.Select(line => new ReservationLine(line.Sku, line.Quantity, [])).ToList(),
                result.Shortages);

        try
        {
            await state.WriteAsync(new ReservationState { Fingerprint = fingerprint, Channel = request.Channel, View = view }, GrainContext, logger);
        }
        catch (StorageUnavailableException) when (result.Succeeded)
        {
            await ReleaseQuietlyAsync(result.Lines);
            throw;
        }

        ArmExpiryTimer();
        logger.LogDebug("{ReservationId} {Status} until {ExpiresAt}", request.ReservationId, view.Status, expiresAt);
        return new CreateReservationResult(result.Succeeded ? ReservationOutcome.Created : ReservationOutcome.Refused, view);
    }

    public Task<ReservationView?> GetAsync(string channel) =>
        Task.FromResult(IsVisibleTo(channel) ? Current(state.State.View!) : null);

    public async Task<ReservationView?> ReleaseAsync(string channel)
    {
        if (!IsVisibleTo(channel))
        {
            return null;
        }

        var view = Current(state.State.View!);
        if (view.Status == ReservationStatus.Held)
        {
            await Sourcing.ReleaseAsync(view.ReservationId, view.Lines);
            view = view with { Status = ReservationStatus.Released };
        }

        if (view.Status != state.State.View!.Status)
        {
            await state.WriteAsync(state.State with { View = view }, GrainContext, logger);
        }

        return view;
    }

    private bool IsVisibleTo(string channel) => state.State.View is not null && state.State.Channel == channel;

    /// <summary>The view as of now: a held reservation past its expiry has expired, whether or not the timer ran.</summary>
    private ReservationView Current(ReservationView view) =>
        view.Status == ReservationStatus.Held && clock.UtcNow >= view.ExpiresAt ? view with { Status = ReservationStatus.Expired } : view;

    /// <summary>Records the expiry when it happens. The stock and capacity lapse in their own grains at the same
    /// instant, so nothing needs releasing here, and a lost timer loses nothing (the view is computed on read).</summary>
    private void ArmExpiryTimer()
    {
        if (state.State.View is not { Status: ReservationStatus.Held } view)
        {
            return;
        }

        var due = clock.Until(view.ExpiresAt);
        _expiryTimer?.Dispose();
        _expiryTimer = this.RegisterGrainTimer(OnExpiryAsync, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan));
    }

    private async Task OnExpiryAsync(CancellationToken cancellationToken)
    {
        if (state.State.View is not { } stored)
        {
            return;
        }

        var view = Current(stored);
        if (view.Status != stored.Status)
        {
            await state.WriteAsync(state.State with { View = view }, GrainContext, logger);
        }
        else
        {
            ArmExpiryTimer();
        }
    }

    private async Task ReleaseQuietlyAsync(IReadOnlyList<ReservationLine> lines)
    {
        try
        {
            await Sourcing.ReleaseAsync(this.GetPrimaryKeyString(), lines);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "{ReservationId} was not recorded and its holds could not be released now; they lapse at expiry", this.GetPrimaryKeyString());
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

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
