using Dom.Orders;

namespace Dom.Silo.Api;

public sealed record BackorderQueueView(string Sku, IReadOnlyList<BackorderEntry> Orders);

/// <summary>The orders waiting for supply of a SKU, in the order they are served (first come, first served; priority
/// orders first), and a pass served at once (after a goods receipt) rather than within the minute.</summary>
public static class BackordersApi
{
    public static RouteGroupBuilder MapBackordersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/backorders").WithTags("Backorders").RequireAuthorization(Policies.Operator);
        api.MapGet("/{sku}", GetAsync);
        api.MapPost("/{sku}/serve", ServeAsync);
        return api;
    }

    private static async Task<Results<Ok<BackorderQueueView>, ValidationProblem>> GetAsync(string sku, IGrainFactory grains)
    {
        var validation = new Validation().Id("sku", sku);
        return validation.IsValid
            ? TypedResults.Ok(new BackorderQueueView(sku, await grains.GetGrain<IBackorderQueueGrain>(sku).GetAsync()))
            : validation.Problem();
    }

    private static async Task<Results<Ok<BackorderQueueView>, ValidationProblem>> ServeAsync(string sku, IGrainFactory grains)
    {
        var validation = new Validation().Id("sku", sku);
        return validation.IsValid
            ? TypedResults.Ok(new BackorderQueueView(sku, await grains.GetGrain<IBackorderQueueGrain>(sku).ServeAsync()))
            : validation.Problem();
    }
}
