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

        return await grains.Get<ISourcingGrain>(0).GetAvailabilityAsync(sku) is { } availability
            ? TypedResults.Ok(user.IsOperator() ? availability : ForChannel(availability, user.Scope()))
            : Answers.NotFound($"Article {sku}");
    }

    /// <summary>What a channel may reserve: the shared units and its own pool's. Other channels' pools are theirs to
    /// take and theirs to know of; operators see every pool, and the shared units alone as available.</summary>
    internal static ArticleAvailability ForChannel(ArticleAvailability all, string channel)
    {
        var locations = all.Locations.Select(l =>
        {
            var own = l.Pools?.Where(p => p.Channel == channel).ToList();
            var pooled = own?.Sum(p => p.Available) ?? 0;
            return l with
            {
                Available = l.Available + pooled,
                Pools = own is { Count: > 0 } ? own : null,
                InTransit = l.InTransit?.Select(t => t with { Available = t.Available + pooled }).ToList(),
            };
        }).ToList();
        return all with { Total = all.Unlimited ? all.Total : (int)Math.Min(int.MaxValue, locations.Sum(l => (long)l.Available)), Locations = locations };
    }
}
