namespace Dom.Articles;

/// <summary>What an article is, which decides how it is fulfilled.</summary>
public enum ArticleKind
{
    /// <summary>Goods held in stock slots.</summary>
    Physical,

    /// <summary>A service such as assembly or installation.</summary>
    Service,

    /// <summary>A gift card.</summary>
    GiftCard,

    /// <summary>A digital licence.</summary>
    DigitalLicence,
}

/// <summary>An article's master data.</summary>
/// <param name="Sku">The key.</param>
/// <param name="Name">Display name.</param>
/// <param name="Kind">Physical or not.</param>
/// <param name="Description">Optional text.</param>
/// <param name="Components">A bundle's components: reserving the article reserves these instead. Null or empty: not a bundle.</param>
/// <param name="AllowSplit">Whether a bundle's components may come from different locations.</param>
/// <param name="FulfilledBy">For a non-physical article: the virtual location that fulfils it without a limit (a stock
/// slot there, such as licence keys, makes it a counter instead).</param>
/// <param name="TaxClass">The VAT class its invoices are taxed at (as <c>Tax:Rates</c> names them); null: standard.</param>
[GenerateSerializer, Immutable, Alias("dom.articles.article-info")]
public sealed record ArticleInfo(
    [property: Id(0)] string Sku,
    [property: Id(1)] string Name,
    [property: Id(2)] ArticleKind Kind,
    [property: Id(3)] string? Description,
    [property: Id(4)] IReadOnlyList<BundleComponent>? Components = null,
    [property: Id(5)] bool AllowSplit = false,
    [property: Id(6)] string? FulfilledBy = null,
    [property: Id(7)] string? TaxClass = null)
{
    /// <summary>The SKUs this bundle lists, each once and never its own; none for an article that is no bundle.</summary>
    public IReadOnlyList<string> ComponentSkus() =>
        Components?.Select(c => c.Sku).Where(sku => sku != Sku).Distinct(StringComparer.Ordinal).ToList() ?? [];
}

/// <summary>What saving an article did: stored it, or refused it because of <paramref name="BundleComponents"/> or
/// <paramref name="ListedIn"/>.</summary>
/// <param name="Stored">The article as stored; null when refused.</param>
/// <param name="BundleComponents">Listed components that are bundles themselves.</param>
/// <param name="ListedIn">The bundles that list this article, which therefore cannot become a bundle.</param>
/// <param name="Leaving">Components this bundle no longer lists that may not know it yet.</param>
/// <param name="Busy">Another change of this article is in progress (nothing was changed; retry).</param>
[GenerateSerializer, Immutable, Alias("dom.articles.save-answer")]
public sealed record ArticleSaveAnswer(
    [property: Id(0)] ArticleInfo? Stored,
    [property: Id(1)] IReadOnlyList<string>? BundleComponents = null,
    [property: Id(2)] IReadOnlyList<string>? ListedIn = null,
    [property: Id(3)] IReadOnlyList<string>? Leaving = null,
    [property: Id(4)] bool Busy = false);

/// <summary>One component of a bundle: an article and how many of it one bundle holds. <paramref name="PriceShare"/>:
/// what one unit of it weighs in the bundle's price when an order splits that over the components (a bundle's components
/// give one each or none; none: every unit weighs the same).</summary>
[GenerateSerializer, Immutable, Alias("dom.articles.bundle-component")]
public sealed record BundleComponent(
    [property: Id(0)] string Sku,
    [property: Id(1)] int Quantity,
    [property: Id(2)] decimal? PriceShare = null);

/// <summary>Units of a slot set aside for one channel and still free.</summary>
[GenerateSerializer, Immutable, Alias("dom.articles.pool-availability")]
public sealed record PoolAvailability(
    [property: Id(0)] string Channel,
    [property: Id(1)] int Available);

/// <summary>In-transit supply: the shared units available to a need-by date at or after <paramref name="Eta"/>
/// (on hand plus every arrival by then, less what is promised).</summary>
[GenerateSerializer, Immutable, Alias("dom.articles.in-transit-availability")]
public sealed record InTransitAvailability(
    [property: Id(0)] DateTimeOffset Eta,
    [property: Id(1)] int Available);

/// <summary>A slot's last published available quantity, for the article's availability index.</summary>
/// <param name="LocationId">The slot's location.</param>
/// <param name="Available">Its available units.</param>
/// <param name="Version">The publication's stamp: a publication older than the one the index has is ignored.</param>
/// <param name="Pools">Free units set aside per channel.</param>
/// <param name="InTransit">Shared availability by arrival time.</param>
[GenerateSerializer, Immutable, Alias("dom.articles.availability-update")]
public sealed record AvailabilityUpdate(
    [property: Id(0)] string LocationId,
    [property: Id(1)] int Available,
    [property: Id(2)] long Version,
    [property: Id(3)] IReadOnlyList<PoolAvailability>? Pools = null,
    [property: Id(4)] IReadOnlyList<InTransitAvailability>? InTransit = null);

/// <summary>One location in an article's availability index.</summary>
/// <param name="LocationId">The location.</param>
/// <param name="Available">Its last published available units on hand for any channel (eventually consistent).</param>
/// <param name="Pools">Free units set aside per channel (only that channel may take them).</param>
/// <param name="InTransit">Shared availability by arrival time, for orders promised late enough.</param>
[GenerateSerializer, Immutable, Alias("dom.articles.indexed-availability")]
public sealed record IndexedAvailability(
    [property: Id(0)] string LocationId,
    [property: Id(1)] int Available,
    [property: Id(2)] IReadOnlyList<PoolAvailability>? Pools = null,
    [property: Id(3)] IReadOnlyList<InTransitAvailability>? InTransit = null);

/// <summary>An article's availability now, read from its slots (not the index).</summary>
/// <param name="Sku">The article.</param>
/// <param name="Total">Available units across all locations.</param>
/// <param name="Locations">Every location that stocks the article, with its available units.</param>
/// <param name="Unlimited">A non-physical article its virtual location fulfils without a limit (no slot there counts
/// it): <paramref name="Total"/> and that location's units are <see cref="int.MaxValue"/>, so a check of a quantity
/// against them holds for a client that does not read this flag.</param>
[GenerateSerializer, Immutable, Alias("dom.articles.availability")]
public sealed record ArticleAvailability(
    [property: Id(0)] string Sku,
    [property: Id(1)] int Total,
    [property: Id(2)] IReadOnlyList<IndexedAvailability> Locations,
    [property: Id(3)] bool Unlimited = false);

/// <summary>What planning reads of an article, in one call: its master data (null when the article does not exist) and
/// its availability index, by location id.</summary>
/// <param name="Info">The master data: kind, bundle components, the location that fulfils a non-physical article.</param>
/// <param name="Index">Every location that stocks the article, with its last published quantity (eventually
/// consistent; the slots are the authority).</param>
/// <param name="KeptForBackorders">Units that became available while orders waited for the article, by location, kept
/// for the backorder queue's next pass: only a routing of waiting orders may take them (null: none).</param>
[GenerateSerializer, Immutable, Alias("dom.articles.planning-view")]
public sealed record ArticlePlanningView(
    [property: Id(0)] ArticleInfo? Info,
    [property: Id(1)] IReadOnlyList<IndexedAvailability> Index,
    [property: Id(2)] IReadOnlyDictionary<string, int>? KeptForBackorders = null);
