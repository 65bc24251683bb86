namespace Dom.Orders;

/// <summary>What of an amount (a capture, a refund) falls to the order's payment number <paramref name="Tender"/> (0 for
/// the first, as the channel listed them), by its method and instrument.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.tender-amount")]
public sealed record TenderAmount(
    [property: Id(0)] int Tender,
    [property: Id(1)] string Method,
    [property: Id(2)] string? Instrument,
    [property: Id(3)] decimal Amount);

/// <summary>Units of a line on an invoice, what they cost (gross, in the order's currency), and the VAT in it at
/// <paramref name="VatRate"/> (null: no rate configured for the delivery country and the article's tax class).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.invoice-line")]
public sealed record InvoiceLine(
    [property: Id(0)] string LineId,
    [property: Id(1)] string Sku,
    [property: Id(2)] int Quantity,
    [property: Id(3)] decimal Amount,
    [property: Id(4)] decimal? VatRate = null,
    [property: Id(5)] decimal Vat = 0m);

/// <summary>The order's delivery charge on an invoice: what of it the invoice charges (gross), and the VAT in that at
/// <paramref name="VatRate"/> (null: no rate configured for the delivery country and the delivery's tax class).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.invoice-charge")]
public sealed record InvoiceCharge(
    [property: Id(0)] decimal Amount,
    [property: Id(1)] decimal? VatRate,
    [property: Id(2)] decimal Vat);

/// <summary>The invoice of one shipment (units handed to the carrier, or picked up at the store): what was captured from
/// the order's payments when the goods left, and from which (<paramref name="Tenders"/>). The first invoice of an order
/// with a delivery charge carries it (<paramref name="Delivery"/>; its amount and VAT are in the invoice's).</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.invoice")]
public sealed record Invoice(
    [property: Id(0)] string InvoiceId,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string LocationId,
    [property: Id(3)] IReadOnlyList<InvoiceLine> Lines,
    [property: Id(4)] decimal Total,
    [property: Id(5)] IReadOnlyList<TenderAmount> Tenders,
    [property: Id(6)] decimal Vat = 0m,
    [property: Id(7)] InvoiceCharge? Delivery = null);

/// <summary>What a payment service or the debtor ledger reports about one of an order's payments.</summary>
public enum PaymentEventType
{
    /// <summary>Money came in for a payment settled after the goods left (an invoice, on account): it pays what its
    /// captures made due, in part or in full.</summary>
    Received,

    /// <summary>The customer's bank took money back from a payment (a card chargeback, a returned direct debit).</summary>
    Chargeback,

    /// <summary>A chargeback was won: the money came back.</summary>
    ChargebackReversed,
}

/// <summary>An event for the order's payment number <paramref name="Tender"/> (0 for the first, as the channel listed
/// them). <paramref name="EventId"/> is the idempotency key; <paramref name="InvoiceId"/> and
/// <paramref name="Reference"/> (the bank's or the payment service's) are kept as given.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.payment-event")]
public sealed record PaymentEvent(
    [property: Id(0)] string EventId,
    [property: Id(1)] PaymentEventType Type,
    [property: Id(2)] int Tender,
    [property: Id(3)] decimal Amount,
    [property: Id(4)] string? InvoiceId,
    [property: Id(5)] string? Reference);

/// <summary>A payment event as the order recorded it, with the payment's method and when it was recorded.</summary>
[GenerateSerializer, Immutable, Alias("dom.orders.payment-record")]
public sealed record PaymentRecord(
    [property: Id(0)] string EventId,
    [property: Id(1)] PaymentEventType Type,
    [property: Id(2)] int Tender,
    [property: Id(3)] string Method,
    [property: Id(4)] decimal Amount,
    [property: Id(5)] string? InvoiceId,
    [property: Id(6)] string? Reference,
    [property: Id(7)] DateTimeOffset At);
