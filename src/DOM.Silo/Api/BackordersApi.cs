using Dom.Articles;
using Dom.Grains.Hosting;
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
    private static Task<Results<Ok<BackorderQueueView>, ValidationProblem, ProblemHttpResult>> GetAsync(string sku, IGrainFactory grains) =>
        AnswerAsync(sku, grains, queue => queue.GetAsync());

    /// <summary>Routes the orders waiting for <paramref name="sku"/> again now, first come first; answers the queue after
    /// the pass (those still waiting).</summary>
    private static Task<Results<Ok<BackorderQueueView>, ValidationProblem, ProblemHttpResult>> ServeAsync(string sku, IGrainFactory grains) =>
        AnswerAsync(sku, grains, queue => queue.ServeAsync());

    /// <summary>The queue of <paramref name="sku"/> after <paramref name="call"/>; a SKU that is no article is a 404 (a
    /// typo would otherwise look like a queue nobody waits in).</summary>
    private static async Task<Results<Ok<BackorderQueueView>, ValidationProblem, ProblemHttpResult>> AnswerAsync(
        string sku, IGrainFactory grains, Func<IBackorderQueueGrain, Task<IReadOnlyList<BackorderEntry>>> call)
    {
        var validation = new Validation().Id("sku", sku);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        if (await grains.Get<IArticleGrain>(sku).GetAsync() is null)
        {
            return Answers.NotFound($"Article {sku}");
        }

        return TypedResults.Ok(new BackorderQueueView(sku, await call(grains.GetGrain<IBackorderQueueGrain>(sku))));
    }
}
