using Dom.Access;
using Dom.Grains.Hosting;

namespace Dom.Silo.Api;

/// <summary>A key to issue for a channel, store or partner.</summary>
public sealed record IssueKeyBody(ApiRole? Role, string? Scope);

/// <summary>An issued key. The key is shown once and stored only as a hash.</summary>
public sealed record IssuedKey(string Key, ApiRole Role, string Scope);

public static class ApiKeysApi
{
    public static RouteGroupBuilder MapApiKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/api-keys").WithTags("Access").RequireAuthorization(Policies.Operator);
        api.MapPost("/", IssueAsync);
        return api;
    }

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

        var key = ApiKeyStore.NewKey();
        var grant = new ApiKeyGrant(body.Role!.Value, body.Scope!);
        await grains.Get<IApiKeyGrain>(ApiKeyStore.Hash(key)).IssueAsync(grant);
        return TypedResults.Created((string?)null, new IssuedKey(key, grant.Role, grant.Scope));
    }
}
