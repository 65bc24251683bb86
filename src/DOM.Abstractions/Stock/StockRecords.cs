namespace Dom.Stock;

/// <summary>Sets a slot's physical numbers, as counted by the location.</summary>
/// <param name="OnHand">Units physically at the location.</param>
/// <param name="SafetyStock">Units never promised to anyone.</param>
/// <param name="KeepSafetyStock">The count does not give safety stock: the slot's stays as it is
/// (<paramref name="SafetyStock"/> is not used).</param>
/// <param name="CountId">The count's idempotency key, when the location gives one: a retry of a count the slot has
/// stored changes nothing (units shipped since stay shipped), and the same key with other numbers is refused.</param>
[GenerateSerializer, Immutable, Alias("dom.stock.set-stock-request")]
public sealed record SetStockRequest(
    [property: Id(0)] int OnHand,
    [property: Id(1)] int SafetyStock,
    [property: Id(2)] bool KeepSafetyStock = false,
    [property: Id(3)] string? CountId = null);

/// <summary>How a stock count ended.</summary>
public enum SetStockStatus
{
    /// <summary>The numbers are stored.</summary>
    Set,

    /// <summary>The article does not exist; nothing changed.</summary>
    UnknownArticle,

    /// <summary>The location does not exist; nothing changed.</summary>
    UnknownLocation,

    /// <summary>The count's id was used for a count with other numbers; nothing changed.</summary>
    CountIdReused,

    /// <summary>Nothing of the article can be taken from a slot at that location (a bundle, which is stocked as its
    /// components; a physical article at a virtual location; a non-physical one elsewhere); nothing changed.</summary>
    NotStockable,
}

/// <summary>The answer to a <see cref="SetStockRequest"/>: the slot's numbers when <see cref="Status"/> is Set.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.set-stock-result")]
public sealed record SetStockResult(
    [property: Id(0)] SetStockStatus Status,
    [property: Id(1)] SlotSnapshot? Slot);

/// <summary>A slot's numbers at one moment.</summary>
/// <param name="Sku">The article.</param>
/// <param name="LocationId">The location.</param>
/// <param name="OnHand">Units physically at the location; below zero when units were shipped before their delivery's
/// receipt was posted (the receipt brings it back).</param>
/// <param name="SafetyStock">Units never promised.</param>
/// <param name="Held">Units held by live (unexpired) reservations.</param>
/// <param name="Allocated">Units allocated to orders.</param>
/// <param name="Available">What can still be promised: onHand − safetyStock − held − allocated, never below zero.</param>
/// <param name="Overcommitted">Units promised beyond what is on hand after a stock count lowered it; 0 normally.</param>
/// <param name="Version">Increases with every change of the slot.</param>
/// <param name="Pools">Units set aside per channel, with how many of them are held.</param>
/// <param name="InTransit">Expected supply with its ETA.</param>
[GenerateSerializer, Immutable, Alias("dom.stock.slot-snapshot")]
public sealed record SlotSnapshot(
    [property: Id(0)] string Sku,
    [property: Id(1)] string LocationId,
    [property: Id(2)] int OnHand,
    [property: Id(3)] int SafetyStock,
    [property: Id(4)] int Held,
    [property: Id(5)] int Allocated,
    [property: Id(6)] int Available,
    [property: Id(7)] int Overcommitted,
    [property: Id(8)] long Version,
    [property: Id(9)] IReadOnlyList<PoolView>? Pools = null,
    [property: Id(10)] IReadOnlyList<InboundView>? InTransit = null);

/// <summary>A channel pool of a slot: units set aside for one channel, how many of them its holds use, and how many its
/// open order allocations (converted from those holds) use.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.pool-view")]
public sealed record PoolView(
    [property: Id(0)] string Channel,
    [property: Id(1)] int Size,
    [property: Id(2)] int Held,
    [property: Id(3)] int Allocated = 0);

/// <summary>An expected delivery into a slot.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.inbound-view")]
public sealed record InboundView(
    [property: Id(0)] string BatchId,
    [property: Id(1)] int Quantity,
    [property: Id(2)] DateTimeOffset Eta);

/// <summary>Sets aside units of a slot for one channel; only that channel's holds may use them. Size 0 removes the pool.
/// Shrinking a pool below what its holds use moves the excess onto the shared stock.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.set-pool-request")]
public sealed record SetPoolRequest(
    [property: Id(0)] string Channel,
    [property: Id(1)] int Size);

/// <summary>Records (or replaces) an expected delivery: <paramref name="Quantity"/> units arriving at
/// <paramref name="Eta"/>. Quantity 0 removes it.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.set-inbound-request")]
public sealed record SetInboundRequest(
    [property: Id(0)] string BatchId,
    [property: Id(1)] int Quantity,
    [property: Id(2)] DateTimeOffset Eta);

/// <summary>How recording an expected delivery ended.</summary>
public enum InboundOutcome
{
    /// <summary>Recorded (or removed, for quantity 0).</summary>
    Recorded,

    /// <summary>The slot was never stocked.</summary>
    NotStocked,

    /// <summary>A delivery of that id was received already: nothing changed.</summary>
    AlreadyReceived,
}

/// <summary>How recording an expected delivery ended, and the slot after it.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.inbound-result")]
public sealed record InboundResult([property: Id(0)] InboundOutcome Outcome, [property: Id(1)] SlotSnapshot? Slot);

/// <summary>Units returned by a customer go back into on-hand stock; <paramref name="RestockId"/> is the idempotency
/// key.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.restock-request")]
public sealed record RestockRequest([property: Id(0)] string RestockId, [property: Id(1)] int Quantity);

/// <summary>An expected delivery arrived: its units join the on-hand stock.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.receive-inbound-request")]
public sealed record ReceiveInboundRequest([property: Id(0)] string BatchId);

/// <summary>Asks a slot to hold units for a reservation until <paramref name="ExpiresAt"/>.</summary>
/// <param name="HoldId">The idempotency key: a reservation id. Holding again with the same id and quantity is a no-op.</param>
/// <param name="Quantity">Units to hold, positive.</param>
/// <param name="Channel">The sales channel asking.</param>
/// <param name="ExpiresAt">When the hold lapses by itself and its units return.</param>
/// <param name="NeedBy">The latest arrival the hold can wait for: in-transit supply arriving by then may cover it.
/// Null: on-hand units only.</param>
/// <param name="KeepFree">Units the hold must leave available to this channel (the reserve kept for priority orders);
/// 0 lets it take the last unit.</param>
/// <param name="AnswerEarlyOn">The engine's own sourcing only: the caller's silo. A slot on that silo answers as soon
/// as the hold is decided, with a ticket for its write (the caller then stores nothing that rests on the hold before
/// the hold itself); elsewhere, and when null, it answers once the hold is durable.</param>
[GenerateSerializer, Immutable, Alias("dom.stock.hold-request")]
public sealed record HoldRequest(
    [property: Id(0)] string HoldId,
    [property: Id(1)] int Quantity,
    [property: Id(2)] string Channel,
    [property: Id(3)] DateTimeOffset ExpiresAt,
    [property: Id(4)] DateTimeOffset? NeedBy = null,
    [property: Id(5)] int KeepFree = 0,
    [property: Id(6)] SiloAddress? AnswerEarlyOn = null);

/// <summary>How a hold request ended.</summary>
public enum HoldStatus
{
    /// <summary>The units are held now.</summary>
    Held,

    /// <summary>The same hold already existed; nothing changed.</summary>
    AlreadyHeld,

    /// <summary>Not enough available; nothing changed.</summary>
    Refused,

    /// <summary>The hold id is in use with another quantity; nothing changed.</summary>
    Conflict,

    /// <summary>The slot has never been stocked; nothing changed.</summary>
    UnknownSlot,
}

/// <summary>The answer to a <see cref="HoldRequest"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Available">The slot's available units after the request.</param>
/// <param name="Ticket">Set when the hold was answered before its write is durable (see
/// <see cref="HoldRequest.AnswerEarlyOn"/>): the ticket for that write on the caller's silo.</param>
[GenerateSerializer, Immutable, Alias("dom.stock.hold-result")]
public sealed record HoldResult(
    [property: Id(0)] HoldStatus Status,
    [property: Id(1)] int Available,
    [property: Id(2)] long? Ticket = null)
{
    /// <summary>True when the units are held (now or before).</summary>
    public bool Succeeded => Status is HoldStatus.Held or HoldStatus.AlreadyHeld;
}

/// <summary>Releases a hold early. Releasing an unknown or lapsed hold is a no-op.</summary>
/// <param name="HoldId">The hold's id.</param>
[GenerateSerializer, Immutable, Alias("dom.stock.release-request")]
public sealed record ReleaseRequest([property: Id(0)] string HoldId);

/// <summary>The answer to a <see cref="ReleaseRequest"/>.</summary>
/// <param name="Released">True when a live hold was released by this call.</param>
/// <param name="Available">The slot's available units after the request.</param>
[GenerateSerializer, Immutable, Alias("dom.stock.release-result")]
public sealed record ReleaseResult(
    [property: Id(0)] bool Released,
    [property: Id(1)] int Available);

/// <summary>Allocates units of a slot to an order line, converting the order's or reservation's hold when named.</summary>
/// <param name="AllocationId">The idempotency key: <c>{orderId}/{lineId}</c>.</param>
/// <param name="Quantity">Units, positive.</param>
/// <param name="FromHoldId">A hold on this slot whose units become the allocation (not counted twice).</param>
[GenerateSerializer, Immutable, Alias("dom.stock.allocate-request")]
public sealed record AllocateRequest(
    [property: Id(0)] string AllocationId,
    [property: Id(1)] int Quantity,
    [property: Id(2)] string? FromHoldId);

/// <summary>How an allocation request ended.</summary>
public enum AllocateStatus
{
    /// <summary>Allocated now.</summary>
    Allocated,

    /// <summary>The same allocation existed already; nothing changed.</summary>
    AlreadyAllocated,

    /// <summary>Not enough available (or the id is in use with another quantity); nothing changed.</summary>
    Refused,

    /// <summary>The slot was never stocked; nothing changed.</summary>
    UnknownSlot,
}

/// <summary>The answer to an <see cref="AllocateRequest"/>.</summary>
[GenerateSerializer, Immutable, Alias("dom.stock.allocate-result")]
public sealed record AllocateResult(
    [property: Id(0)] AllocateStatus Status,
    [property: Id(1)] int Available)
{
    /// <summary>True when the units are allocated (now or before).</summary>
    public bool Succeeded => Status is AllocateStatus.Allocated or AllocateStatus.AlreadyAllocated;
}

/// <summary>What becomes of an allocation's open units.</summary>
public enum AllocationEnd
{
    /// <summary>Cancelled: the units return to the slot's available stock.</summary>
    Released,

    /// <summary>The location did not find them: they are written off the slot's on-hand stock.</summary>
    WrittenOff,

    /// <summary>Shipped or handed over: they leave on-hand stock.</summary>
    Shipped,
}

/// <summary>Ends an allocation's open units down to <paramref name="LeaveOpen"/>. Stated as what remains rather than
/// as a delta, so a retried request ends nothing twice.</summary>
/// <param name="AllocationId">The allocation.</param>
/// <param name="LeaveOpen">Units that stay allocated afterwards; 0 ends them all.</param>
/// <param name="End">What becomes of the ended units.</param>
[GenerateSerializer, Immutable, Alias("dom.stock.end-allocation")]
public sealed record EndAllocationRequest(
    [property: Id(0)] string AllocationId,
    [property: Id(1)] int LeaveOpen,
    [property: Id(2)] AllocationEnd End);
