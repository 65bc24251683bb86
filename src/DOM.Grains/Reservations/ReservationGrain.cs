using Dom.Grains.Hosting;
using Dom.Grains.Journal;
using Dom.Grains.Sourcing;
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

    /// <summary>An attempt whose record was reported failed was abandoned: its record can no longer land, and a later
    /// attempt records after this.</summary>
    [Id(4)] public bool Abandoned { get; init; }
}

/// <summary>What happens to a reservation. Stored in the journal: never reorder or renumber members.</summary>
[GenerateSerializer, Alias("dom.reservations.reservation-event")]
public abstract record ReservationEvent;

/// <summary>The first answer, recorded before it is given.</summary>
[GenerateSerializer, Immutable, Alias("dom.reservations.recorded")]
public sealed record ReservationRecorded([property: Id(0)] string Fingerprint, [property: Id(1)] string Channel, [property: Id(2)] ReservationView View) : ReservationEvent;

/// <summary>An attempt abandoned before its record was read: takes the place its record would have had in the stream,
/// so a record reported failed cannot land after its holds were given back.</summary>
[GenerateSerializer, Immutable, Alias("dom.reservations.abandoned")]
public sealed record ReservationAbandoned([property: Id(0)] string HoldId) : ReservationEvent;

[GenerateSerializer, Immutable, Alias("dom.reservations.status-changed")]
public sealed record ReservationStatusChanged([property: Id(0)] ReservationStatus Status) : ReservationEvent;

[GenerateSerializer, Immutable, Alias("dom.reservations.converted")]
public sealed record ReservationConverted([property: Id(0)] string OrderId) : ReservationEvent;

/// <summary>
/// A checkout hold across lines, after it was created: the <see cref="ReservationDesk"/> records it as the first
/// event of this grain's stream, and this grain serves it from then on (reads, conversion into an order, release) as the
/// stream's only writer. It also settles create requests for an id that was recorded before. The holds lapse by
/// themselves at the expiry time; the grain only records the expiry when it sees it (the view is computed on read).
/// Idle activations are collected after <see cref="IdleMinutes"/> minutes at the earliest; a later read just reloads
/// the stream.
/// </summary>
[CollectionAgeLimit(Minutes = IdleMinutes)]
internal sealed class ReservationGrain(Sourcer sourcer, IGrainJournal journal, Serializer serializer, DomClock clock, ILogger<ReservationGrain> logger)
    : JournaledGrain<ReservationState, ReservationEvent>(journal, serializer, logger), IReservationGrain
{
    /// <summary>How long an idle activation lives, and so how far ahead its expiry timer is worth arming.</summary>
    internal const double IdleMinutes = 2;

    private IGrainTimer? _expiryTimer;
    private DateTimeOffset? _expiryTimerAt;

    protected override string Stream => ReservationJournal.StreamOf(this.GetPrimaryKeyString());

    protected override ReservationState Initial => new();

    protected override int SnapshotEvery => int.MaxValue;

    protected override bool LoadOnActivation => false;

    protected override ReservationState Apply(ReservationState state, ReservationEvent @event) => @event switch
    {
        ReservationRecorded recorded => new ReservationState { Fingerprint = recorded.Fingerprint, Channel = recorded.Channel, View = recorded.View },
        ReservationAbandoned => state with { Abandoned = true },
        ReservationStatusChanged changed => state with { View = state.View! with { Status = changed.Status } },
        ReservationConverted converted => state with { View = state.View! with { Status = ReservationStatus.Converted }, OrderId = converted.OrderId },
        _ => throw new InvalidOperationException($"Unknown reservation event {@event.GetType().Name}."),
    };

    protected override void OnLoaded() => WatchExpiry();

    /// <summary>As an older desk calls it: without this attempt's answer, which it cannot record after an abandoned one.</summary>
    public Task<CreateReservationResult> SettleAsync(CreateReservationRequest request, string holdId, IReadOnlyList<ReservationLine> taken) =>
        SettleAsync(request, holdId, null, taken, holdsStored: false);

    public Task<CreateReservationResult> SettleAttemptAsync(CreateReservationRequest request, ReservationView attempt, IReadOnlyList<ReservationLine> taken, bool holdsStored) =>
        SettleAsync(request, attempt.HoldId!, attempt, taken, holdsStored);

    private async Task<CreateReservationResult> SettleAsync(CreateReservationRequest request, string holdId, ReservationView? attempt, IReadOnlyList<ReservationLine> taken, bool holdsStored)
    {
        // Always read: this activation may predate the record (a read of the id before it was created).
        try
        {
            await ReloadAsync();
        }
        catch (JournalDamagedException)
        {
            // Whether this attempt was recorded cannot be read, and it was not acknowledged: give back what it took.
            await sourcer.ReleaseAsync(holdId, taken);
            throw;
        }

        if (State.View is null && !State.Abandoned)
        {
            // Nothing recorded, yet a record reported failed may still land (its statement outlived its answer). The
            // stream is closed to it first: then nothing of this attempt can be acknowledged, and its holds go back.
            // If the close itself is not stored, the record may still land: nothing goes back (the holds lapse at their
            // expiry), and the caller gets the failure to retry.
            try
            {
                await Raise(new ReservationAbandoned(holdId));
            }
            catch (JournalConflictException)
            {
                // The record landed meanwhile (this attempt's, or another's): answered from it below. A conflict that
                // nothing stored explains (the record still uncommitted) rules nothing out: nothing goes back.
                await ReloadAsync();
                if (State.View is null && !State.Abandoned)
                {
                    throw new StorageUnavailableException();
                }
            }

            if (State.View is null)
            {
                await sourcer.ReleaseAsync(holdId, taken);
                throw new StorageUnavailableException();
            }
        }
        else if (State.View is null)
        {
            // An earlier attempt was abandoned: this one records its answer after it, once its own holds are stored.
            if (attempt is null || !holdsStored)
            {
                await sourcer.ReleaseAsync(holdId, taken);
                throw new StorageUnavailableException();
            }

            try
            {
                await Raise(new ReservationRecorded(ReservationJournal.Fingerprint(request), request.Channel, attempt));
                WatchExpiry();
                return AsAnswered(Current(attempt));
            }
            catch (JournalConflictException)
            {
                // A concurrent attempt recorded first: answered from its record below.
                await ReloadAsync();
            }
        }

        if (State.View is null)
        {
            // Closed by another activation's attempt meanwhile (a silo was replaced): nothing recorded yet.
            await sourcer.ReleaseAsync(holdId, taken);
            throw new StorageUnavailableException();
        }

        var recorded = Current(State.View);
        if (State.View.HoldId == holdId)
        {
            // This attempt's own record: its write landed although it reported a failure.
            return AsAnswered(recorded);
        }

        // Another attempt's record: its holds carry its own id, so everything this attempt took goes back.
        await sourcer.ReleaseAsync(holdId, taken);
        var outcome = ReservationJournal.Fingerprint(request) == State.Fingerprint ? ReservationOutcome.Replayed : ReservationOutcome.IdempotencyConflict;
        return new CreateReservationResult(outcome, recorded);
    }

    /// <summary>A recorded attempt's answer, as its first caller got it.</summary>
    private static CreateReservationResult AsAnswered(ReservationView view) =>
        new(view.Status == ReservationStatus.Refused ? ReservationOutcome.Refused : ReservationOutcome.Created, view);

    public async Task<ReservationView?> GetAsync(string channel)
    {
        EnsureUsable();
        await EnsureRecordAsync();
        return IsVisibleTo(channel) ? Current(State.View!) : null;
    }

    public async Task<ReservationView?> ConvertAsync(string channel, string orderId)
    {
        EnsureUsable();
        await EnsureRecordAsync();
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
        WatchExpiry();
        return view;
    }

    public async Task<ReservationView?> ReleaseAsync(string channel)
    {
        EnsureUsable();
        await EnsureRecordAsync();
        if (!IsVisibleTo(channel))
        {
            return null;
        }

        var view = Current(State.View!);
        if (view.Status == ReservationStatus.Held)
        {
            await sourcer.ReleaseAsync(view.HeldUnder, view.Lines);
            view = view with { Status = ReservationStatus.Released };
        }

        if (view.Status != State.View!.Status)
        {
            await Raise(new ReservationStatusChanged(view.Status));
        }

        WatchExpiry();
        return view;
    }

    /// <summary>The desk records a reservation straight into its stream, so an activation that found no record may be
    /// behind: it reads again until there is one. After the record, this grain is the stream's only writer. Every call
    /// comes through here, so here the expiry timer is looked at again (time may have brought the expiry near).</summary>
    private async Task EnsureRecordAsync()
    {
        if (!Loaded || State.View is null)
        {
            await ReloadAsync();
        }

        WatchExpiry();
    }

    private bool IsVisibleTo(string channel) => State.View is not null && State.Channel == channel;

    /// <summary>The view as of now: a held reservation past its expiry has expired, whether or not the timer ran.</summary>
    private ReservationView Current(ReservationView view) =>
        view.Status == ReservationStatus.Held && clock.UtcNow >= view.ExpiresAt ? view with { Status = ReservationStatus.Expired } : view;

    /// <summary>Records the expiry when it happens, if this activation lives that long. The stock and capacity lapse in
    /// their own grains at the same instant, so nothing needs releasing here, and a timer not armed or lost loses nothing
    /// (the view is computed on read). So a timer is armed only for an expiry within an idle activation's life: one due
    /// later would most likely be collected with the activation before it fired (a reservation read a day before its
    /// expiry), and the runtime walks every live timer, so a silo that had loaded 815,000 such reservations spent 13 % of
    /// its samples on timers that never fired. Every call looks again, so one that keeps the activation alive until its
    /// last minutes arms it then.</summary>
    private void WatchExpiry()
    {
        var at = ExpiryTimerFor(State.View, clock.UtcNow);
        if (at == _expiryTimerAt)
        {
            return;
        }

        _expiryTimer?.Dispose();
        (_expiryTimer, _expiryTimerAt) = (null, null);
        if (at is { } due)
        {
            _expiryTimer = this.RegisterGrainTimer(OnExpiryAsync, new GrainTimerCreationOptions(clock.Until(due), Timeout.InfiniteTimeSpan));
            _expiryTimerAt = due;
        }
    }

    /// <summary>When the expiry timer should fire, or null for none: a held reservation whose expiry is at most
    /// <see cref="IdleMinutes"/> away.</summary>
    internal static DateTimeOffset? ExpiryTimerFor(ReservationView? view, DateTimeOffset now) =>
        view is { Status: ReservationStatus.Held } held && held.ExpiresAt - now <= TimeSpan.FromMinutes(IdleMinutes) ? held.ExpiresAt : null;

    private async Task OnExpiryAsync(CancellationToken cancellationToken)
    {
        // It fired, whatever follows, so it is done with: a later look arms a new one (when it fired early, because the
        // business clock is behind the timer's).
        _expiryTimer?.Dispose();
        (_expiryTimer, _expiryTimerAt) = (null, null);

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

        WatchExpiry();
    }
}
