using System.Collections.Immutable;
using Dom.Orders;
using Dom.Stock;

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

    /// <summary>What the change stored last still has to do at stock slots and locations. A change is stored before it
    /// touches them, so a failed save changes nothing anywhere; the effects follow, and are done again (each is
    /// idempotent) by the next call or the backorder reminder if the silo dies or a slot fails in between.</summary>
    [Id(10)] public OrderEffects? Effects { get; init; }

    /// <summary>A replacement for a wrong item, stored before the replacement order is created and until it is
    /// recorded: the next call creates exactly this one (the same id and units) rather than a new one.</summary>
    [Id(11)] public PendingReplacement? Replacing { get; init; }

    /// <summary>When the request was accepted (stored, ahead of its intake): the time the order was placed, however
    /// late the intake finishes. Null in states stored by earlier builds.</summary>
    [Id(12)] public DateTimeOffset? AcceptedAt { get; init; }

    /// <summary>How many notifications of the outbox are done with (delivered to the webhook, or skipped as too old):
    /// the outbox only grows, so the rest are due.</summary>
    [Id(13)] public int Sent { get; init; }

    /// <summary>Failed delivery attempts in a row, and when the next may be made (the back-off).</summary>
    [Id(14)] public int SendFailures { get; init; }

    [Id(15)] public DateTimeOffset? SendAfter { get; init; }

    /// <summary>What the promotions valid when the request was accepted take off its lines: worked out before it is
    /// stored, so the intake (however late it finishes) prices the order as it was placed.</summary>
    [Id(16)] public ImmutableList<PricedDiscount> Discounts { get; init; } = [];

    /// <summary>What the order tells the locations with a webhook of their own (a drop-ship partner's system): units
    /// released to them and units of theirs cancelled, in order; the first <see cref="NoticesSent"/> are done with.</summary>
    [Id(17)] public ImmutableList<LocationNotice> Notices { get; init; } = [];

    [Id(18)] public int NoticesSent { get; init; }

    /// <summary>Failed notice deliveries in a row, and when the next may be made: the notices' own back-off, so a
    /// location's endpoint down does not hold up the customer's messages, nor the customer's endpoint the notices.</summary>
    [Id(19)] public int NoticeFailures { get; init; }

    [Id(20)] public DateTimeOffset? NoticesAfter { get; init; }

    /// <summary>The parts the bundle lines of the request became when it was accepted (the components the bundles had
    /// then, and their shares of the price): the intake, however late it finishes, makes them the order's lines.
    /// <see cref="Discounts"/> name the parts, not the bundle lines.</summary>
    [Id(21)] public ImmutableList<PlannedPart> Parts { get; init; } = [];
}

/// <summary>Line <paramref name="LineId"/> of <paramref name="Quantity"/> units of <paramref name="Sku"/>: a part of the
/// bundle line <paramref name="Bundle"/> names.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.planned-part")]
public sealed record PlannedPart(
    [property: Id(0)] string LineId,
    [property: Id(1)] string Sku,
    [property: Id(2)] int Quantity,
    [property: Id(3)] BundlePart Bundle);

/// <summary>Units of line <paramref name="LineId"/> released to (<c>allocated</c>) or taken back from (<c>cancelled</c>)
/// location <paramref name="LocationId"/>, under the allocation <paramref name="AllocationKey"/>.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.location-notice")]
public sealed record LocationNotice(
    [property: Id(0)] string NoticeId,
    [property: Id(1)] string Type,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] string LocationId,
    [property: Id(4)] string LineId,
    [property: Id(5)] string Sku,
    [property: Id(6)] int Quantity,
    [property: Id(7)] string AllocationKey);

/// <summary>What promotion <paramref name="PromotionId"/> takes off line <paramref name="LineId"/>.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.priced-discount")]
public sealed record PricedDiscount(
    [property: Id(0)] string LineId,
    [property: Id(1)] string PromotionId,
    [property: Id(2)] string Name,
    [property: Id(3)] decimal Amount);

/// <summary>Replacement number <paramref name="Number"/> (its order id follows from it) for <paramref name="Quantity"/>
/// units of line <paramref name="LineId"/>.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.pending-replacement")]
public sealed record PendingReplacement(
    [property: Id(0)] string LineId,
    [property: Id(1)] int Number,
    [property: Id(2)] int Quantity);

/// <summary>Allocations to end at their slots, locations whose booking for the order goes back, and returned units to
/// book back into stock (null in effects stored by earlier builds).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.effects")]
public sealed record OrderEffects(
    [property: Id(0)] IReadOnlyList<AllocationEnding> Endings,
    [property: Id(1)] IReadOnlyList<string> ReleasedBookings,
    [property: Id(2)] IReadOnlyList<Restock>? Restocks = null)
{
    /// <summary>True when there is nothing to do.</summary>
    public bool IsEmpty => Endings.Count == 0 && ReleasedBookings.Count == 0 && (Restocks?.Count ?? 0) == 0;
}

/// <summary>Books <paramref name="Quantity"/> returned units of <paramref name="Sku"/> back into stock at
/// <paramref name="LocationId"/>, once (<paramref name="RestockId"/>).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.restock")]
public sealed record Restock(
    [property: Id(0)] string Sku,
    [property: Id(1)] string LocationId,
    [property: Id(2)] string RestockId,
    [property: Id(3)] int Quantity);

/// <summary>Ends slot allocation <paramref name="AllocationId"/> of <paramref name="Sku"/> at
/// <paramref name="LocationId"/> down to <paramref name="LeaveOpen"/> units (an absolute target: done twice, it ends
/// nothing more).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.allocation-ending")]
public sealed record AllocationEnding(
    [property: Id(0)] string Sku,
    [property: Id(1)] string LocationId,
    [property: Id(2)] string AllocationId,
    [property: Id(3)] int LeaveOpen,
    [property: Id(4)] AllocationEnd End);

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
