using System.Security.Claims;
using Dom.Access;
using Dom.Grains.Hosting;

namespace Dom.Silo.Api;

/// <summary>A key to issue for a channel, store or partner.</summary>
public sealed record IssueKeyBody(ApiRole? Role, string? Scope);

/// <summary>Who the caller's key is: its role and scope (a channel, a location, or empty for an operator).</summary>
public sealed record CallerView(ApiRole Role, string Scope);

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
        // The pages sign in with a key and ask what it may do.
        app.MapGet("/api/v1/me", (ClaimsPrincipal user) => TypedResults.Ok(new CallerView(user.Role(), user.Scope())))
            .WithTags("Access").RequireAuthorization(Policies.AnyRole);
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
                statusCode: StatusCodes.Status422UnprocessableEntity,
                title: "Key from configuration.",
                detail: $"API key {hash} comes from the silos' configuration (Auth:OperatorKey or Auth:Keys), not from the API: remove it there, on every silo.");
        }

        // A listed key is revoked for good whether or not its grant is stored yet, so an issue still on its way stores
        // nothing (and a key whose issue failed never works). The list first: a retry after a failure in between
        // finds it listed and revokes the key. Keys issued before the list existed are revoked as they always were.
        var key = grains.Get<IApiKeyGrain>(hash);
        if (await grains.Get<IApiKeyRegistryGrain>(0).MarkRevokedAsync(hash))
        {
            await key.RevokeListedAsync();
        }
        else if (!await key.RevokeAsync())
        {
            return Answers.NotFound($"API key {hash}");
        }

        keys.Forget(hash);
        return TypedResults.NoContent();
    }

    /// <summary>Every key issued through the API (its id, role, scope, when issued and revoked; never the key): what
    /// finds a key whose answer was lost, to revoke it. Keys issued by builds before the list existed are not in it.</summary>
    private static async Task<Ok<IReadOnlyList<IssuedKeyEntry>>> ListAsync(IGrainFactory grains) =>
        TypedResults.Ok(await grains.Get<IApiKeyRegistryGrain>(0).ListAsync());

    private static async Task<Results<Created<IssuedKey>, ValidationProblem, ProblemHttpResult>> IssueAsync(IssueKeyBody body, IGrainFactory grains, DomClock clock)
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
        var keyId = ApiKeyStore.Hash(key);
        var grant = new ApiKeyGrant(body.Role!.Value, body.Scope!);
        // Listed before it is issued: if the answer is lost, the key is in the list, and can be revoked by its id.
        await grains.Get<IApiKeyRegistryGrain>(0).AddAsync(new IssuedKeyEntry(keyId, grant.Role, grant.Scope, clock.UtcNow, null));
        if (!await grains.Get<IApiKeyGrain>(keyId).IssueAsync(grant))
        {
            // Revoked from the list between listing and storing: it never works.
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Key revoked while it was issued.", detail: $"API key {keyId} was revoked before it was stored; issue another.");
        }

        return TypedResults.Created((string?)null, new IssuedKey(key, keyId, grant.Role, grant.Scope));
    }
}
