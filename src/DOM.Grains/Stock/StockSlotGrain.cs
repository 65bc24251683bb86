using Dom.Articles;
using Dom.Grains.Hosting;
using Dom.Grains.Journal;
using Dom.Locations;
using Dom.Stock;
using Orleans.Serialization;

namespace Dom.Grains.Stock;

/// <summary>
/// The authority for one article at one location. Every decision and its event happen in the synchronous part of a
/// call; the grain is reentrant so that while one event is being written the next call is already decided, and
/// concurrent holds share one journal flush (group commit). Each caller is answered after its own event is durable.
/// <para>Holds lapse exactly at their expiry: every call first drops what has expired by the business clock, so
/// stock returns at <c>expiresAt</c> whether or not a timer ran (and after a restart), and exactly once, because
/// returning stock is dropping the hold, never adding units. The silo's <see cref="RepublishSchedule"/> calls the slot
/// back when its next hold lapses, and it publishes its availability if that moved it, so the article's index catches
/// up.</para>
/// <para>Holds and allocations tell the index only once the slot's available units have fallen a twentieth below what it
/// last published, releases at once (<see cref="IndexDrift"/>): a well-stocked slot under checkout load costs its holds
/// one call to the article per twentieth of its stock (or per five minutes) instead of one each, and a plan made on the
/// index's slightly high number is refused by the slot and re-planned.</para>
/// </summary>
[Reentrant]
internal sealed class StockSlotGrain(
    IGrainJournal journal,
    PendingWrites pendingWrites,
    RepublishSchedule republishing,
    Serializer serializer,
    DomClock clock,
    ILogger<StockSlotGrain> logger)
    : JournaledGrain<StockSlotState, SlotEvent>(journal, serializer, logger), IStockSlotGrain
{
    private readonly ExpiryQueue _expiries = new();
    private StockSlotKey _key;
    private DateTimeOffset? _republishAt;
    private long _lastStamp;

    /// <summary>The available units this activation last published to the article's index (null: nothing yet), and
    /// when.</summary>
    private int? _published;
    private DateTimeOffset _publishedAt;

    /// <summary>Whether this activation has seen the article's index list the slot. A count is stored before the slot is
    /// listed, so a listing that failed (the article's write, a timeout, a crash between the two) is retried by the next
    /// count instead of leaving a slot with stock that sourcing never sees.</summary>
    private bool _listed;

    protected override string Stream => $"slot/{this.GetPrimaryKeyString()}";

    protected override StockSlotState Initial => new();

    protected override int StateSize => State.Holds.Count + State.Allocations.Count;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // One string per location for the whole silo: every slot of a location publishes its id into the articles'
        // indexes, and the planner hashes and compares those ids per request; shared instances stay in cache.
        var key = StockSlotKey.Parse(this.GetPrimaryKeyString());
        _key = key with { LocationId = string.Intern(key.LocationId) };
        return base.OnActivateAsync(cancellationToken);
    }

    protected override void OnLoaded()
    {
        foreach (var (id, hold) in State.Holds)
        {
            _expiries.Add(id, hold.ExpiresAt);
        }

        // Holds that lapsed while no activation was there (a silo went down) return their units now: tell the index.
        if (DropExpiredHolds() && State.Exists)
        {
            Publish();
        }

        ScheduleRepublish();
    }

    protected override StockSlotState Apply(StockSlotState state, SlotEvent @event) => @event switch
    {
        StockCounted counted => state with
        {
            Exists = true,
            OnHand = counted.OnHand,
            SafetyStock = counted.SafetyStock,
            Counts = counted.CountId is not { } countId ? state.Counts : StockSlotState.Remember(state.Counts, new RecordedCount(countId, counted.OnHand, counted.SafetyStock), StockSlotState.CountsKept),
        },
        HoldPlaced placed => state.WithHold(placed.HoldId, new SlotHold(placed.Quantity, placed.Channel, placed.ExpiresAt, placed.FromPool, placed.NeedBy)),
        HoldReleased released when state.Holds.ContainsKey(released.HoldId) => state.WithoutHolds([released.HoldId]),
        HoldReleased => state,
        UnitsAllocated allocated => state.WithAllocation(allocated.AllocationId, allocated.Quantity, allocated.FromHoldId),
        AllocationEnded ended => state.WithAllocationEnded(ended.AllocationId, ended.Quantity, ended.End, ended.BelowZero),
        PoolSized sized => state with { Pools = sized.Size > 0 ? state.Pools.SetItem(sized.Channel, sized.Size) : state.Pools.Remove(sized.Channel) },
        InboundExpected expected => state with
        {
            Inbound = expected.Quantity > 0 ? state.Inbound.SetItem(expected.BatchId, new InboundBatch(expected.Quantity, expected.Eta)) : state.Inbound.Remove(expected.BatchId),
        },
        InboundReceived received when state.Inbound.TryGetValue(received.BatchId, out var batch) => state with
        {
            OnHand = state.OnHand + batch.Quantity,
            Inbound = state.Inbound.Remove(received.BatchId),
            Received = StockSlotState.Remember(state.Received, received.BatchId, StockSlotState.ReceivedKept),
        },
        InboundReceived => state,
        UnitsReturned returned => state with
        {
            Exists = true,
            OnHand = state.OnHand + returned.Quantity,
            Received = StockSlotState.Remember(state.Received, returned.RestockId, StockSlotState.ReceivedKept),
        },
        _ => throw new InvalidOperationException($"Unknown slot event {@event.GetType().Name}."),
    };

    public async Task<AllocateResult> AllocateAsync(AllocateRequest request)
    {
        EnsureUsable();
        DropExpiredHolds();
        if (!State.Exists)
        {
            return new AllocateResult(AllocateStatus.UnknownSlot, 0);
        }

        if (State.Allocations.TryGetValue(request.AllocationId, out var existing))
        {
            if (existing != request.Quantity)
            {
                await EarlierWritesAsync();
                return new AllocateResult(AllocateStatus.Refused, State.Available);
            }

            // A retry while the allocation's write is on its way: answered once it is stored.
            await EarlierWritesAsync();
            return new AllocateResult(AllocateStatus.AlreadyAllocated, State.Available);
        }

        // Units of the converted hold are already set aside; only what goes beyond it must be available.
        var converted = request.FromHoldId is { } holdId && State.Holds.TryGetValue(holdId, out var hold) ? hold.Quantity : 0;
        if (request.Quantity <= 0 || request.Quantity - converted > State.Available)
        {
            // Decided on writes that may still be on their way: answered once they are stored, as a hold's refusal.
            await EarlierWritesAsync();
            return new AllocateResult(AllocateStatus.Refused, State.Available);
        }

        var written = Raise(new UnitsAllocated(request.AllocationId, request.Quantity, converted > 0 ? request.FromHoldId : null));
        var available = State.Available;
        await written;
        PublishIfMoved();
        return new AllocateResult(AllocateStatus.Allocated, available);
    }

    public async Task<int> EndAllocationAsync(EndAllocationRequest request)
    {
        EnsureUsable();
        DropExpiredHolds();
        var units = State.Allocations.TryGetValue(request.AllocationId, out var open) ? open - Math.Max(0, request.LeaveOpen) : 0;
        if (units <= 0)
        {
            // Nothing (left) to end, perhaps because an end of it is still on its way to the journal: answered once
            // every earlier write is stored, or the retry would be told "done" of an end that may yet fail.
            await EarlierWritesAsync();
            return 0;
        }

        var written = Raise(new AllocationEnded(request.AllocationId, units, request.End, BelowZero: true));
        await written;
        PublishIfMoved();
        return units;
    }

    /// <summary>Why the slot, never stocked, cannot be created: its article or location does not exist, or the article
    /// cannot be stocked there; null when it can.</summary>
    private async Task<SetStockStatus?> NewSlotProblemAsync()
    {
        var article = GrainFactory.Get<IArticleGrain>(_key.Sku).GetAsync();
        var location = GrainFactory.Get<ILocationGrain>(_key.LocationId).GetAsync();
        var (articleInfo, locationInfo) = (await article, await location);
        if (articleInfo is null)
        {
            return SetStockStatus.UnknownArticle;
        }

        if (locationInfo is null)
        {
            return SetStockStatus.UnknownLocation;
        }

        // Only stock sourcing can take: a bundle is stocked as its components, physical units at a location that
        // ships, non-physical ones (licence keys, cards) at the virtual location that fulfils them.
        return articleInfo.Components is { Count: > 0 } || (articleInfo.Kind == ArticleKind.Physical) == (locationInfo.Type == LocationType.Virtual)
            ? SetStockStatus.NotStockable
            : null;
    }

    public async Task<SetStockResult> SetStockAsync(SetStockRequest request)
    {
        EnsureUsable();
        if (!State.Exists && await NewSlotProblemAsync() is { } problem)
        {
            return new SetStockResult(problem, null);
        }

        DropExpiredHolds();
        if (request.CountId is { } countId && State.Counts.FirstOrDefault(c => c.CountId == countId) is { } stored)
        {
            // A retry: the slot's numbers as they are (what shipped since stays shipped), once the count is stored.
            await EarlierWritesAsync();
            if (stored.OnHand != request.OnHand || stored.SafetyStock != (request.KeepSafetyStock ? stored.SafetyStock : request.SafetyStock))
            {
                return new SetStockResult(SetStockStatus.CountIdReused, Snapshot());
            }

            return await SetOnceListedAsync(Snapshot);
        }

        var snapshot = await ChangeStockAsync(new StockCounted(request.OnHand, request.KeepSafetyStock ? State.SafetyStock : request.SafetyStock, request.CountId));
        if (snapshot.Overcommitted > 0)
        {
            logger.LogWarning("{Slot} counted {OnHand} on hand, {Overcommitted} below what is promised", _key, request.OnHand, snapshot.Overcommitted);
        }

        return new SetStockResult(SetStockStatus.Set, snapshot);
    }

    /// <summary>Stores a change of the on-hand stock (a count, returned units), which may create the slot: acknowledged
    /// once the article's index lists the slot, or sourcing could miss it; otherwise the index hears of it.</summary>
    private async Task<SlotSnapshot> ChangeStockAsync(SlotEvent change)
    {
        var isNew = !State.Exists;
        var written = Raise(change);
        var snapshot = Snapshot();
        await written;
        if (isNew || !_listed)
        {
            await IndexAsync();
        }
        else
        {
            Publish();
        }

        return snapshot;
    }

    /// <summary>The answer to a retried stock change (a count, a restock) stored before: the first call may have failed
    /// (or still be) listing the slot in the article's index, so the retry lists it before it is acknowledged, as the
    /// first would have.</summary>
    private async Task<SetStockResult> SetOnceListedAsync(Func<SlotSnapshot> slot)
    {
        if (!_listed)
        {
            await IndexAsync();
        }

        return new SetStockResult(SetStockStatus.Set, slot());
    }

    public async Task<HoldResult> HoldAsync(HoldRequest request)
    {
        EnsureUsable();
        DropExpiredHolds();
        if (!State.Exists)
        {
            return new HoldResult(HoldStatus.UnknownSlot, 0);
        }

        if (State.Holds.TryGetValue(request.HoldId, out var existing))
        {
            if (existing.Quantity != request.Quantity)
            {
                // About a hold whose write may still fail: answered once it is stored.
                await EarlierWritesAsync();
                return new HoldResult(HoldStatus.Conflict, State.Available);
            }

            // A retry while the hold's write is on its way: answered once it is stored.
            await EarlierWritesAsync();
            return new HoldResult(HoldStatus.AlreadyHeld, State.Available);
        }

        var availableTo = State.AvailableTo(request.Channel, request.NeedBy);
        if (request.Quantity <= 0 || request.Quantity > availableTo - Math.Max(0, request.KeepFree) || request.ExpiresAt <= clock.UtcNow)
        {
            // Decided on holds that may still be on their way to the journal: a refusal is answered once they are
            // stored (if one fails, the caller gets a 503 to retry, not a shortage that was never there).
            await EarlierWritesAsync();
            return new HoldResult(HoldStatus.Refused, availableTo);
        }

        // The channel's pool first, as far as its units are on hand now (a pool larger than the stock left gives only
        // what is there); only this channel may use it. The rest is shared, and may wait for supply by the need-by date.
        var fromPool = Math.Min(request.Quantity, State.PoolAvailable(request.Channel));
        var needBy = request.Quantity > fromPool ? request.NeedBy : null;
        var written = Raise(new HoldPlaced(request.HoldId, request.Quantity, request.Channel, request.ExpiresAt, fromPool, needBy), out var stored);
        var available = State.AvailableTo(request.Channel, request.NeedBy);
        _expiries.Add(request.HoldId, request.ExpiresAt);
        ScheduleRepublish();
        if (pendingWrites.HandIfLocal(request.AnswerEarlyOn, stored) is { } ticket)
        {
            // The caller stores nothing resting on this hold before the hold itself (it redeems the ticket for that).
            if (PublicationMatters())
            {
                PublishOnceWrittenAsync(written).Ignore();
            }

            return new HoldResult(HoldStatus.Held, available, ticket);
        }

        await written;
        PublishIfMoved();
        return new HoldResult(HoldStatus.Held, available);
    }

    public async Task<ReleaseResult> ReleaseAsync(ReleaseRequest request)
    {
        EnsureUsable();
        DropExpiredHolds();
        if (!State.Holds.ContainsKey(request.HoldId))
        {
            // Perhaps released by a call whose write is still on its way: answered once it is stored.
            await EarlierWritesAsync();
            return new ReleaseResult(false, State.Available);
        }

        var written = Raise(new HoldReleased(request.HoldId));
        var available = State.Available;
        await written;
        PublishIfMoved();
        return new ReleaseResult(true, available);
    }

    public Task RepublishAsync() => CatchUp(always: true);

    public Task CatchUpAsync() => CatchUp(always: false);

    /// <summary>Drops lapsed holds and publishes: <paramref name="always"/> for an article index that starts afresh,
    /// otherwise only what moved from the number last published (<see cref="IndexDrift"/>: lapses that lift the slot
    /// above it are told; the expiry of a hold that became an order or was released tells nothing). Arms the next call
    /// back.</summary>
    private Task CatchUp(bool always)
    {
        if (_republishAt <= clock.UtcNow)
        {
            _republishAt = null;
        }

        DropExpiredHolds();
        if (State.Exists && (always || PublicationMatters()))
        {
            Publish();
        }

        ScheduleRepublish();
        return Task.CompletedTask;
    }

    public Task<SlotSnapshot?> GetAsync()
    {
        EnsureUsable();
        DropExpiredHolds();
        return Task.FromResult(State.Exists ? Snapshot() : null);
    }

    public Task<SlotSnapshot?> SetPoolAsync(SetPoolRequest request) =>
        ChangeAsync(new PoolSized(request.Channel, Math.Max(0, request.Size)));

    public async Task<SlotSnapshot?> SetInboundAsync(SetInboundRequest request) => (await ExpectInboundAsync(request)).Slot;

    public async Task<InboundResult> ExpectInboundAsync(SetInboundRequest request)
    {
        EnsureUsable();
        if (State.Exists && State.Received.Contains(request.BatchId))
        {
            return new InboundResult(InboundOutcome.AlreadyReceived, await AsReceivedAsync());
        }

        return await ChangeAsync(new InboundExpected(request.BatchId, Math.Max(0, request.Quantity), request.Eta)) is { } slot
            ? new InboundResult(InboundOutcome.Recorded, slot)
            : new InboundResult(InboundOutcome.NotStocked, null);
    }

    public async Task<SlotSnapshot?> ReceiveInboundAsync(ReceiveInboundRequest request)
    {
        EnsureUsable();
        if (State.Exists && State.Received.Contains(request.BatchId))
        {
            // A retried receipt (its answer was lost, or the scanner sent it twice) books nothing again.
            return await AsReceivedAsync();
        }

        return State.Inbound.ContainsKey(request.BatchId) ? await ChangeAsync(new InboundReceived(request.BatchId)) : null;
    }

    public async Task<SetStockResult> RestockAsync(RestockRequest request)
    {
        EnsureUsable();
        if (!State.Exists && await NewSlotProblemAsync() is { } problem)
        {
            return new SetStockResult(problem, null);
        }

        if (State.Received.Contains(request.RestockId))
        {
            // A retry (the order's effects are done again after a crash): nothing is booked twice.
            var received = await AsReceivedAsync();
            return await SetOnceListedAsync(() => received);
        }

        DropExpiredHolds();
        return new SetStockResult(SetStockStatus.Set, await ChangeStockAsync(new UnitsReturned(request.RestockId, Math.Max(0, request.Quantity))));
    }

    /// <summary>The slot as it is, for a delivery it received already: answered once the receipt is stored, which may
    /// still be on its way (the grain is reentrant).</summary>
    private async Task<SlotSnapshot> AsReceivedAsync()
    {
        await EarlierWritesAsync();
        DropExpiredHolds();
        return Snapshot();
    }

    public Task<IndexedAvailability?> GetSupplyAsync()
    {
        EnsureUsable();
        DropExpiredHolds();
        return Task.FromResult(State.Exists ? Supply() : null);
    }

    /// <summary>Applies an operator's change to pools or expected supply and publishes the new availability.</summary>
    private async Task<SlotSnapshot?> ChangeAsync(SlotEvent change)
    {
        EnsureUsable();
        DropExpiredHolds();
        if (!State.Exists)
        {
            return null;
        }

        var written = Raise(change);
        var snapshot = Snapshot();
        await written;
        if (snapshot.Overcommitted > 0)
        {
            logger.LogWarning("{Slot} is overcommitted by {Overcommitted} after {Change}", _key, snapshot.Overcommitted, change.GetType().Name);
        }

        // Operators' changes are rare: wait for the index, so the next reservation plans with them.
        await IndexAsync();
        return snapshot;
    }

    /// <summary>Forgets lapsed holds. No event: the clock is the event, and a reload drops them again.</summary>
    private bool DropExpiredHolds()
    {
        var due = _expiries.PopDue(clock.UtcNow, State.Holds, static (holds, id, at) => holds.TryGetValue(id, out var hold) && hold.ExpiresAt == at);
        if (due.Count == 0)
        {
            return false;
        }

        State = State.WithoutHolds(due);
        logger.LogDebug("{Slot} released {Count} lapsed holds", _key, due.Count);
        return true;
    }

    /// <summary>Asks the silo's schedule for a call back when the next hold lapses, unless it is asked already.</summary>
    private void ScheduleRepublish()
    {
        if (_expiries.Next is not { } next || next == _republishAt)
        {
            return;
        }

        _republishAt = next;
        republishing.Add(this.GetPrimaryKeyString(), next);
    }

    private void Publish() => GrainFactory.Get<IArticleGrain>(_key.Sku).PublishAsync(Publication()).Ignore();

    /// <summary>Lists this slot in the article's index with its numbers and waits for it. If that fails, the index may
    /// not have them: the next change publishes whatever it is.</summary>
    private async Task IndexAsync()
    {
        try
        {
            await GrainFactory.Get<IArticleGrain>(_key.Sku).IndexLocationAsync(Publication());
            _listed = true;
        }
        catch
        {
            _published = null;
            throw;
        }
    }

    /// <summary>After a hold, a release or an allocation: publishes a rise at once and a fall once it is a twentieth of
    /// the number last published (<see cref="IndexDrift"/>). Operators' changes and an article's new activation still
    /// publish every time.</summary>
    private void PublishIfMoved()
    {
        if (PublicationMatters())
        {
            Publish();
        }
    }

    /// <summary>A slot with pools or expected supply publishes every change (those numbers are per channel and per
    /// date); any other publishes once its available units drift from what it last published (<see cref="IndexDrift"/>).
    /// A one-way publication can be lost (or dropped by the index as older than one it has, after the slot moved to a
    /// silo whose clock is behind), so a slot that changes also publishes once <see cref="IndexDrift.RefreshEvery"/>
    /// has passed since the last: a lost number is repaired within that.</summary>
    private bool PublicationMatters() =>
        !State.Pools.IsEmpty
        || !State.Inbound.IsEmpty
        || IndexDrift.Matters(_published, State.Available)
        || clock.UtcNow - _publishedAt >= IndexDrift.RefreshEvery;

    /// <summary>Publishes once a write answered early is durable; a failed write was logged and deactivates the grain.</summary>
    private async Task PublishOnceWrittenAsync(Task written)
    {
        await written;
        Publish();
    }

    /// <summary>Publications may arrive out of order; the stamp lets the index keep the newest. Wall-clock based so it
    /// keeps rising when the grain moves to another activation.</summary>
    private AvailabilityUpdate Publication()
    {
        _lastStamp = Math.Max(_lastStamp + 1, DateTime.UtcNow.Ticks);
        var supply = Supply();
        (_published, _publishedAt) = (supply.Available, clock.UtcNow);
        return new AvailabilityUpdate(_key.LocationId, supply.Available, _lastStamp, supply.Pools, supply.InTransit);
    }

    /// <summary>What the slot can promise: shared on hand, each pool's free units, and shared availability by each
    /// expected arrival (listed only where it adds to what is on hand).</summary>
    private IndexedAvailability Supply()
    {
        var available = State.Available;
        var pools = State.Pools.IsEmpty
            ? null
            : State.Pools.Keys.Order(StringComparer.Ordinal).Select(channel => new PoolAvailability(channel, State.PoolAvailable(channel))).ToList();
        var inTransit = State.Inbound.IsEmpty
            ? null
            : State.Inbound.Values.Select(b => b.Eta).Distinct().Order()
                .Select(eta => new InTransitAvailability(eta, Math.Max(0, State.SharedFree(eta))))
                .Where(point => point.Available > available)
                .ToList();
        return new IndexedAvailability(_key.LocationId, available, pools, inTransit);
    }

    private SlotSnapshot Snapshot() => new(
        _key.Sku,
        _key.LocationId,
        State.OnHand,
        State.SafetyStock,
        State.Held,
        State.Allocated,
        State.Available,
        State.Overcommitted,
        Version,
        State.Pools.IsEmpty ? null : State.Pools.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new PoolView(p.Key, p.Value, State.PoolHeld.GetValueOrDefault(p.Key), State.PoolAllocated.GetValueOrDefault(p.Key))).ToList(),
        State.Inbound.IsEmpty ? null : State.Inbound.OrderBy(b => b.Value.Eta).ThenBy(b => b.Key, StringComparer.Ordinal).Select(b => new InboundView(b.Key, b.Value.Quantity, b.Value.Eta)).ToList());
}
