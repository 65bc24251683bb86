using System.Collections.Immutable;
using Dom.Orders;

namespace Dom.Grains.Orders;

/// <summary>What an order stores. An order changes a few dozen times in its life and stays small, so each change
/// journals the whole state (one event type, <see cref="OrderChanged"/>), unlike the hot slot grains.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.state")]
public sealed record OrderState
{
    [Id(0)] public string Fingerprint { get; init; } = "";

    [Id(1)] public CreateOrderRequest? Request { get; init; }

    [Id(2)] public OrderView? View { get; init; }

    /// <summary>Fulfilment event ids seen, with the fingerprint of their body.</summary>
    [Id(3)] public ImmutableDictionary<string, string> Events { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>True once intake (risk check and routing) completed; an interrupted intake resumes from a reminder.</summary>
    [Id(4)] public bool Routed { get; init; }

    [Id(5)] public bool ReviewPending { get; init; }

    [Id(6)] public bool Rejected { get; init; }

    /// <summary>Counts routing attempts, so each one holds under its own id.</summary>
    [Id(7)] public int Attempts { get; init; }

    /// <summary>Units of each line already replaced after a wrong item (a report replaces only what is not yet).</summary>
    [Id(8)] public ImmutableDictionary<string, int> Replaced { get; init; } = ImmutableDictionary<string, int>.Empty;

    /// <summary>A routing stored before its holds became allocations, until they are recorded: after a crash or a
    /// failed save the next call finishes exactly this plan rather than routing again around the order's own
    /// allocations (which a new plan could not see as the order's).</summary>
    [Id(9)] public RoutingPlan? Pending { get; init; }
}

/// <summary>Where sourcing held an order's open units, under <paramref name="HoldId"/>.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.routing-plan")]
public sealed record RoutingPlan([property: Id(0)] string HoldId, [property: Id(1)] IReadOnlyList<PlannedAllocation> Parts);

/// <summary>Units of a line held at a location, to become the slot's allocation <paramref name="AllocationId"/>.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.planned-allocation")]
public sealed record PlannedAllocation(
    [property: Id(0)] string LineId,
    [property: Id(1)] string LocationId,
    [property: Id(2)] int Quantity,
    [property: Id(3)] string AllocationId);

[GenerateSerializer, Immutable, Alias("dom.orders.changed")]
public sealed record OrderChanged([property: Id(0)] OrderState State);
