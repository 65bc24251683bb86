namespace Dom.Promotions;

/// <summary>What a promotion takes off (see <see cref="Promotion"/>).</summary>
public enum PromotionKind
{
    /// <summary><c>Percent</c> off each matching line.</summary>
    Percentage,

    /// <summary><c>Amount</c> off each matching unit.</summary>
    Amount,

    /// <summary>When the matching lines come to at least <c>Threshold</c>: <c>Amount</c> (or <c>Percent</c>) off them.</summary>
    Threshold,

    /// <summary>Of every <c>Buy</c> + <c>Get</c> matching units, the <c>Get</c> cheapest at <c>Percent</c> off (free
    /// without one); what that takes off is shared by the group's units in proportion to their price.</summary>
    BuyXGetY,
}

/// <summary>A promotion applied to orders at intake. <paramref name="Skus"/>: the articles it applies to (null: every
/// one); <paramref name="Channels"/>: the channels whose orders it applies to (null: every one); <paramref name="Code"/>:
/// the coupon code an order must carry for it (null: it applies by itself); <paramref name="Currency"/>: the currency of
/// its amounts and of the orders it applies to (null: any, for one without amounts); valid from
/// <paramref name="ValidFrom"/> until before <paramref name="ValidTo"/>. Promotions apply by <paramref name="Priority"/>
/// (lower first, then by id), each to what those before it left; an <paramref name="Exclusive"/> one is never combined
/// with another (the exclusive ones are tried first, and the first that takes anything off is the only one).</summary>
[GenerateSerializer, Immutable, Alias("dom.promotions.promotion")]
public sealed record Promotion(
    [property: Id(0)] string PromotionId,
    [property: Id(1)] string Name,
    [property: Id(2)] PromotionKind Kind,
    [property: Id(3)] decimal? Percent,
    [property: Id(4)] decimal? Amount,
    [property: Id(5)] decimal? Threshold,
    [property: Id(6)] int? Buy,
    [property: Id(7)] int? Get,
    [property: Id(8)] IReadOnlyList<string>? Skus,
    [property: Id(9)] IReadOnlyList<string>? Channels,
    [property: Id(10)] string? Code,
    [property: Id(11)] string? Currency,
    [property: Id(12)] DateTimeOffset? ValidFrom,
    [property: Id(13)] DateTimeOffset? ValidTo,
    [property: Id(14)] int Priority,
    [property: Id(15)] bool Exclusive);

/// <summary>How saving a promotion ended.</summary>
public enum PromotionSaveStatus
{
    /// <summary>New.</summary>
    Created,

    /// <summary>Changed (orders taken in before keep what it took off them).</summary>
    Updated,

    /// <summary>Stored as it is already; nothing changed.</summary>
    Unchanged,

    /// <summary>Its coupon code is another promotion's; nothing changed.</summary>
    CodeTaken,
}

/// <summary>The answer to saving a promotion; <paramref name="Problem"/> explains a refusal.</summary>
[GenerateSerializer, Immutable, Alias("dom.promotions.save-result")]
public sealed record PromotionSaveResult(
    [property: Id(0)] PromotionSaveStatus Status,
    [property: Id(1)] Promotion? Promotion,
    [property: Id(2)] string? Problem = null);

/// <summary>The promotions that may apply to an order of <paramref name="Channel"/> in <paramref name="Currency"/> placed
/// at <paramref name="At"/> with <paramref name="Coupons"/>.</summary>
[GenerateSerializer, Immutable, Alias("dom.promotions.order-query")]
public sealed record PromotionQuery(
    [property: Id(0)] string Channel,
    [property: Id(1)] string Currency,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] IReadOnlyList<string> Coupons);

/// <summary>Every promotion, keyed 0: rarely written (by operators), read at each order's intake.</summary>
[Alias("dom.promotions.catalog")]
public interface IPromotionCatalogGrain : IGrainWithIntegerKey
{
    /// <summary>Creates or replaces a promotion.</summary>
    [Alias("save")]
    Task<PromotionSaveResult> SaveAsync(Promotion promotion);

    /// <summary>Removes a promotion (orders taken in before keep what it took off them); false when there was none.</summary>
    [Alias("remove")]
    Task<bool> RemoveAsync(string promotionId);

    /// <summary>The promotion, or null.</summary>
    [Alias("get"), ReadOnly]
    Task<Promotion?> GetAsync(string promotionId);

    /// <summary>Every promotion, by id.</summary>
    [Alias("list"), ReadOnly]
    Task<IReadOnlyList<Promotion>> ListAsync();

    /// <summary>The promotions valid for an order (its channel, currency, time and coupons).</summary>
    [Alias("for-order"), ReadOnly]
    Task<IReadOnlyList<Promotion>> ForOrderAsync(PromotionQuery query);
}
