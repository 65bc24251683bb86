using System.Security.Claims;
using Dom.Articles;
using Dom.Grains.Hosting;
using Dom.Sourcing;

namespace Dom.Silo.Api;

public static class AvailabilityApi
{
    public static RouteGroupBuilder MapAvailabilityApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/availability").WithTags("Availability").RequireAuthorization(Policies.ChannelOrOperator);
        api.MapGet("/{sku}", GetAsync);
        return api;
    }

    private static async Task<Results<Ok<ArticleAvailability>, ValidationProblem, ProblemHttpResult>> GetAsync(string sku, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("sku", sku);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        // A channel sees what it may reserve (its own pool's units included); operators every pool, the shared units
        // alone as available.
        return await grains.Get<ISourcingGrain>(0).GetAvailabilityAsync(sku, user.IsOperator() ? null : user.Scope()) is { } availability
            ? TypedResults.Ok(availability)
            : Answers.NotFound($"Article {sku}");
    }
}
