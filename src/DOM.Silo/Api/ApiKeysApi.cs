using Dom.Access;
using Dom.Grains.Hosting;

namespace Dom.Silo.Api;

/// <summary>A key to issue for a channel, store or partner.</summary>
public sealed record IssueKeyBody(ApiRole? Role, string? Scope);

/// <summary>An issued key. The key is shown once and stored only as a hash, its id (what revokes it).</summary>
public sealed record IssuedKey(string Key, string KeyId, ApiRole Role, string Scope);

public static class ApiKeysApi
{
    public static RouteGroupBuilder MapApiKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/api-keys").WithTags("Access").RequireAuthorization(Policies.Operator);
        api.MapPost("/", IssueAsync);
        api.MapGet("/", ListAsync);
        api.MapDelete("/{keyId}", RevokeAsync);
        return api;
    }

    /// <summary>Revokes an issued key: at once on this silo, within <c>Auth:IssuedKeyRecheckSeconds</c> on the others.
    /// The id is the one the key was issued with (the SHA-256 of the key, in hex).</summary>
    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> RevokeAsync(string keyId, IGrainFactory grains, ApiKeyStore keys)
    {
        var validation = new Validation();
        if (keyId.Length != 64 || !keyId.All(char.IsAsciiHexDigit))
        {
            validation.Add("keyId", "Must be the key's id: 64 hexadecimal characters (the SHA-256 of the key).");
        }

        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var hash = keyId.ToUpperInvariant();
        if (keys.IsConfigured(hash))
        {
            // Answered "does not exist", the caller would believe it revoked while it goes on working.
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Key from configuration.",
                detail: $"API key {hash} comes from the silos' configuration (Auth:OperatorKey or Auth:Keys), not from the API: remove it there, on every silo.");
        }

        // The key first, then the list: a retry after a failure in between marks the list too. A key the list has
        // and its grain never stored (the issue failed after listing it) never worked; it is marked revoked all the same.
        var revoked = await grains.Get<IApiKeyGrain>(hash).RevokeAsync();
        if (revoked)
        {
            keys.Forget(hash);
        }

        if (!await grains.Get<IApiKeyRegistryGrain>(0).RevokedAsync(hash) && !revoked)
        {
            return Answers.NotFound($"API key {hash}");
        }

        return TypedResults.NoContent();
    }

    /// <summary>Every key issued through the API (its id, role, scope, when issued and revoked; never the key): what
    /// finds a key whose answer was lost, to revoke it. Keys issued by builds before the list existed are not in it.</summary>
    private static async Task<Ok<IReadOnlyList<IssuedKeyEntry>>> ListAsync(IGrainFactory grains) =>
        TypedResults.Ok(await grains.Get<IApiKeyRegistryGrain>(0).ListAsync());

    private static async Task<Results<Created<IssuedKey>, ValidationProblem>> IssueAsync(IssueKeyBody body, IGrainFactory grains)
    {
        var validation = new Validation().Required("role", body.Role).Id("scope", body.Scope);
        if (body.Role == ApiRole.Operator)
        {
            validation.Add("role", "Operator keys come from configuration (Auth:OperatorKey).");
        }

        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        // A store's or partner's scope is a location: a key for one that does not exist (a typo) would see and do nothing.
        if (body.Role is ApiRole.Store or ApiRole.Partner && await grains.Get<Dom.Locations.ILocationGrain>(body.Scope!).GetAsync() is null)
        {
            return validation.Add("scope", $"No location {body.Scope}: a {body.Role.ToString()!.ToLowerInvariant()} key is scoped to an existing location.").Problem();
        }

        var key = ApiKeyStore.NewKey();
        var grant = new ApiKeyGrant(body.Role!.Value, body.Scope!);
        // Listed before it is issued: if the answer is lost, the key is in the list, and can be revoked by its id.
        await grains.Get<IApiKeyRegistryGrain>(0).AddAsync(ApiKeyStore.Hash(key), grant);
        await grains.Get<IApiKeyGrain>(ApiKeyStore.Hash(key)).IssueAsync(grant);
        return TypedResults.Created((string?)null, new IssuedKey(key, ApiKeyStore.Hash(key), grant.Role, grant.Scope));
    }
}
