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
    /// <summary>Stores the grant; false when this key hash already has another grant, or was revoked (a listed key can
    /// be revoked before its grant is stored).</summary>
    [Alias("issue")]
    Task<bool> IssueAsync(ApiKeyGrant grant);

    /// <summary>The grant, or null for an unknown or revoked key.</summary>
    [Alias("get"), ReadOnly]
    Task<ApiKeyGrant?> GetAsync();

    /// <summary>Revokes the key for good; false when no key with this hash was issued. Idempotent.</summary>
    [Alias("revoke")]
    Task<bool> RevokeAsync();

    /// <summary>Revokes a key the registry lists, for good, whether or not its grant is stored yet: an issue still on its
    /// way then stores nothing. Idempotent.</summary>
    [Alias("revoke-listed")]
    Task RevokeListedAsync();
}

/// <summary>An issued key as the operator's list shows it: never the key itself, only its id.</summary>
[GenerateSerializer, Immutable, Alias("dom.access.issued-key-entry")]
public sealed record IssuedKeyEntry(
    [property: Id(0)] string KeyId,
    [property: Id(1)] ApiRole Role,
    [property: Id(2)] string Scope,
    [property: Id(3)] DateTimeOffset IssuedAt,
    [property: Id(4)] DateTimeOffset? RevokedAt);

/// <summary>Every key issued through the API (one grain, key 0): what lets an operator find, and revoke, a key whose
/// answer was lost. A key is listed before it is issued, so no working key is ever missing from the list.</summary>
[Alias("dom.access.api-key-registry")]
public interface IApiKeyRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Lists a key about to be issued. Idempotent.</summary>
    [Alias("add")]
    Task AddAsync(IssuedKeyEntry key);

    /// <summary>Marks a listed key revoked; false when it is not listed. Idempotent.</summary>
    [Alias("mark-revoked")]
    Task<bool> MarkRevokedAsync(string keyId);

    /// <summary>Every listed key, the oldest first.</summary>
    [Alias("list"), ReadOnly]
    Task<IReadOnlyList<IssuedKeyEntry>> ListAsync();
}
