namespace Dom.Access;

/// <summary>What an API key may do.</summary>
public enum ApiRole
{
    /// <summary>Runs the engine: master data, stock, capacity, keys.</summary>
    Operator,

    /// <summary>A sales channel: availability and reservations.</summary>
    Channel,

    /// <summary>A store: its own location's stock and capacity.</summary>
    Store,

    /// <summary>A drop-ship partner: its own order lines.</summary>
    Partner,
}

/// <summary>A role and the scope it applies to (a channel name, a location id, a partner id; none for operators).</summary>
[GenerateSerializer, Immutable, Alias("dom.access.grant")]
public sealed record ApiKeyGrant(
    [property: Id(0)] ApiRole Role,
    [property: Id(1)] string Scope);

/// <summary>An issued API key, keyed by the SHA-256 of the key (the key itself is never stored).</summary>
[Alias("dom.access.api-key")]
public interface IApiKeyGrain : IGrainWithStringKey
{
    /// <summary>Stores the grant; false when this key hash already has another grant.</summary>
    [Alias("issue")]
    Task<bool> IssueAsync(ApiKeyGrant grant);

    /// <summary>The grant, or null for an unknown or revoked key.</summary>
    [Alias("get"), ReadOnly]
    Task<ApiKeyGrant?> GetAsync();

    /// <summary>Revokes the key for good; false when no key with this hash was issued. Idempotent.</summary>
    [Alias("revoke")]
    Task<bool> RevokeAsync();
}
