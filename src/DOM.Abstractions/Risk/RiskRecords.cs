namespace Dom.Risk;

/// <summary>Black list (always rejected) or white list (skips the rules).</summary>
public enum RiskList
{
    /// <summary>Orders matching an entry are rejected.</summary>
    Black,

    /// <summary>Orders matching an entry skip the rules.</summary>
    White,
}

/// <summary>What a list entry matches.</summary>
public enum RiskSubject
{
    /// <summary>A customer id.</summary>
    Customer,

    /// <summary>An e-mail address (compared case-insensitively).</summary>
    Email,

    /// <summary>A delivery or billing address (street, postal code, city, country).</summary>
    Address,

    /// <summary>A payment instrument (token or masked number).</summary>
    Payment,
}

/// <summary>One list entry.</summary>
[GenerateSerializer, Immutable, Alias("dom.risk.entry")]
public sealed record RiskListEntry(
    [property: Id(0)] RiskList List,
    [property: Id(1)] RiskSubject Subject,
    [property: Id(2)] string Value);

/// <summary>The black and white lists, kept by operators.</summary>
[Alias("dom.risk.lists")]
public interface IRiskListGrain : IGrainWithStringKey
{
    /// <summary>Adds an entry; idempotent.</summary>
    [Alias("add")]
    Task AddAsync(RiskListEntry entry);

    /// <summary>Removes an entry; idempotent.</summary>
    [Alias("remove")]
    Task RemoveAsync(RiskListEntry entry);

    /// <summary>Every entry.</summary>
    [Alias("get"), ReadOnly]
    Task<IReadOnlyList<RiskListEntry>> GetAsync();

    /// <summary>Those of <paramref name="candidates"/> (normalized as the lists compare) that are listed.</summary>
    [Alias("match"), ReadOnly]
    Task<IReadOnlyList<RiskListEntry>> MatchAsync(IReadOnlyList<RiskListEntry> candidates);
}
