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
[GenerateSerializer, Immutable, Alias("dom.articles.article-info")]
public sealed record ArticleInfo(
    [property: Id(0)] string Sku,
    [property: Id(1)] string Name,
    [property: Id(2)] ArticleKind Kind,
    [property: Id(3)] string? Description);

/// <summary>A slot's last published available quantity, for the article's availability index.</summary>
/// <param name="LocationId">The slot's location.</param>
/// <param name="Available">Its available units.</param>
/// <param name="Version">The publication's stamp: a publication older than the one the index has is ignored.</param>
[GenerateSerializer, Immutable, Alias("dom.articles.availability-update")]
public sealed record AvailabilityUpdate(
    [property: Id(0)] string LocationId,
    [property: Id(1)] int Available,
    [property: Id(2)] long Version);

/// <summary>One location in an article's availability index.</summary>
/// <param name="LocationId">The location.</param>
/// <param name="Available">Its last published available units (eventually consistent).</param>
[GenerateSerializer, Immutable, Alias("dom.articles.indexed-availability")]
public sealed record IndexedAvailability(
    [property: Id(0)] string LocationId,
    [property: Id(1)] int Available);

/// <summary>An article's availability now, read from its slots (not the index).</summary>
/// <param name="Sku">The article.</param>
/// <param name="Total">Available units across all locations.</param>
/// <param name="Locations">Every location that stocks the article, with its available units.</param>
[GenerateSerializer, Immutable, Alias("dom.articles.availability")]
public sealed record ArticleAvailability(
    [property: Id(0)] string Sku,
    [property: Id(1)] int Total,
    [property: Id(2)] IReadOnlyList<IndexedAvailability> Locations);
