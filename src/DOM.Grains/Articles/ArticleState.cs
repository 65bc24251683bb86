using System.Collections.Immutable;
using Dom.Articles;

namespace Dom.Grains.Articles;

/// <summary>What an article stores. Index quantities are stored only when a location joins the index; later
/// publications stay in memory, since the slots are the authority and republish on demand.</summary>
[GenerateSerializer, Alias("dom.articles.article-state")]
public sealed record ArticleState
{
    [Id(0)] public ArticleInfo? Info { get; init; }

    [Id(1)] public ImmutableDictionary<string, IndexEntry> Index { get; init; } = ImmutableDictionary<string, IndexEntry>.Empty;

    /// <summary>The bundles that list this article as a component.</summary>
    [Id(2)] public ImmutableSortedSet<string> PartOf { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Components this bundle stopped listing that may not know it yet: told again before the next change.</summary>
    [Id(3)] public ImmutableSortedSet<string> Leaving { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>The change in progress, if any: only one PUT changes an article's bundle membership at a time.</summary>
    [Id(4)] public ArticleChange? Change { get; init; }
}

/// <summary>A change of an article in progress: whose (<paramref name="Token"/>), held until <paramref name="Until"/>,
/// joining <paramref name="Joining"/>.</summary>
[GenerateSerializer, Immutable, Alias("dom.articles.article-change")]
public sealed record ArticleChange(
    [property: Id(0)] string Token,
    [property: Id(1)] DateTimeOffset Until,
    [property: Id(2)] IReadOnlyList<string> Joining);

/// <summary>A location's last published availability.</summary>
[GenerateSerializer, Immutable, Alias("dom.articles.index-entry")]
public sealed record IndexEntry(
    [property: Id(0)] int Available,
    [property: Id(1)] long Version,
    [property: Id(2)] IReadOnlyList<PoolAvailability>? Pools = null,
    [property: Id(3)] IReadOnlyList<InTransitAvailability>? InTransit = null);
