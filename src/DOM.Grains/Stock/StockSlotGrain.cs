using Dom.Articles;
using Dom.Grains.Hosting;
using Dom.Locations;
using Dom.Stock;

namespace Dom.Grains.Stock;

/// <summary>
/// The authority for one article at one location. Holds lapse exactly at their expiry: every call first drops what
/// has expired by the business clock, so stock returns at <c>expiresAt</c> whether or not a timer ran, and exactly
/// once, because returning stock is removing the hold, never adding units. A timer republishes the availability
/// when holds lapse so the article's index catches up.
/// </summary>
internal sealed class StockSlotGrain(
    [PersistentState(DomStorage.SlotState, DomStorage.Name)] IPersistentState<StockSlotState> state,
    DomClock clock,
    ILogger<StockSlotGrain> logger) : Grain, IStockSlotGrain
{
    private readonly ExpiryQueue _expiries = new();
    private StockSlotKey _key;
    private int _held;
    private IGrainTimer? _expiryTimer;
    private DateTimeOffset? _timerArmedFor;

    private StockSlotState State => state.State;

    private int Available => Math.Max(0, State.OnHand - State.SafetyStock - _held - State.Allocated);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = StockSlotKey.Parse(this.GetPrimaryKeyString());
        _held = 0;
        _expiries.Clear();
        foreach (var (id, hold) in State.Holds)
        {
            _held += hold.Quantity;
            _expiries.Add(id, hold.ExpiresAt);
        }

        DropExpiredHolds();
        ArmExpiryTimer();
        return Task.CompletedTask;
    }

    public async Task<SetStockResult> SetStockAsync(SetStockRequest request)
    {
        DropExpiredHolds();
        var isNew = !State.Exists;
        if (isNew)
        {
            var article = GrainFactory.GetGrain<IArticleGrain>(_key.Sku).GetAsync();
            var location = GrainFactory.GetGrain<ILocationGrain>(_key.LocationId).GetAsync();
            var (articleInfo, locationInfo) = (await article, await location);
            if (articleInfo is null)
            {
                return new SetStockResult(SetStockStatus.UnknownArticle, null);
            }

            if (locationInfo is null)
            {
                return new SetStockResult(SetStockStatus.UnknownLocation, null);
            }
        }

        await state.WriteAsync(
            State with { Exists = true, OnHand = request.OnHand, SafetyStock = request.SafetyStock, Version = State.Version + 1 },
            GrainContext,
            logger);

        var snapshot = Snapshot();
        if (snapshot.Overcommitted > 0)
        {
            logger.LogWarning("{Slot} counted {OnHand} on hand, {Overcommitted} below what is promised", _key, request.OnHand, snapshot.Overcommitted);
        }

        var update = new AvailabilityUpdate(_key.LocationId, snapshot.Available, snapshot.Version);
        if (isNew)
        {
            // The index must list a new slot before the stock count is acknowledged, or sourcing could miss it.
            await GrainFactory.GetGrain<IArticleGrain>(_key.Sku).IndexLocationAsync(update);
        }
        else
        {
            Publish();
        }

        return new SetStockResult(SetStockStatus.Set, snapshot);
    }

    public async Task<HoldResult> HoldAsync(HoldRequest request)
    {
        DropExpiredHolds();
        if (!State.Exists)
        {
            return new HoldResult(HoldStatus.UnknownSlot, 0);
        }

        if (State.Holds.TryGetValue(request.HoldId, out var existing))
        {
            return new HoldResult(existing.Quantity == request.Quantity ? HoldStatus.AlreadyHeld : HoldStatus.Conflict, Available);
        }

        if (request.Quantity <= 0 || request.Quantity > Available || request.ExpiresAt <= clock.UtcNow)
        {
            return new HoldResult(HoldStatus.Refused, Available);
        }

        var hold = new SlotHold(request.Quantity, request.Channel, request.ExpiresAt);
        await state.WriteAsync(
            State with { Holds = State.Holds.SetItem(request.HoldId, hold), Version = State.Version + 1 },
            GrainContext,
            logger);
        _held += hold.Quantity;
        _expiries.Add(request.HoldId, hold.ExpiresAt);
        ArmExpiryTimer();
        Publish();
        return new HoldResult(HoldStatus.Held, Available);
    }

    public async Task<ReleaseResult> ReleaseAsync(ReleaseRequest request)
    {
        DropExpiredHolds();
        if (!State.Holds.TryGetValue(request.HoldId, out var hold))
        {
            return new ReleaseResult(false, Available);
        }

        await state.WriteAsync(
            State with { Holds = State.Holds.Remove(request.HoldId), Version = State.Version + 1 },
            GrainContext,
            logger);
        _held -= hold.Quantity;
        Publish();
        return new ReleaseResult(true, Available);
    }

    public Task RepublishAsync()
    {
        DropExpiredHolds();
        if (State.Exists)
        {
            Publish();
        }

        return Task.CompletedTask;
    }

    public Task<SlotSnapshot?> GetAsync()
    {
        DropExpiredHolds();
        return Task.FromResult(State.Exists ? Snapshot() : null);
    }

    /// <summary>
    /// Forgets lapsed holds in memory. Storage keeps them until the next write, which is harmless: a lapsed hold is
    /// dropped again on load. The version moves so the index takes the new number.
    /// </summary>
    private bool DropExpiredHolds()
    {
        var due = _expiries.PopDue(clock.UtcNow, (id, at) => State.Holds.TryGetValue(id, out var hold) && hold.ExpiresAt == at);
        if (due.Count == 0)
        {
            return false;
        }

        foreach (var id in due)
        {
            _held -= State.Holds[id].Quantity;
        }

        state.State = State with { Holds = State.Holds.RemoveRange(due), Version = State.Version + 1 };
        logger.LogDebug("{Slot} released {Count} lapsed holds", _key, due.Count);
        return true;
    }

    private void ArmExpiryTimer()
    {
        if (_expiries.Next is not { } next || next == _timerArmedFor)
        {
            return;
        }

        _timerArmedFor = next;
        var due = clock.Until(next);
        if (_expiryTimer is null)
        {
            _expiryTimer = this.RegisterGrainTimer(OnExpiryTimerAsync, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = true });
        }
        else
        {
            _expiryTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private Task OnExpiryTimerAsync(CancellationToken cancellationToken)
    {
        _timerArmedFor = null;
        if (DropExpiredHolds())
        {
            Publish();
        }

        ArmExpiryTimer();
        return Task.CompletedTask;
    }

    private void Publish() =>
        GrainFactory.GetGrain<IArticleGrain>(_key.Sku).PublishAsync(new AvailabilityUpdate(_key.LocationId, Available, State.Version)).Ignore();

    private SlotSnapshot Snapshot() => new(
        _key.Sku,
        _key.LocationId,
        State.OnHand,
        State.SafetyStock,
        _held,
        State.Allocated,
        Available,
        Math.Max(0, _held + State.Allocated - (State.OnHand - State.SafetyStock)),
        State.Version);
}
