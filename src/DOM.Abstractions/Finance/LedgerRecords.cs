namespace Dom.Finance;

/// <summary>What a ledger entry records.</summary>
public enum LedgerEntryKind
{
    /// <summary>An invoice (a shipment's goods left for the customer): the customer owes it.</summary>
    Invoice,

    /// <summary>A refund for a return received: the customer is owed it.</summary>
    Refund,

    /// <summary>Money received for a payment settled later (an invoice paid).</summary>
    PaymentReceived,

    /// <summary>A chargeback: money the customer's bank took back, owed again.</summary>
    Chargeback,

    /// <summary>A chargeback reversed: the money came back.</summary>
    ChargebackReversed,

    /// <summary>A credit note: money given back without goods coming back (an appeasement); the customer is owed it.</summary>
    Credit,
}

/// <summary>One financial record of an order, for a debtor-management system: <paramref name="Amount"/> is signed from the
/// customer's account (positive: the customer owes more, an invoice or a chargeback; negative: less, a refund or money
/// received), in <paramref name="Currency"/>, of the order's payment by <paramref name="Method"/> (null: the order reported
/// no payments); <paramref name="Vat"/>: the VAT in the amount, signed as it is (an invoice's, a refund's given back). <paramref name="DocumentId"/> is the invoice,
/// return or payment event; <paramref name="EntryId"/> (<c>{orderId}/{kind}/{documentId}/{payment}</c>) is unique.</summary>
[GenerateSerializer, Immutable, Alias("dom.finance.ledger-entry")]
public sealed record LedgerEntry(
    [property: Id(0)] string EntryId,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] LedgerEntryKind Kind,
    [property: Id(3)] string OrderId,
    [property: Id(4)] string Channel,
    [property: Id(5)] string CustomerId,
    [property: Id(6)] string DocumentId,
    [property: Id(7)] string? Method,
    [property: Id(8)] decimal Amount,
    [property: Id(9)] string Currency,
    [property: Id(10)] decimal Vat);

/// <summary>One day's ledger entries of a share of the orders, keyed <c>{yyyy-MM-dd}/{bucket}</c> (see
/// <see cref="LedgerKey"/>): orders post their entries as they make them; an export reads the days it covers.</summary>
[Alias("dom.finance.ledger")]
public interface ILedgerGrain : IGrainWithStringKey
{
    /// <summary>Records entries; one already recorded (by its id) is not recorded again.</summary>
    [Alias("append")]
    Task AppendAsync(IReadOnlyList<LedgerEntry> entries);

    /// <summary>The day's entries of this bucket, by time and id.</summary>
    [Alias("entries"), ReadOnly]
    Task<IReadOnlyList<LedgerEntry>> EntriesAsync();
}

/// <summary>The ledger grain of a day and a bucket of orders.</summary>
public static class LedgerKey
{
    /// <summary>How many grains share a day's entries.</summary>
    public const int Buckets = 8;

    /// <summary>The key of <paramref name="day"/>'s grain for <paramref name="bucket"/>.</summary>
    public static string Of(DateOnly day, int bucket) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{day:yyyy-MM-dd}/{bucket}");

    /// <summary>The grain an entry of <paramref name="orderId"/> made at <paramref name="at"/> goes to (the UTC day).</summary>
    public static string For(string orderId, DateTimeOffset at) => Of(DateOnly.FromDateTime(at.UtcDateTime), BucketOf(orderId));

    /// <summary>The bucket of an order's entries (by its id, the same in every process).</summary>
    public static int BucketOf(string orderId) => (int)(Ids.StableHash(orderId) % Buckets);
}
