using Dom.Orders;

namespace Dom.Silo.Api;

/// <summary>The orders waiting for supply of <paramref name="Sku"/>, in the order they are served.</summary>
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

    /// <summary>The queue of <paramref name="sku"/> as it stands.</summary>
    private static async Task<Results<Ok<BackorderQueueView>, ValidationProblem>> GetAsync(string sku, IGrainFactory grains)
    {
        var validation = new Validation().Id("sku", sku);
        return validation.IsValid
            ? TypedResults.Ok(new BackorderQueueView(sku, await grains.GetGrain<IBackorderQueueGrain>(sku).GetAsync()))
            : validation.Problem();
    }

    /// <summary>Routes the orders waiting for <paramref name="sku"/> again now, first come first; answers the queue after
    /// the pass (those still waiting).</summary>
    private static async Task<Results<Ok<BackorderQueueView>, ValidationProblem>> ServeAsync(string sku, IGrainFactory grains)
    {
        var validation = new Validation().Id("sku", sku);
        return validation.IsValid
            ? TypedResults.Ok(new BackorderQueueView(sku, await grains.GetGrain<IBackorderQueueGrain>(sku).ServeAsync()))
            : validation.Problem();
    }
}
