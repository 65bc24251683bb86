using System.Security.Claims;
using Dom.Stock;

namespace Dom.Silo.Api;

/// <summary>A stock count for one slot.</summary>
public sealed record StockBody(int? OnHand, int? SafetyStock);

public static class StockApi
{
    public static RouteGroupBuilder MapStockApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/stock").WithTags("Stock").RequireAuthorization(Policies.OperatorOrStore);
        api.MapPut("/{locationId}/{sku}", PutAsync);
        api.MapGet("/{locationId}/{sku}", GetAsync);
        return api;
    }

    private static async Task<Results<Ok<SlotSnapshot>, ValidationProblem, ProblemHttpResult>> PutAsync(
        string locationId, string sku, StockBody body, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation()
            .Id("locationId", locationId)
            .Id("sku", sku)
            .Int("onHand", body.OnHand, 0, Validation.MaxStock)
            .Int("safetyStock", body.SafetyStock, 0, Validation.MaxStock, required: false);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        if (!user.MayManageLocation(locationId))
        {
            return Answers.Forbidden();
        }

        var result = await Slot(grains, locationId, sku).SetStockAsync(new SetStockRequest(body.OnHand!.Value, body.SafetyStock ?? 0));
        return result.Status switch
        {
            SetStockStatus.Set => TypedResults.Ok(result.Slot!),
            SetStockStatus.UnknownArticle => Answers.NotFound($"Article {sku}"),
            _ => Answers.NotFound($"Location {locationId}"),
        };
    }

    private static async Task<Results<Ok<SlotSnapshot>, ValidationProblem, ProblemHttpResult>> GetAsync(
        string locationId, string sku, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("locationId", locationId).Id("sku", sku);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        if (!user.MayManageLocation(locationId))
        {
            return Answers.Forbidden();
        }

        return await Slot(grains, locationId, sku).GetAsync() is { } slot ? TypedResults.Ok(slot) : Answers.NotFound($"Stock of {sku} at {locationId}");
    }

    private static IStockSlotGrain Slot(IGrainFactory grains, string locationId, string sku) =>
        grains.GetGrain<IStockSlotGrain>(new StockSlotKey(sku, locationId).ToString());
}
