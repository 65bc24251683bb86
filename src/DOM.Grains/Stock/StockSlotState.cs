using System.Collections.Immutable;

namespace Dom.Grains.Stock;

/// <summary>A live hold on a slot.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.slot-hold")]
public sealed record SlotHold(
    [property: Id(0)] int Quantity,
    [property: Id(1)] string Channel,
    [property: Id(2)] DateTimeOffset ExpiresAt);

/// <summary>What a stock slot stores.</summary>
[GenerateSerializer, Alias("dom.stock.slot-state")]
public sealed record StockSlotState
{
    [Id(0)] public bool Exists { get; init; }

    [Id(1)] public int OnHand { get; init; }

    [Id(2)] public int SafetyStock { get; init; }

    [Id(3)] public ImmutableDictionary<string, SlotHold> Holds { get; init; } = ImmutableDictionary<string, SlotHold>.Empty;

    [Id(4)] public int Allocated { get; init; }

    [Id(5)] public long Version { get; init; }
}
