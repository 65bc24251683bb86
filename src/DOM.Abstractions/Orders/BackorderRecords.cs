namespace Dom.Orders;

/// <summary>Order <paramref name="OrderId"/>, placed at <paramref name="PlacedAt"/> (a priority order:
/// <paramref name="Priority"/>), waits for supply of the queue's SKU.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.backorder-entry")]
public sealed record BackorderEntry(
    [property: Id(0)] string OrderId,
    [property: Id(1)] DateTimeOffset PlacedAt,
    [property: Id(2)] bool Priority);

/// <summary>
/// The orders waiting for supply of one SKU (the key), served first come, first served: priority orders first, then by
/// when they were placed. When units of the SKU become available somewhere (the article's index sees a slot's number
/// rise), once a minute while any wait, and when an operator asks, each is routed again in that order,
/// so units that arrive go to the orders that waited longest; an order that cannot be supplied yet (it wants more than
/// arrived) does not hold up a later one that can be. Orders join and leave after they stored the change, in calls that
/// interleave with a pass (which may be routing that very order, and waiting for it).
/// </summary>
[Alias("dom.orders.backorder-queue")]
public interface IBackorderQueueGrain : IGrainWithStringKey
{
    /// <summary>Adds the order, or keeps it where it is (idempotent).</summary>
    [Alias("join"), AlwaysInterleave]
    Task JoinAsync(BackorderEntry entry);

    /// <summary>Takes the order out (idempotent).</summary>
    [Alias("leave"), AlwaysInterleave]
    Task LeaveAsync(string orderId);

    /// <summary>Routes the waiting orders again, first come first: an order no longer waiting for the SKU (supplied,
    /// cancelled, or gone) leaves the queue. Answers the queue after the pass.</summary>
    [Alias("serve")]
    Task<IReadOnlyList<BackorderEntry>> ServeAsync();

    /// <summary>Units of the SKU became available; <paramref name="supply"/>: what the article's index now shows (units
    /// available, set aside for channels and on their way, at every location). A pass starts unless one is under way,
    /// and then one follows it (so the units a pass may have missed are served), unless the last pass supplied nobody
    /// and the supply is no more than when it began (a pass's own releases bring it back to that). A queue nobody waits in
    /// does nothing. Fire and forget.</summary>
    [Alias("wake"), OneWay, AlwaysInterleave]
    Task WakeAsync(int supply);

    /// <summary>The waiting orders in the order they are served.</summary>
    [Alias("get"), ReadOnly]
    Task<IReadOnlyList<BackorderEntry>> GetAsync();
}
