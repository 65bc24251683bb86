using System.Text.Json.Serialization;
using Dom.Reservations;

namespace Dom.Orders;

/// <summary>How the goods reach the customer.</summary>
public enum DeliveryMethod
{
    /// <summary>Shipped to the address.</summary>
    Ship,

    /// <summary>Picked up at a store (click &amp; collect).</summary>
    Pickup,
}

/// <summary>A postal address with its position (used for routing).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.address")]
public sealed record Address(
    [property: Id(0)] string Country,
    [property: Id(1)] double Latitude,
    [property: Id(2)] double Longitude,
    [property: Id(3)] string? Street,
    [property: Id(4)] string? PostalCode,
    [property: Id(5)] string? City);

/// <summary>Delivery of an order: shipping to an address or pickup at a store.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.delivery")]
public sealed record Delivery(
    [property: Id(0)] DeliveryMethod Method,
    [property: Id(1)] Address Address,
    [property: Id(2)] string? PickupLocationId);

/// <summary>Customer data a channel transfers with an order; creates or updates the customer. <paramref name="Language"/>:
/// the language the customer's messages are written in (BCP 47: <c>de</c>, <c>de-AT</c>; null: the configured
/// default).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.customer-data")]
public sealed record CustomerData(
    [property: Id(0)] string? Email,
    [property: Id(1)] string? Name,
    [property: Id(2)] string? Language = null);

/// <summary>A payment tender as the channel reports it (captured later, per shipment).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.payment")]
public sealed record Payment(
    [property: Id(0)] string Method,
    [property: Id(1)] string? Instrument,
    [property: Id(2)] decimal Amount);

/// <summary>An ordered line; <paramref name="LineId"/> is unique within the order.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.line-request")]
public sealed record OrderLineRequest(
    [property: Id(0)] string LineId,
    [property: Id(1)] string Sku,
    [property: Id(2)] int Quantity,
    [property: Id(3)] decimal UnitPrice);

/// <summary>An order from any channel. <paramref name="OrderId"/> is the idempotency key. <paramref name="DeliveryCharge"/>:
/// what the customer pays for delivery (gross, in <paramref name="Currency"/>; 0: none), invoiced and captured with the
/// first goods that leave, refunded when every unit comes back.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.create-request")]
public sealed record CreateOrderRequest(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string Channel,
    [property: Id(2)] string CustomerId,
    [property: Id(3)] string? ReservationId,
    [property: Id(4)] IReadOnlyList<OrderLineRequest> Lines,
    [property: Id(5)] Delivery Delivery,
    [property: Id(6)] CustomerData? Customer,
    [property: Id(7)] Address? BillingAddress,
    [property: Id(8)] IReadOnlyList<Payment> Payments,
    [property: Id(9)] string Currency,
    [property: Id(10)] bool Priority,
    [property: Id(11)] DateTimeOffset? PromisedBy,
    [property: Id(12)] string? ReplacementFor,
    [property: Id(13)] IReadOnlyList<string>? Coupons = null,
    [property: Id(14)] decimal DeliveryCharge = 0m);

/// <summary>Where an order is in its life. Follows its lines.</summary>
public enum OrderStatus
{
    /// <summary>Held by the risk check until an operator releases or rejects it.</summary>
    HeldForReview,

    /// <summary>Rejected by the risk check or an operator.</summary>
    Rejected,

    /// <summary>Lines are allocated and released to their locations.</summary>
    Released,

    /// <summary>Some units are shipped or handed over, not all.</summary>
    PartiallyShipped,

    /// <summary>Every open unit is shipped.</summary>
    Shipped,

    /// <summary>Every open unit is delivered or picked up.</summary>
    Delivered,

    /// <summary>Every line is cancelled.</summary>
    Cancelled,

    /// <summary>Waiting for supply for at least one line, nothing else in progress.</summary>
    Backordered,

    /// <summary>Every unit not cancelled came back and was received (a partly returned order keeps its status).</summary>
    Returned,
}

/// <summary>The state of one allocation (units of a line at one location).</summary>
public enum AllocationStatus
{
    /// <summary>Units set aside at the location.</summary>
    Allocated,

    /// <summary>The location confirmed it will fulfil them.</summary>
    Accepted,
    /// <summary>Picked from the shelf.</summary>
    Picked,

    /// <summary>Packed for shipping.</summary>
    Packed,

    /// <summary>Waiting at the store for the customer.</summary>
    ReadyForPickup,

    /// <summary>Handed to the carrier (see the shipped quantity).</summary>
    Shipped,

    /// <summary>Collected by the customer.</summary>
    PickedUp,

    /// <summary>Delivered to the customer.</summary>
    Delivered,

    /// <summary>The location could not fulfil them (item not there); the line was re-routed.</summary>
    Rejected,

    /// <summary>Cancelled before shipping; the stock was released.</summary>
    Cancelled,
}

/// <summary>Why units of an order were cancelled (recorded with each cancellation, counted by the order KPIs). New reasons
/// are appended, never inserted: the KPIs store counts by the reasons' values (see <see cref="OrderStats.ReasonBucket"/>).
/// </summary>
public enum CancelReason
{
    /// <summary>The customer asked (changed their mind, ordered too many).</summary>
    CustomerRequest,

    /// <summary>No location had the units (the channel cancels what it cannot supply at once).</summary>
    OutOfStock,

    /// <summary>Fraud or risk: the review rejected the order, or a cancel for it.</summary>
    Fraud,

    /// <summary>Placed twice.</summary>
    Duplicate,

    /// <summary>Sold at a wrong price.</summary>
    PriceError,

    /// <summary>The payment failed or was not made.</summary>
    PaymentFailed,

    /// <summary>Any other reason.</summary>
    Other,

    /// <summary>A click &amp; collect order waited at its pickup store longer than the pickup days and was not collected.</summary>
    NotCollected,
}

/// <summary><paramref name="Quantity"/> units of line <paramref name="LineId"/> cancelled at <paramref name="At"/>, and
/// why (null: not said).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.cancellation")]
public sealed record Cancellation(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string LineId,
    [property: Id(2)] int Quantity,
    [property: Id(3)] CancelReason? Reason);

/// <summary>The state of a line.</summary>
public enum LineStatus
{
    /// <summary>Allocated and in fulfilment.</summary>
    Open,

    /// <summary>Waiting for supply.</summary>
    Backordered,

    /// <summary>Cancelled; its stock was released.</summary>
    Cancelled,

    /// <summary>Every unit shipped (or ready for pickup).</summary>
    Shipped,

    /// <summary>Every unit delivered or picked up.</summary>
    Delivered,

    /// <summary>Every unit not cancelled came back and was received.</summary>
    Returned,
}

/// <summary>Units of a line at one location, and how far they are: <c>Shipped</c> of them handed to the carrier, in
/// one parcel or several, and <c>Delivered</c> of those delivered (parcel by parcel; allocations stored before it was
/// kept have 0 until they are delivered as a whole). <c>AllocationId</c> is the slot's allocation id (internal, not
/// serialised to clients; null for allocations stored before it was kept: <c>{orderId}/{lineId}</c>): a line routed
/// to one location twice (a re-route) has one allocation id per time.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.allocation")]
public sealed record OrderAllocation(
    [property: Id(0)] string LocationId,
    [property: Id(1)] int Quantity,
    [property: Id(2)] AllocationStatus Status,
    [property: Id(3)] int Shipped,
    [property: Id(4)] string? Carrier,
    [property: Id(5)] string? TrackingNumber,
    [property: Id(6), JsonIgnore] string? AllocationId = null,
    [property: Id(7)] int Delivered = 0);

/// <summary>Line <paramref name="LineId"/> of the order asked for bundle <paramref name="Sku"/>; this line is the part of
/// it that is <paramref name="PerBundle"/> units of a component in each bundle, worth <paramref name="Price"/> of the
/// bundle line's price before promotions (its units' unit price is that share per unit, rounded for show). Kept
/// together at one location unless <paramref name="AllowSplit"/>.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.bundle-part")]
public sealed record BundlePart(
    [property: Id(0)] string LineId,
    [property: Id(1)] string Sku,
    [property: Id(2)] int PerBundle,
    [property: Id(3)] decimal Price,
    [property: Id(4)] bool AllowSplit = false)
{
    /// <summary>How many bundles <paramref name="units"/> of this part make.</summary>
    public int Bundles(int units) => units / PerBundle;
}

/// <summary>What promotion <paramref name="PromotionId"/> (<paramref name="Name"/>) took off a line at intake, in the
/// order's currency.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.line-discount")]
public sealed record LineDiscount(
    [property: Id(0)] string PromotionId,
    [property: Id(1)] string Name,
    [property: Id(2)] decimal Amount);

/// <summary>A line of an order with its allocations; <paramref name="CancelledQuantity"/> units were cancelled and
/// <paramref name="ReturnedQuantity"/> came back in returns received. <paramref name="Discounts"/>: what promotions took
/// off it at intake (null: none, as in lines stored by earlier builds). <paramref name="Bundle"/>: the bundle line it is a
/// part of (a bundle ordered becomes a line per component; null: a line as ordered).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.line")]
public sealed record OrderLine(
    [property: Id(0)] string LineId,
    [property: Id(1)] string Sku,
    [property: Id(2)] int Quantity,
    [property: Id(3)] decimal UnitPrice,
    [property: Id(4)] LineStatus Status,
    [property: Id(5)] IReadOnlyList<OrderAllocation> Allocations,
    [property: Id(6)] int CancelledQuantity = 0,
    [property: Id(7)] int ReturnedQuantity = 0,
    [property: Id(8)] IReadOnlyList<LineDiscount>? Discounts = null,
    [property: Id(9)] BundlePart? Bundle = null)
{
    /// <summary>What the promotions took off the line.</summary>
    public decimal Discount => Discounts?.Sum(d => d.Amount) ?? 0m;

    /// <summary>What the line costs after its promotions: its units at their price (a bundle's part: its share of the
    /// bundle's price), less its discount.</summary>
    public decimal Value => (Bundle?.Price ?? UnitPrice * Quantity) - Discount;

    /// <summary>What one unit costs after the line's promotions (its value spread evenly over its units).</summary>
    [JsonIgnore]
    public decimal NetUnitPrice => Quantity == 0 ? UnitPrice : Value / Quantity;

    /// <summary>Units allocated at a location and not rejected or cancelled.</summary>
    public int AllocatedQuantity => Allocations.Where(a => a.Status is not (AllocationStatus.Rejected or AllocationStatus.Cancelled)).Sum(a => a.Quantity);

    /// <summary>Units neither allocated nor cancelled: waiting for supply.</summary>
    public int OpenQuantity => Quantity - CancelledQuantity - AllocatedQuantity;
}

/// <summary>The risk check's decision.</summary>
public enum RiskDecision
{
    /// <summary>Routed at once.</summary>
    Accept,

    /// <summary>Held (with its stock claimed) until an operator releases or rejects it.</summary>
    Review,

    /// <summary>Refused; nothing is claimed.</summary>
    Reject,
}

/// <summary>The risk check's outcome with its reasons, and for an order it held for review, what the operator decided
/// (<paramref name="Reviewed"/>: accept when released, reject when rejected; null until then).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.risk-outcome")]
public sealed record RiskOutcome(
    [property: Id(0)] RiskDecision Decision,
    [property: Id(1)] IReadOnlyList<string> Reasons,
    [property: Id(2)] RiskDecision? Reviewed = null);

/// <summary>One entry of an order's history.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.history-entry")]
public sealed record OrderHistoryEntry(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string Event,
    [property: Id(2)] string? LineId,
    [property: Id(3)] string? Detail);

/// <summary>A message to the customer, recorded in the order's durable outbox before it is sent. <paramref name="Parcel"/>:
/// the parcel a <c>shipped</c> message is about (internal, not serialised to clients; null for other messages and for
/// those stored before it was kept). <paramref name="Quantity"/>: the units an <c>unitsCancelled</c> message is about
/// (internal too); <paramref name="Address"/>: the address an <c>addressChanged</c> message names (internal too: the order
/// may have changed it again before the message is read); <paramref name="CreditId"/>: the credit note a <c>credited</c>
/// message is about (internal too); <paramref name="Until"/>: the day a <c>pickupReminder</c> message names as the last to
/// collect the order (internal too); <paramref name="Store"/>: the pickup store a <c>pickupStoreChanged</c> message names
/// (internal too: the order may have changed it again before the message is read).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.notification")]
public sealed record Notification(
    [property: Id(0)] string NotificationId,
    [property: Id(1)] string Type,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] string? LineId,
    [property: Id(4), JsonIgnore] Parcel? Parcel = null,
    [property: Id(5), JsonIgnore] string? ReturnId = null,
    [property: Id(6), JsonIgnore] int? Quantity = null,
    [property: Id(7), JsonIgnore] Address? Address = null,
    [property: Id(8), JsonIgnore] string? CreditId = null,
    [property: Id(9), JsonIgnore] DateTimeOffset? Until = null,
    [property: Id(10), JsonIgnore] string? Store = null);

/// <summary>A notification of the order's outbox as the customer reads it: in their <paramref name="Language"/>, with its
/// <paramref name="Subject"/> and <paramref name="Text"/> (null for a type without a template), to
/// <paramref name="Email"/>. <paramref name="Sent"/>: done with by the webhook (delivered, or skipped as too old).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.customer-message")]
public sealed record CustomerMessage(
    [property: Id(0)] string NotificationId,
    [property: Id(1)] string Type,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] string? LineId,
    [property: Id(4)] string? Email,
    [property: Id(5)] string? Name,
    [property: Id(6)] string? Language,
    [property: Id(7)] string? Subject,
    [property: Id(8)] string? Text,
    [property: Id(9)] bool Sent);

/// <summary><paramref name="Quantity"/> units of a line handed to a carrier at <paramref name="LocationId"/> in one
/// parcel.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.parcel")]
public sealed record Parcel(
    [property: Id(0)] string LocationId,
    [property: Id(1)] int Quantity,
    [property: Id(2)] string? Carrier,
    [property: Id(3)] string? TrackingNumber);

/// <summary>An order as clients see it. <paramref name="Returns"/>: its returns, oldest first; <paramref name="Refunded"/>:
/// what the received ones and the credit notes refunded in all. <paramref name="Invoices"/>: one per shipment, as the goods left;
/// <paramref name="Captured"/>: what they captured from the payments in all. <paramref name="PaymentEvents"/>: money
/// received for payments settled later (an invoice, on account) and chargebacks, oldest first;
/// <paramref name="Outstanding"/>: what the captures of those payments made due and is not received yet (less what
/// returns refunded to them); <paramref name="ChargedBack"/>: what chargebacks took back and were not reversed.
/// <paramref name="Cancellations"/>: the units cancelled, line by line, and why, oldest first (null: none, or cancelled
/// by an earlier build). <paramref name="Credits"/>: money given back without goods coming back (appeasements), oldest
/// first, in <paramref name="Refunded"/> too (null: none, or an order of an earlier build). <paramref name="CollectBy"/>:
/// the last day (UTC) to collect a click &amp; collect order waiting at its store, after which what is not collected is
/// cancelled (null: not waiting there, or no pickup days).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.view")]
public sealed record OrderView(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string Channel,
    [property: Id(2)] string CustomerId,
    [property: Id(3)] OrderStatus Status,
    [property: Id(4)] bool Late,
    [property: Id(5)] bool Priority,
    [property: Id(6)] DateTimeOffset CreatedAt,
    [property: Id(7)] DateTimeOffset PromisedBy,
    [property: Id(8)] RiskOutcome Risk,
    [property: Id(9)] IReadOnlyList<OrderLine> Lines,
    [property: Id(10)] Delivery Delivery,
    [property: Id(11)] string Currency,
    [property: Id(12)] decimal Total,
    [property: Id(13)] string? ReservationId,
    [property: Id(14)] string? ReplacementFor,
    [property: Id(15)] IReadOnlyList<string> Replacements,
    [property: Id(16)] IReadOnlyList<OrderHistoryEntry> History,
    [property: Id(17)] IReadOnlyList<Notification> Outbox,
    [property: Id(18)] IReadOnlyList<OrderReturn> Returns,
    [property: Id(19)] decimal Refunded,
    [property: Id(20)] IReadOnlyList<Invoice> Invoices,
    [property: Id(21)] decimal Captured,
    [property: Id(22)] IReadOnlyList<PaymentRecord>? PaymentEvents = null,
    [property: Id(23)] decimal Outstanding = 0m,
    [property: Id(24)] decimal ChargedBack = 0m,
    [property: Id(25)] decimal DeliveryCharge = 0m,
    [property: Id(26)] IReadOnlyList<Cancellation>? Cancellations = null,
    [property: Id(27)] IReadOnlyList<CreditNote>? Credits = null,
    [property: Id(28)] DateOnly? CollectBy = null);

/// <summary>How a create request ended.</summary>
public enum OrderOutcome
{
    /// <summary>Taken in now.</summary>
    Created,

    /// <summary>The same request was taken in before; this is that order.</summary>
    Replayed,

    /// <summary>The order id was used before with another body; nothing changed.</summary>
    IdempotencyConflict,

    /// <summary>The reservation named does not fit the order (another channel, other lines, no longer held).</summary>
    ReservationMismatch,

    /// <summary>The order asks for something orders cannot carry yet (a bundle article); nothing was taken in.</summary>
    Unsupported,

    /// <summary>A coupon code the order carries unlocks no promotion for it (unknown, expired, not yet valid, of another
    /// channel or currency); nothing was taken in.</summary>
    CouponNotValid,
}

/// <summary>The answer to a <see cref="CreateOrderRequest"/>; <paramref name="Problem"/> explains a refusal.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.create-result")]
public sealed record CreateOrderResult(
    [property: Id(0)] OrderOutcome Outcome,
    [property: Id(1)] OrderView? Order,
    [property: Id(2)] string? Problem);

/// <summary>What a location or partner reports about a line.</summary>
public enum FulfilmentEventType
{
    /// <summary>The location will fulfil the units.</summary>
    Accepted,

    /// <summary>The item is not there: the units are written off at that location and the line is re-routed.</summary>
    Rejected,

    /// <summary>Picked.</summary>
    Picked,

    /// <summary>Packed.</summary>
    Packed,

    /// <summary>Handed to the carrier, possibly a part of the units (quantity, carrier, tracking number).</summary>
    Shipped,

    /// <summary>Waiting at the store for the customer.</summary>
    ReadyForPickup,

    /// <summary>Collected by the customer.</summary>
    PickedUp,

    /// <summary>Delivered to the customer.</summary>
    Delivered,
}

/// <summary>A fulfilment event for the units of a line at one location. <paramref name="EventId"/> is the idempotency key.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.fulfilment-event")]
public sealed record FulfilmentEvent(
    [property: Id(0)] string EventId,
    [property: Id(1)] string LineId,
    [property: Id(2)] string LocationId,
    [property: Id(3)] FulfilmentEventType Type,
    [property: Id(4)] int? Quantity,
    [property: Id(5)] string? Carrier,
    [property: Id(6)] string? TrackingNumber);

/// <summary>How a command on an existing order ended.</summary>
public enum OrderCommandStatus
{
    /// <summary>Done now.</summary>
    Done,

    /// <summary>Done before (same idempotency key); nothing changed.</summary>
    AlreadyDone,

    /// <summary>The order or line does not exist.</summary>
    NotFound,

    /// <summary>Not allowed in the order's or line's current state; nothing changed.</summary>
    NotAllowed,

    /// <summary>The event id was used before with another body; nothing changed.</summary>
    IdempotencyConflict,
}

/// <summary>The answer to a command on an order; <paramref name="Problem"/> explains a refusal.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.command-result")]
public sealed record OrderCommandResult(
    [property: Id(0)] OrderCommandStatus Status,
    [property: Id(1)] OrderView? Order,
    [property: Id(2)] string? Problem);

/// <summary>An operator's decision on an order held for review.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.review")]
public sealed record ReviewDecision([property: Id(0)] bool Release, [property: Id(1)] string? Note);

/// <summary>A row of the order list. In a store's or partner's list, <c>Locations</c> is its own location and
/// <c>Total</c> is 0 (the order's value is the channel's). <c>ReturnsAt</c>: the locations where returns of the order
/// are on their way (announced, not received or cancelled yet; null for none, as in entries of earlier builds). <c>DeliveredAt</c>: when the last unit was delivered or
/// picked up (a delivered order). <c>AllocatedUnits</c> and <c>RejectedUnits</c> feed the operator's inventory accuracy
/// (units allocated at a location, cancelled ones not counted, and those of them a location reported not there); they
/// are not sent to clients; nor are <c>ShippedUnits</c> (units that reached the customer) and <c>ReturnedUnits</c> (of
/// them, those received back), the return rate's. <c>Outstanding</c> and <c>ChargedBack</c>: the order's money due on
/// payments settled later and taken back by chargebacks (0 in a store's or partner's list). <c>Skus</c>: the articles
/// of its lines and the bundles they are parts of, to filter by (not sent; null in entries of earlier builds until they
/// are listed again). <c>CancelledByReason</c>: its units cancelled, by reason (see <see cref="OrderStats.ReasonBuckets"/>;
/// not sent). <c>CreditsByReason</c>: its credit notes, one count per <see cref="CreditReason"/> (null: none); <c>ReturnedByReason</c>:
/// its units received back in returns, by the reason the return gave for them (null: none); neither is sent.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.summary")]
public sealed record OrderSummary(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string Channel,
    [property: Id(2)] string CustomerId,
    [property: Id(3)] OrderStatus Status,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] bool Late,
    [property: Id(6)] IReadOnlyList<string> Locations,
    [property: Id(7)] decimal Total,
    [property: Id(8)] DateTimeOffset PromisedBy,
    [property: Id(9)] bool ReadyAtStore = false,
    [property: Id(10)] DateTimeOffset? DeliveredAt = null,
    [property: Id(11), JsonIgnore] int AllocatedUnits = 0,
    [property: Id(12), JsonIgnore] int RejectedUnits = 0,
    [property: Id(13)] IReadOnlyList<string>? ReturnsAt = null,
    [property: Id(14), JsonIgnore] int ShippedUnits = 0,
    [property: Id(15), JsonIgnore] int ReturnedUnits = 0,
    [property: Id(16)] decimal Outstanding = 0m,
    [property: Id(17)] decimal ChargedBack = 0m,
    [property: Id(18), JsonIgnore] IReadOnlyList<string>? Skus = null,
    [property: Id(19), JsonIgnore] IReadOnlyList<int>? CancelledByReason = null,
    [property: Id(20), JsonIgnore] IReadOnlyList<int>? CreditsByReason = null,
    [property: Id(21), JsonIgnore] IReadOnlyDictionary<string, int>? ReturnedByReason = null);

/// <summary>A filter over the order list (newest first, then by order id); null members do not filter. A page goes on
/// from the previous one's last order: created before <c>CreatedBefore</c>, or at that time with an id after
/// <c>After</c> (orders created in the same tick are not skipped). <c>ReturnsAt</c>: orders with a return on its way to
/// that location. <c>Open</c>: true for orders still in progress (not
/// delivered, returned, cancelled or rejected), false for the others. <c>Outstanding</c>: true for orders with money due
/// (an invoice not paid, or paid in part), false for the others; <c>ChargedBack</c> likewise for chargebacks.
/// <c>Sku</c>: orders with a line of that article, or of a bundle that holds it, or of that bundle.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.query")]
public sealed record OrderQuery(
    [property: Id(0)] OrderStatus? Status,
    [property: Id(1)] string? Channel,
    [property: Id(2)] string? CustomerId,
    [property: Id(3)] string? LocationId,
    [property: Id(4)] bool? Late,
    [property: Id(5)] DateTimeOffset? CreatedBefore,
    [property: Id(6)] int Limit,
    [property: Id(7)] string? After = null,
    [property: Id(8)] bool? Open = null,
    [property: Id(9)] string? ReturnsAt = null,
    [property: Id(10)] bool? Outstanding = null,
    [property: Id(11)] bool? ChargedBack = null,
    [property: Id(12)] string? Sku = null)
{
    /// <summary>Whether <paramref name="order"/> comes after the page this query goes on from.</summary>
    public bool Follows(OrderSummary order) =>
        CreatedBefore is not { } before
        || order.CreatedAt < before
        || (After is not null && order.CreatedAt == before && string.CompareOrdinal(order.OrderId, After) > 0);
}

/// <summary>
/// The operator's KPIs over every order listed, at <paramref name="At"/>: how many orders are in each status
/// (<paramref name="ByStatus"/>, indexed by <see cref="OrderStatus"/>); of the open ones (not delivered, returned, cancelled or
/// rejected), how many are late and how old they are (<paramref name="OpenByAge"/>, one count per
/// <see cref="AgeBounds"/> bucket); of the delivered ones, how many kept their promise and how long they took from
/// intake to the last unit delivered (<paramref name="DeliveredByCycleTime"/>, one count per
/// <see cref="CycleTimeBounds"/> bucket); and of the units allocated at locations (not cancelled), how many a location
/// reported not there (inventory accuracy); and of the units that reached customers, how many came back (the return
/// rate); how many orders have money due on payments settled later, and how many had a chargeback; and the units
/// cancelled by reason (<paramref name="CancelledByReason"/>: those cancelled without one, then one count per
/// <see cref="CancelReason"/>, see <see cref="ReasonBucket"/>; null from a bucket of an earlier build); the credit notes
/// given, one count per <see cref="CreditReason"/> (<paramref name="CreditsByReason"/>); and the units received back in
/// returns by the reason given (<paramref name="ReturnedByReason"/>: a list bucket's, every reason; their <see cref="Sum"/>, at
/// most <see cref="ReturnReasonsKept"/> of them).
/// </summary>
[GenerateSerializer, Immutable, Alias("dom.orders.stats")]
public sealed record OrderStats(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] IReadOnlyList<int> ByStatus,
    [property: Id(2)] int Open,
    [property: Id(3)] int Late,
    [property: Id(4)] IReadOnlyList<int> OpenByAge,
    [property: Id(5)] int Delivered,
    [property: Id(6)] int DeliveredOnTime,
    [property: Id(7)] IReadOnlyList<int> DeliveredByCycleTime,
    [property: Id(8)] int AllocatedUnits,
    [property: Id(9)] int RejectedUnits,
    [property: Id(10)] int ShippedUnits = 0,
    [property: Id(11)] int ReturnedUnits = 0,
    [property: Id(12)] int OutstandingOrders = 0,
    [property: Id(13)] int ChargedBackOrders = 0,
    [property: Id(14)] IReadOnlyList<int>? CancelledByReason = null,
    [property: Id(15)] IReadOnlyList<int>? CreditsByReason = null,
    [property: Id(16)] IReadOnlyDictionary<string, int>? ReturnedByReason = null)
{
    /// <summary>The most return reasons the stats keep apart (a reason is the channel's or the store's own word): the
    /// units of those after them, by units, count under <see cref="OtherReturnReasons"/>.</summary>
    public const int ReturnReasonsKept = 20;

    /// <summary>The key the units of the return reasons past <see cref="ReturnReasonsKept"/> count under.</summary>
    public const string OtherReturnReasons = "~other";

    /// <summary><paramref name="byReason"/> with no more than <see cref="ReturnReasonsKept"/> reasons (most units first,
    /// then by name): the units of the rest under <see cref="OtherReturnReasons"/>.</summary>
    public static IReadOnlyDictionary<string, int> TopReturnReasons(IReadOnlyDictionary<string, int> byReason)
    {
        var ranked = byReason.Where(r => r.Key != OtherReturnReasons).OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
        var top = ranked.Take(ReturnReasonsKept).ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);
        var rest = ranked.Skip(ReturnReasonsKept).Sum(r => r.Value) + byReason.GetValueOrDefault(OtherReturnReasons);
        if (rest > 0)
        {
            top[OtherReturnReasons] = rest;
        }

        return top;
    }

    /// <summary>The buckets of <see cref="CancelledByReason"/>: units cancelled without a reason said, then one per
    /// <see cref="CancelReason"/> (see <see cref="ReasonBucket"/>).</summary>
    public static int ReasonBuckets => Enum.GetValues<CancelReason>().Length + 1;

    /// <summary>The bucket of <see cref="CancelledByReason"/> (and of an order summary's) that counts
    /// <paramref name="reason"/>: 0 for none said, then the reason's value plus one. Reasons are only ever appended, so a
    /// list stored before one was added reads right (it is shorter: the new reason's units are 0).</summary>
    public static int ReasonBucket(CancelReason? reason) => reason is { } said ? (int)said + 1 : 0;

    /// <summary>The upper bounds of the open orders' age buckets; the last bucket has none.</summary>
    public static readonly IReadOnlyList<TimeSpan> AgeBounds = [TimeSpan.FromHours(1), TimeSpan.FromHours(4), TimeSpan.FromDays(1), TimeSpan.FromDays(3)];

    /// <summary>The upper bounds of the delivered orders' cycle time buckets; the last bucket has none.</summary>
    public static readonly IReadOnlyList<TimeSpan> CycleTimeBounds = [TimeSpan.FromDays(1), TimeSpan.FromDays(2), TimeSpan.FromDays(3), TimeSpan.FromDays(5), TimeSpan.FromDays(7)];

    /// <summary>The stats of <paramref name="parts"/> (buckets of the list, taken at about the same time) as one.</summary>
    public static OrderStats Sum(IReadOnlyCollection<OrderStats> parts) => new(
        parts.Count == 0 ? default : parts.Max(p => p.At),
        Enumerable.Range(0, Enum.GetValues<OrderStatus>().Length).Select(i => parts.Sum(p => p.ByStatus[i])).ToList(),
        parts.Sum(p => p.Open),
        parts.Sum(p => p.Late),
        Enumerable.Range(0, AgeBounds.Count + 1).Select(i => parts.Sum(p => p.OpenByAge[i])).ToList(),
        parts.Sum(p => p.Delivered),
        parts.Sum(p => p.DeliveredOnTime),
        Enumerable.Range(0, CycleTimeBounds.Count + 1).Select(i => parts.Sum(p => p.DeliveredByCycleTime[i])).ToList(),
        parts.Sum(p => p.AllocatedUnits),
        parts.Sum(p => p.RejectedUnits),
        parts.Sum(p => p.ShippedUnits),
        parts.Sum(p => p.ReturnedUnits),
        parts.Sum(p => p.OutstandingOrders),
        parts.Sum(p => p.ChargedBackOrders),
        Enumerable.Range(0, ReasonBuckets).Select(i => parts.Sum(p => p.CancelledByReason?.ElementAtOrDefault(i) ?? 0)).ToList(),
        Enumerable.Range(0, Enum.GetValues<CreditReason>().Length).Select(i => parts.Sum(p => p.CreditsByReason?.ElementAtOrDefault(i) ?? 0)).ToList(),
        TopReturnReasons(parts.SelectMany(p => p.ReturnedByReason ?? new Dictionary<string, int>())
            .GroupBy(r => r.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(r => r.Value), StringComparer.Ordinal)));

    /// <summary>The bucket of <paramref name="span"/> among <paramref name="bounds"/> (upper bounds, ascending): the
    /// first bound it is under, or past the last one.</summary>
    public static int Bucket(IReadOnlyList<TimeSpan> bounds, TimeSpan span)
    {
        var bucket = 0;
        while (bucket < bounds.Count && span >= bounds[bucket])
        {
            bucket++;
        }

        return bucket;
    }
}
