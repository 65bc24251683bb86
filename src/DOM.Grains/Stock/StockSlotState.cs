using System.Collections.Immutable;

namespace Dom.Grains.Stock;

/// <summary>A live hold on a slot.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.slot-hold")]
public sealed record SlotHold(
    [property: Id(0)] int Quantity,
    [property: Id(1)] string Channel,
    [property: Id(2)] DateTimeOffset ExpiresAt);

/// <summary>A stock slot's state: the fold of its events (and the clock, which drops lapsed holds).</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.slot-state")]
public sealed record StockSlotState
{
    [Id(0)] public bool Exists { get; init; }

    [Id(1)] public int OnHand { get; init; }

    [Id(2)] public int SafetyStock { get; init; }

    [Id(3)] public ImmutableDictionary<string, SlotHold> Holds { get; init; } = ImmutableDictionary<string, SlotHold>.Empty;

    [Id(4)] public int Allocated { get; init; }

    /// <summary>The sum of <see cref="Holds"/>' quantities, kept so availability is O(1).</summary>
    [Id(5)] public int Held { get; init; }

    /// <summary>Open allocation units by allocation id (<c>{orderId}/{lineId}</c>); their sum is <see cref="Allocated"/>.</summary>
    [Id(6)] public ImmutableDictionary<string, int> Allocations { get; init; } = ImmutableDictionary<string, int>.Empty;

    public int Available => Math.Max(0, OnHand - SafetyStock - Held - Allocated);

    public int Overcommitted => Math.Max(0, Held + Allocated - (OnHand - SafetyStock));

    public StockSlotState WithoutHolds(IReadOnlyCollection<string> ids) =>
        this with { Holds = Holds.RemoveRange(ids), Held = Held - ids.Sum(id => Holds[id].Quantity) };
}

/// <summary>What happens to a slot. Stored in the journal: never reorder or renumber members.</summary>
[GenerateSerializer, Alias("dom.stock.slot-event")]
public abstract record SlotEvent;

/// <summary>A stock count.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.stock-counted")]
public sealed record StockCounted([property: Id(0)] int OnHand, [property: Id(1)] int SafetyStock) : SlotEvent;

/// <summary>Units held for a reservation until a time.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.hold-placed")]
public sealed record HoldPlaced(
    [property: Id(0)] string HoldId,
    [property: Id(1)] int Quantity,
    [property: Id(2)] string Channel,
    [property: Id(3)] DateTimeOffset ExpiresAt) : SlotEvent;

/// <summary>A hold released before its expiry.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.hold-released")]
public sealed record HoldReleased([property: Id(0)] string HoldId) : SlotEvent;

/// <summary>Units allocated to an order line, converting a hold if one is named.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.allocated")]
public sealed record UnitsAllocated([property: Id(0)] string AllocationId, [property: Id(1)] int Quantity, [property: Id(2)] string? FromHoldId) : SlotEvent;

/// <summary>Open units of an allocation ended: released back, written off, or shipped.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.allocation-ended")]
public sealed record AllocationEnded([property: Id(0)] string AllocationId, [property: Id(1)] int Quantity, [property: Id(2)] Dom.Stock.AllocationEnd End) : SlotEvent;
