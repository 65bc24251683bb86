using Dom.Access;
using Dom.Grains.Hosting;

namespace Dom.Grains.Access;

[GenerateSerializer, Alias("dom.access.api-key-state")]
public sealed record ApiKeyState
{
    [Id(0)] public ApiKeyGrant? Grant { get; init; }

    /// <summary>When the key was revoked; it then authenticates nothing, and its hash is never issued again.</summary>
    [Id(1)] public DateTimeOffset? RevokedAt { get; init; }
}

/// <summary>An issued API key's grant, keyed by the key's SHA-256.</summary>
internal sealed class ApiKeyGrain(
    [PersistentState(DomStorage.ApiKeyState, DomStorage.Name)] IPersistentState<ApiKeyState> state,
    DomClock clock,
    ILogger<ApiKeyGrain> logger) : Grain, IApiKeyGrain
{
    public async Task<bool> IssueAsync(ApiKeyGrant grant)
    {
        if (state.State.RevokedAt is not null)
        {
            return false;
        }

        if (state.State.Grant is { } existing)
        {
            return existing == grant;
        }

        await state.WriteAsync(new ApiKeyState { Grant = grant }, GrainContext, logger);
        return true;
    }

    public Task<ApiKeyGrant?> GetAsync() => Task.FromResult(state.State.RevokedAt is null ? state.State.Grant : null);

    public async Task<bool> RevokeAsync()
    {
        if (state.State.Grant is null)
        {
            return false;
        }

        if (state.State.RevokedAt is null)
        {
            await state.WriteAsync(state.State with { RevokedAt = clock.UtcNow }, GrainContext, logger);
        }

        return true;
    }

    public async Task RevokeListedAsync()
    {
        if (state.State.RevokedAt is null)
        {
            await state.WriteAsync(state.State with { RevokedAt = clock.UtcNow }, GrainContext, logger);
        }
    }
}
