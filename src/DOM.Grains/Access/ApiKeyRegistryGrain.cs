using System.Collections.Immutable;
using Dom.Access;
using Dom.Grains.Hosting;

namespace Dom.Grains.Access;

[GenerateSerializer, Alias("dom.access.api-key-registry-state")]
public sealed record ApiKeyRegistryState
{
    /// <summary>By key id. Revoked keys stay listed: the list is also the record of what was ever issued.</summary>
    [Id(0)] public ImmutableDictionary<string, IssuedKeyEntry> Keys { get; init; } = ImmutableDictionary<string, IssuedKeyEntry>.Empty.WithComparers(StringComparer.Ordinal);
}

/// <summary>The list of keys issued through the API; see <see cref="IApiKeyRegistryGrain"/>.</summary>
internal sealed class ApiKeyRegistryGrain(
    [PersistentState(DomStorage.ApiKeyRegistryState, DomStorage.Name)] IPersistentState<ApiKeyRegistryState> state,
    DomClock clock,
    ILogger<ApiKeyRegistryGrain> logger) : Grain, IApiKeyRegistryGrain
{
    public async Task AddAsync(IssuedKeyEntry key)
    {
        if (!state.State.Keys.ContainsKey(key.KeyId))
        {
            await state.WriteAsync(state.State with { Keys = state.State.Keys.Add(key.KeyId, key with { RevokedAt = null }) }, GrainContext, logger);
        }
    }

    public async Task<bool> MarkRevokedAsync(string keyId)
    {
        if (!state.State.Keys.TryGetValue(keyId, out var entry))
        {
            return false;
        }

        if (entry.RevokedAt is null)
        {
            await state.WriteAsync(state.State with { Keys = state.State.Keys.SetItem(keyId, entry with { RevokedAt = clock.UtcNow }) }, GrainContext, logger);
        }

        return true;
    }

    public Task<IReadOnlyList<IssuedKeyEntry>> ListAsync() =>
        Task.FromResult<IReadOnlyList<IssuedKeyEntry>>([.. state.State.Keys.Values.OrderBy(k => k.IssuedAt).ThenBy(k => k.KeyId, StringComparer.Ordinal)]);
}
