using System.Collections.Immutable;
using Dom.Grains.Hosting;
using Dom.Stock;

namespace Dom.Grains.Stock;

/// <summary>A live hold on a slot.</summary>
/// <param name="Quantity">Units held.</param>
/// <param name="Channel">The channel that holds them.</param>
/// <param name="ExpiresAt">When the hold lapses.</param>
/// <param name="FromPool">Units taken from the channel's pool (the rest from the shared stock).</param>
/// <param name="NeedBy">The latest arrival the hold's shared units may wait for; null: on hand only.</param>
[GenerateSerializer, Immutable, Alias("dom.stock.slot-hold")]
public sealed record SlotHold(
    [property: Id(0)] int Quantity,
    [property: Id(1)] string Channel,
    [property: Id(2)] DateTimeOffset ExpiresAt,
    [property: Id(3)] int FromPool = 0,
    [property: Id(4)] DateTimeOffset? NeedBy = null)
{
    /// <summary>Units on the shared stock that may wait for supply arriving by <see cref="NeedBy"/>.</summary>
    public int WaitingShare => NeedBy is null ? 0 : Quantity - FromPool;
}

/// <summary>Shared units of an allocation that may still wait for supply arriving by <paramref name="NeedBy"/>: those of
/// the hold it converted.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.waiting-share")]
public sealed record WaitingShare(
    [property: Id(0)] DateTimeOffset NeedBy,
    [property: Id(1)] int Units);

/// <summary>Units of a channel's pool an allocation uses.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.pool-share")]
public sealed record PoolShare(
    [property: Id(0)] string Channel,
    [property: Id(1)] int Units);

/// <summary>An expected delivery.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.inbound-batch")]
public sealed record InboundBatch(
    [property: Id(0)] int Quantity,
    [property: Id(1)] DateTimeOffset Eta);

/// <summary>
/// A stock slot's state: the fold of its events (and the clock, which drops lapsed holds).
/// <para>Shared supply is on hand less safety stock less the pools. Each channel's holds take its pool first; the rest
/// is shared demand, either on hand only or able to wait for supply arriving by its need-by date. A promise is kept
/// when for every date t the shared demand due by t is at most the shared supply by t (on hand plus arrivals by t):
/// the slack at each date bounds what can still be promised for that date or earlier.</para>
/// </summary>
/// <para>Owned by the slot's one activation: holds are changed in place (<see cref="OwnedMap{TKey, TValue}"/>), so a state
/// is never shared or kept after the next event.</para>
[GenerateSerializer, Alias("dom.stock.slot-state")]
public sealed record StockSlotState
{
    [Id(0)] public bool Exists { get; init; }

    [Id(1)] public int OnHand { get; init; }

    [Id(2)] public int SafetyStock { get; init; }

    [Id(3)] public OwnedMap<string, SlotHold> Holds { get; init; } = new();

    [Id(4)] public int Allocated { get; init; }

    /// <summary>The sum of <see cref="Holds"/>' quantities, kept so availability is O(1).</summary>
    [Id(5)] public int Held { get; init; }

    /// <summary>Open allocation units by allocation id (<c>{orderId}/{lineId}</c>); their sum is <see cref="Allocated"/>.</summary>
    [Id(6)] public ImmutableDictionary<string, int> Allocations { get; init; } = ImmutableDictionary<string, int>.Empty;

    /// <summary>Units set aside per channel.</summary>
    [Id(7)] public ImmutableDictionary<string, int> Pools { get; init; } = ImmutableDictionary<string, int>.Empty;

    /// <summary>Units of each channel's pool its holds use.</summary>
    [Id(8)] public ImmutableDictionary<string, int> PoolHeld { get; init; } = ImmutableDictionary<string, int>.Empty;

    /// <summary>Expected deliveries by batch id.</summary>
    [Id(9)] public ImmutableDictionary<string, InboundBatch> Inbound { get; init; } = ImmutableDictionary<string, InboundBatch>.Empty;

    /// <summary>Shared units held by need-by date (holds that may wait for in-transit supply; the allocations that
    /// converted such holds are in <see cref="AllocationWaits"/>).</summary>
    [Id(10)] public ImmutableSortedDictionary<DateTimeOffset, int> Waiting { get; init; } = ImmutableSortedDictionary<DateTimeOffset, int>.Empty;

    /// <summary>The pool units of open allocations that converted a pool hold, by allocation id: an order keeps using
    /// the pool its reservation held from until its units ship or are released.</summary>
    [Id(11)] public ImmutableDictionary<string, PoolShare> AllocationPools { get; init; } = ImmutableDictionary<string, PoolShare>.Empty;

    /// <summary>Units of each channel's pool its open allocations use (the sums of <see cref="AllocationPools"/>).</summary>
    [Id(12)] public ImmutableDictionary<string, int> PoolAllocated { get; init; } = ImmutableDictionary<string, int>.Empty;

    /// <summary>The deliveries received last, oldest first (at most <see cref="ReceivedKept"/>): a delivery is booked in
    /// once, and a retried or late notice of one received is not expected again.</summary>
    [Id(13)] public ImmutableList<string> Received { get; init; } = [];

    /// <summary>How many received deliveries a slot remembers: years of daily deliveries of one article to one
    /// location, far longer than a notice of one is retried or sent late (a hundred, once, was weeks at a busy slot).
    /// An older silo keeps the last hundred of them.</summary>
    public const int ReceivedKept = 1_000;

    /// <summary>The waiting shares of open allocations that converted a hold able to wait for supply, by allocation id:
    /// an order keeps the promise its reservation was given (until its units ship or are released).</summary>
    [Id(14)] public ImmutableDictionary<string, WaitingShare> AllocationWaits { get; init; } = ImmutableDictionary<string, WaitingShare>.Empty;

    /// <summary>The counts stored under a key last, oldest first (at most <see cref="CountsKept"/>): a retried count
    /// changes nothing.</summary>
    [Id(15)] public ImmutableList<RecordedCount> Counts { get; init; } = [];

    /// <summary>How many keyed counts a slot remembers: far more than are made while one can still be retried.</summary>
    public const int CountsKept = 100;

    /// <summary><paramref name="list"/> with <paramref name="item"/> added last, the oldest dropped beyond
    /// <paramref name="kept"/>: what a slot remembers of its received deliveries and keyed counts.</summary>
    public static ImmutableList<T> Remember<T>(ImmutableList<T> list, T item, int kept) => (list.Count < kept ? list : list.RemoveAt(0)).Add(item);

    /// <summary>What can be promised on hand to any channel now: the smallest slack over all dates, never below zero.</summary>
    public int Available => Math.Max(0, SharedFree(null));

    /// <summary>Units promised beyond what will be there: after a count lowered the stock below the holds and
    /// allocations. A pool larger than what is left promises nothing and is not counted; safety stock is never promised,
    /// so a count below it breaks no promise. A slot shipped below zero (<see cref="WithAllocationEnded"/>) breaks no
    /// more promises than it has.</summary>
    public int Overcommitted => Math.Max(0, Math.Min(Held + Allocated, -Slack(null, setAside: 0, keepSafetyStock: false)));

    /// <summary>Units of <paramref name="channel"/>'s pool its holds and open allocations use.</summary>
    public int PoolUsed(string channel) => PoolHeld.GetValueOrDefault(channel) + PoolAllocated.GetValueOrDefault(channel);

    /// <summary>Units of <paramref name="channel"/>'s pool not yet used (whether or not they are on hand).</summary>
    public int PoolFree(string channel) => Math.Max(0, Pools.GetValueOrDefault(channel) - PoolUsed(channel));

    /// <summary>What <paramref name="channel"/> may take with supply arriving by <paramref name="needBy"/>: its pool's
    /// free units and the shared slack, never more than is there (a pool larger than the stock left gives only that).</summary>
    /// <remarks>Pools that together set aside more than is left (a count lowered the stock below them) cannot all be
    /// kept: each channel may then take up to its pool's free units from what is there, first come first served,
    /// rather than each being held to what the other pools leave (which left units nobody could take).</remarks>
    public int AvailableTo(string channel, DateTimeOffset? needBy)
    {
        var shared = SharedFree(needBy);
        var own = Pools.IsEmpty ? 0 : PoolFree(channel);
        if (own == 0)
        {
            return Math.Max(0, shared);
        }

        return shared >= 0 ? own + shared : Math.Max(0, Math.Min(own, Slack(needBy, setAside: 0)));
    }

    /// <summary>The free units of <paramref name="channel"/>'s pool that are there to take now (what the index is told).</summary>
    public int PoolAvailable(string channel) => PoolFree(channel) is > 0 and var free ? Math.Min(free, AvailableTo(channel, null)) : 0;

    /// <summary>The shared units a hold due by <paramref name="needBy"/> (null: on hand only) may still take: the smallest
    /// slack at that date and every later need-by date, less every pool's free units (negative when overcommitted, or
    /// when the pools set aside more than is left).</summary>
    public int SharedFree(DateTimeOffset? needBy)
    {
        // The empty check keeps the common slot (no pools) free of enumerator allocations.
        var setAside = 0;
        if (!Pools.IsEmpty)
        {
            foreach (var channel in Pools.Keys)
            {
                setAside += PoolFree(channel);
            }
        }

        return Slack(needBy, setAside);
    }

    /// <summary>Supply (on hand, less safety stock unless <paramref name="keepSafetyStock"/> is false and less
    /// <paramref name="setAside"/>, plus arrivals) less demand (every hold and allocation, pool units included: they are
    /// on hand too) at <paramref name="needBy"/> and every later need-by date, the smallest of those.</summary>
    private int Slack(DateTimeOffset? needBy, int setAside, bool keepSafetyStock = true)
    {
        var waitingByDate = AllocationWaits.IsEmpty ? Waiting : WaitingWithAllocations();
        var waiting = 0;
        if (!waitingByDate.IsEmpty)
        {
            foreach (var units in waitingByDate.Values)
            {
                waiting += units;
            }
        }

        var supply = OnHand - (keepSafetyStock ? SafetyStock : 0) - setAside;
        var dueNow = Held - waiting + Allocated;
        var free = needBy is null ? supply - dueNow : int.MaxValue;
        if (waitingByDate.IsEmpty && Inbound.IsEmpty)
        {
            return free == int.MaxValue ? supply - dueNow : free;
        }

        // Slack at a date t: supply on hand and arriving by t, less what is due by t. Checked at the need-by date asked
        // for and at every later need-by date (demand steps); arrivals only add slack.
        var due = dueNow;
        var checkAsked = needBy is not null;
        foreach (var (date, units) in waitingByDate)
        {
            if (checkAsked && needBy < date)
            {
                free = Math.Min(free, supply + Arrived(needBy.Value) - due);
                checkAsked = false;
            }

            due += units;
            if (needBy is null || date >= needBy)
            {
                free = Math.Min(free, supply + Arrived(date) - due);
            }
        }

        if (checkAsked)
        {
            free = Math.Min(free, supply + Arrived(needBy!.Value) - due);
        }

        return free;
    }

    /// <summary>The holds' waiting units by need-by date with the allocations' added. Kept apart in the state, so a silo
    /// of an earlier build, which knows no allocation waits, counts those allocations as due now (never as waiting
    /// units nobody takes out again).</summary>
    private ImmutableSortedDictionary<DateTimeOffset, int> WaitingWithAllocations()
    {
        var all = Waiting.ToBuilder();
        foreach (var share in AllocationWaits.Values)
        {
            all[share.NeedBy] = all.GetValueOrDefault(share.NeedBy) + share.Units;
        }

        return all.ToImmutable();
    }

    /// <summary>The expected deliveries arriving by <paramref name="by"/>.</summary>
    public int Arrived(DateTimeOffset by)
    {
        var units = 0;
        foreach (var batch in Inbound.Values)
        {
            units += batch.Eta <= by ? batch.Quantity : 0;
        }

        return units;
    }

    /// <summary>Adds (or replaces) a hold: the holds in place, their sums anew.</summary>
    public StockSlotState WithHold(string id, SlotHold hold)
    {
        var state = Without(id);
        state.Holds.Values[id] = hold;
        return state with
        {
            Held = state.Held + hold.Quantity,
            PoolHeld = hold.FromPool > 0 ? state.PoolHeld.SetItem(hold.Channel, state.PoolHeld.GetValueOrDefault(hold.Channel) + hold.FromPool) : state.PoolHeld,
            Waiting = hold.WaitingShare > 0 ? state.Waiting.SetItem(hold.NeedBy!.Value, state.Waiting.GetValueOrDefault(hold.NeedBy.Value) + hold.WaitingShare) : state.Waiting,
        };
    }

    /// <summary>Allocates units to an order line, converting the hold <paramref name="fromHoldId"/> if it is there: the
    /// pool units that hold used stay used by the allocation.</summary>
    public StockSlotState WithAllocation(string id, int quantity, string? fromHoldId)
    {
        var state = this;
        PoolShare? share = null;
        WaitingShare? waits = null;
        if (fromHoldId is not null && Holds.TryGetValue(fromHoldId, out var hold))
        {
            // The allocation's units are the hold's pool units first (on hand), then its waiting ones: part of a hold
            // (one line of several under it) counts each unit once, never as both.
            share = hold.FromPool > 0 ? new PoolShare(hold.Channel, Math.Min(hold.FromPool, quantity)) : null;
            var waiting = Math.Min(hold.WaitingShare, quantity - (share?.Units ?? 0));
            waits = waiting > 0 ? new WaitingShare(hold.NeedBy!.Value, waiting) : null;
            state = Without(fromHoldId);
        }

        return state with
        {
            Allocations = state.Allocations.SetItem(id, quantity),
            Allocated = state.Allocated + quantity,
            AllocationPools = share is null ? state.AllocationPools : state.AllocationPools.SetItem(id, share),
            PoolAllocated = share is null ? state.PoolAllocated : state.PoolAllocated.SetItem(share.Channel, state.PoolAllocated.GetValueOrDefault(share.Channel) + share.Units),
            AllocationWaits = waits is null ? state.AllocationWaits : state.AllocationWaits.SetItem(id, waits),
        };
    }

    /// <summary>Ends <paramref name="quantity"/> open units of an allocation: shipped or written off (they leave the
    /// stock) or released (they stay). Its shared units end first, its pool units last. Shipped units leave on-hand
    /// stock even when the books do not have them yet (a delivery shipped on before its receipt was posted): on-hand
    /// goes below zero until the receipt or a count brings it back, so the receipt adds nothing that is gone. Units
    /// written off are only what is on the books (a count may have taken them off already).</summary>
    /// <param name="id">The allocation.</param>
    /// <param name="quantity">The units that end.</param>
    /// <param name="end">What becomes of them.</param>
    /// <param name="belowZero">False for an event stored by an earlier build, which clamped shipped units at zero:
    /// replayed as it was acknowledged.</param>
    public StockSlotState WithAllocationEnded(string id, int quantity, AllocationEnd end, bool belowZero = true)
    {
        var left = Allocations.GetValueOrDefault(id) - quantity;
        var state = this with
        {
            Allocations = left > 0 ? Allocations.SetItem(id, left) : Allocations.Remove(id),
            Allocated = Allocated - quantity,
            OnHand = end switch
            {
                AllocationEnd.Released => OnHand,
                AllocationEnd.Shipped => belowZero ? OnHand - quantity : Math.Max(0, OnHand - quantity),
                // Never raises on-hand: below zero (shipped ahead of a receipt) there is nothing on the books to write off.
                _ => OnHand > 0 ? Math.Max(0, OnHand - quantity) : OnHand,
            },
        };
        // Its shared units end first and its pool units last: the units still open are its pool units as far as they
        // go, and wait at most as before with the rest (each unit counted once, as pool or as waiting).
        var kept = Math.Max(0, left);
        var poolKept = AllocationPools.TryGetValue(id, out var share) ? Math.Min(share.Units, kept) : 0;
        if (AllocationWaits.TryGetValue(id, out var waits) && waits.Units > kept - poolKept)
        {
            // The units still open wait at most as before; those that ended wait no more.
            var stillWaiting = kept - poolKept;
            state = state with { AllocationWaits = stillWaiting > 0 ? AllocationWaits.SetItem(id, waits with { Units = stillWaiting }) : AllocationWaits.Remove(id) };
        }

        if (share is null || share.Units <= kept)
        {
            return state;
        }

        return state with
        {
            AllocationPools = kept > 0 ? state.AllocationPools.SetItem(id, share with { Units = kept }) : state.AllocationPools.Remove(id),
            PoolAllocated = Decrease(state.PoolAllocated, share.Channel, share.Units - kept),
        };
    }

    public StockSlotState WithoutHolds(IReadOnlyCollection<string> ids)
    {
        var state = this;
        foreach (var id in ids)
        {
            state = state.Without(id);
        }

        return state;
    }

    private StockSlotState Without(string id)
    {
        if (!Holds.Values.Remove(id, out var hold))
        {
            return this;
        }

        return this with
        {
            Held = Held - hold.Quantity,
            PoolHeld = hold.FromPool > 0 ? Decrease(PoolHeld, hold.Channel, hold.FromPool) : PoolHeld,
            Waiting = hold.WaitingShare > 0 ? Decrease(Waiting, hold.NeedBy!.Value, hold.WaitingShare) : Waiting,
        };
    }

    private static ImmutableDictionary<string, int> Decrease(ImmutableDictionary<string, int> counts, string key, int by) =>
        counts.GetValueOrDefault(key) - by is var left and > 0 ? counts.SetItem(key, left) : counts.Remove(key);

    private static ImmutableSortedDictionary<DateTimeOffset, int> Decrease(ImmutableSortedDictionary<DateTimeOffset, int> counts, DateTimeOffset key, int by) =>
        counts.GetValueOrDefault(key) - by is var left and > 0 ? counts.SetItem(key, left) : counts.Remove(key);
}

/// <summary>What happens to a slot. Stored in the journal: never reorder or renumber members.</summary>
[GenerateSerializer, Alias("dom.stock.slot-event")]
public abstract record SlotEvent;

/// <summary>A stock count, with the location's key for it when it gave one.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.stock-counted")]
public sealed record StockCounted([property: Id(0)] int OnHand, [property: Id(1)] int SafetyStock, [property: Id(2)] string? CountId = null) : SlotEvent;

/// <summary>A count the slot stored under its key, with the numbers it set.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.recorded-count")]
public sealed record RecordedCount([property: Id(0)] string CountId, [property: Id(1)] int OnHand, [property: Id(2)] int SafetyStock);

/// <summary>Units held for a reservation until a time: <paramref name="FromPool"/> of them from the channel's pool,
/// the rest shared, able to wait for supply arriving by <paramref name="NeedBy"/> when set.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.hold-placed")]
public sealed record HoldPlaced(
    [property: Id(0)] string HoldId,
    [property: Id(1)] int Quantity,
    [property: Id(2)] string Channel,
    [property: Id(3)] DateTimeOffset ExpiresAt,
    [property: Id(4)] int FromPool = 0,
    [property: Id(5)] DateTimeOffset? NeedBy = null) : SlotEvent;

/// <summary>A hold released before its expiry.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.hold-released")]
public sealed record HoldReleased([property: Id(0)] string HoldId) : SlotEvent;

/// <summary>Units allocated to an order line, converting a hold if one is named.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.allocated")]
public sealed record UnitsAllocated([property: Id(0)] string AllocationId, [property: Id(1)] int Quantity, [property: Id(2)] string? FromHoldId) : SlotEvent;

/// <summary>Open units of an allocation ended: released back, written off, or shipped.</summary>
/// <param name="AllocationId">The allocation.</param>
/// <param name="Quantity">The units ended.</param>
/// <param name="End">What became of them.</param>
/// <param name="BelowZero">Shipped units may take on-hand below zero (this build's rule); false in events an earlier
/// build stored, which clamped on-hand at zero, so they replay as they were acknowledged.</param>
[GenerateSerializer, Immutable, Alias("dom.stock.allocation-ended")]
public sealed record AllocationEnded(
    [property: Id(0)] string AllocationId,
    [property: Id(1)] int Quantity,
    [property: Id(2)] AllocationEnd End,
    [property: Id(3)] bool BelowZero = false) : SlotEvent;

/// <summary>A channel pool resized (0 removes it).</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.pool-sized")]
public sealed record PoolSized([property: Id(0)] string Channel, [property: Id(1)] int Size) : SlotEvent;

/// <summary>An expected delivery recorded or replaced (quantity 0 removes it).</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.inbound-expected")]
public sealed record InboundExpected([property: Id(0)] string BatchId, [property: Id(1)] int Quantity, [property: Id(2)] DateTimeOffset Eta) : SlotEvent;

/// <summary>Units a customer returned joined the on-hand stock (remembered with the received deliveries, so a retried
/// restock books nothing again).</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.units-returned")]
public sealed record UnitsReturned([property: Id(0)] string RestockId, [property: Id(1)] int Quantity) : SlotEvent;

/// <summary>An expected delivery arrived and joined the on-hand stock.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.inbound-received")]
public sealed record InboundReceived([property: Id(0)] string BatchId) : SlotEvent;
