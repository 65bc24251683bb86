using System.Text.Json.Serialization;

namespace Dom.Orders;

/// <summary>Where a return (RMA) is.</summary>
public enum ReturnStatus
{
    /// <summary>Registered; the goods are on their way to the return location.</summary>
    Announced,

    /// <summary>The goods arrived and were restocked or written off; the refund is recorded.</summary>
    Received,

    /// <summary>Closed without receiving anything; its units may be returned again.</summary>
    Cancelled,
}

/// <summary>Units of an order line coming back, and why. Once received: how many went back into stock at the return
/// location, how many were written off, and the refund for them (in the order's currency). <c>RefundedUnits</c>: how
/// many of the units received were refunded (a unit already replaced after a wrong item is not); not sent to
/// clients.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.return-line")]
public sealed record ReturnLine(
    [property: Id(0)] string LineId,
    [property: Id(1)] string Sku,
    [property: Id(2)] int Quantity,
    [property: Id(3)] string Reason,
    [property: Id(4)] int Restocked = 0,
    [property: Id(5)] int WrittenOff = 0,
    [property: Id(6)] decimal Refund = 0m,
    [property: Id(7), JsonIgnore] int RefundedUnits = 0);

/// <summary>A return (RMA) of an order, taken at a store or warehouse. <paramref name="ReturnId"/> is unique within the
/// order and the idempotency key. Once received, <paramref name="Tenders"/> says how its refund goes back to the order's
/// payments (null before, and for returns stored before tenders were worked out). <paramref name="DeliveryRefund"/>: the
/// delivery charge refunded with it (in <paramref name="Refund"/>; the receipt that brought the last unit back refunds
/// it).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.return")]
public sealed record OrderReturn(
    [property: Id(0)] string ReturnId,
    [property: Id(1)] string LocationId,
    [property: Id(2)] ReturnStatus Status,
    [property: Id(3)] IReadOnlyList<ReturnLine> Lines,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] DateTimeOffset? ClosedAt = null,
    [property: Id(6)] decimal Refund = 0m,
    [property: Id(7)] IReadOnlyList<TenderAmount>? Tenders = null,
    [property: Id(8)] decimal Vat = 0m,
    [property: Id(9)] decimal DeliveryRefund = 0m);

/// <summary>A line of a return as it is registered: the order line by its id or by its SKU (an order carries a SKU on
/// one line only, so a store can take a return by scanning the article).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.return-line-request")]
public sealed record ReturnLineRequest(
    [property: Id(0)] string? LineId,
    [property: Id(1)] string? Sku,
    [property: Id(2)] int Quantity,
    [property: Id(3)] string Reason);

/// <summary>Registers a return of an order at <paramref name="LocationId"/> (a store or warehouse).
/// <paramref name="Goodwill"/>: taken past the return window (an operator's decision).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.return-request")]
public sealed record ReturnRequest(
    [property: Id(0)] string ReturnId,
    [property: Id(1)] string LocationId,
    [property: Id(2)] IReadOnlyList<ReturnLineRequest> Lines,
    [property: Id(3)] bool Goodwill = false);

/// <summary>What arrived of a return's line: units back into stock, units written off (damaged, unsellable).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.receipt-line")]
public sealed record ReceiptLine(
    [property: Id(0)] string LineId,
    [property: Id(1)] int Restock,
    [property: Id(2)] int WriteOff);

/// <summary>The receipt of return <paramref name="ReturnId"/>, by <paramref name="AtLocation"/> (the caller's location;
/// null for an operator, who may receive at any).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.return-receipt")]
public sealed record ReturnReceipt(
    [property: Id(0)] string ReturnId,
    [property: Id(1)] string? AtLocation,
    [property: Id(2)] IReadOnlyList<ReceiptLine> Lines);

/// <summary>Why money goes back to the customer without goods coming back (an appeasement). New reasons are appended,
/// never inserted: the KPIs store counts by the reasons' values.</summary>
public enum CreditReason
{
    /// <summary>The order came later than promised.</summary>
    LateDelivery,

    /// <summary>The goods arrived damaged or flawed, and the customer keeps them.</summary>
    Damaged,

    /// <summary>A lower price given afterwards (a price match, a promotion the order missed).</summary>
    PriceAdjustment,

    /// <summary>Poor service (a wrong message, a missed pickup, a long wait).</summary>
    ServiceIssue,

    /// <summary>Any other reason.</summary>
    Other,
}

/// <summary>A credit note: <paramref name="Amount"/> given back to the customer without goods coming back, for
/// <paramref name="Reason"/>, against line <paramref name="LineId"/> (null: the order as a whole), in the order's currency
/// with the <paramref name="Vat"/> in it. <paramref name="Tenders"/>: how it goes back to the order's payments (empty for
/// an order that reported none). <paramref name="CreditId"/> is unique within the order and the idempotency key;
/// <paramref name="Note"/> is the operator's or channel's own word.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.credit-note")]
public sealed record CreditNote(
    [property: Id(0)] string CreditId,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] CreditReason Reason,
    [property: Id(3)] string? LineId,
    [property: Id(4)] decimal Amount,
    [property: Id(5)] decimal Vat,
    [property: Id(6)] IReadOnlyList<TenderAmount> Tenders,
    [property: Id(7)] string? Note);

/// <summary>Asks for a credit note (see <see cref="CreditNote"/>).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.credit-request")]
public sealed record CreditRequest(
    [property: Id(0)] string CreditId,
    [property: Id(1)] string? LineId,
    [property: Id(2)] decimal Amount,
    [property: Id(3)] CreditReason Reason,
    [property: Id(4)] string? Note = null);
